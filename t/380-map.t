# attck-worker map: the recorded OTX pulses, ingested through a stand-in
# OTX, mapped into mapped_threat_data with the model trained on the
# Enterprise release.  Ids the source gave and ids in the text score 1; a
# second run, and a run with --all, change nothing; a changed text is
# mapped again alone.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Attck::Test qw(worker run_cmd free_port);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

# the recorded pulses, served where OTX serves them
my @pulses = Attck::Test::recorded_pulses();
Attck::Test->start_otx(@pulses);
my $www = File::Temp->newdir;

($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest otx') or diag $out;
is(q1('SELECT count(*) FROM threat_intelligence_data'), scalar @pulses,
   'one threat per recorded pulse');

# two threats of our own: an id in hostile text, and a long text
q1(q{INSERT INTO threat_intelligence_data (source, source_id, title,
        description, content_sha256)
      VALUES ('otx', 'x-ids', 'Quotes '' and "ids"',
              'Lateral movement over RDP (see T1021.001); also t1105.',
              'h1'),
             ('otx', 'x-long', 'Long', repeat('powershell encoded ', 50000),
              'h2')});

my %given;
for my $p (@pulses) {
    my $id = q1("SELECT id FROM threat_intelligence_data WHERE source = 'otx'"
                . " AND source_id = '$p->{id}'");
    $given{$id} = $p->{attack_ids} || [];
}

my $dump_sql = q{SELECT threat_id, technique_id, score, method,
    model_version, evidence::text, content_sha256, mapped_at
    FROM mapped_threat_data ORDER BY 1, 2};
my $state_sql = q{SELECT threat_id, content_sha256, model_version,
    techniques, mapped_at FROM threat_mapping_state ORDER BY 1};

($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map exits 0') or diag $out;
my $n = @pulses + 2;
like($out, qr/map: threats=$n added=\d+ changed=0 removed=0/,
     "all $n threats mapped");
is(q1('SELECT count(*) FROM threat_mapping_state'), $n,
   'every threat has its mapping state');

for my $tid (sort keys %given) {
    for my $t (@{ $given{$tid} }) {
        is(q1("SELECT score || ' ' || method FROM mapped_threat_data "
              . "WHERE threat_id = $tid AND technique_id = '$t'"),
           '1 explicit', "threat $tid: OTX attack_id $t, score 1, explicit");
    }
}

my $ids = q1(q{SELECT string_agg(technique_id || ':' || method, ' '
                                 ORDER BY technique_id)
               FROM mapped_threat_data m JOIN threat_intelligence_data t
                 ON t.id = m.threat_id
              WHERE t.source_id = 'x-ids' AND m.method = 'explicit'});
is($ids, 'T1021.001:explicit T1105:explicit', 'ids in the text, explicit');

is(q1(q{SELECT count(*) FROM mapped_threat_data
         WHERE method = 'model' AND (score < 0.5 OR score > 1
               OR jsonb_array_length(evidence) = 0)}), 0,
   'model rows score at least the threshold and carry evidence');
ok(q1(q{SELECT count(*) FROM mapped_threat_data WHERE method = 'model'}) > 0,
   'the model maps some threats');
like(q1(q{SELECT string_agg(DISTINCT model_version, ',')
          FROM mapped_threat_data WHERE method = 'model'}),
     qr{^18\.1/[0-9a-f]{8}/top10/min0\.50$},
     'rows name the model: release, file checksum, settings');
like(q1(q{SELECT string_agg(m.technique_id, ' ') FROM mapped_threat_data m
          JOIN threat_intelligence_data t ON t.id = m.threat_id
          WHERE t.source_id = 'x-long'}), qr/\bT1059\.001\b/,
     'a long PowerShell text maps to T1059.001');

my $dump = q1($dump_sql);
my $state = q1($state_sql);

($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'second run exits 0');
like($out, qr/map: threats=0 added=0 changed=0 removed=0/,
     'second run: nothing to map');
($rc, $out) = run_cmd(worker(), 'map', '--model', $model, '--all');
like($out, qr/map: threats=$n added=0 changed=0 removed=0/,
     '--all maps every threat again and finds nothing to change');
is(q1($dump_sql), $dump, 'mapped_threat_data unchanged, row for row');
is(q1($state_sql), $state, 'mapping state unchanged');

# a changed text is mapped again, alone
q1(q{UPDATE threat_intelligence_data
        SET description = 'Credentials dumped from LSASS memory with '
                          || 'Mimikatz', content_sha256 = 'h3'
      WHERE source_id = 'x-ids'});
($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
like($out, qr/map: threats=1 /, 'only the changed threat is mapped');
like($out, qr/removed=2/, 'its old explicit ids are gone');
is(q1(q{SELECT count(*) FROM mapped_threat_data m
          JOIN threat_intelligence_data t ON t.id = m.threat_id
         WHERE t.source_id = 'x-ids' AND m.content_sha256 <> 'h3'}), 0,
   'its rows name the new text');

# the model named in the configuration file, as operators set it
{
    my $conf = "$www/worker.yaml";
    open(my $cf, '>', $conf) or die;
    print $cf "mapping:\n  model: $model\n  threshold: 0.9\n  top: 2\n";
    close $cf;
    ($rc, $out) = run_cmd(worker(), '--config', $conf, 'map');
    is($rc, 0, 'map with the model from --config') or diag $out;
    like($out, qr/threats=$n /, 'other settings map every threat again');
    is(q1(q{SELECT count(*) FROM mapped_threat_data
             WHERE method = 'model' AND score < 0.9}), 0,
       '... with the configured threshold');
    ok(q1(q{SELECT max(c) FROM (SELECT count(*) AS c FROM mapped_threat_data
             WHERE method = 'model' GROUP BY threat_id) x}) <= 2,
       '... and top');
    local $ENV{ATTCK_MAP_TOP} = '0';
    ($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
    is($rc, 64, 'ATTCK_MAP_TOP=0 exits 64');
    like($out, qr/ATTCK_MAP_TOP takes a number/, '... and names it');
}

# failures: one line, a clear exit code
local $ENV{ATTCK_MODEL};
delete $ENV{ATTCK_MODEL};
($rc, $out) = run_cmd(worker(), 'map');
is($rc, 64, 'no model exits 64');
($rc, $out) = run_cmd(worker(), 'map', '--model', "$www/none.model");
is($rc, 66, 'a missing model exits 66');
{
    local $ENV{ATTCK_DATABASE_URL} = 'postgresql://attck@127.0.0.1:'
                                     . free_port() . '/attck';
    ($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
    is($rc, 75, 'no database exits 75');
}

done_testing;

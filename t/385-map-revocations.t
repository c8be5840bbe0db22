# Mappings follow ATT&CK's revocations: threats mapped while only 16.1 is
# stored keep a technique that 18.1 revokes; after 18.1 is ingested, map
# moves those mappings to the replacement (method and evidence kept,
# merged where the threat had it, the move recorded), never writes a
# revoked or deprecated technique again, and the report lists the moves.
# attck-worker diff reads the two releases from the database too.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Attck::Test qw(worker run_cmd shared_dir load_bundle attack_id
                   decode_json slurp);
use Attck::Diff qw(changelog);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";

my $a16 = shared_dir() . '/attack/enterprise-attack-16.1.json';
my $a18 = shared_dir() . '/attack/enterprise-attack-18.1.json';

# what 18.1 revoked and deprecated, from the bundles

my $want = changelog(load_bundle('enterprise-attack-16.1.json'),
                     load_bundle('enterprise-attack-18.1.json'));
my ($rev) = @{ $want->{technique}{revocations} };
my ($old, $new) = ($rev->{id}, $rev->{revoked_by});
ok($old && $new, "18.1 revokes $old in favour of $new");
my %active18 = map { attack_id($_) => 1 }
               grep { $_->{type} eq 'attack-pattern' && !$_->{revoked}
                      && !$_->{x_mitre_deprecated} && attack_id($_) }
               @{ load_bundle('enterprise-attack-18.1.json')->{objects} };
my ($dep) = sort grep { !$active18{$_} } map { attack_id($_) }
            grep { $_->{type} eq 'attack-pattern' && $_->{x_mitre_deprecated}
                   && !$_->{revoked} }
            @{ load_bundle('enterprise-attack-18.1.json')->{objects} };
ok($dep, "18.1 has $dep deprecated");

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $a16);
is($rc, 0, 'ingest 16.1') or diag $out;

# threat A names the technique itself; threat B gets two rows by hand

q1(qq{INSERT INTO threat_intelligence_data (source, source_id, title,
        description, attack_ids, content_sha256)
      VALUES ('otx', 'a', 'Threat <A>', 'nothing to see', '{$old}', 'ha'),
             ('otx', 'b', 'Threat B', 'nothing to see either', '{}', 'hb')});
my ($ta) = q1(q{SELECT id FROM threat_intelligence_data WHERE source_id = 'a'});
my ($tb) = q1(q{SELECT id FROM threat_intelligence_data WHERE source_id = 'b'});

($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map with 16.1 stored') or diag $out;
is(q1("SELECT method || ' ' || score || ' ' || evidence::text"
      . " FROM mapped_threat_data WHERE threat_id = $ta"
      . " AND technique_id = '$old'"),
   'explicit 1 ["source attack_ids"]',
   "threat A: $old, explicit (active in 16.1)");

q1(qq{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        model_version, evidence, content_sha256, confirmed)
      VALUES ($tb, '$old', 0.7, 'model', 'm', '["sideload"]', 'hb', true),
             ($tb, '$new', 0.4, 'model', 'm', '["dll"]', 'hb', false)});

($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map again, 16.1 still newest') or diag $out;
unlike($out, qr/map: moved/, '... moves nothing');
is(q1('SELECT count(*) FROM mapping_moves'), 0, '... records nothing');

# 18.1 comes

($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $a18);
is($rc, 0, 'ingest 18.1') or diag $out;

($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map after 18.1') or diag $out;
like($out, qr/map: moved 2 mappings of techniques that ATT&CK 18\.1 revoked/,
     '... says it moved two mappings');

is(q1("SELECT count(*) FROM mapped_threat_data WHERE technique_id = '$old'"),
   0, "no mapping to $old is left");
is(q1("SELECT method || ' ' || score || ' ' || evidence::text"
      . " FROM mapped_threat_data WHERE threat_id = $ta"
      . " AND technique_id = '$new'"),
   'explicit 1 ["source attack_ids"]',
   "threat A: now $new, still explicit, its evidence kept");
is(q1("SELECT method || ' ' || score || ' ' || confirmed"
      . " FROM mapped_threat_data WHERE threat_id = $tb"
      . " AND technique_id = '$new'"),
   'model 0.7 true', "threat B: merged into its $new row, the better score,"
   . ' confirmed');

is(q1(q{SELECT string_agg(format('%s %s>%s %s %s %s %s', threat_id,
          from_technique, to_technique, release, method, confirmed, merged),
          ', ' ORDER BY threat_id) FROM mapping_moves}),
   "$ta $old>$new 18.1 explicit f f, $tb $old>$new 18.1 model t t",
   'both moves recorded');

($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map once more') or diag $out;
unlike($out, qr/map: moved/, '... nothing left to move');
is(q1('SELECT count(*) FROM mapping_moves'), 2, '... no new record');

# a new threat naming the revoked and a deprecated technique

q1(qq{INSERT INTO threat_intelligence_data (source, source_id, title,
        description, attack_ids, content_sha256)
      VALUES ('otx', 'c', 'Threat C', 'nothing', '{$old,$dep,T1059.001}',
              'hc')});
($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map a new threat') or diag $out;
is(q1(q{SELECT string_agg(technique_id || ' ' || method, ', '
                          ORDER BY technique_id)
          FROM mapped_threat_data m JOIN threat_intelligence_data t
            ON t.id = m.threat_id WHERE t.source_id = 'c'}),
   join(', ', sort "$new explicit", 'T1059.001 explicit'),
   "threat C: $new for $old, nothing for deprecated $dep");

# the report lists the moves

my $dir = File::Temp->newdir;
($rc, $out) = run_cmd(worker(), 'report', '--format', 'json,html',
                      '--since', '1d', '--dir', "$dir");
is($rc, 0, 'report') or diag $out;
my ($json) = glob("$dir/*.json");
my $r = decode_json(slurp($json));
is_deeply([ map { "$_->{threat} $_->{from}>$_->{to} $_->{release} "
                  . "$_->{method} " . ($_->{merged} ? 'merged' : 'moved') }
            @{ $r->{moved_mappings} } ],
          [ "Threat <A> $old>$new 18.1 explicit moved",
            "Threat B $old>$new 18.1 model merged" ],
          'JSON report: the moved mappings');
my ($html) = glob("$dir/*.html");
$html = slurp($html);
like($html, qr{<h2>Mappings moved by ATT&amp;CK revocations</h2>},
     'HTML report: a section of moves');
like($html, qr{Threat &lt;A&gt;.*?\Q$old\E</td><td>\Q$new\E</td>}s,
     '... the threat escaped, from and to');

# attck-worker diff from the database: what it prints from the files

my ($rc1, $db_out) = run_cmd('sh', '-c', worker() . ' diff 16.1 18.1 '
                             . '--format markdown 2>/dev/null');
my ($rc2, $file_out) = run_cmd('sh', '-c', worker() . " diff $a16 $a18 "
                               . '--format markdown 2>/dev/null');
is($rc1, 0, 'diff from the database: exit 0');
ok(length $db_out > 1000 && $db_out eq $file_out,
   '... the same changelog as from the bundles');
like($db_out, qr/\*\*\Q$old\E\*\* .*revoked by \*\*\Q$new\E\*\*/,
     "... $old revoked by $new");
($rc, $out) = run_cmd(worker(), 'diff', '16.1', '17.0');
is($rc, 66, 'diff of a release not stored: 66');
like($out, qr/enterprise-attack 17\.0 is not in the database \(loaded: 16\.1, 18\.1\)/,
     '... naming the releases stored');

done_testing();

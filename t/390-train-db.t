# attck-worker train without --stix: ATT&CK read back from PostgreSQL
# (what "ingest attack" stored), plus the mappings an analyst confirmed;
# map never changes or removes a confirmed row.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(worker shared_dir run_cmd);

delete $ENV{ATTCK_SOURCES};
my $dir = File::Temp->newdir;
my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

($rc, $out) = run_cmd(worker(), 'train', '-o', "$dir/none.model");
is($rc, 66, 'no release in the database exits 66');
like($out, qr/no ATT&CK release in the database/, '... and says so');
ok(!-e "$dir/none.model", '... writing nothing');

($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                      shared_dir() . '/attack/enterprise-attack-18.1.json');
is($rc, 0, 'ingest the Enterprise release') or diag $out;

# an analyst's confirmed mapping
my $tid = q1(q{INSERT INTO threat_intelligence_data (source, source_id,
                 title, description, content_sha256)
               VALUES ('otx', 'analyst-1', 'Tunnel',
                       'The operators tunnelled RDP through ssh port '
                       || 'forwarding to reach the jump host.', 'ha')
               RETURNING id});
q1("INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
      evidence, content_sha256, confirmed)
    VALUES ($tid, 'T1572', 1, 'analyst', '[\"analyst\"]', 'ha', true)");

($rc, $out) = run_cmd(worker(), 'train', '-o', "$dir/db.model");
is($rc, 0, 'train from the database') or diag $out;
like($out, qr/read enterprise-attack 18\.1 from the database/,
     'the stored release is read back');
like($out, qr/691 technique texts, 16017 procedure examples/,
     'the same examples as from the bundle');
like($out, qr/1 analyst-confirmed mappings/, 'the confirmed mapping too');
my ($all, $sent) = $out =~ /(\d+) examples \((\d+) of them sentences of technique texts\), 691 techniques/;
my ($names) = $out =~ /(\d+) names of groups and malware/;
ok($names, 'the names of groups and malware too, as examples of no '
           . 'technique');
is(($all // 0) - ($sent // 0) - ($names // 0), 16709, 'all of them trained '
   . 'on (and each sentence of a technique text and each name besides)');

open(my $in, '>', "$dir/in.jsonl") or die;
print $in JSON::XS->new->encode({ id => 1, text => 'The victim received a '
    . 'spearphishing email with a malicious Word document attached.' }), "\n";
close $in;
is(system(worker() . " classify --model $dir/db.model --top 3 "
          . "< $dir/in.jsonl > $dir/out.jsonl 2>/dev/null"), 0,
   'classify with it');
open(my $res, '<', "$dir/out.jsonl") or die;
my $r = JSON::XS->new->decode(scalar <$res>);
ok((grep { $_->{id} eq 'T1566.001' } @{ $r->{techniques} }),
   'the spearphishing sentence maps to T1566.001');

# map around the confirmed row
my $row = q{SELECT technique_id, score, method, evidence::text, confirmed,
                   mapped_at FROM mapped_threat_data
             WHERE threat_id = } . $tid . q{ AND confirmed};
my $before = q1($row);
($rc, $out) = run_cmd(worker(), 'map', '--model', "$dir/db.model", '--all',
                      '--threshold', '0');
is($rc, 0, 'map --all') or diag $out;
is(q1($row), $before, 'the confirmed row is left as the analyst made it');
ok(q1("SELECT count(*) FROM mapped_threat_data WHERE threat_id = $tid "
      . "AND NOT confirmed") > 0, 'the model adds its own rows beside it');

done_testing;

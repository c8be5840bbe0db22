# Triage: analysts' verdicts posted to nginx (attck_triage) go through the
# Redis stream attck:verdicts into PostgreSQL when map runs; confirmed
# and added mappings survive "map --all", rejected ones are not written
# again, and the next publish serves them.  The endpoint refuses what it
# should: off, without the operator's auth, from another site, bad ids,
# bad bodies, oversized bodies.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use MIME::Base64 ();
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses
                   procedure_pulses http_get);

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
$ENV{ATTCK_MODEL} = $ENV{ATTCK_TEST_MODEL}
    or plan skip_all => 'ATTCK_TEST_MODEL is not set';
delete $ENV{ATTCK_CONFIG};
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                      shared_dir() . '/attack/enterprise-attack-18.1.json');
is($rc, 0, 'ingest Enterprise 18.1') or diag $out;
my $otx = Attck::Test->start_otx(recorded_pulses(), procedure_pulses(20));
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest OTX pulses') or diag $out;
($rc, $out) = run_cmd(worker(), 'map');
is($rc, 0, 'map') or diag $out;

# two mappings map made (not confirmed), and a threat and a technique it
# does not have
my @rows = map { [split /\|/] } split /\n/, q1(q{
    SELECT threat_id, technique_id FROM mapped_threat_data
     WHERE NOT confirmed ORDER BY threat_id, technique_id LIMIT 2});
is(scalar @rows, 2, 'map made at least two mappings') or BAIL_OUT('no rows');
my ($confirm_t, $confirm_x) = @{ $rows[0] };
my ($reject_t, $reject_x) = @{ $rows[1] };
my $add_t = q1(q{SELECT min(id) FROM threat_intelligence_data t
    WHERE NOT EXISTS (SELECT 1 FROM mapped_threat_data m
                       WHERE m.threat_id = t.id
                         AND m.technique_id = 'T1059.001')});
my $add_x = 'T1059.001';

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish') or diag $out;

open(my $pw, '>', "$dir/htpasswd") or die;
print $pw "analyst:{PLAIN}s3cret\n";
close $pw;

my $http = <<"EOF";
    attck_zone attck 64m;
    attck_snapshot $dir/attck.snap;
    attck_redis 127.0.0.1:$redis->{port};
    attck_refresh on;
    attck_refresh_interval 100ms;
EOF
my $on = Attck::Test->start_nginx(http => $http, server => <<"EOF");
    location /api/v1/ { attck_api; }
    location ~ ^/api/v1/threats/[0-9]+/verdicts\$ {
        attck_triage on;
        auth_basic "attck triage";
        auth_basic_user_file $dir/htpasswd;
    }
    location ~ ^/open/threats/[0-9]+/verdicts\$ {
        attck_triage on;
    }
EOF
my $off = Attck::Test->start_nginx(http => $http, server => <<"EOF");
    location /api/v1/ { attck_api; }
    location = /nothing { attck_triage off; return 204; }
EOF

my $auth = 'Basic ' . MIME::Base64::encode_base64('analyst:s3cret', '');
sub post {
    my ($ng, $path, $body, %h) = @_;
    my %headers = ('Content-Type' => 'application/json',
                   Origin => "http://127.0.0.1:$ng->{port}",
                   Authorization => $auth, %h);
    delete $headers{$_} for grep { !defined $headers{$_} } keys %headers;
    return http_get($ng->url($path), method => 'POST', headers => \%headers,
                    content => $body);
}
sub body { my ($t, $v) = @_; qq({"technique":"$t","verdict":"$v"}) }
sub xlen { $redis->cli('XLEN', 'attck:verdicts') }

# refused
my $r = post($off, "/api/v1/threats/$confirm_t/verdicts",
             body($confirm_x, 'confirm'));
is($r->{status}, 405, 'triage off: 405 (the API reads only)');
$r = post($on, "/api/v1/threats/$confirm_t/verdicts",
          body($confirm_x, 'confirm'), Authorization => undef);
is($r->{status}, 401, "without the operator's auth: 401");
$r = post($on, "/api/v1/threats/$confirm_t/verdicts",
          body($confirm_x, 'confirm'), Origin => 'http://evil.example');
is($r->{status}, 403, 'a foreign Origin: 403');
like($r->{content}, qr/"error":"forbidden"/, '... as JSON');
$r = post($on, "/api/v1/threats/$confirm_t/verdicts",
          body($confirm_x, 'confirm'),
          Origin => "http://127.0.0.1:$on->{port}.evil.example");
is($r->{status}, 403, 'an Origin that only starts like ours: 403');
$r = post($on, "/api/v1/threats/$confirm_t/verdicts",
          body($confirm_x, 'confirm'), Origin => undef);
is($r->{status}, 403, 'no Origin and no Sec-Fetch-Site: 403');
$r = post($on, "/api/v1/threats/$confirm_t/verdicts",
          body($confirm_x, 'confirm'), Origin => undef,
          'Sec-Fetch-Site' => 'cross-site');
is($r->{status}, 403, 'Sec-Fetch-Site: cross-site: 403');
$r = post($on, "/api/v1/threats/$confirm_t/verdicts",
          body($confirm_x, 'confirm'),
          'Content-Type' => 'application/x-www-form-urlencoded');
is($r->{status}, 415, 'a form body: 415');
$r = post($on, "/api/v1/threats/12345678901234567890/verdicts",
          body($confirm_x, 'confirm'));
is($r->{status}, 404, 'a threat id of 20 digits: 404');
for my $bad (['{"technique":"T59","verdict":"confirm"}', 'a bad technique'],
             ['{"technique":"t1059","verdict":"confirm"}', 'lower case'],
             ['{"technique":"T1059.01","verdict":"add"}', 'T1059.01'],
             ['{"technique":"T1059","verdict":"maybe"}', 'a bad verdict'],
             ['{"technique":"T1059","verdict":"add","x":1}', 'an extra key'],
             ['{"technique":"T1059","technique":"T1055","verdict":"add"}',
              'a repeated key'],
             ['[1,2]', 'an array'], ['{"technique":', 'broken JSON'],
             ['{"technique":1059,"verdict":"add"}', 'a number']) {
    $r = post($on, "/api/v1/threats/$confirm_t/verdicts", $bad->[0]);
    is($r->{status}, 400, "$bad->[1]: 400");
}
$r = post($on, "/api/v1/threats/$confirm_t/verdicts",
          '{"technique":"T1059","verdict":"add","pad":"' . ('x' x 2000)
          . '"}');
is($r->{status}, 413, 'a body of 2 KB: 413');
$r = http_get($on->url("/api/v1/threats/$confirm_t/verdicts"),
              headers => { Authorization => $auth });
is($r->{status}, 405, 'GET: 405');
is($r->{headers}{allow}, 'POST', '... Allow: POST');
is(xlen(), 0, 'nothing refused reached Redis');

# accepted: Sec-Fetch-Site same-origin stands for a missing Origin
$r = post($on, "/api/v1/threats/$confirm_t/verdicts",
          body($confirm_x, 'confirm'));
is($r->{status}, 202, "confirm $confirm_t $confirm_x: 202") or diag $r->{content};
my $a = decode_json($r->{content});
ok($a->{accepted} && $a->{entry} =~ /^\d+-\d+$/, '... with the entry id');
is($a->{verdict}{user}, 'analyst', '... and the analyst');
$r = post($on, "/api/v1/threats/$reject_t/verdicts",
          body($reject_x, 'reject'), Origin => undef,
          'Sec-Fetch-Site' => 'same-origin');
is($r->{status}, 202, "reject $reject_t $reject_x: 202") or diag $r->{content};
$r = post($on, "/open/threats/$add_t/verdicts", body($add_x, 'add'));
is($r->{status}, 202, "add $add_t $add_x: 202") or diag $r->{content};
# a verdict on a threat that is not stored is dropped by the worker
$r = post($on, "/open/threats/999999/verdicts", body($add_x, 'add'));
is($r->{status}, 202, 'a verdict on threat 999999: 202 (the worker checks)');
is(xlen(), 4, 'four entries in attck:verdicts');

($rc, $out) = run_cmd(worker(), 'map');
is($rc, 0, 'map applies the verdicts') or diag $out;
like($out, qr/3 analysts' verdicts applied, 1 dropped/, '... 3 applied, 1 dropped')
    or diag $out;
is(xlen(), 0, '... and removes them from the stream');

sub state {
    return q1(qq{SELECT
        (SELECT confirmed::text || ' ' || method FROM mapped_threat_data
          WHERE threat_id = $confirm_t AND technique_id = '$confirm_x'),
        (SELECT count(*) FROM mapped_threat_data
          WHERE threat_id = $reject_t AND technique_id = '$reject_x'),
        (SELECT count(*) FROM rejected_mappings
          WHERE threat_id = $reject_t AND technique_id = '$reject_x'),
        (SELECT confirmed::text || ' ' || method || ' ' || score
           FROM mapped_threat_data
          WHERE threat_id = $add_t AND technique_id = '$add_x'),
        (SELECT count(*) FROM mapping_verdicts)});
}
my $state = state();
like($state, qr/^true (explicit|model)\|0\|1\|true analyst 1\|3$/,
     'confirmed kept its method, rejected removed and remembered, added '
     . 'as analyst') or diag $state;

($rc, $out) = run_cmd(worker(), 'map', '--all');
is($rc, 0, 'map --all') or diag $out;
is(state(), $state, '... keeps every verdict (the rejected one is not '
   . 'written again)');

# the same verdicts again change nothing
$redis->cli('XADD', 'attck:verdicts', '*', 'verdict',
            qq({"threat":"$reject_t","technique":"$reject_x",)
            . qq("verdict":"add","user":"x","at":1}));
$redis->cli('XADD', 'attck:verdicts', '*', 'verdict', 'not json');
($rc, $out) = run_cmd(worker(), 'map');
is($rc, 0, 'map with an add after a reject, and an entry not JSON');
is(q1(qq{SELECT method || ' ' || confirmed::text FROM mapped_threat_data
          WHERE threat_id = $reject_t AND technique_id = '$reject_x'}),
   'analyst true', 'the later add wins over the reject');
is(q1(qq{SELECT count(*) FROM rejected_mappings}), 0,
   '... and it is no longer rejected');
is(xlen(), 0, 'the entry that was not JSON is dropped too');

# the next publish serves them
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish') or diag $out;
my $doc;
for (1 .. 50) {
    $r = $on->get("/api/v1/threats/$add_t");
    $doc = $r->{status} == 200 ? decode_json($r->{content}) : undef;
    last if $doc && grep { $_->{id} eq $add_x } @{ $doc->{techniques} };
    select(undef, undef, undef, 0.1);
}
my ($m) = grep { $_->{id} eq $add_x } @{ $doc->{techniques} || [] };
ok($m && $m->{method} eq 'analyst' && $m->{confirmed},
   "threats/$add_t serves $add_x, method analyst, confirmed");

# without Redis the endpoint says so
$redis->pause;
$r = post($on, "/open/threats/$add_t/verdicts", body($add_x, 'add'));
$redis->resume;
ok($r->{status} == 504 || $r->{status} == 503,
   "Redis paused: $r->{status}");

done_testing;

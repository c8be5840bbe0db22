# attck_metrics: the Prometheus text exposition passes promtool, and its
# numbers are the ones of a known sequence of requests, errors, reloads,
# Redis losses and publishes.  The counters are in the zone: every worker
# process adds to them and a reload keeps them.  Hostile URIs never make
# label values of their own.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Time::HiRes qw(time sleep);
use Attck::Test qw(test_snapshot worker shared_dir run_cmd decode_json
                   slurp spew);

my $SHA = 'ef' x 32;
my $dir = File::Temp::tempdir('attck-metrics-XXXXXX', TMPDIR => 1,
                              CLEANUP => 1);

# the routes a label may name: the module's table, nothing else
my %ROUTES = map { $_ => 1 } qw(other index status search matrix
    navigator-layer techniques techniques/{id} techniques/{id}/threats
    threats threats/{id} tactics tactics/{id} groups groups/{id} software
    software/{id} mitigations mitigations/{id} campaigns campaigns/{id}
    detection-strategies detection-strategies/{id} data-components
    data-components/{id} analytics analytics/{id} assets assets/{id}
    mitre-technique-index mitre-matrix-visualisation mitre-navigator-layer
    mitre-update-matrix-data metrics health ready diff threats/stats map
    taxii threats/{id}/verdicts);

# a snapshot file of our own, to be replaced under nginx
my $snap = "$dir/attck.snap";
spew($snap, slurp(test_snapshot()));
my ($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/ics.snap",
                         shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'a second snapshot compiled') or diag $out;

my $redis = Attck::Test->start_redis;
$redis->cli('SET', 'attck:current', "1 $SHA");
$redis->cli('SET', 'attck:1:threat:42', '{"id":42}');

my $http = "attck_zone attck 128m; attck_snapshot $snap;"
         . " attck_redis 127.0.0.1:$redis->{port}; attck_redis_timeout 1s;"
         . ' attck_refresh_interval 100ms;';
my $server = 'location /api/v1/ { attck_api; } '
           . 'location /cr/ { attck_cyberrange; '
           . 'attck_cyberrange_training linear /t/linear; '
           . 'attck_cyberrange_training adaptive /t/adaptive; } '
           . 'location = /t/linear { return 200 "[]"; } '
           . 'location = /t/adaptive { return 500; } '
           . 'location = /metrics { attck_metrics; } '
           . 'location = /ready { attck_health ready; } '
           . 'location /taxii2/ { attck_taxii; } '
           . 'location ~ ^/api/v1/threats/[0-9]+/verdicts$ { attck_triage on; } '
           . 'location = /elsewhere { return 204; }';

my $ng = Attck::Test->start_nginx(workers => 2, http => $http,
                                  server => $server);

# one scrape: checked by promtool, returned as { 'name{labels}' => value }
my $scrapes = 0;
sub scrape {
    my $res = $ng->get('/metrics');
    is($res->{status}, 200, 'scraped') or diag $res->{content};
    like($res->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
         'the text exposition format') unless $scrapes;
    $scrapes++;
    my $file = "$dir/scrape-$scrapes.txt";
    spew($file, $res->{content});
    my ($rc, $out) = run_cmd('sh', '-c', "promtool check metrics < $file");
    is($rc, 0, "scrape $scrapes passes promtool check metrics") or diag $out;
    my %m;
    for (split /\n/, $res->{content}) {
        next if /^#/;
        /^(\S+) (\S+)$/ or do { fail("a sample line: $_"); next };
        $m{$1} = $2;
    }
    return \%m;
}

sub req { "attck_http_requests_total{endpoint=\"$_[0]\",status=\"$_[1]\"}" }
sub val { $_[0]{$_[1]} // 0 }

# every endpoint label from the table, every status from the set
sub labels_bounded {
    my ($m, $label) = @_;
    my @bad = grep { /endpoint="([^"]*)"/ && !$ROUTES{$1} } keys %$m;
    is_deeply(\@bad, [], "$label: every endpoint label is a route");
    my @status = grep { /status="([^"]*)"/ && $1 !~ /^(\d{3}|other)$/ }
                 keys %$m;
    is_deeply(\@status, [], "$label: every status label is a status");
}

# --- a known sequence ---------------------------------------------------------

my $m0 = scrape();
is(val($m0, 'attck_snapshot_loaded'), 1, 'a snapshot is loaded');
is(val($m0, 'attck_snapshot_generation'), 1, 'generation 1');
is(val($m0, 'attck_snapshot_size_bytes'), -s $snap, 'its size in bytes');
cmp_ok(abs(val($m0, 'attck_snapshot_loaded_timestamp_seconds') - time), '<',
       60, 'loaded just now');
is(val($m0, 'attck_zone_size_bytes'), 128 * 1024 * 1024, 'the zone size');
cmp_ok(val($m0, 'attck_zone_used_bytes'), '>=', -s $snap,
       'the zone holds the snapshot');
is(val($m0, 'attck_zone_used_bytes') + val($m0, 'attck_zone_free_bytes'),
   128 * 1024 * 1024, 'used and free make the zone');

for (1 .. 60) {
    last if $ng->get('/api/v1/threats/42')->{status} == 200;
    sleep 0.05;
}
$m0 = scrape();
is(val($m0, 'attck_redis_connected'), 2, 'both worker processes connected');
is(val($m0, 'attck_threat_generation'), 1, 'threat generation 1');

my @ids = map { $_->{external_references}[0]{external_id} }
          grep { $_->{type} eq 'attack-pattern' && !$_->{revoked} }
          @{ Attck::Test::load_bundle('enterprise-attack-18.1.json')->{objects} };
my $N = 40;
my %want;
for my $id (@ids[0 .. $N - 1]) {
    is($ng->get("/api/v1/techniques/$id")->{status}, 200, "techniques/$id")
        if $id eq $ids[0];
    $ng->get("/api/v1/techniques/$id") unless $id eq $ids[0];
}
$want{req('techniques/{id}', 200)} = $N;
$ng->get('/api/v1/techniques/T9999.999') for 1 .. 3;
$want{req('techniques/{id}', 404)} = 3;
$ng->get('/api/v1/techniques', method => 'POST') for 1 .. 2;
$want{req('techniques', 405)} = 2;
$ng->get('/api/v1/techniques/T1059.001/threats');
$want{req('techniques/{id}/threats', 200)} = 1;
$ng->get('/api/v1/groups/G0016');
$want{req('groups/{id}', 200)} = 1;
$ng->get('/api/v1/');
$want{req('index', 200)} = 1;
$ng->get('/api/v1/threats/42');
$want{req('threats/{id}', 200)} = 1;
# the routes added with the dashboard, TAXII and the mapper: each its own
my %more = ('/api/v1/diff?from=16.1&to=18.1' => 'diff',
            '/api/v1/threats/stats' => 'threats/stats',
            '/taxii2/' => 'taxii',
            '/api/v1/threats/42/verdicts' => 'threats/{id}/verdicts');
for my $path (sort keys %more) {
    my $st = $ng->get($path)->{status};
    $want{req($more{$path}, $st)}++;
}
my $st = $ng->get('/api/v1/map', method => 'POST', content => 'x')->{status};
$want{req('map', $st)}++;
$ng->get('/elsewhere') for 1 .. 5;      # not the module's: not counted
$ng->get('/ready');
$want{req('ready', 200)} = 1;

# hostile paths: 404 or 400, all under "other" or a route of the table
my @hostile = ('/api/v1/' . ('A' x 3000), '/api/v1/%22%7D%20x%0a',
               '/api/v1/techniques/T1059/../../../etc/passwd',
               '/api/v1/x{endpoint="evil"}', '/api/v1/techniques/%00/x',
               '/cr/"evil"', '/api/v1/status/extra');
$ng->get($_) for @hostile;

my $m1 = scrape();
for my $k (sort keys %want) {
    is(val($m1, $k) - val($m0, $k), $want{$k}, "$k: +$want{$k}");
}
is(val($m1, req('metrics', 200)) - val($m0, req('metrics', 200)), 1,
   'the last scrape is counted, not this one');
cmp_ok(val($m1, req('other', 404)) - val($m0, req('other', 404)), '>=', 4,
       'the hostile paths count under "other"');
labels_bounded($m1, 'after hostile URIs');
ok(!grep({ /evil|passwd|AAAA/ } keys %$m1), 'no part of a URI is a label');
my $tech = 'attck_http_request_duration_seconds_count{endpoint="techniques/{id}"}';
is(val($m1, $tech) - val($m0, $tech), $N + 3,
   'the duration histogram counts each technique lookup');
is(val($m1, 'attck_http_request_duration_seconds_bucket'
          . '{endpoint="techniques/{id}",le="+Inf"}'), val($m1, $tech),
   '+Inf is the count');
cmp_ok(val($m1, 'attck_http_response_bytes_total{endpoint="techniques/{id}"}')
       - val($m0, 'attck_http_response_bytes_total{endpoint="techniques/{id}"}'),
       '>', $N * 200, 'the bytes sent are counted');

# --- the training services' overlay ---------------------------------------------

my $res = $ng->get('/cr/mitre-matrix-visualisation',
                   headers => { Authorization => 'Bearer x' });
is($res->{status}, 200, 'the cyber-range matrix');
is($res->{headers}{'x-attck-overlay'}, 'partial', 'one service failed');
my $m2 = scrape();
is(val($m2, 'attck_overlay_subrequests_total{training="linear",outcome="ok"}'),
   1, 'linear answered');
is(val($m2, 'attck_overlay_subrequests_total{training="adaptive",outcome="error"}'),
   1, 'adaptive failed');
is(val($m2, 'attck_overlay_subrequest_duration_seconds_count{training="linear"}'),
   1, 'its latency observed');
is(val($m2, req('mitre-matrix-visualisation', 200)), 1,
   'the cyber-range route');

# --- refusals and publishes ---------------------------------------------------

spew($snap, 'not a snapshot');
is($ng->get('/cr/mitre-update-matrix-data', method => 'PUT')->{status}, 500,
   'a bad snapshot file refused')
    or diag $ng->get('/cr/mitre-update-matrix-data', method => 'PUT')->{content};
my $m3 = scrape();
is(val($m3, 'attck_snapshot_refusals_total{source="file"}'), 1,
   'the refusal counted');
is(val($m3, 'attck_snapshot_generation'), 1, 'generation 1 serves on');

spew($snap, slurp("$dir/ics.snap"));
is($ng->get('/cr/mitre-update-matrix-data', method => 'PUT')->{status}, 200,
   'a new snapshot file loaded');
$redis->cli('SET', 'attck:current', "2 $SHA");
$redis->cli('SET', 'attck:current', 'garbage');
sleep 0.5;
$redis->cli('SET', 'attck:current', "3 $SHA");
my $m4;
for (1 .. 50) {
    $m4 = scrape();
    last if val($m4, 'attck_threat_generation') == 3;
    sleep 0.1;
}
is(val($m4, 'attck_snapshot_generation'), 2, 'generation 2 loaded');
is(val($m4, 'attck_snapshot_size_bytes'), -s "$dir/ics.snap", 'its size');
is(val($m4, 'attck_threat_generation'), 3, 'threat generation 3 published');
is(val($m4, 'attck_snapshot_refusals_total{source="pointer"}'), 1,
   'the malformed pointer refused once');

# --- a reload keeps the counters ----------------------------------------------

my $before = scrape();
ok($ng->reload, 'reloaded');
$ng->get('/api/v1/status') for 1 .. 7;
my $after = scrape();
is(val($after, req('status', 200)), val($before, req('status', 200)) + 7,
   'a reload keeps the counters: +7 on top');
is(val($after, 'attck_snapshot_refusals_total{source="file"}'), 1,
   'and the refusals');
is(val($after, 'attck_snapshot_generation'), 2, 'and the generation');

# --- Redis lost and back -------------------------------------------------------

$redis->stop;
for (1 .. 50) {
    last if $ng->get('/api/v1/threats/42')->{status} == 503
            && $ng->get('/api/v1/threats/42')->{status} == 503;
    sleep 0.1;
}
my $m5 = scrape();
is(val($m5, 'attck_redis_connected'), 0, 'Redis lost: 0 connected');
cmp_ok(val($m5, 'attck_redis_errors_total{kind="connection"}'), '>=', 2,
       'the losses counted');
cmp_ok(val($m5, req('threats/{id}', 503)), '>=', 2, 'threats/{id} 503');
ok(!grep({ /^attck_worker_stage/ } keys %$m5),
   'no stage series without Redis');
is(val($m5, 'attck_http_requests_total{endpoint="metrics",status="200"}') > 0,
   1, 'the scrape itself works without Redis');

my $reconnects = val($m5, 'attck_redis_reconnects_total');
$redis->start;
$redis->cli('SET', 'attck:current', "3 $SHA");
$redis->cli('SET', 'attck:3:threat:42', '{"id":42}');
my $m6;
for (1 .. 50) {
    $m6 = scrape();
    last if val($m6, 'attck_redis_connected') == 2;
    sleep 0.1;
}
is(val($m6, 'attck_redis_connected'), 2, 'Redis back: both connected');
is(val($m6, 'attck_redis_reconnects_total') - $reconnects, 2,
   'two reconnects counted');

# a hung Redis: requests time out
for (1 .. 60) {
    last if $ng->get('/api/v1/threats/42')->{status} == 200;
    sleep 0.05;
}
$redis->pause;
is($ng->get('/api/v1/threats/42')->{status}, 504, 'a hung Redis: 504');
$redis->resume;
my $m7;
for (1 .. 30) {
    $m7 = scrape();
    last if val($m7, 'attck_redis_commands_waiting') == 0;
    sleep 0.1;
}
cmp_ok(val($m7, 'attck_redis_timeouts_total'), '>=', 1, 'the timeout counted');
is(val($m7, 'attck_redis_commands_waiting'), 0, 'nothing left waiting');

# --- the worker's stage hashes ---------------------------------------------------

$redis->cli('HSET', 'attck:stage:ingest', 'started', 1700000000,
            'ended', 1700000060, 'exit_code', 0,
            'count:fetched:enterprise-attack', 1234,
            'count:stored:enterprise-attack', 1200, 'bad field', 1,
            'count:evil', '1"} 2', 'count:x', 'A' x 100);
my $m8 = scrape();
is(val($m8, 'attck_worker_stage_last_start_timestamp_seconds{stage="ingest"}'),
   1700000000, 'the stage start exposed');
is(val($m8, 'attck_worker_stage_last_exit_code{stage="ingest"}'), 0,
   'its exit code');
is(val($m8, 'attck_worker_stage_items{stage="ingest",what="fetched",'
          . 'source="enterprise-attack"}'), 1234, 'a count per source');
ok(!grep({ /evil|bad|"x"/ } keys %$m8), 'what is not a name is left out');

done_testing();

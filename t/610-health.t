# attck_health live | ready: live answers 200 while nginx serves; ready
# answers 503 with the reasons as JSON while no snapshot is loaded, while
# Redis is not connected, while no threat generation is published or the
# one published is older than attck_health_max_age, and 200 again as soon
# as each is put right, without a restart.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Attck::Test qw(test_snapshot decode_json);

my $SHA = 'ab' x 32;
my $MAX_AGE = 3;

my $probes = 'location = /health { attck_health live; } '
           . 'location = /ready { attck_health ready; } '
           . 'location /api/v1/ { attck_api; }';

# waits until /ready answers $status (each worker process alike), returns
# the last answer
sub ready_is {
    my ($ng, $status, $label) = @_;
    my $res;
    for (1 .. 100) {
        $res = $ng->get('/ready');
        last if $res->{status} == $status;
        sleep 0.1;
    }
    is($res->{status}, $status, "$label: /ready $status");
    return $res->{content} =~ /^\{/ ? decode_json($res->{content}) : {};
}

# --- no snapshot, then one: no Redis configured ---------------------------

my $ng = Attck::Test->start_nginx(
    workers => 1,
    http    => 'attck_zone attck 128m;',
    server  => $probes,
);

is($ng->get('/health')->{status}, 200, 'live with nothing loaded');
is(decode_json($ng->get('/health')->{content})->{status}, 'live',
   'live says so');
my $r = ready_is($ng, 503, 'no snapshot');
is($r->{status}, 'not ready', 'not ready');
is_deeply($r->{reasons}, ['no snapshot is loaded'], 'the reason given');
is($ng->get('/api/v1/status')->{status}, 503, 'the API agrees');
is($ng->get('/ready', method => 'POST')->{status}, 405, 'POST: 405');

ok($ng->reload(http => 'attck_zone attck 128m; attck_snapshot '
                       . test_snapshot() . ';'), 'reloaded with a snapshot');
$r = ready_is($ng, 200, 'snapshot loaded');
is($r->{status}, 'ready', 'ready says so');
ok(!exists $r->{reasons}, 'no reasons when ready');
is($ng->get('/ready')->{headers}{'cache-control'}, 'no-store',
   'probes are not cached');

# without Redis the age is the snapshot's: since it was loaded
ok($ng->reload(http => 'attck_zone attck 128m; attck_snapshot '
                       . test_snapshot() . "; attck_health_max_age 1s;"),
   'reloaded with attck_health_max_age 1s');
sleep 2.1;
$r = ready_is($ng, 503, 'a snapshot older than max_age, no Redis');
is_deeply($r->{reasons}, ['the threat generation is too old'],
          'the age is the reason');
cmp_ok($r->{age}, '>', 1, 'the age is given');
is($r->{max_age}, 1, 'and the limit');
$ng->stop;

# --- Redis: connection and the generation's age ----------------------------

my $redis = Attck::Test->start_redis;
$redis->cli('SET', 'attck:current', "1 $SHA");

$ng = Attck::Test->start_nginx(
    workers => 2,
    http    => 'attck_zone attck 128m; attck_snapshot ' . test_snapshot()
               . "; attck_redis 127.0.0.1:$redis->{port};"
               . " attck_refresh_interval 100ms;"
               . " attck_health_max_age ${MAX_AGE}s;",
    server  => $probes,
);

ready_is($ng, 200, 'snapshot, Redis, a fresh generation');

$redis->stop;
$r = ready_is($ng, 503, 'Redis stopped');
is($r->{reasons}[0], 'Redis is not connected', 'Redis is the reason');
is($ng->get('/health')->{status}, 200, 'still live without Redis');
is($ng->get('/api/v1/techniques/T1059.001')->{status}, 200,
   'and still serving from shared memory');

$redis->start;
$redis->cli('SET', 'attck:current', "2 $SHA");
$r = ready_is($ng, 200, 'Redis back, generation 2');
is($r->{status}, 'ready', 'ready again without a restart');

# no new generation for longer than the limit
my $t0 = time;
$r = ready_is($ng, 503, 'generation 2 grew old');
is_deeply($r->{reasons}, ['the threat generation is too old'],
          'its age is the reason');
cmp_ok(time - $t0, '>', $MAX_AGE - 1.5, 'not before max_age');
cmp_ok($r->{age}, '>', $MAX_AGE, 'the age given is above the limit');

$redis->cli('SET', 'attck:current', "3 $SHA");
ready_is($ng, 200, 'generation 3 published');

$redis->cli('DEL', 'attck:current');
$r = ready_is($ng, 503, 'nothing published');
is_deeply($r->{reasons}, ['no threat generation is published'],
          'the reason given');

$redis->cli('SET', 'attck:current', "4 $SHA");
ready_is($ng, 200, 'generation 4 published');

# --- nginx -t ---------------------------------------------------------------

my ($rc, $out) = Attck::Test->test_nginx_conf(
    http => 'attck_zone attck 128m;',
    server => 'location = /r { attck_health sometimes; }');
isnt($rc, 0, 'attck_health takes live or ready');
like($out, qr/invalid value "sometimes": live or ready/, 'and says so');

($rc, $out) = Attck::Test->test_nginx_conf(
    http => 'attck_zone attck 128m;',
    server => 'location = /r { attck_health live; attck_api; }');
isnt($rc, 0, 'attck_health is the location\'s only handler');

done_testing();

# Redis going away never touches the shared-memory endpoints: stopped,
# the Redis endpoints answer 503 at once; paused (SIGSTOP), 504 at
# attck_redis_timeout; both recover by themselves when Redis is back,
# without an nginx restart.  Requests left waiting on a hung Redis are
# dropped cleanly, also when their clients went away.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Attck::Test qw(test_snapshot decode_json);

my $SHA = 'cd' x 32;
my $DOC = '{"id":42,"name":"still here"}';
my $TIMEOUT = 1;

my $redis = Attck::Test->start_redis;

sub seed {
    $redis->cli('SET', 'attck:1:threat:42', $DOC);
    $redis->cli('ZADD', 'attck:1:technique:T1059.001', 0.5, '{"id":42}');
    $redis->cli('SET', 'attck:current', "1 $SHA");
}

seed();

my $ng = Attck::Test->start_nginx(
    workers => 2,
    http    => 'attck_zone attck 128m; attck_snapshot ' . test_snapshot()
               . "; attck_redis 127.0.0.1:$redis->{port};"
               . ' attck_redis_timeout 1s;',
    server  => 'location /api/v1/ { attck_api; }',
);

my @SHM = ('techniques/T1059.001', 'techniques?tactic=execution&limit=50',
           'matrix?domain=ics', 'search?q=powershell', 'groups/G0016');

sub get { $ng->get("/api/v1/$_[0]") }

sub timed {
    my ($path) = @_;
    my $t = time;
    my $res = get($path);
    return ($res, time - $t);
}

# the answers of Redis and of shared memory, both healthy
my %shm = map { $_ => get($_)->{content} } @SHM;
for (1 .. 60) {
    last if get('threats/42')->{status} == 200;
    sleep 0.05;
}
is(get('threats/42')->{content}, $DOC, 'healthy: threat from Redis');

sub shm_unchanged {
    my ($label) = @_;
    for my $p (@SHM) {
        my ($res, $dt) = timed($p);
        is($res->{status}, 200, "$label: $p 200");
        ok($res->{content} eq $shm{$p}, "$label: $p byte-identical");
        cmp_ok($dt, '<', 0.3, "$label: $p fast");
    }
}

# recovered: several requests in a row, over both worker processes
sub recovers {
    my ($label) = @_;
    my $t = time;
    my $ok = 0;
    while (time - $t < 5) {
        $ok = get('threats/42')->{content} eq $DOC ? $ok + 1 : 0;
        last if $ok == 10;
        sleep 0.05;
    }
    is($ok, 10, "$label: threats answered again") or explain_log();
    return time - $t;
}

# what the module logged, when an assertion fails
sub explain_log {
    diag join "\n", grep { /attck|alert|crit|emerg/ }
                    split /\n/, $ng->error_log;
}

# --- Redis stopped ------------------------------------------------------

$redis->stop;
sleep 0.2;

for my $p ('threats/42', 'techniques/T1059.001/threats', 'threats') {
    for (1 .. 4) {
        my ($res, $dt) = timed($p);
        is($res->{status}, 503, "stopped: $p 503");
        cmp_ok($dt, '<', 0.3, "stopped: $p answers at once");
        like(eval { decode_json($res->{content})->{detail} } // '',
             qr/Redis is not connected/, "stopped: $p JSON error");
    }
}
shm_unchanged('stopped');
is(get('status')->{status}, 200, 'stopped: status 200');
is(decode_json(get('status')->{content})->{published}{generation}, 1,
   'stopped: the generation last seen is kept');

# still down after a few reconnect attempts: still fast, still 503
sleep 2.2;
my ($res, $dt) = timed('threats/42');
is($res->{status}, 503, 'stopped for 2 s: 503');
cmp_ok($dt, '<', 0.3, 'stopped for 2 s: at once');

# --- Redis back, empty (no persistence), then published again -------------

$redis->start;
my $t = time;
while (time - $t < 3) {
    last if !defined decode_json(get('status')->{content})
                     ->{published}{generation};
    sleep 0.05;
}
is(decode_json(get('status')->{content})->{published}{generation}, undef,
   'an empty Redis: nothing is published');
for my $p ('threats/42', 'techniques/T1059.001/threats') {
    ($res, $dt) = timed($p);
    is($res->{status}, 503, "an empty Redis: $p 503");
    like(eval { decode_json($res->{content})->{detail} } // '',
         qr/no threat data published/, "an empty Redis: $p says why");
}
shm_unchanged('an empty Redis');

seed();
my $took = recovers('published again');
cmp_ok($took, '<', 1.5, 'published again: within a poll or two');
shm_unchanged('restarted');
is(scalar(grep { /"attck:current" is not in Redis/ }
          split /\n/, $ng->error_log), 1,
   'the missing pointer is logged once');

my @lost = grep { /connection lost/ } split /\n/, $ng->error_log;
cmp_ok(scalar @lost, '>=', 1, 'the lost connection is logged');
cmp_ok(scalar @lost, '<=', 2, '... once per worker process');
my @refused = grep { /cannot connect/ } split /\n/, $ng->error_log;
cmp_ok(scalar @refused, '<=', 2,
       'failed reconnects are not logged every second');

# --- Redis hangs ---------------------------------------------------------

$redis->pause;

for my $p ('threats/42', 'techniques/T1059.001/threats',
           'threats?source=otx')
{
    ($res, $dt) = timed($p);
    is($res->{status}, 504, "paused: $p 504");
    cmp_ok($dt, '>=', $TIMEOUT - 0.05, "paused: $p after the timeout");
    cmp_ok($dt, '<', $TIMEOUT + 0.8, "paused: $p not much later")
        or explain_log();
    like(eval { decode_json($res->{content})->{detail} } // '',
         qr/did not answer within 1000 ms/, "paused: $p JSON error");
}
shm_unchanged('paused');
is(get('status')->{status}, 200, 'paused: status 200');

# many requests at once, some of them from clients that do not wait
my @socks;
for my $i (1 .. 40) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ng->{port}) or die $!;
    print $s "GET /api/v1/threats/42 HTTP/1.1\r\nHost: x\r\n"
             . "Connection: close\r\n\r\n";
    push @socks, $s;
}
close $_ for @socks[0 .. 19];
@socks = @socks[20 .. 39];
$t = time;
my $n504 = 0;
for my $s (@socks) {
    local $/;
    my $answer = <$s> // '';
    $n504++ if $answer =~ m{^HTTP/1.1 504 };
}
is($n504, 20, 'paused: every waiting client gets 504');
cmp_ok(time - $t, '<', $TIMEOUT + 1, 'paused: all within the timeout');
shm_unchanged('paused, after 40 waiting requests');

# --- Redis resumes: the late replies are dropped, new requests served -----

$redis->resume;
$took = recovers('resumed');
cmp_ok($took, '<', 1, 'resumed: at once');
shm_unchanged('resumed');
is(get('techniques/T1059.001/threats')->{status}, 200,
   'resumed: technique threats 200');

# Redis dies while requests wait on it hung (SIGKILL while stopped: it
# answers nothing): they get 503 at once
$redis->pause;
my @wait;
for (1 .. 5) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ng->{port}) or die $!;
    print $s "GET /api/v1/threats/42 HTTP/1.1\r\nHost: x\r\n"
             . "Connection: close\r\n\r\n";
    push @wait, $s;
}
sleep 0.1;
kill 'KILL', $redis->{pid};
waitpid($redis->{pid}, 0);
delete $redis->{pid};
$t = time;
my $bad = 0;
for my $s (@wait) {
    local $/;
    my $answer = <$s> // '';
    $bad++ unless $answer =~ m{^HTTP/1.1 503 };
}
is($bad, 0, 'killed while hung: every waiting request gets 503');
cmp_ok(time - $t, '<', $TIMEOUT - 0.2, '... before the timeout');
$redis->start;
seed();
recovers('restarted after a hang');
shm_unchanged('restarted after a hang');

# a graceful stop does not wait for the reconnect timer
$redis->stop;
sleep 0.3;
$t = time;
$ng->stop;
cmp_ok(time - $t, '<', 4, 'nginx stops while Redis is down (the '
       . 'reconnect timer does not hold it)');
unlike($ng->error_log, qr/open socket .* left in connection/,
       'no socket left open at exit');

done_testing();

# attck_refresh: a snapshot published in Redis ("attck:snapshot:SHA" and
# then "attck:current" = "GEN SHA") is checked and swapped in; every worker
# process serves it within a second.  Corrupt, truncated and missing
# snapshots are refused and logged once while the last good one keeps
# serving.  Reloads during a swap, reloads that keep the Redis snapshot
# without fetching it again, an instance that starts with no snapshot file,
# and the configurations nginx -t refuses.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use File::Temp ();
use POSIX ();
use Time::HiRes qw(time sleep);
use Attck::Test qw(test_snapshot worker shared_dir run_cmd decode_json
                   http_get slurp spew);

my $WORKERS = 4;
my $dir = File::Temp::tempdir('attck-refresh-XXXXXX', TMPDIR => 1,
                              CLEANUP => 1);



sub compile {
    my ($name, $domain) = @_;
    my ($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/$name",
                             shared_dir() . "/attack/$domain-attack-18.1.json");
    is($rc, 0, "$domain snapshot compiled") or diag $out;
    return "$dir/$name";
}

# the checksum status shows: the header's CRC-32 field
sub checksum { sprintf('%08x', unpack('x32 V', $_[0])) }

my $redis = Attck::Test->start_redis;

# stores the bytes under their sha256, as "attck-worker publish" does
sub store {
    my ($data, $db) = @_;
    my $sha = sha256_hex($data);
    my $file = "$dir/$sha.bin";
    spew($file, $data);
    my ($rc, $out) = run_cmd('sh', '-c', "redis-cli -p $redis->{port} -n "
                             . ($db // 0) . " -x SET attck:snapshot:$sha "
                             . "< $file");
    die "redis-cli: $out" if $rc;
    return $sha;
}

my $all = slurp(test_snapshot());
my $ics = slurp(compile('ics.snap', 'ics'));
my $mobile = slurp(compile('mobile.snap', 'mobile'));
my %name = (checksum($all) => 'all', checksum($ics) => 'ics',
            checksum($mobile) => 'mobile');
is(scalar keys %name, 3, 'three different snapshots');

my $conf = 'attck_zone attck 128m; attck_snapshot ' . test_snapshot()
           . "; attck_redis 127.0.0.1:$redis->{port}; attck_refresh on;";
my $ng = Attck::Test->start_nginx(
    workers => $WORKERS,
    listen  => 'reuseport',      # new connections spread over the workers
    http    => $conf,
    server  => 'location /api/v1/ { attck_api; '
               . 'add_header X-Worker $pid always; }',
);

sub status {
    my ($server) = @_;
    my $res = ($server // $ng)->get('/api/v1/status');
    my $s = $res->{status} == 200 ? decode_json($res->{content}) : undef;
    return wantarray ? ($s, $res->{headers}{'x-worker'}) : $s;
}

# waits until every worker process shows the snapshot and the generation;
# returns the seconds from $t0 to the last one seen doing so
sub converge {
    my ($t0, $data, $gen, $limit, $server, $workers) = @_;
    my %at;
    while (time - $t0 < $limit) {
        for (1 .. 8) {
            my ($s, $pid) = status($server);
            next unless $s && $s->{checksum} eq checksum($data)
                        && ($s->{published}{generation} // 0) == $gen;
            $at{$pid} //= time - $t0;
        }
        last if keys %at == ($workers // $WORKERS);
        sleep 0.02;
    }
    return (scalar keys %at, (sort { $b <=> $a } values %at)[0] // 99);
}

# many requests: every one must show this snapshot and generation
sub all_serve {
    my ($data, $gen, $label) = @_;
    my (%pids, $bad);
    for (1 .. 40) {
        my ($s, $pid) = status();
        $pids{$pid // ''} = 1;
        $bad++ unless $s && $s->{checksum} eq checksum($data)
                      && ($s->{published}{generation} // 0) == $gen;
    }
    ok(!$bad, "$label: 40 requests, all on $name{checksum($data)}, "
              . "generation $gen") or diag "$bad wrong";
    is(scalar keys %pids, $WORKERS, "$label: all $WORKERS workers answered");
}

sub log_lines { grep { /$_[0]/ } split /\n/, $ng->error_log }

# --- start: the file, nothing published ---------------------------------

my ($s) = status();
is($s->{checksum}, checksum($all), 'start: the attck_snapshot file');
is($s->{generation}, 1, 'start: generation 1');
is_deeply($s->{published}, { generation => undef, sha256 => undef },
          'start: nothing published');
sleep 0.6;
is(status()->{checksum}, checksum($all), 'still the file after a poll');

# --- a new snapshot is published ----------------------------------------

my $ics_sha = store($ics);
$redis->cli('SET', 'attck:11:threat:1', '{"id":1}');
my $t0 = time;
$redis->cli('SET', 'attck:current', "11 $ics_sha");
my ($n, $last) = converge($t0, $ics, 11, 5);
is($n, $WORKERS, "every worker process serves the ICS snapshot");
cmp_ok($last, '<', 1.0, 'within 1 s of attck:current changing');
note sprintf('the last worker process served it after %.3f s', $last);
all_serve($ics, 11, 'after the swap');
($s) = status();
is($s->{generation}, 2, 'zone generation 2');
is($s->{published}{sha256}, $ics_sha, 'published sha256');
is($ng->get('/api/v1/techniques/T0800')->{status}, 200,
   'an ICS technique is served');
is($ng->get('/api/v1/techniques/T1059.001')->{status}, 404,
   'an Enterprise technique is gone');
is($ng->get('/api/v1/threats/1')->{content}, '{"id":1}',
   'threat data of generation 11');
is(scalar(log_lines(qr/\Q$ics_sha\E" from Redis \(\d+ bytes\) is generation 2/)),
   1, 'the swap is logged once');

# --- refused: corrupt, truncated, missing --------------------------------

sub refused {
    my ($data, $gen, $label, $pattern) = @_;
    my $sha = defined $data ? store($data) : sha256_hex("missing $gen");
    $redis->cli('SET', 'attck:current', "$gen $sha");
    sleep 3;     # six polls
    all_serve($ics, 11, $label);
    is(scalar(log_lines(qr/\Q$sha\E.*$pattern/)), 1,
       "$label: logged once in six polls");
    is(status()->{generation}, 2, "$label: no new zone generation");
    return $sha;
}

my $corrupt = $ics;
substr($corrupt, length($corrupt) / 2, 1) ^= "\x20";
refused($corrupt, 12, 'corrupt', qr/refused: .*checksum/);

my $truncated = substr($ics, 0, int(length($ics) / 2));
refused($truncated, 13, 'truncated', qr/refused: snapshot truncated/);

my $bad_header = $ics;
substr($bad_header, 8, 4) = pack('V', 99);      # format version 99
refused($bad_header, 14, 'unknown format version',
        qr/refused: snapshot format version 99/);

refused(undef, 15, 'missing', qr/not in Redis/);

refused('x' x 100, 16, 'not a snapshot', qr/refused: not an attck snapshot/);

# back to the corrupt one: the pointer changed, so it is logged again
my $corrupt_sha = sha256_hex($corrupt);
$redis->cli('SET', 'attck:current', "17 $corrupt_sha");
sleep 1.5;
is(scalar(log_lines(qr/\Q$corrupt_sha\E.*refused/)), 2,
   'a bad snapshot named again after another is logged again');
all_serve($ics, 11, 'after the bad ones');

# --- a reload while a new snapshot is swapped in --------------------------

my $hammer = "$dir/hammer";
my $hpid = fork() // die "fork: $!";
if (!$hpid) {
    my ($ok, $bad, @why) = (0, 0);
    my %want = (checksum($ics) => 1, checksum($mobile) => 1);
    my $end = time + 6;
    while (time < $end) {
        my $res = http_get($ng->url('/api/v1/status'));
        my $st = eval { decode_json($res->{content}) };
        if ($res->{status} == 200 && $st && $want{ $st->{checksum} }) {
            $ok++;
        } else {
            $bad++;
            push @why, "$res->{status} " . substr($res->{content}, 0, 80);
        }
        $res = http_get($ng->url('/api/v1/matrix?domain=ics'));
        $res->{status} == 200 || $res->{status} == 404 ? $ok++ : $bad++;
    }
    spew($hammer, join("\n", $ok, $bad, @why[0 .. ($#why < 4 ? $#why : 4)]));
    POSIX::_exit(0);
}

sleep 0.5;
my $mobile_sha = store($mobile);
$t0 = time;
$redis->cli('SET', 'attck:current', "18 $mobile_sha");
ok($ng->reload, 'reload while the new snapshot is swapped in');
($n, $last) = converge($t0, $mobile, 18, 5);
is($n, $WORKERS, 'after the reload every worker serves mobile');
waitpid($hpid, 0);
my ($ok, $bad, @why) = split /\n/, slurp($hammer);
cmp_ok($ok, '>', 50, "requests during the reload: $ok answered");
is($bad, 0, 'none failed, each on one of the two snapshots')
    or diag join "\n", @why;
all_serve($mobile, 18, 'after reload and swap');

# --- a reload keeps the Redis snapshot, and does not fetch it again ---------

sub strlen_calls {
    my ($line) = grep { /^cmdstat_strlen:/ } split /\r?\n/,
                 $redis->cli('INFO', 'commandstats');
    return $line && $line =~ /calls=(\d+)/ ? $1 : 0;
}

my ($before) = status();
my $fetches = strlen_calls();
my $swaps = () = log_lines(qr/from Redis .* is generation/);
ok($ng->reload, 'reload with the snapshot unchanged');
sleep 2;
all_serve($mobile, 18, 'after a plain reload');
my ($after) = status();
is($after->{generation}, $before->{generation},
   'the zone generation did not change');
is($after->{loaded}, $before->{loaded}, 'nor its load time');
is(strlen_calls(), $fetches, 'the snapshot was not looked up again');
is(scalar(log_lines(qr/from Redis .* is generation/)), $swaps,
   'nothing loaded from Redis');
is(scalar(log_lines(qr/is not loaded: the one published in Redis stays/)),
   2, 'each reload kept the Redis snapshot over the file');
is($ng->get('/api/v1/threats/1')->{status}, 404,
   'threats of generation 18 (none)');

# the same snapshot under a new generation: only the generation moves
$redis->cli('SET', 'attck:19:threat:1', '{"id":1,"gen":19}');
$t0 = time;
$redis->cli('SET', 'attck:current', "19 $mobile_sha");
($n, $last) = converge($t0, $mobile, 19, 3);
is($n, $WORKERS, 'a new generation with the same snapshot');
is(status()->{generation}, $before->{generation},
   '... keeps the zone generation');
is(strlen_calls(), $fetches, '... without fetching');
is($ng->get('/api/v1/threats/1')->{content}, '{"id":1,"gen":19}',
   '... and reads the threats of the new generation');

# --- attck_refresh with no snapshot file -----------------------------------

my $empty = Attck::Test->start_nginx(
    workers => 2,
    http    => 'attck_zone empty 64m; '
               . "attck_redis 127.0.0.1:$redis->{port} db=1; "
               . 'attck_refresh on; attck_refresh_interval 200ms;',
    server  => 'location /api/v1/ { attck_api; '
               . 'add_header X-Worker $pid always; }',
    listen  => 'reuseport',
);
sleep 0.5;
my $res = $empty->get('/api/v1/status');
is($res->{status}, 503, 'no snapshot yet: status 503');
like($res->{content}, qr/no snapshot is loaded/, '... with a JSON error');
is($empty->get('/api/v1/techniques/T1398')->{status}, 503,
   '... techniques 503');
is($empty->get('/api/v1/threats/1')->{status}, 503, '... threats 503');

store($mobile, 1);
$t0 = time;
$redis->cli('-n', 1, 'SET', 'attck:current', "3 $mobile_sha");
($n, $last) = converge($t0, $mobile, 3, 5, $empty, 2);
is($n, 2, 'published: both workers serve it');
cmp_ok($last, '<', 1.0, '... within 1 s');
note sprintf('the last worker process served it after %.3f s', $last);
is($empty->get('/api/v1/techniques/T1398')->{status}, 200,
   '... a mobile technique');

# --- configurations refused by nginx -t -------------------------------------

my $zone = 'attck_zone z 64m;';
for my $case (
    [ "$zone attck_refresh on;", qr/"attck_refresh on" needs "attck_redis"/ ],
    [ "$zone attck_redis localhost:6379;", qr/not an IP address/ ],
    [ "$zone attck_redis redis.example.com:6379;", qr/not an IP address/ ],
    [ "$zone attck_redis redis;", qr/not an IP address/ ],
    [ "$zone attck_redis 127.0.0.1:0;", qr/invalid port/ ],
    [ "$zone attck_redis 127.0.0.1:70000;", qr/invalid port/ ],
    [ "$zone attck_redis 127.0.0.1:x;", qr/invalid port/ ],
    [ "$zone attck_redis ::1:6379;", qr/in brackets/ ],
    [ "$zone attck_redis [::1;", qr/invalid address/ ],
    [ "$zone attck_redis [localhost]:6379;", qr/not an IP address/ ],
    [ "$zone attck_redis unix:;", qr/invalid unix socket path/ ],
    [ "$zone attck_redis 127.0.0.1:6379 db=x;", qr/invalid database/ ],
    [ "$zone attck_redis 127.0.0.1:6379 db=-1;", qr/invalid database/ ],
    [ "$zone attck_redis 127.0.0.1:6379 password=;", qr/invalid parameter/ ],
    [ "$zone attck_redis 127.0.0.1:6379 tls=on;", qr/invalid parameter/ ],
    [ "$zone attck_redis 127.0.0.1:1; attck_redis 127.0.0.1:2;",
      qr/is duplicate/ ],
    [ 'attck_redis 127.0.0.1:6379;', qr/"attck_redis" needs an "attck_zone"/ ],
    [ "$zone attck_redis 127.0.0.1:6379; attck_redis_timeout 0;",
      qr/above zero/ ],
    [ "$zone attck_redis 127.0.0.1:6379; attck_refresh_interval 0;",
      qr/above zero/ ],
    [ "$zone attck_redis 127.0.0.1:6379; attck_refresh maybe;",
      qr/invalid value "maybe"/ ],
    [ "server { attck_redis 127.0.0.1:6379; }", qr/not allowed here/ ],
) {
    my ($rc, $out) = Attck::Test->test_nginx_conf(http => $case->[0]);
    isnt($rc, 0, "nginx -t refuses: $case->[0]");
    like($out, $case->[1], '... saying why') or diag $out;
}

for my $good (
    "$zone attck_redis 127.0.0.1:6379;",
    "$zone attck_redis 127.0.0.1;",
    "$zone attck_redis [::1]:6380 \"password=a b\" db=3; "
    . 'attck_redis_timeout 2s; attck_refresh on; '
    . 'attck_refresh_interval 250ms;',
    "$zone attck_redis unix:/run/redis/redis.sock db=0; attck_refresh off;",
) {
    my ($rc, $out) = Attck::Test->test_nginx_conf(http => $good);
    is($rc, 0, "nginx -t accepts: $good") or diag $out;
}

done_testing();

# Worker processes that stay idle while snapshots are published let go of
# the generations they served last, so the zone does not fill with
# snapshots nobody serves.  The zone here (4 MB) has room for two ICS snapshots,
# not three: the third publish is loaded only if the idle workers have let
# go of the first.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use File::Temp ();
use Time::HiRes qw(time sleep);
use Attck::Test qw(worker shared_dir run_cmd decode_json);

my $dir = File::Temp->newdir;
my $redis = Attck::Test->start_redis;

# three snapshots of the same release, compiled a second apart: the
# bytes (and so the names) differ
my @sha;
for my $i (0 .. 2) {
    sleep 1.1 if $i;
    my ($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/$i.snap",
                             shared_dir() . '/attack/ics-attack-18.1.json');
    is($rc, 0, "snapshot $i compiled") or diag $out;
    open(my $fh, '<:raw', "$dir/$i.snap") or die;
    local $/;
    push @sha, sha256_hex(<$fh>);
    ($rc, $out) = run_cmd('sh', '-c', "redis-cli -p $redis->{port} -x SET "
                          . "attck:snapshot:$sha[$i] < $dir/$i.snap");
    die $out if $rc;
}
my $size = -s "$dir/0.snap";

my $ng = Attck::Test->start_nginx(
    workers => 4,
    http    => "attck_zone attck 4m; attck_redis 127.0.0.1:$redis->{port};"
               . ' attck_refresh on; attck_refresh_interval 100ms;',
    server  => 'location /api/v1/ { attck_api; add_header X-Worker $pid; }');

sub serving {
    my ($want, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < $limit) {
        my $r = $ng->get('/api/v1/status');
        if ($r->{status} == 200) {
            my $s = decode_json($r->{content});
            return 1 if ($s->{published}{sha256} // '') eq $want;
        }
        sleep 0.05;
    }
    return 0;
}

$redis->cli('SET', 'attck:current', "1 $sha[0]");
ok(serving($sha[0], 5), 'the first snapshot is served');

# every worker process takes hold of it
my %pids;
for (1 .. 400) {
    my $r = $ng->get('/api/v1/techniques/T0800');
    $pids{ $r->{headers}{'x-worker'} }++ if $r->{status} == 200;
    last if keys %pids == 4;
}
is(scalar keys %pids, 4, 'all four worker processes served it');

# from here on no request reaches nginx: the workers stay idle, and the
# loads are seen in the log
sub loaded {
    my ($sha, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < $limit) {
        return 1 if $ng->error_log =~ /attck:snapshot:\Q$sha\E.* is generation/;
        sleep 0.05;
    }
    return 0;
}

$redis->cli('SET', 'attck:current', "2 $sha[1]");
ok(loaded($sha[1], 5), 'the second is loaded beside it');

# the idle workers let go within their next clean-up
sleep 1.5;
$redis->cli('SET', 'attck:current', "3 $sha[2]");
ok(loaded($sha[2], 3), 'the third fits: every idle worker let go of the '
   . 'first') or diag $ng->error_log;
unlike($ng->error_log, qr/no room/, 'no "no room" in the log');
cmp_ok($size * 3, ">", 4 * 1024 * 1024,
       'three snapshots would not fit in the zone (the test means '
       . 'something)');
ok(serving($sha[2], 2), 'and it is served');

done_testing;

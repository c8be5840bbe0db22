# A snapshot crafted to pass the CRC and the offsets with posting weights
# that no writer produces (../shared/repro/denormal.py: the smallest
# positive float) once crashed every worker process on a search with
# prefixes.  It is refused by nginx -t, by a reload and from Redis, while
# the last good snapshot keeps serving, and searches never crash on what
# the checks accept.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Time::HiRes qw(sleep);
use Attck::Test qw(worker shared_dir run_cmd decode_json slurp);

my $dir = File::Temp::tempdir('attck-crafted-XXXXXX', TMPDIR => 1,
                              CLEANUP => 1);
chmod 0755, $dir;
my $repro = shared_dir() . '/repro';

my ($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/ics.snap",
                         shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'ICS snapshot compiled') or diag $out;
($rc, $out) = run_cmd('python3', "$repro/denormal.py", "$dir/ics.snap",
                      "$dir/crafted.snap");
is($rc, 0, 'the reproducer crafted a snapshot') or diag $out;
isnt(slurp("$dir/crafted.snap"), slurp("$dir/ics.snap"),
     'the crafted snapshot differs from the compiled one');

# the reproducer's query: 32 three-letter prefixes
my $prefixes = slurp("$repro/prefixes.txt");
$prefixes =~ s/^\s+|\s+$//g;
$prefixes =~ s/\s+/+/g;
my $search = "/api/v1/search?limit=50&q=$prefixes";

# --- nginx -t --------------------------------------------------------------

($rc, $out) = Attck::Test->test_nginx_conf(
    http   => "attck_zone attck 64m; attck_snapshot $dir/crafted.snap;",
    server => 'location /api/v1/ { attck_api; }');
isnt($rc, 0, 'nginx -t refuses the crafted snapshot');
like($out, qr/snapshot view \d+ out of range/, 'and says what is wrong');

# --- reload -----------------------------------------------------------------

my $good = "attck_zone attck 64m; attck_snapshot $dir/ics.snap;";
my $ng = Attck::Test->start_nginx(http => $good,
                                  server => 'location /api/v1/ { attck_api; }');
my $res = $ng->get($search);
is($res->{status}, 200, 'the prefix search answers on the good snapshot');
my $before = decode_json($res->{content});
cmp_ok($before->{total}, '>', 0, "it finds $before->{total} objects");

is($ng->reload(http => "attck_zone attck 64m; "
                       . "attck_snapshot $dir/crafted.snap;"), 0,
   'a reload to the crafted snapshot is refused');
like($ng->error_log, qr/snapshot view \d+ out of range/,
     'the refusal is logged');
for (1 .. 20) {
    $res = $ng->get($search);
    last unless $res->{status} == 200
                && decode_json($res->{content})->{total} == $before->{total};
}
is($res->{status}, 200, '20 prefix searches after the refused reload');
is(decode_json($res->{content})->{total}, $before->{total},
   'all on the last good snapshot');
$ng->stop;

# --- from Redis ---------------------------------------------------------------

my $redis = Attck::Test->start_redis;
$ng = Attck::Test->start_nginx(
    http   => "$good attck_redis 127.0.0.1:$redis->{port}; attck_refresh on;",
    server => 'location /api/v1/ { attck_api; }');
($rc, $out) = run_cmd('python3', "$repro/push_via_redis.py",
                      "$dir/crafted.snap", $redis->{port}, 0, 7);
is($rc, 0, 'the reproducer pushed the crafted snapshot into Redis')
    or diag $out;
my ($sha) = $out =~ /([0-9a-f]{64})/;
ok($sha, 'under its sha256');
sleep 1.5;      # three polls

my $bad = 0;
for (1 .. 20) {
    $res = $ng->get($search);
    $bad++ unless $res->{status} == 200
                  && decode_json($res->{content})->{total} == $before->{total};
}
is($bad, 0, '20 prefix searches with the crafted snapshot in Redis: '
            . 'all answered from the last good one');
my @refused = grep { /\Q$sha\E.*refused: snapshot view \d+ out of range/ }
              split /\n/, $ng->error_log;
is(scalar @refused, 1, 'the crafted snapshot from Redis is refused, '
                       . 'logged once');
is(decode_json($ng->get('/api/v1/status')->{content})->{generation}, 1,
   'no new zone generation');

done_testing;

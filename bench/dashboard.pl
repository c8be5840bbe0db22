# bench/dashboard.sh's store: PostgreSQL, Redis and nginx of the test
# harness, N generated threats published, the dashboard served at /;
# runs bench/dashboard.mjs against it.
# usage: perl bench/dashboard.pl N ROUNDS

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib";
use File::Temp ();
use File::Spec;
use Time::HiRes qw(time);
use Attck::Test qw(worker shared_dir run_cmd build_dir);

my ($count, $rounds) = @ARGV;
my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_MODEL);

my @bundles = map { shared_dir() . "/attack/$_-attack-18.1.json" }
              qw(enterprise mobile ics);
for my $cmd (['migrate'], ['ingest', 'attack', @bundles],
             ['generate', '--seed', '1', '--count', $count, '--days', '1095',
              '--mapped', $bundles[0]],
             ['publish']) {
    my $t = time;
    my ($rc, $out) = run_cmd(worker(), @$cmd);
    die "attck-worker $cmd->[0]: $out" if $rc;
    printf "%-9s %.1f s\n", $cmd->[0], time - $t if $cmd->[0] =~ /gen|pub/;
}

my $dash = File::Spec->rel2abs(build_dir() . '/dashboard');
my $http = <<"CONF";
    include /etc/nginx/mime.types;
    gzip on;
    gzip_types application/javascript text/css application/json;
    attck_zone attck 1024m;
    attck_snapshot $dir/attck.snap;
    attck_redis 127.0.0.1:$redis->{port};
CONF
my $ng = Attck::Test->start_nginx(workers => 1, http => $http, server => <<"CONF");
    location /api/v1/ { attck_api; }
    location / { root $dash; }
CONF
my ($rc, $out) = run_cmd('node', "$FindBin::Bin/dashboard.mjs",
                         $ng->url('/'), $rounds);
print $out;
# the harness checks nginx's log as a test when it stops it: a plan for it
$ng->stop;
Test::More::done_testing();
exit $rc;

# README's first command, "make run", from a clone below a directory only
# its owner can enter (as a clone in /root is): the stack comes up on free
# ports, serves a technique, the reports and the cyber-range update, and
# "make stop" stops everything it started; "make purge" removes its state.
# As root, PostgreSQL runs as postgres and nginx's workers as nobody:
# neither can reach the clone, so nothing they read may live there.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd ();
use File::Temp ();
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use Attck::Test qw(shared_dir free_port run_cmd http_get decode_json slurp);

my $src = Cwd::abs_path("$FindBin::Bin/..");
my $shared = Cwd::abs_path(shared_dir());
my $private = File::Temp::tempdir('attck-home-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
chmod 0700, $private;
my $clone = "$private/attck";

# the checkout's files and what "make all" built, with their times, so
# that make finds the build up to date
my ($rc, $out) = run_cmd('sh', '-c', "cd '$src' && mkdir -p '$clone' && "
    . "{ git ls-files -z 2>/dev/null || find . -path ./build -prune "
    . "-o -type f -print0; } | xargs -0 cp -a --parents -t '$clone' && "
    . "cp -a --parents -t '$clone' build/attck-worker "
    . "build/ngx_http_attck_module.so build/nginx/Makefile build/dashboard "
    . "dashboard/node_modules");
is($rc, 0, 'the checkout copied below a 0700 directory') or diag $out;

# make's own settings from "make test" must not reach the inner make
delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES)};

my %port = (ATTCK_PORT => free_port(), ATTCK_PG_PORT => free_port(),
            ATTCK_REDIS_PORT => free_port());
my @make = ('make', '-s', '-C', $clone, "SHARED=$shared",
            map { "$_=$port{$_}" } sort keys %port);

($rc, $out) = run_cmd(@make, '-q', 'all');
is($rc, 0, 'the copied build is up to date') or diag $out;

($rc, my $state) = run_cmd(@make, 'print-state');
chomp $state;
if ($> == 0) {
    unlike($state, qr/^\Q$private\E/,
           "as root the state lives outside the clone: $state");
} else {
    is($state, "$clone/run", "as another user the state is the clone's run/");
}

# as root, a state directory the postgres user cannot enter is said so
# before PostgreSQL says anything
if ($> == 0) {
    ($rc, $out) = run_cmd(@make, "ATTCK_STATE=$private/state", 'run-postgres');
    isnt($rc, 0, 'an unreachable ATTCK_STATE is refused');
    like($out, qr/the postgres user cannot enter \Q$private\E\/state: set ATTCK_STATE/,
         'with a message that says what to do');
    unlike($out, qr/initdb|Permission denied/, 'not a PostgreSQL error');
}

($rc, $out) = run_cmd(@make, 'ATTCK_SOURCES=' . "$shared/attack/"
                      . 'enterprise-attack-18.1.json', 'run');
is($rc, 0, 'make run') or diag $out;
like($out, qr/attck is serving on http:\/\/127\.0\.0\.1:$port{ATTCK_PORT}\//,
     'says where it serves');
like($out, qr/its state is in \Q$state\E/, 'and where its state is');
unlike($out, qr/Permission denied|could not change directory/,
        'no permission errors');

my $base = "http://127.0.0.1:$port{ATTCK_PORT}";
my $res = http_get("$base/api/v1/techniques/T1059.001");
is($res->{status}, 200, 'GET /api/v1/techniques/T1059.001');
is(eval { decode_json($res->{content})->{id} }, 'T1059.001',
   'the technique itself');

$res = http_get("$base/reports/");
is($res->{status}, 200, 'GET /reports/');
my ($report) = $res->{content} =~ /href="(threat-landscape-[^"]+\.html)"/;
ok($report, 'lists the HTML report') or diag $res->{content};
$res = http_get("$base/reports/$report");
is($res->{status}, 200, "nginx's workers read the report");
like($res->{content}, qr/<html/i, 'an HTML page');

$res = http_get("$base/");
is($res->{status}, 200, "nginx's workers serve the dashboard at /");
like($res->{content}, qr/<script type="module" src="app\.js">/, '... its page');
$res = http_get("$base/app.js");
is($res->{headers}{'content-type'}, 'application/javascript',
   '... and its script, typed');

# TAXII: ATT&CK and the threats collection, as a SOC tool polls them
my %taxii = (headers => { Accept => 'application/taxii+json;version=2.1' });
$res = http_get("$base/taxii2/", %taxii);
is($res->{status}, 200, 'GET /taxii2/: the discovery resource');
like($res->{content}, qr{"api_roots":\[[^\]]*/taxii2/attack/"},
     '... naming the attack API root');
$res = http_get("$base/taxii2/attack/collections/", %taxii);
is($res->{status}, 200, 'the collections of the attack root');
like($res->{content}, qr/x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019/,
     '... Enterprise among them');
like($res->{content}, qr/b9a7c2e4-5f1d-5c3a-9e8b-7d6f4a2c1e30/,
     '... and our mapped threats');
$res = http_get("$base/taxii2/attack/collections/"
                . "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019/"
                . "objects/?match[type]=attack-pattern&limit=5", %taxii);
is($res->{status}, 200, 'a page of Enterprise attack-patterns');
my $page = eval { decode_json($res->{content}) } || {};
is(scalar @{ $page->{objects} || [] }, 5,
   '... five of them');

$res = http_get("$base/mitre-technique-service/api/v1/mitre-update-matrix-data",
                method => 'PUT');
is($res->{status}, 200, "PUT mitre-update-matrix-data reads the snapshot in "
                        . "a worker process") or diag $res->{content};

my $pid_file = "$state/nginx.pid";
my $master = slurp($pid_file) // '';
chomp $master;
ok($master =~ /^\d+$/ && kill(0, $master), 'nginx runs');
if ($> == 0) {
    my (undef, $users) = run_cmd('ps', '-o', 'user=', '--ppid', $master);
    my @users = split /\s+/, $users =~ s/^\s+//r;
    ok(@users && !grep({ $_ eq 'root' } @users),
       "nginx's workers do not run as root (@users)");
}
is((stat $private)[2] & 07777, 0700, "the clone's parent is still 0700");

# a second make run: everything is up, nothing is started twice
($rc, $out) = run_cmd(@make, 'ATTCK_SOURCES=' . "$shared/attack/"
                      . 'enterprise-attack-18.1.json', 'run');
is($rc, 0, 'make run again') or diag $out;
like($out, qr/reloaded nginx/, 'reloads nginx');
unlike($out, qr/started (PostgreSQL|Redis)/, 'starts no second server');

my $redis_pid = slurp("$state/redis/redis.pid") // '';
chomp $redis_pid;
($rc, $out) = run_cmd(@make, 'stop');
is($rc, 0, 'make stop') or diag $out;
like($out, qr/stopped nginx.*stopped Redis.*stopped PostgreSQL/s,
     'stops nginx, Redis and PostgreSQL');

sub port_closed {
    my ($port) = @_;
    for (1 .. 100) {
        return 1 unless IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                              PeerPort => $port);
        sleep 0.1;
    }
    return 0;
}
ok(port_closed($port{$_}), "nothing listens on $_ any more")
    for sort keys %port;
# a server may still be on its way out after its port closed
sub gone {
    my ($pid) = @_;
    return 0 unless $pid =~ /^\d+$/;
    for (1 .. 100) {
        return 1 unless kill 0, $pid;
        sleep 0.1;
    }
    return 0;
}
ok(gone($master), 'the nginx master is gone');
ok(gone($redis_pid), 'the Redis server is gone');
ok(!-e "$state/pg/data/postmaster.pid", 'PostgreSQL is down');

($rc, $out) = run_cmd(@make, 'purge');
is($rc, 0, 'make purge') or diag $out;
ok(!-e $state, 'the state is removed');

done_testing;

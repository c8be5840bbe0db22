# Reload safety: references held by a crashed worker are taken back; a
# reload that fails after its snapshot was loaded publishes nothing and
# gives the memory back; "nginx -t" loads nothing.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use IO::Socket::INET;
use Time::HiRes ();
use Attck::Test qw(worker shared_dir run_cmd decode_json free_port);

my $dir = File::Temp::tempdir(CLEANUP => 1);
my %snap;
for my $name (qw(ics mobile ics2 mobile2)) {
    (my $domain = $name) =~ s/\d$//;
    my ($rc, $log) = run_cmd(worker(), 'compile', '-o', "$dir/$name.snap",
                             shared_dir() . "/attack/$domain-attack-18.1.json");
    is($rc, 0, "compiled $name") or diag $log;
    $snap{$name} = -s "$dir/$name.snap";
    sleep 1 if $name eq 'mobile';    # ics2 differs from ics by its time
}

# room for two snapshots, not three
my $zone = int(($snap{ics} + $snap{mobile}) * 1.25 / 1024) + 1;
sub http_conf { "attck_zone attck ${zone}k; attck_snapshot $dir/$_[0].snap;" }

my $ng = Attck::Test->start_nginx(
    workers => 2,
    http    => http_conf('ics'),
    server  => 'location /api/v1/ { attck_api; }',
);

sub status { decode_json($ng->get('/api/v1/status')->{content}) }
sub workers { $ng->worker_pids }

# --- a crashed worker's references are taken back -----------------------

is($ng->get('/api/v1/techniques/T0800')->{status}, 200, "request $_")
    for 1 .. 10;
my @old = workers();
is(scalar @old, 2, 'two workers');
$ng->{allow_log} = qr/exited on signal 9\b/;
kill 'KILL', @old;
for (1 .. 50) {
    my @now = workers();
    last if @now == 2 && !grep { my $p = $_; grep { $_ == $p } @old } @now;
    Time::HiRes::sleep(0.1);
}
isnt(join(',', workers()), join(',', @old), 'killed workers respawned');

ok($ng->reload(http => http_conf('mobile')), 'reload to mobile');
is($ng->get('/api/v1/techniques/T1398')->{status}, 200, 'mobile served');

# the killed workers held generation 1; without taking their references
# back, ics + mobile + ics2 would not fit
ok($ng->reload(http => http_conf('ics2')),
   'reload to a third snapshot: the dead workers\' references were freed');
my $g = status()->{generation};
is($ng->get('/api/v1/techniques/T0800')->{status}, 200, 'ics served again');

# --- a reload that fails after loading publishes nothing -----------------

my $busy = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                 LocalPort => 0, Proto => 'tcp', ReuseAddr => 0)
    or die $!;
my $busy_port = $busy->sockport;

my $before = $ng->error_log;
ok(!$ng->reload(http => http_conf('mobile2'),
                server => "location /api/v1/ { attck_api; }\n"
                          . "        listen 127.0.0.1:$busy_port;"),
   'reload with an occupied port fails after the snapshot was loaded');
like(substr($ng->error_log, length $before), qr/bind\(\)|Address already in use/,
     'nginx says why');
is(status()->{generation}, $g, 'the failed reload published nothing');
is($ng->get('/api/v1/techniques/T0800')->{status}, 200, 'ics still served');
is($ng->get('/api/v1/techniques/T1398')->{status}, 404, 'mobile not served');
close $busy;

# the failed reload gave its snapshot back: two more still fit in turn
ok($ng->reload(http => http_conf('mobile2'),
               server => 'location /api/v1/ { attck_api; }'),
   'a good reload afterwards has room');
is(status()->{generation}, $g + 1, 'generation advanced by one');

# --- nginx -t loads nothing ----------------------------------------------

$before = $ng->error_log;
my ($rc, $out) = $ng->test_conf;
is($rc, 0, 'nginx -t passes') or diag $out;
unlike(substr($ng->error_log, length $before), qr/is generation/,
       'nginx -t published no generation');
is(status()->{generation}, $g + 1, 'generation unchanged by nginx -t');

done_testing();

# Snapshot generations: a response still being sent keeps its generation
# alive through two reloads; a load that does not fit beside it is refused
# while the current one keeps serving; once the response is done the old
# generation is freed and the load goes through.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_RCVBUF pack_sockaddr_in
              inet_aton);
use Time::HiRes ();
use Attck::Test qw(worker shared_dir run_cmd decode_json);

my $dir = File::Temp::tempdir(CLEANUP => 1);

sub compile {
    my ($out, $domain) = @_;
    my ($rc, $log) = run_cmd(worker(), 'compile', '-o', $out,
                             shared_dir() . "/attack/$domain-attack-18.1.json");
    is($rc, 0, "compiled $domain") or diag $log;
    return -s $out;
}

my $ics = compile("$dir/ics.snap", 'ics');
my $mobile = compile("$dir/mobile.snap", 'mobile');
sleep 1;    # a later compile time makes a different snapshot
my $ics2 = compile("$dir/ics2.snap", 'ics');

# room for two snapshots, not for three
my $zone = int(($ics + $mobile) * 1.25 / 1024) + 1;
ok(2 * $ics + $mobile > $zone * 1024 * 0.97, 'zone cannot hold three');

sub http_conf { "attck_zone attck ${zone}k; attck_snapshot $_[0];" }

my $ng = Attck::Test->start_nginx(
    workers => 1,
    listen  => 'sndbuf=4096',
    http    => http_conf("$dir/ics.snap"),
    server  => 'location /api/v1/ { attck_api; }',
);

sub status { decode_json($ng->get('/api/v1/status')->{content}) }

my $path = '/api/v1/data-components/DC0032';
my $full = $ng->get($path);
is($full->{status}, 200, 'big ICS document');
my $body = $full->{content};
cmp_ok(length $body, '>', 30000, 'larger than the socket buffers');
my $gen1 = status()->{generation};

# a client that reads one piece, then stops reading
socket(my $s, PF_INET, SOCK_STREAM, 0) or die $!;
setsockopt($s, SOL_SOCKET, SO_RCVBUF, 2048) or die $!;
connect($s, pack_sockaddr_in($ng->{port}, inet_aton('127.0.0.1'))) or die $!;
syswrite($s, "GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
my $got = '';
sysread($s, $got, 1024);
like($got, qr{^HTTP/1.1 200}, 'slow response started');

ok($ng->reload(http => http_conf("$dir/mobile.snap")),
   'reload to mobile while the ICS response is in flight');
my $st = status();
is($st->{generation}, $gen1 + 1, 'new generation');
is($st->{releases}[0]{domains}[0]{domain}, 'mobile-attack', 'serving mobile');

ok(!$ng->reload(http => http_conf("$dir/ics2.snap")),
   'a third snapshot does not fit beside the two in use: refused');
like($ng->error_log, qr/no room for the \d+ byte snapshot/,
     'the refusal is logged');
is(status()->{generation}, $gen1 + 1, 'the current generation keeps serving');
is($ng->get('/api/v1/techniques/T1398')->{status}, 200,
   'mobile technique still answers');

# now let the slow client read everything: the old bytes must be intact
while (1) {
    my $n = sysread($s, my $buf, 65536);
    last unless $n;
    $got .= $buf;
}
close $s;
my ($head, $rest) = split /\r\n\r\n/, $got, 2;
is(length $rest, length $body, 'in-flight response complete');
ok($rest eq $body, 'in-flight response byte-identical to generation 1');

# the old worker exits once its response is done, freeing generation 1
my $ok = 0;
for (1 .. 40) {
    Time::HiRes::sleep(0.25);
    if ($ng->reload(http => http_conf("$dir/ics2.snap"))) { $ok = 1; last }
}
ok($ok, 'with generation 1 freed the new snapshot loads');
is(status()->{generation}, $gen1 + 2, 'generation advanced');
is($ng->get($path)->{status}, 200, 'ICS served again');

done_testing();

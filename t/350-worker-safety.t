# What a review of the worker found, kept found: keys never follow a
# redirect, passwords never reach a log line or a table, hostile text
# cannot forge a log line, migrations race safely, paging cannot loop.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Copy ();
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(worker shared_dir run_cmd free_port spew);

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
sub q1 { $pg->query($_[0]) }

# two migrations started together on a new database
my @pids;
for my $n (1, 2) {
    my $pid = fork() // die $!;
    if (!$pid) {
        open(STDOUT, '>', '/dev/null');
        open(STDERR, '>&', \*STDOUT);
        exec(worker(), 'migrate') or exit 127;
    }
    push @pids, $pid;
}
my @codes = map { waitpid($_, 0); $? >> 8 } @pids;
is_deeply(\@codes, [0, 0], 'two migrates at once on a new database both succeed');

my $www = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $www;
File::Copy::copy(shared_dir() . '/attack/ics-attack-18.1.json', "$www/ics.json") or die;
chmod 0644, "$www/ics.json";
my $port = free_port();
spew("$www/loop.json", JSON::XS->new->encode({ results => [],
    next => "http://127.0.0.1:$port/loop/api/v1/pulses/subscribed?limit=50" }));
spew("$www/pulse.json", JSON::XS->new->encode({ next => undef, results => [
    { id => 'p1', name => 'escaped', modified => '2024-01-01T00:00:00',
      description => 'a backslash then u0000: \\u0000 is text',
      indicators => [ { type => 'domain', indicator => 'tawuhoju.com' },
                      { type => 'hostname', indicator => 'tawuhoju.com' } ] } ] }));

my $ng = Attck::Test->start_nginx(
    port   => $port,
    server => <<"EOF2",
        location = /leak { access_log logs/leak.log combined; return 200 '{}'; }
        location = /redir/api/v1/pulses/subscribed {
            return 302 http://127.0.0.1:$port/leak;
        }
        location = /loop/api/v1/pulses/subscribed { rewrite ^ /f/loop.json last; }
        location = /ok/api/v1/pulses/subscribed { rewrite ^ /f/pulse.json last; }
        location /ok/api/v3/ {
            access_log logs/vt.log combined;
            return 404;
        }
        location /f/ { alias $www/; default_type application/json; }
EOF2
);
my $base = "http://127.0.0.1:$port";

# a redirect is not followed with a key
{
    local $ENV{ATTCK_OTX_URL} = "$base/redir";
    local $ENV{ATTCK_OTX_KEY} = 'the-key';
    my ($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
    is($rc, 69, 'OTX answering with a redirect: 69');
    like($out, qr/HTTP 302 \(a redirect: not followed/, 'says why');
    ok(!-s "$ng->{dir}/logs/leak.log", 'nothing reached where it pointed');
}

# a page naming itself next
{
    local $ENV{ATTCK_OTX_URL} = "$base/loop";
    local $ENV{ATTCK_OTX_KEY} = 'k';
    my ($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
    is($rc, 65, 'a next page that is the page itself: 65');
    like($out, qr/the next page is the page just read/, 'says why');
}

# escaped text is not a NUL; a domain that is also a hostname is asked once
{
    local $ENV{ATTCK_OTX_URL} = "$base/ok";
    local $ENV{ATTCK_VT_URL} = "$base/ok";
    local $ENV{ATTCK_OTX_KEY} = 'k';
    local $ENV{ATTCK_VT_KEY} = 'k';
    local $ENV{ATTCK_VT_RATE} = 6000;
    my ($rc, $out) = run_cmd(worker(), 'ingest', 'all');
    is($rc, 0, 'ingest all') or diag $out;
    like($out, qr/kind=otx .* refused=0/, 'the escaped backslash before u0000 is not refused');
    is(q1("SELECT description FROM otx_data WHERE pulse_id = 'p1'"),
       'a backslash then u0000: \\u0000 is text', 'and stored as it is');
    open(my $fh, '<', "$ng->{dir}/logs/vt.log") or die $!;
    my @asked = grep { m{/api/v3/domains/tawuhoju\.com} } <$fh>;
    is(scalar @asked, 1, 'the domain is asked about once');
}

# passwords: a malformed database URL, a source URL
{
    local $ENV{ATTCK_DATABASE_URL} = 'postgresql://attck:s3cr%zzet@127.0.0.1/x';
    my ($rc, $out) = run_cmd(worker(), 'migrate');
    is($rc, 64, 'a malformed database URL: 64');
    unlike($out, qr/s3cr/, 'its password is not printed');
}
my ($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                         "http://mirror:hunter2\@127.0.0.1:$port/f/ics.json",
                         "http://mirror:hunter2\@127.0.0.1:$port/f/missing.json");
unlike($out, qr/hunter2/, 'a password in a source URL is not logged');
like($out, qr{mirror:\*\*\*\@127\.0\.0\.1}, 'the source is shown without it');
is(q1("SELECT count(*) FROM ingestion_runs WHERE source LIKE '%hunter2%' "
      . "OR error LIKE '%hunter2%'"), 0, 'nor stored with the runs');
is(q1("SELECT count(*) FROM source_state WHERE source LIKE '%hunter2%'"), 0,
   'nor in the source state');
is(q1("SELECT count(*) FROM attack_releases WHERE source LIKE '%hunter2%'"), 0,
   'nor with the release');

# hostile text cannot forge a log line
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', "/nothing\"\nts=x level=info msg=\"forged");
is(scalar(grep { /^ts=x / } split /\n/, $out), 0, 'no forged line');
like($out, qr/level=error msg="[^\n]*\\x0a/, 'the newline is escaped in the error line');

done_testing();

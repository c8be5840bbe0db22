# attck-worker ingest otx against a real PostgreSQL and a local nginx that
# stands in for OTX: the recorded pulses served in two pages at the real
# path, the API key header checked; paging, the cursor, changes, faults.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use JSON::XS ();
use Time::HiRes ();
use Attck::Test qw(worker shared_dir run_cmd decode_json free_port slurp spew);

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;


my @pulses = @{ decode_json(slurp(shared_dir() . '/intel-samples/otx/pulses.intelmq-test-data.json')) };
my $mock = decode_json(slurp(shared_dir() . '/intel-samples/otx/pulses_subscribed.elastic-mock.json'));
push @pulses, @{ $mock->{results} };
is(scalar @pulses, 6, 'six recorded pulses');

my $www = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $www;
my $port = free_port();
my $J = JSON::XS->new->canonical;

sub pages {
    my ($dir, @p) = @_;
    mkdir $dir;
    chmod 0755, $dir;
    spew("$dir/page1.json", $J->encode({ count => scalar @p,
        results => [ @p[0 .. 2] ],
        next => "http://127.0.0.1:$port/api/v1/pulses/subscribed?limit=50&page=2" }));
    spew("$dir/page2.json", $J->encode({ count => scalar @p,
        results => [ @p[3 .. $#p] ], next => undef }));
}
pages("$www/otx", @pulses);
spew("$www/truncated.json", substr($J->encode({ results => \@pulses }), 0, 5000));
spew("$www/elsewhere.json", $J->encode({ results => [ $pulses[0] ],
    next => 'http://198.51.100.7/api/v1/pulses/subscribed?page=2' }));

my $ng = Attck::Test->start_nginx(
    port   => $port,
    server => <<"EOF2",
        access_log logs/otx.log combined;
        location = /api/v1/pulses/subscribed {
            if (\$http_x_otx_api_key != "k-test") { return 401; }
            if (\$arg_page = "2") { rewrite ^ /files/otx/page2.json last; }
            rewrite ^ /files/otx/page1.json last;
        }
        location = /bad/api/v1/pulses/subscribed {
            rewrite ^ /files/truncated.json last;
        }
        location = /other/api/v1/pulses/subscribed {
            rewrite ^ /files/elsewhere.json last;
        }
        location = /busy/api/v1/pulses/subscribed {
            add_header Retry-After 1 always;
            return 429;
        }
        location /files/ {
            alias $www/;
            default_type application/json;
        }
EOF2
);

$ENV{ATTCK_OTX_URL} = "http://127.0.0.1:$port";
$ENV{ATTCK_OTX_KEY} = 'k-test';
sub q1 { $pg->query($_[0]) }

# what the recorded pulses hold
my (%ind, %tlp);
for my $p (@pulses) {
    $ind{"$p->{id}|$_->{type}|$_->{indicator}"} = 1 for @{ $p->{indicators} || [] };
}

($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest otx') or diag $out;
like($out, qr/kind=otx .* status=new fetched=6 stored=6 refused=0 new=6 changed=0 unchanged=0/,
     'six new pulses, counted');
unlike($out, qr/k-test/, 'the API key is never printed');
is(q1('SELECT count(*) FROM otx_data'), 6, 'otx_data: six pulses');
is(q1('SELECT count(*) FROM otx_indicators'), scalar keys %ind,
   'otx_indicators: every distinct indicator of the pulses');
is(q1("SELECT count(*) FROM threat_intelligence_data WHERE source = 'otx'"), 6,
   'six normalised threats');
is(q1("SELECT array_to_string(attack_ids, ',') FROM threat_intelligence_data "
      . "WHERE source_id = '$mock->{results}[0]{id}'"), 'T1531,T1059,T1566',
   'the ATT&CK ids OTX gives are kept');
my ($kitten) = grep { $_->{name} =~ /Rocket Kitten/ } @pulses;
is(q1("SELECT title || '|' || indicator_count FROM threat_intelligence_data "
      . "WHERE source_id = '$kitten->{id}'"),
   "$kitten->{name}|" . scalar(grep { /^\Q$kitten->{id}\E\|/ } keys %ind),
   'title and indicator count of a known pulse');
is(q1("SELECT tlp FROM otx_data WHERE pulse_id = '$mock->{results}[0]{id}'"), 'white', 'TLP');
is(q1("SELECT cursor FROM source_state WHERE kind = 'otx'"), '2023-08-22T09:43:18.855000',
   'the cursor is the newest modified time');

# --- again: the cursor goes along, nothing changes ---------------------------

my $log = "$ng->{dir}/logs/otx.log";
my $before = -s $log;
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'second run');
like($out, qr/status=unchanged fetched=6 stored=0/, 'everything unchanged');
my $tail = substr(slurp($log), $before);
like($tail, qr/modified_since=2023-08-22T09%3A43%3A18.855000/, 'asked modified_since the cursor');
like($tail, qr/page=2/, 'and followed the next page');

# --- a pulse changes -----------------------------------------------------------

my $sha = q1("SELECT content_sha256 FROM threat_intelligence_data WHERE source_id = '$kitten->{id}'");
$kitten->{description} .= ' Updated.';
pages("$www/otx", @pulses);
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
like($out, qr/status=changed fetched=6 stored=1 refused=0 new=0 changed=1 unchanged=5/,
     'one pulse changed, five unchanged');
isnt(q1("SELECT content_sha256 FROM threat_intelligence_data WHERE source_id = '$kitten->{id}'"),
     $sha, 'its threat is updated for the mapper');

# --- a failed run leaves the cursor; the next one resumes from it -------------

my $cursor = q1("SELECT cursor FROM source_state WHERE source = '$ENV{ATTCK_OTX_URL}'");
my $good2 = slurp("$www/otx/page2.json");
spew("$www/otx/page2.json", substr($good2, 0, 200));
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 65, 'a truncated second page: the run fails');
is(q1("SELECT cursor FROM source_state WHERE source = '$ENV{ATTCK_OTX_URL}'"), $cursor,
   'the cursor stays where the last committed run left it');
spew("$www/otx/page2.json", $good2);
$before = -s $log;
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'the next run');
(my $enc = $cursor) =~ s/:/%3A/g;
like(substr(slurp($log), $before), qr/modified_since=\Q$enc\E/, 'resumes from that cursor');

# --- faults: nothing stored ----------------------------------------------------

my $count = q1('SELECT count(*) FROM otx_data');
{
    local $ENV{ATTCK_OTX_KEY} = 'wrong';
    ($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
    is($rc, 69, 'a refused key: 69');
    like($out, qr/level=error.*HTTP 401/, 'says HTTP 401');
    unlike($out, qr/wrong/, 'and does not print the key');
}
{
    local $ENV{ATTCK_OTX_URL} = "http://127.0.0.1:$port/bad";
    ($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
    is($rc, 65, 'a truncated page: 65');
    like($out, qr/level=error.*not an OTX pulse list/, 'says why');
}
{
    local $ENV{ATTCK_OTX_URL} = "http://127.0.0.1:$port/other";
    ($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
    is($rc, 65, 'a next page on another host: refused');
    like($out, qr/another host; the API key is not sent there/, 'says why');
}
{
    local $ENV{ATTCK_OTX_URL} = "http://127.0.0.1:$port/busy";
    my $t0 = Time::HiRes::time();
    ($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
    my $took = Time::HiRes::time() - $t0;
    is($rc, 69, 'always 429: 69 once the retries are spent');
    is(scalar(() = $out =~ /HTTP 429; retrying in 1000 ms/g), 3,
       'Retry-After honoured on every retry');
    cmp_ok($took, '>=', 3, 'and waited for it');
}
is(q1('SELECT count(*) FROM otx_data'), $count, 'no fault stored anything');
is(q1("SELECT count(*) FROM ingestion_runs WHERE kind = 'otx' AND status = 'failed'"), 5,
   'every failed run recorded as failed');

# --- a pulse with a NUL byte is refused on its own -----------------------------

$pulses[1]{description} = "nul \x{0} inside";
$pulses[2]{description} = "quotes ' \" \\ and <b>";
pages("$www/otx", @pulses);
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'a run with a NUL byte in one pulse');
like($out, qr/refused=1/, 'that pulse is refused and counted');
is(q1("SELECT description FROM otx_data WHERE pulse_id = '$pulses[2]{id}'"),
   q{quotes ' " \ and <b>}, 'quotes, backslashes and markup are stored as they are');

# --- broken UTF-8 and a 10 MB description are stored safely ----------------

my $page = $J->encode({ next => undef, results => [
    { id => 'p-utf8', name => "broken \x{FFFD} here", modified => '2030-01-01T00:00:00',
      description => 'placeholder', indicators => [] },
    { id => 'p-big', name => 'big', modified => '2030-01-01T00:00:01',
      description => 'x' x (10 * 1024 * 1024), indicators => [] } ] });
# a raw, invalid byte where U+FFFD stood
$page =~ s/\x{FFFD}/\xff/ or die 'fixture';
spew("$www/otx/page1.json", $page);
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'a page with broken UTF-8 and a 10 MB description');
like($out, qr/1 invalid UTF-8 bytes replaced/, 'the repair is counted');
is(q1("SELECT name FROM otx_data WHERE pulse_id = 'p-utf8'"), "broken \xef\xbf\xbd here",
   'the broken byte is stored as U+FFFD');
is(q1("SELECT length(description) FROM otx_data WHERE pulse_id = 'p-big'"),
   10 * 1024 * 1024, 'the 10 MB description is stored whole');

done_testing();

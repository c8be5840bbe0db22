# attck-worker ingest virustotal against a real PostgreSQL and a local
# nginx standing in for OTX and VirusTotal (API v3 paths, x-apikey
# checked), with the recorded VirusTotal reports: stored figures, threats,
# rate spacing, the age and daily limits, a refused key.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use JSON::XS ();
use MIME::Base64 ();
use File::Copy ();
use Time::HiRes ();
use Attck::Test qw(worker shared_dir run_cmd decode_json free_port slurp spew);

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

sub q1 { $pg->query($_[0]) }

my $vt = shared_dir() . '/intel-samples/virustotal';
my %report = map { $_ => decode_json(slurp("$vt/${_}_report.opencti.json")) }
             qw(files ip_addresses domains urls);
my $file = $report{files}{data}{id};
my $ip = $report{ip_addresses}{data}{id};
my $domain = $report{domains}{data}{id};
my $url = $report{urls}{data}{attributes}{url};
(my $url_id = MIME::Base64::encode_base64url($url)) =~ s/=+$//;

my $www = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $www;
for my $k (keys %report) {
    File::Copy::copy("$vt/${k}_report.opencti.json", "$www/$k.json") or die $!;
    chmod 0644, "$www/$k.json";
}
spew("$www/pulses.json", JSON::XS->new->encode({ next => undef, results => [ {
    id => 'p-vt', name => 'Pulse with VirusTotal indicators', modified => '2024-01-01T00:00:00',
    indicators => [
        { type => 'FileHash-SHA256', indicator => $file },
        { type => 'IPv4', indicator => $ip },
        { type => 'domain', indicator => $domain },
        { type => 'URL', indicator => $url },
        { type => 'FileHash-MD5', indicator => '0' x 32 },
        { type => 'CVE', indicator => 'CVE-2012-0158' },
    ] } ] }));

my $port = free_port();
my $ng = Attck::Test->start_nginx(
    port   => $port,
    server => <<"EOF2",
        access_log logs/vt.log combined;
        location = /api/v1/pulses/subscribed { rewrite ^ /f/pulses.json last; }
        location /api/v3/ {
            if (\$http_x_apikey != "vt-test") { return 401; }
            return 404 '{"error":{"code":"NotFoundError"}}';
        }
        location = /api/v3/files/$file {
            if (\$http_x_apikey != "vt-test") { return 401; }
            rewrite ^ /f/files.json last;
        }
        location = /api/v3/ip_addresses/$ip {
            if (\$http_x_apikey != "vt-test") { return 401; }
            rewrite ^ /f/ip_addresses.json last;
        }
        location = /api/v3/domains/$domain {
            if (\$http_x_apikey != "vt-test") { return 401; }
            rewrite ^ /f/domains.json last;
        }
        location = /api/v3/urls/$url_id {
            if (\$http_x_apikey != "vt-test") { return 401; }
            rewrite ^ /f/urls.json last;
        }
        location /f/ { alias $www/; default_type application/json; }
EOF2
);

$ENV{ATTCK_OTX_URL} = $ENV{ATTCK_VT_URL} = "http://127.0.0.1:$port";
$ENV{ATTCK_OTX_KEY} = 'otx-test';
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'the OTX pulse with the indicators') or diag $out;

# a refused key first: nothing stored, the key not printed
{
    local $ENV{ATTCK_VT_KEY} = 'not-the-key';
    ($rc, $out) = run_cmd(worker(), 'ingest', 'virustotal');
    is($rc, 69, 'a refused key: 69');
    like($out, qr/level=error.*HTTP 401/, 'says HTTP 401');
    unlike($out, qr/not-the-key/, 'the key is never printed');
    is(q1('SELECT count(*) FROM virustotal_data'), 0, 'nothing stored');
}

$ENV{ATTCK_VT_KEY} = 'vt-test';
$ENV{ATTCK_VT_RATE} = 120;           # a request every half second
my $t0 = Time::HiRes::time();
($rc, $out) = run_cmd(worker(), 'ingest', 'virustotal');
my $took = Time::HiRes::time() - $t0;
is($rc, 0, 'ingest virustotal') or diag $out;
like($out, qr/kind=virustotal .* status=new fetched=5 stored=5/,
     'five indicators asked (the CVE is not VirusTotal\'s), five stored');
cmp_ok($took, '>=', 2, 'spaced at the configured rate (4 gaps of 0.5 s)');

my $fa = $report{files}{data}{attributes};
is(q1("SELECT malicious || '|' || undetected || '|' || reputation || '|' || threat_label "
      . "FROM virustotal_data WHERE object_type = 'file' AND found"),
   join('|', $fa->{last_analysis_stats}{malicious}, $fa->{last_analysis_stats}{undetected},
        $fa->{reputation}, $fa->{popular_threat_classification}{suggested_threat_label}),
   'file: analysis stats, reputation, threat label from the report');
is(q1("SELECT country || '|' || malicious FROM virustotal_data WHERE object_type = 'ip_address'"),
   "$report{ip_addresses}{data}{attributes}{country}|"
   . $report{ip_addresses}{data}{attributes}{last_analysis_stats}{malicious},
   'IP: country and malicious count');
is(q1("SELECT object_id FROM virustotal_data WHERE object_type = 'url'"),
   $report{urls}{data}{id}, 'URL: asked by its base64url id, stored with VirusTotal\'s id');
is(q1("SELECT found FROM virustotal_data WHERE indicator = '" . ('0' x 32) . "'"), 'f',
   'an unknown hash is kept as not found');
is(q1('SELECT attributes IS NOT NULL FROM virustotal_data WHERE object_type = \'domain\''), 't',
   'raw attributes kept');

my $malicious = grep { $_->{data}{attributes}{last_analysis_stats}{malicious} > 0 } values %report;
is(q1("SELECT count(*) FROM threat_intelligence_data WHERE source = 'virustotal'"), $malicious,
   'a threat per object some engines call malicious');
like(q1("SELECT description FROM threat_intelligence_data WHERE source_id = 'file:$file'"),
     qr/\Q$fa->{popular_threat_classification}{suggested_threat_label}\E/,
     'its text for the mapper holds the threat label');

# again: nothing is asked within the age limit
my $before = -s "$ng->{dir}/logs/vt.log";
($rc, $out) = run_cmd(worker(), 'ingest', 'virustotal');
like($out, qr/status=unchanged fetched=0/, 'nothing asked again within the age');
my $asked = substr(slurp("$ng->{dir}/logs/vt.log"), $before);
unlike($asked, qr{/api/v3/}, 'the stand-in saw no request');

# the daily budget
{
    # one report is older than a day, so it is due again; the other four
    # were asked today, and the budget is four
    local $ENV{ATTCK_VT_DAILY} = 4;
    local $ENV{ATTCK_VT_MAX_AGE} = 1;
    q1("UPDATE virustotal_data SET fetched_at = now() - interval '2 days' "
       . "WHERE object_type = 'file' AND found");
    ($rc, $out) = run_cmd(worker(), 'ingest', 'virustotal');
    like($out, qr/today's 4 requests are spent/, 'the daily budget is kept');
    is(q1("SELECT count(*) FROM virustotal_data WHERE fetched_at >= date_trunc('day', now())"),
       4, 'nothing more was asked');
}

done_testing();

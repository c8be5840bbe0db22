# The whole ingestion as the issue states it: migrate, then "ingest all"
# against local stand-ins for MITRE, OTX and VirusTotal, fills every table
# with counts that match the sources; a second run reports everything
# unchanged.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Copy ();
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(worker shared_dir run_cmd decode_json load_bundle
                   free_port slurp spew);

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
for my $t (qw(attack_releases mitre_attack_techniques attack_relationships otx_data
              otx_indicators virustotal_data threat_intelligence_data
              mapped_threat_data reports source_state ingestion_runs)) {
    is(q1("SELECT to_regclass('$t') IS NOT NULL"), 't', "table $t");
}

# the stand-ins: the ICS bundle, the recorded OTX pulses with one pulse
# carrying the recorded VirusTotal indicators, the recorded reports
my $www = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $www;
File::Copy::copy(shared_dir() . '/attack/ics-attack-18.1.json', "$www/ics.json") or die;
chmod 0644, "$www/ics.json";
my $vtdir = shared_dir() . '/intel-samples/virustotal';
my $file = decode_json(slurp("$vtdir/files_report.opencti.json"));
File::Copy::copy("$vtdir/files_report.opencti.json", "$www/file.json") or die;
chmod 0644, "$www/file.json";
my @pulses = @{ decode_json(slurp(shared_dir() . '/intel-samples/otx/pulses.intelmq-test-data.json')) };
push @pulses, { id => 'p-vt', name => 'with a hash', modified => '2024-01-01T00:00:00',
                indicators => [ { type => 'FileHash-SHA256', indicator => $file->{data}{id} } ] };
spew("$www/pulses.json", JSON::XS->new->utf8->encode({ results => \@pulses, next => undef }));

my $port = free_port();
my $ng = Attck::Test->start_nginx(
    port   => $port,
    server => <<"EOF2",
        location = /api/v1/pulses/subscribed {
            if (\$http_x_otx_api_key != "o") { return 401; }
            rewrite ^ /f/pulses.json last;
        }
        location /api/v3/ {
            if (\$http_x_apikey != "v") { return 401; }
            return 404;
        }
        location = /api/v3/files/$file->{data}{id} {
            if (\$http_x_apikey != "v") { return 401; }
            rewrite ^ /f/file.json last;
        }
        location /f/ { alias $www/; default_type application/json; }
EOF2
);

$ENV{ATTCK_SOURCES} = "http://127.0.0.1:$port/f/ics.json";
$ENV{ATTCK_OTX_URL} = $ENV{ATTCK_VT_URL} = "http://127.0.0.1:$port";
$ENV{ATTCK_OTX_KEY} = 'o';
$ENV{ATTCK_VT_KEY} = 'v';
$ENV{ATTCK_VT_RATE} = 6000;

($rc, $out) = run_cmd(worker(), 'ingest', 'all');
is($rc, 0, 'ingest all') or diag $out;
like($out, qr/kind=attack .* status=new/, 'attack: new');
like($out, qr/kind=otx .* status=new/, 'otx: new');
like($out, qr/kind=virustotal .* status=new/, 'virustotal: new');

my $ics = load_bundle('ics-attack-18.1.json')->{objects};
is(q1('SELECT objects FROM attack_releases'), scalar @$ics, 'the release: every object');
is(q1('SELECT count(*) FROM attack_relationships'),
   scalar(grep { $_->{type} eq 'relationship' } @$ics), 'relationships');
is(q1('SELECT count(*) FROM mitre_attack_techniques'),
   scalar(grep { $_->{type} eq 'attack-pattern' } @$ics), 'techniques');
is(q1('SELECT count(*) FROM otx_data'), scalar @pulses, 'pulses');
my %ind;
for my $p (@pulses) { $ind{"$p->{id}|$_->{type}|$_->{indicator}"} = 1 for @{ $p->{indicators} || [] } }
is(q1('SELECT count(*) FROM otx_indicators'), scalar keys %ind, 'indicators');
my $asked = grep { /\|(FileHash-|IPv4\||IPv6\||domain\||hostname\||URL\|)/ } keys %ind;
is(q1('SELECT count(*) FROM virustotal_data'), $asked, 'a VirusTotal answer per eligible indicator');
is(q1('SELECT count(*) FROM virustotal_data WHERE found'), 1, 'one of them known');
is(q1("SELECT count(*) FROM threat_intelligence_data WHERE source = 'otx'"), scalar @pulses,
   'a threat per pulse');
is(q1("SELECT count(*) FROM threat_intelligence_data WHERE source = 'virustotal'"), 1,
   'a threat for the malicious file');

($rc, $out) = run_cmd(worker(), 'ingest', 'all');
is($rc, 0, 'ingest all again');
is(scalar(() = $out =~ /status=unchanged/g), 3, 'everything unchanged');
unlike($out, qr/status=(new|changed|failed)/, 'nothing new, changed or failed');

done_testing();

# attck-worker migrate and ingest attack against a real PostgreSQL, with a
# local nginx standing in for MITRE's servers (ETag, Last-Modified): counts
# in the database equal counts from the bundles, a second run is answered
# 304 and changes nothing, bad input and a lost database store nothing.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Copy ();
use File::Temp ();
use IO::Socket::INET;
use Time::HiRes ();
use Attck::Test qw(worker shared_dir run_cmd load_bundle attack_id);

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;

my $www = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $www;
for my $f (qw(enterprise-attack-18.1.json enterprise-attack-16.1.json
              mobile-attack-18.1.json ics-attack-18.1.json)) {
    File::Copy::copy(shared_dir() . "/attack/$f", "$www/$f") or die $!;
    chmod 0644, "$www/$f";
}

my $mitre = Attck::Test->start_nginx(
    server => "location /attack/ { alias $www/; "
              . "access_log logs/mitre.log combined; }\n"
              . "location = /fail500 { access_log logs/fail.log combined; "
              . "return 500; }",
);
my $base = $mitre->url('/attack');

sub ingest { run_cmd(worker(), 'ingest', 'attack', @_) }
sub q1 { $pg->query($_[0]) }

# --- migrate ---------------------------------------------------------------

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
my @files = sort map { s{.*/}{}r } glob("$FindBin::Bin/../sql/*.sql");
is(q1('SELECT string_agg(version, \',\' ORDER BY version) FROM schema_migrations'),
   join(',', @files), 'every migration recorded');
($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate again');
like($out, qr/0 applied, ${\ scalar @files} up to date/, 'nothing to do the second time');

my $sql = File::Temp::tempdir(CLEANUP => 1);
File::Copy::copy($_, $sql) for glob("$FindBin::Bin/../sql/*.sql");
open(my $fh, '>>', "$sql/$files[0]") or die $!;
print $fh "\n-- edited\n";
close $fh;
($rc, $out) = run_cmd(worker(), 'migrate', '--sql', $sql);
is($rc, 65, 'an applied migration edited: refused');
like($out, qr/level=error.*changed after it was applied/, 'and said why');

# --- ingest: every release, counts from the bundles -------------------------

my @rel = ('enterprise-attack-18.1.json', 'mobile-attack-18.1.json',
           'ics-attack-18.1.json', 'enterprise-attack-16.1.json');
($rc, $out) = ingest(map { "$base/$_" } @rel);
is($rc, 0, 'ingest four bundles over HTTP') or diag $out;
is(() = $out =~ /status=new/g, 4, 'four new releases');

my %table = ('attack-pattern' => 'mitre_attack_techniques',
             'x-mitre-tactic' => 'attack_tactics', 'intrusion-set' => 'attack_groups',
             'malware' => 'attack_software', 'tool' => 'attack_software',
             'course-of-action' => 'attack_mitigations', 'campaign' => 'attack_campaigns',
             'x-mitre-detection-strategy' => 'attack_detection_strategies',
             'x-mitre-analytic' => 'attack_analytics',
             'x-mitre-data-component' => 'attack_data_components',
             'relationship' => 'attack_relationships');

for my $f (@rel) {
    my $b = load_bundle($f);
    my ($domain, $version) = $f =~ /^(\w+-attack)-([\d.]+)\.json$/;
    my $id = q1("SELECT id FROM attack_releases WHERE domain = '$domain' "
                . "AND version = '$version'");
    ok($id, "$domain $version is a release");
    my $objs = $b->{objects};
    is(q1("SELECT objects FROM attack_releases WHERE id = $id"), scalar @$objs,
       "$f: objects");

    my %want;
    $want{ $table{ $_->{type} } // 'attack_other_objects' }++ for @$objs;
    for my $t (sort keys %want) {
        is(q1("SELECT count(*) FROM $t WHERE release_id = $id"), $want{$t},
           "$f: $t");
    }

    my @active = grep { $_->{type} eq 'attack-pattern' && !$_->{revoked}
                        && !$_->{x_mitre_deprecated} } @$objs;
    is(q1("SELECT count(*) FROM mitre_attack_techniques WHERE release_id = $id "
          . "AND NOT revoked AND NOT deprecated AND NOT is_subtechnique"),
       scalar(grep { !$_->{x_mitre_is_subtechnique} } @active),
       "$f: active techniques");
    is(q1("SELECT count(*) FROM mitre_attack_techniques WHERE release_id = $id "
          . "AND NOT revoked AND NOT deprecated AND is_subtechnique"),
       scalar(grep { $_->{x_mitre_is_subtechnique} } @active),
       "$f: active sub-techniques");
}

like($out, qr/enterprise-attack-18.1.json status=new .* new=1 changed=0 unchanged=0/,
     'the summary counts the release where its status is');
unlike($out, qr/\r|loading:/, 'no progress line when stderr is not a terminal');

# on a terminal the long stages show their progress
{
    my ($prc, $pout) = run_cmd('script', '-qfec',
                               join(' ', worker(), 'ingest', 'attack',
                                    "$www/enterprise-attack-18.1.json"),
                               '/dev/null');
    like($pout, qr/\r\e\[Kloading: \d+ objects/, 'a terminal sees the loading progress');
}

# one technique, column by column
my ($ps) = grep { $_->{type} eq 'attack-pattern' && (attack_id($_) // '') eq 'T1059.001' }
           @{ load_bundle('enterprise-attack-18.1.json')->{objects} };
is(q1("SELECT t.name || '|' || array_to_string(t.tactics, ',') || '|' "
      . "|| array_to_string(t.platforms, ',') || '|' || t.is_subtechnique "
      . "FROM mitre_attack_techniques t JOIN attack_releases r ON r.id = t.release_id "
      . "WHERE r.version = '18.1' AND t.attack_id = 'T1059.001'"),
   join('|', $ps->{name}, 'execution', join(',', @{ $ps->{x_mitre_platforms} }), 'true'),
   'T1059.001: name, tactics, platforms, sub-technique');
is(q1("SELECT raw->>'description' FROM mitre_attack_techniques WHERE attack_id = 'T1059.001' "
      . "AND release_id = (SELECT id FROM attack_releases WHERE version = '18.1' "
      . "AND domain = 'enterprise-attack')"),
   $ps->{description}, 'T1059.001: raw STIX kept');
is(q1("SELECT count(DISTINCT version) FROM attack_releases WHERE domain = 'enterprise-attack'"),
   2, '16.1 beside 18.1');
is(q1("SELECT count(*) FROM ingestion_runs WHERE status = 'new' AND stored = fetched"),
   4, 'four runs recorded, every object stored');

# --- a second run: asked conditionally, nothing changes ----------------------

my $before = q1('SELECT count(*) FROM mitre_attack_techniques');
my $log_before = -s "$mitre->{dir}/logs/mitre.log";
($rc, $out) = ingest(map { "$base/$_" } @rel);
is($rc, 0, 'second run');
is(() = $out =~ /status=unchanged/g, 4, 'every source unchanged');
open($fh, '<', "$mitre->{dir}/logs/mitre.log") or die $!;
seek($fh, $log_before, 0);
my @lines = <$fh>;
close $fh;
is(scalar(grep { /" 304 / } @lines), 4, 'the stand-in answered 304 four times');
is(q1('SELECT count(*) FROM mitre_attack_techniques'), $before, 'no rows changed');

# local paths: size and time stand in for Last-Modified
my $ics = "$www/ics-attack-18.1.json";
($rc, $out) = ingest($ics);
like($out, qr/status=unchanged/, 'a path to a release already loaded: unchanged');
($rc, $out) = ingest($ics);
like($out, qr/status=unchanged fetched=0/, 'the second time not even read');

# --- a changed source is loaded again -----------------------------------------

my $text = do { local (@ARGV, $/) = $ics; <> };
(my $changed = $text) =~ s/"name": "Drive-by Compromise"/"name": "Drive-by Compromise (changed)"/
    or die 'fixture';
open($fh, '>', $ics) or die $!; print $fh $changed; close $fh;
utime(time + 10, time + 10, $ics);
($rc, $out) = ingest("$base/ics-attack-18.1.json");
is($rc, 0, 'a changed source');
like($out, qr/status=changed/, 'status changed');
is(q1("SELECT t.name FROM mitre_attack_techniques t JOIN attack_releases r "
      . "ON r.id = t.release_id WHERE r.domain = 'ics-attack' AND t.attack_id = 'T0817'"),
   'Drive-by Compromise (changed)', 'the new text is stored');
is(q1("SELECT count(*) FROM attack_releases WHERE domain = 'ics-attack'"), 1,
   'replacing the release, not adding one');

# --- bad input: nothing stored ------------------------------------------------

open($fh, '>', "$www/truncated.json") or die $!;
print $fh substr($text, 0, 100000);
close $fh;
chmod 0644, "$www/truncated.json";
my $releases = q1('SELECT count(*) FROM attack_releases');
($rc, $out) = ingest("$base/truncated.json");
is($rc, 65, 'a truncated bundle: 65');
like($out, qr/level=error.*not valid JSON/, 'one error line saying why');
is(q1('SELECT count(*) FROM attack_releases'), $releases, 'nothing stored');
is(q1("SELECT status FROM ingestion_runs ORDER BY id DESC LIMIT 1"), 'failed',
   'the run is recorded as failed');

{
    local $ENV{ATTCK_FETCH_BACKOFF_MS} = 100;
    ($rc, $out) = ingest($mitre->url('/fail500'));
    is($rc, 69, 'HTTP 500 every time: 69');
    is(scalar(() = $out =~ /HTTP 500; retrying in/g), 3, 'retried three times');
    like($out, qr/retrying in 100 ms.*retrying in 200 ms.*retrying in 400 ms/s,
         'with a doubling backoff');
    open(my $fl, '<', "$mitre->{dir}/logs/fail.log") or die $!;
    is(scalar(() = do { local $/; <$fl> } =~ /" 500 /g), 4, 'four requests reached the server');
}
{
    my $silent = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                       LocalPort => 0) or die $!;
    local $ENV{ATTCK_FETCH_TIMEOUT} = 1;
    local $ENV{ATTCK_FETCH_RETRIES} = 1;
    local $ENV{ATTCK_FETCH_BACKOFF_MS} = 100;
    my $t0 = Time::HiRes::time();
    ($rc, $out) = ingest('http://127.0.0.1:' . $silent->sockport . '/x.json');
    is($rc, 69, 'a server that never answers: 69');
    like($out, qr/Timeout was reached; retrying/, 'the timeout is retried');
    cmp_ok(Time::HiRes::time() - $t0, '>=', 2, 'after the timeout, twice');
}

# a good source and a bad one: the good one is kept
($rc, $out) = ingest("$base/truncated.json", "$base/mobile-attack-18.1.json");
is($rc, 65, 'a bad source fails the run');
like($out, qr/mobile-attack-18.1.json status=unchanged/, 'the good one still ran');

# --- the database drops the worker in the middle of a load --------------------

{
    my $b18 = do { local (@ARGV, $/) = shared_dir() . '/attack/enterprise-attack-18.1.json'; <> };
    $b18 =~ s/"name": "PowerShell"/"name": "PowerShell (new)"/ or die 'fixture';
    open(my $out18, '>', "$www/enterprise-new.json") or die $!;
    print $out18 $b18;
    close $out18;
    chmod 0644, "$www/enterprise-new.json";

    my $log = File::Temp->new;
    my $pid = fork() // die $!;
    if (!$pid) {
        open(STDOUT, '>', $log->filename);
        open(STDERR, '>&', \*STDOUT);
        exec(worker(), 'ingest', 'attack', "$base/enterprise-new.json") or exit 127;
    }

    # wait until it is loading, then take its session away
    my $killed = 0;
    for (1 .. 300) {
        my $victim = q1("SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                        . "AND (query LIKE 'COPY attck_staging%' "
                        . "OR query LIKE 'SELECT attck_load_release%' "
                        . "OR query LIKE 'DELETE FROM attack_releases%')");
        if ($victim) {
            q1("SELECT pg_terminate_backend($victim)");
            $killed = 1;
            last;
        }
        Time::HiRes::sleep(0.01);
    }
    waitpid($pid, 0);
    my $code = $? >> 8;
    my $said = do { local (@ARGV, $/) = $log->filename; <> };
    ok($killed, 'the worker\'s session was taken away while it loaded');
    is($code, 75, 'the worker ends with 75');
    is(scalar(grep { /level=error/ } split /\n/, $said), 1, 'and one error line')
        or diag $said;
    like($said, qr/went away.*nothing of it was stored/, 'saying nothing was stored');
    is(q1("SELECT t.name FROM mitre_attack_techniques t JOIN attack_releases r "
          . "ON r.id = t.release_id WHERE r.domain = 'enterprise-attack' "
          . "AND r.version = '18.1' AND t.attack_id = 'T1059.001'"),
       'PowerShell', 'the release served before is intact');
    is(q1("SELECT objects FROM attack_releases WHERE domain = 'enterprise-attack' "
          . "AND version = '18.1'"), scalar @{ load_bundle('enterprise-attack-18.1.json')->{objects} },
       'whole');
}

# --- the database goes away -----------------------------------------------------

$pg->stop;
($rc, $out) = ingest("$base/ics-attack-18.1.json");
is($rc, 75, 'no database: 75');
is(scalar(grep { /level=error/ } split /\n/, $out), 1, 'one error line');
unlike($out, qr/postgresql:\/\//, 'the database URL is not printed');

done_testing();

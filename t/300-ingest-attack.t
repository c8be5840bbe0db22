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
              . "access_log logs/mitre.log combined; }",
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

($rc, $out) = ingest($mitre->url('/status/500'));
isnt($rc, 0, 'an HTTP error: non-zero');

# a good source and a bad one: the good one is kept
($rc, $out) = ingest("$base/truncated.json", "$base/mobile-attack-18.1.json");
is($rc, 65, 'a bad source fails the run');
like($out, qr/mobile-attack-18.1.json status=unchanged/, 'the good one still ran');

# --- the database goes away -----------------------------------------------------

$pg->stop;
($rc, $out) = ingest("$base/ics-attack-18.1.json");
is($rc, 75, 'no database: 75');
is(scalar(grep { /level=error/ } split /\n/, $out), 1, 'one error line');
unlike($out, qr/postgresql:\/\//, 'the database URL is not printed');

done_testing();

# The worker records each stage's last run in Redis ("attck:stage:NAME":
# start, end, exit code, what it counted) and nginx's /metrics exposes
# them: after run, after a failing run, after a stage run on its own.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Time::HiRes qw(sleep);
use Attck::Test qw(worker shared_dir run_cmd test_snapshot);

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_MODEL ATTCK_OTX_KEY ATTCK_VT_KEY
                       ATTCK_EXPORT_URL ATTCK_REPORTS_DIR);
sub q1 { $pg->query($_[0]) }

my $ng = Attck::Test->start_nginx(
    workers => 2,
    http    => 'attck_zone attck 128m; attck_snapshot ' . test_snapshot()
               . "; attck_redis 127.0.0.1:$redis->{port};",
    server  => 'location = /metrics { attck_metrics; }',
);

sub scrape {
    my $res;
    for (1 .. 60) {
        $res = $ng->get('/metrics');
        last if $res->{content} =~ /^attck_redis_connected 2$/m;
        sleep 0.05;
    }
    is($res->{status}, 200, 'scraped');
    my %m = map { /^(\S+) (\S+)$/ ? ($1 => $2) : () }
            grep { !/^#/ } split /\n/, $res->{content};
    return \%m;
}

sub stage { "attck_worker_stage_$_[0]\{stage=\"$_[1]\"}" }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

# --- run: ingest, publish ---------------------------------------------------

my $t0 = time;
$ENV{ATTCK_SOURCES} = shared_dir() . '/attack/ics-attack-18.1.json';
($rc, $out) = run_cmd(worker(), 'run');
is($rc, 0, 'run exits 0') or diag $out;
my ($source, $fetched, $stored, $refused) =
    $out =~ /kind=attack source=(\S+) status=\S+ fetched=(\d+) stored=(\d+) refused=(\d+)/;
ok($source, "ingest logged source $source");
$source =~ s{.*/}{};
is(q1('SELECT sum(fetched) FROM ingestion_runs'), $fetched,
   "fetched $fetched, as recorded in PostgreSQL");
my ($gen) = $redis->cli('GET', 'attck:current') =~ /^(\d+) /;

my $m = scrape();
for my $s (qw(ingest publish)) {
    is($m->{stage('last_exit_code', $s)}, 0, "$s: exit code 0");
    cmp_ok($m->{stage('last_start_timestamp_seconds', $s)}, '>=', $t0,
           "$s: started during the run");
    cmp_ok($m->{stage('last_end_timestamp_seconds', $s)}, '>=',
           $m->{stage('last_start_timestamp_seconds', $s)},
           "$s: ended after it started");
}
my $items = 'attck_worker_stage_items{stage="ingest",what="%s",source="'
          . $source . '"}';
is($m->{sprintf($items, 'fetched')}, $fetched, "ingest: fetched $fetched");
is($m->{sprintf($items, 'stored')}, $stored, "ingest: stored $stored");
is($m->{sprintf($items, 'refused')}, $refused, "ingest: refused $refused");
is($m->{stage('generation', 'publish')}, $gen,
   "publish: generation $gen, as in attck:current");
my ($threats) = $out =~ /publish: generation \d+ is current in Redis \(snapshot \w+, (\d+) threats/;
is($m->{'attck_worker_stage_items{stage="publish",what="threats"}'}, $threats,
   "publish: $threats threats, as in PostgreSQL");
ok(!exists $m->{stage('last_exit_code', 'map')},
   'map was skipped (no model): nothing recorded');

# --- a run that fails at ingest ------------------------------------------------

{
    local $ENV{ATTCK_SOURCES} = "$dir/missing.json";
    ($rc, $out) = run_cmd(worker(), 'run');
}
isnt($rc, 0, "a missing source: run exits $rc");
$m = scrape();
is($m->{stage('last_exit_code', 'ingest')}, $rc,
   "ingest: its exit code $rc recorded");
is($m->{sprintf($items, 'fetched')}, undef,
   'the counts of the run before are gone');
is($m->{stage('generation', 'publish')}, $gen,
   'publish keeps its last run (it did not run)');

# --- a stage run on its own records nothing -------------------------------------

my $hash = $redis->cli('HGETALL', 'attck:stage:publish');
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish alone') or diag $out;
is($redis->cli('HGETALL', 'attck:stage:publish'), $hash,
   'publish alone leaves the record of run\'s publish as it was');

# --- without Redis the stages run all the same ---------------------------------

{
    local $ENV{ATTCK_REDIS_URL};
    delete $ENV{ATTCK_REDIS_URL};
    $redis->cli('DEL', 'attck:stage:ingest');
    local $ENV{ATTCK_SOURCES} = shared_dir() . '/attack/ics-attack-18.1.json';
    local $ENV{ATTCK_SNAPSHOT} = "$dir/other.snap";
    ($rc, $out) = run_cmd(worker(), 'run');
    is($rc, 0, 'run without ATTCK_REDIS_URL') or diag $out;
    unlike($out, qr/stage's record/, 'silently not recorded');
    is($redis->cli('EXISTS', 'attck:stage:ingest'), 0, 'nothing written');
}

done_testing();

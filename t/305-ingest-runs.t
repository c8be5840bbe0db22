# PostgreSQL stopped at several points of ingest attack: while the source
# is fetched (from a slow stand-in), while the release is loaded, after it
# was committed but before its run was recorded.  Every time: exit 75 and
# one error line, no half-stored release, and the run's row in
# ingestion_runs closed as failed, by this run when the database is back
# in time, else by the next ingest.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Time::HiRes ();
use Attck::Test qw(worker run_cmd shared_dir slurp decode_json);

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_SOURCES);
sub q1 { $pg->query($_[0]) }

my $dir = File::Temp->newdir;
my $base = shared_dir() . '/attack';
my $mobile = "$base/mobile-attack-18.1.json";
my $objects = scalar @{ decode_json(slurp($mobile))->{objects} };

# the harness stops PostgreSQL for good: started again on the same port
sub pg_start {
    my ($rc, $out) = run_cmd(@{ $pg->{as} }, "$pg->{bin}/pg_ctl -D "
        . "$pg->{dir}/data -w -l $pg->{dir}/log -o \"-c listen_addresses="
        . "127.0.0.1 -p $pg->{port} -k $pg->{dir} -c fsync=off\" start");
    die "postgres did not start again: $out" if $rc;
    $pg->{stopped} = 0;
}

sub errors { grep { /level=error/ } split /\n/, $_[0] }

# an ingest in the background: its pid and log file
sub ingest_bg {
    my ($n, @src) = @_;
    my $log = "$dir/ingest$n.log";
    my $pid = fork() // die;
    if (!$pid) {
        open(STDOUT, '>', $log);
        open(STDERR, '>&', \*STDOUT);
        exec(worker(), 'ingest', 'attack', @src);
        exit 127;
    }
    return ($pid, $log);
}

sub wait_for {
    my ($what, $cond) = @_;
    my $t = time;
    until ($cond->()) {
        die "timed out waiting for $what\n" if time - $t > 60;
        Time::HiRes::sleep(0.05);
    }
}

sub exit_of { waitpid($_[0], 0); $? >> 8 }

sub running { q1(q{SELECT count(*) FROM ingestion_runs
                   WHERE status = 'running'}) }
sub last_run { q1(q{SELECT id || ' ' || status FROM ingestion_runs
                    ORDER BY id DESC LIMIT 1}) }
sub mobile_rows { q1(q{SELECT count(*) FROM attack_releases
                       WHERE domain = 'mobile-attack'}) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', "$base/ics-attack-18.1.json");
is($rc, 0, 'ingest the ICS release') or diag $out;

# the worker's session waits in pg_sleep (a trigger below)
my $sleeping = q{SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event = 'PgSleep'
                   AND application_name LIKE 'attck-worker %'};

# --- stopped while the source is fetched -------------------------------

my $www = File::Temp->newdir;
chmod 0755, "$www";
system('cp', $mobile, "$www/mobile.json");
chmod 0644, "$www/mobile.json";
my $ng = Attck::Test->start_nginx(server => <<"EOF");
        location /slow/ { alias $www/; limit_rate 1m; }
EOF
my $url = $ng->url('/slow/mobile.json');

{
    my ($pid, $log) = ingest_bg(1, $url);
    wait_for('the run row', sub { running() == 1 });
    my ($run) = split / /, last_run();
    $pg->stop;
    my $code = exit_of($pid);
    my $said = slurp($log);
    is($code, 75, 'stopped during the fetch: exit 75');
    my @e = errors($said);
    is(scalar @e, 1, '... one error line') or diag $said;
    like($e[0] // '', qr/went away during .*mobile.json; nothing of it was stored.*run $run is closed by the next ingest/,
         '... saying nothing was stored and who closes the run');
    pg_start();
    is(mobile_rows(), 0, '... no release stored');
    is(last_run(), "$run running", '... the run is left running');

    ($rc, $out) = run_cmd(worker(), 'ingest', 'attack', "$base/ics-attack-18.1.json");
    is($rc, 0, 'the next ingest runs') or diag $out;
    like($out, qr/run $run was left running by a worker that went away: closed as failed/,
         '... saying it closed the run left running');
    is(q1("SELECT status || ' ' || (finished_at IS NOT NULL) FROM ingestion_runs "
          . "WHERE id = $run"), 'failed true', '... as failed, with an end');
    like(q1("SELECT error FROM ingestion_runs WHERE id = $run"),
         qr/went away before it recorded its end/, '... and a note why');
    is(running(), 0, '... no run left running');
}

# --- stopped and started again during the fetch: the run closes its row --

{
    my ($pid, $log) = ingest_bg(2, $url);
    wait_for('the run row', sub { running() == 1 });
    my ($run) = split / /, last_run();
    $pg->stop;
    pg_start();
    my $code = exit_of($pid);
    my $said = slurp($log);
    is($code, 75, 'restarted during the fetch: exit 75');
    my @e = errors($said);
    is(scalar @e, 1, '... one error line') or diag $said;
    like($e[0] // '', qr/went away during .*; nothing of it was stored.*run $run recorded as failed/,
         '... the run recorded on a new connection');
    is(last_run(), "$run failed", '... closed as failed by this run');
    is(mobile_rows(), 0, '... no release stored');
}

# --- stopped while the release is loaded ---------------------------------

# a trigger holds the worker's statement until PostgreSQL is stopped
q1(q{CREATE FUNCTION t_slow() RETURNS trigger LANGUAGE plpgsql AS
     $$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$});
q1(q{CREATE TRIGGER t_slow BEFORE INSERT ON attack_relationships
     FOR EACH STATEMENT EXECUTE FUNCTION t_slow()});
{
    my ($pid, $log) = ingest_bg(3, $mobile);
    wait_for('the load', sub { q1($sleeping) == 1 });
    my ($run) = split / /, last_run();
    $pg->stop;
    my $code = exit_of($pid);
    my $said = slurp($log);
    is($code, 75, 'stopped during the load: exit 75');
    my @e = errors($said);
    is(scalar @e, 1, '... one error line') or diag $said;
    like($e[0] // '', qr/went away during .*mobile-attack-18.1.json; nothing of it was stored/,
         '... saying nothing was stored');
    pg_start();
    is(mobile_rows(), 0, '... no release stored');
    is(q1(q{SELECT count(*) FROM mitre_attack_techniques t
            JOIN attack_releases r ON r.id = t.release_id
            WHERE r.domain = 'mobile-attack'}), 0, '... no technique either');
    is(last_run(), "$run running", '... the run left running');
    q1('DROP TRIGGER t_slow ON attack_relationships');
}

# --- stopped after the commit, before the run is recorded ----------------

# (the run row closed as 'failed' at the start is let through)
q1(q{CREATE TRIGGER t_slow BEFORE UPDATE ON ingestion_runs
     FOR EACH ROW WHEN (NEW.status <> 'failed') EXECUTE FUNCTION t_slow()});
{
    my ($left) = split / /, last_run();
    my ($pid, $log) = ingest_bg(4, $mobile);
    wait_for('the run\'s end', sub { q1($sleeping) == 1 });
    my ($run) = split / /, q1(q{SELECT id FROM ingestion_runs
                                ORDER BY id DESC LIMIT 1});
    $pg->stop;
    my $code = exit_of($pid);
    my $said = slurp($log);
    is($code, 75, 'stopped before the run is recorded: exit 75');
    like($said, qr/run $left was left running by a worker that went away: closed as failed/,
         '... after closing the run the load left running');
    my @e = errors($said);
    is(scalar @e, 1, '... one error line') or diag $said;
    like($e[0] // '', qr/went away after .*mobile-attack-18.1.json was done \(status=new\); run $run is closed by the next ingest/,
         '... saying the source was done and who closes the run');
    pg_start();
    q1('DROP TRIGGER t_slow ON ingestion_runs');
    is(q1(q{SELECT objects FROM attack_releases
            WHERE domain = 'mobile-attack'}), $objects,
       "... the release committed whole: $objects objects");
    is(q1("SELECT status FROM ingestion_runs WHERE id = $run"), 'running',
       '... its run left running');

    ($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $mobile);
    is($rc, 0, 'the next ingest') or diag $out;
    like($out, qr/status=unchanged/, '... finds the release stored');
    like($out, qr/run $run was left running by a worker that went away: closed as failed/,
         '... and closes the run left running');
    is(running(), 0, '... none is left');
}

# --- no database at all ----------------------------------------------------

$pg->stop;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $mobile);
is($rc, 75, 'no database: exit 75');
is(scalar(errors($out)), 1, '... one error line') or diag $out;
pg_start();
is(running(), 0, '... and no run row');

done_testing;

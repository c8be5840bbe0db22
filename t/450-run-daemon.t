# attck-worker run (ingest -> map -> publish, stopping at the first
# failing stage) and daemon (stages on intervals, SIGTERM lets the
# running stage finish); the advisory lock of each stage keeps two
# workers started together from running the same stage.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use POSIX ':sys_wait_h';
use Time::HiRes ();
use Attck::Test qw(worker shared_dir run_cmd slurp decode_json
                   procedure_pulses);

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_MODEL ATTCK_OTX_KEY ATTCK_VT_KEY);
sub q1 { $pg->query($_[0]) }
sub current { $redis->cli('GET', 'attck:current') }

my $base = shared_dir() . '/attack';
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

# run: every stage once
$ENV{ATTCK_SOURCES} = "$base/ics-attack-18.1.json";
($rc, $out) = run_cmd(worker(), 'run');
is($rc, 0, 'run exits 0') or diag $out;
my $skipped = 'skipped, not configured';
my $order = join '.*', 'ingest: exit 0', "map: $skipped", 'publish: exit 0',
    "export: $skipped", "report: $skipped", 'run: every stage done';
like($out, qr/$order/s,
     'ingest, map (skipped: no model), publish, in order; export and report '
     . 'left out, not configured');
is(q1(q{SELECT string_agg(domain || ' ' || version, ',')
        FROM attack_releases}), 'ics-attack 18.1', 'the release is stored');
like(current(), qr/^1 [0-9a-f]{64}$/, 'generation 1 published');
ok(-s "$dir/attck.snap", 'the snapshot file is written');

# a failing stage stops the run with its exit code
{
    local $ENV{ATTCK_SOURCES} = "$dir/missing.json";
    ($rc, $out) = run_cmd(worker(), 'run');
    is($rc, 66, 'a missing source: run exits with ingest\'s 66');
    like($out, qr/run: stopped at ingest \(exit 66\); not run: map/,
         '... saying where it stopped');
    unlike($out, qr/publish:/, '... publish did not run');
    like(current(), qr/^1 /, '... generation 1 stays current');
}
($rc, $out) = run_cmd(worker(), 'run', 'extra');
is($rc, 64, 'run takes no arguments');

# a stage another worker holds is not started: exit 75, naming the holder
{
    my $lock = "$dir/lock.sql";
    open(my $fh, '>', $lock) or die;
    print $fh "SELECT pg_advisory_lock(1635021923, 3);\n"
              . "\\! touch $dir/locked\nSELECT pg_sleep(30);\n";
    close $fh;
    my $pid = fork() // die;
    if (!$pid) {
        open(STDOUT, '>', '/dev/null');
        exec('psql', '-X', '-q', '-h', '127.0.0.1', '-p', $pg->{port},
             '-U', 'attck', '-d', 'attck', '-f', $lock);
        exit 127;
    }
    Time::HiRes::sleep(0.1) until -e "$dir/locked";
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 75, 'publish while another session holds its lock: exit 75');
    like($out, qr/publish is running in another worker \(psql\); not started/,
         '... naming the holder');
    ($rc, $out) = run_cmd(worker(), 'run');
    is($rc, 75, 'run stops at the held stage with 75');
    like($out, qr/run: stopped at publish \(exit 75\)/, '... at publish');
    kill 'TERM', $pid;
    waitpid($pid, 0);
    q1('SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
       . "WHERE application_name = 'psql' AND pid <> pg_backend_pid()");
}

# a worker of this host that has exited may hold its lock a moment longer,
# until its server process notices: the next worker waits for that
{
    my $lock = "$dir/lock2.sql";
    open(my $fh, '>', $lock) or die;
    print $fh "SELECT pg_advisory_lock(1635021923, 3);\n"
              . "\\! touch $dir/locked2\nSELECT pg_sleep(1);\n";
    close $fh;
    chomp(my $host = `hostname`);
    my $dead = fork() // die;
    POSIX::_exit(0) unless $dead;
    waitpid($dead, 0);
    my $pid = fork() // die;
    if (!$pid) {
        open(STDOUT, '>', '/dev/null');
        $ENV{PGAPPNAME} = "attck-worker $host pid $dead";
        exec('psql', '-X', '-q', '-h', '127.0.0.1', '-p', $pg->{port},
             '-U', 'attck', '-d', 'attck', '-f', $lock);
        exit 127;
    }
    Time::HiRes::sleep(0.05) until -e "$dir/locked2";
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 0, 'a lock held for an exited worker of this host: publish '
       . 'waits for it') or diag $out;
    unlike($out, qr/running in another worker/, '... without a warning');
    waitpid($pid, 0);
}

# two workers started together on a slow source: one runs, one is refused
{
    my $www = File::Temp->newdir;
    chmod 0755, "$www";
    system('cp', "$base/mobile-attack-18.1.json", "$www/mobile.json");
    chmod 0644, "$www/mobile.json";
    my $ng = Attck::Test->start_nginx(server => <<"EOF");
        location /slow/ { alias $www/; limit_rate 2m; }
EOF
    my $url = $ng->url('/slow/mobile.json');
    my $before = q1('SELECT count(*) FROM ingestion_runs');
    my @pids;
    for my $i (1, 2) {
        my $pid = fork() // die;
        if (!$pid) {
            open(STDOUT, '>', "$dir/race$i.log");
            open(STDERR, '>&', \*STDOUT);
            exec(worker(), 'ingest', 'attack', $url);
            exit 127;
        }
        push @pids, $pid;
    }
    my @codes = map { waitpid($_, 0); $? >> 8 } @pids;
    is_deeply([ sort @codes ], [ 0, 75 ], 'two ingests at once: one runs, '
              . 'the other exits 75') or diag slurp("$dir/race1.log"),
                                              slurp("$dir/race2.log");
    my $refused = slurp("$dir/race" . ($codes[0] == 75 ? 1 : 2) . '.log');
    like($refused, qr/ingest is running in another worker \(attck-worker \S+ pid \d+\)/,
         '... naming the worker that holds it');
    is(q1('SELECT count(*) FROM ingestion_runs') - $before, 1,
       '... one ingestion run recorded');
    is(q1(q{SELECT count(*) FROM attack_releases
            WHERE domain = 'mobile-attack'}), 1, '... the release once');
}

# daemon: publish every second, the other stages off
{
    local $ENV{ATTCK_SCHEDULE_INGEST} = 'off';
    local $ENV{ATTCK_SCHEDULE_MAP} = 'off';
    local $ENV{ATTCK_SCHEDULE_PUBLISH} = '1s';
    my $log = "$dir/daemon.log";
    my $pid = fork() // die;
    if (!$pid) {
        open(STDOUT, '>', $log);
        open(STDERR, '>&', \*STDOUT);
        exec(worker(), 'daemon');
        exit 127;
    }
    my $gen = sub { (split / /, current())[0] };
    my $start = $gen->();
    my $t = time;
    Time::HiRes::sleep(0.2) until (slurp($log) // "") =~ /publish: exit 0/
                                  || time - $t > 60;
    like(slurp($log), qr/daemon: ingest every 0s \(off\).*publish every 1s/s,
         'daemon: the intervals it was given');
    cmp_ok($gen->(), '>', $start,
           'the first publish includes the new mobile release');
    my $now = $gen->();

    q1(q{INSERT INTO threat_intelligence_data (source, source_id, title,
            content_sha256) VALUES ('otx', 'd1', 'Daemon test', 'h')});
    $t = time;
    Time::HiRes::sleep(0.2) until $gen->() > $now || time - $t > 20;
    is($gen->(), $now + 1, 'a change is published on the next interval');
    ok((grep { $redis->cli('GET', $_) =~ /"source_id": ?"d1"/ }
        split /\n/, $redis->cli('KEYS', 'attck:doc:*')),
       '... with the new threat');
    # two more runs of publish, however long a loaded machine takes
    my $runs = sub { scalar(() = (slurp($log) // '') =~ /publish: exit 0/g) };
    my $seen = $runs->();
    $t = time;
    Time::HiRes::sleep(0.2) until $runs->() >= $seen + 2 || time - $t > 60;
    cmp_ok($runs->(), '>=', $seen + 2, 'publish ran twice more');
    is($gen->(), $now + 1, '... but unchanged data made no further generation');

    kill 'TERM', $pid;
    my $exited;
    for (1 .. 100) {
        if (waitpid($pid, WNOHANG) == $pid) { $exited = $? >> 8; last }
        Time::HiRes::sleep(0.1);
    }
    is($exited, 0, 'SIGTERM: the daemon exits 0 within 10 s');
    like(slurp($log), qr/daemon: stopped by a signal/, '... saying why');
}

# run with every stage configured, export and report from the
# configuration file's sections
{
    my $model = $ENV{ATTCK_TEST_MODEL}
        or die "ATTCK_TEST_MODEL: run through make test\n";
    my $otx = Attck::Test->start_otx(procedure_pulses(30));
    my $siem = Attck::Test->start_siem;
    my $conf = "$dir/full.yaml";
    open(my $fh, '>', $conf) or die;
    print $fh <<"EOF";
sources:
  attack: [$base/enterprise-attack-18.1.json]
mapping:
  model: $model
export:
  url: http://127.0.0.1:$siem->{port}/hec
  format: hec
  batch: 10
reports:
  dir: $dir/reports
  formats: [html, csv]
EOF
    close $fh;
    local $ENV{ATTCK_SOURCES};
    delete $ENV{ATTCK_SOURCES};
    ($rc, $out) = run_cmd(worker(), '--config', $conf, 'run');
    is($rc, 0, 'run with every stage configured exits 0') or diag $out;
    my $stages = join '.*', map { "$_: exit 0" }
                              qw(ingest map publish export report);
    like($out, qr/$stages/s,
         '... ingest, map, publish, export, report, in order');
    my $mapped = q1('SELECT count(DISTINCT threat_id) FROM mapped_threat_data');
    cmp_ok($mapped, '>', 0, "... $mapped threats mapped");
    my $events = () = map { split /\n/, $_->{body} } $siem->received;
    is($events, $mapped, '... every mapped threat sent to the SIEM');
    my @files = sort map { /\.(\w+)$/ } glob("$dir/reports/*");
    is("@files", 'csv html', '... the report in the two formats configured');
    is(q1(q{SELECT string_agg(format, ' ' ORDER BY format) FROM reports}),
       'csv html', '... recorded in reports');
    $otx->stop;
}

# a bad interval, from the configuration file's schedule section
{
    my $conf = "$dir/worker.yaml";
    open(my $fh, '>', $conf) or die;
    print $fh "schedule:\n  ingest: 6h\n  map: off\n  publish: soon\n";
    close $fh;
    ($rc, $out) = run_cmd(worker(), '--config', $conf, 'daemon');
    is($rc, 64, 'a bad interval in the configuration: exit 64');
    like($out, qr/ATTCK_SCHEDULE_PUBLISH: soon is not an interval/,
         '... naming the setting');
}

done_testing;

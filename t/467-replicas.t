# Several hosts: one Redis primary the worker publishes to, two replicas
# (replicaof), and two nginx instances each reading its own replica only,
# as on two hosts behind a load balancer.  20 signed publishes under
# continuous load: no request fails, and each instance is on every new
# generation within a second of its replica having it.  A pointer that
# reaches the replicas before its snapshot (replica lag) is retried, and
# served within a second of the snapshot arriving.  The module never
# writes to a replica and never talks to the primary.  A replica stopped:
# only its nginx's Redis-backed endpoints answer 503, and it serves them
# again once the replica is back and synced.  The primary stopped: the
# replicas and both instances keep serving the last generation.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use HTTP::Tiny;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses
                   slurp);

my $dir = File::Temp->newdir;
$SIG{PIPE} = "IGNORE";    # a Redis stopped under our own connection
my $pg = Attck::Test->start_postgres;
my $primary = Attck::Test->start_redis;
my @replica = map { Attck::Test->start_redis(replicaof => $primary->{port}) }
              1 .. 2;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $primary->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_MODEL ATTCK_PUBLISH_KEY_FILE);
sub q1 { $pg->query($_[0]) }

# the key publish signs with and both instances check: replicas may be
# exposed to more hosts than the primary, the key decides what is served
my ($rc, $out) = run_cmd('sh', '-c', "umask 077; openssl rand -hex 32 "
                         . "> $dir/refresh.key");
is($rc, 0, 'a key') or diag $out;
$ENV{ATTCK_PUBLISH_KEY_FILE} = "$dir/refresh.key";

# one GET on a connection of our own: a redis-cli per poll would blur
# the times measured
my %conn;
sub rget {
    my ($redis, $key) = @_;
    my $s = $conn{ $redis->{port} } //= IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => $redis->{port}, Proto => 'tcp')
        or return undef;
    print $s '*2' . "\r\n\$3\r\nGET\r\n\$" . length($key) . "\r\n$key\r\n";
    my $line = <$s>;
    if (!defined $line || $line !~ /^\$(-?\d+)\r\n$/) {
        delete $conn{ $redis->{port} };
        return undef;
    }
    return undef if $1 < 0;
    my $len = $1;
    my $v = '';
    while (length $v < $len + 2) {
        my $n = read($s, $v, $len + 2 - length $v, length $v);
        if (!$n) { delete $conn{ $redis->{port} }; return undef }
    }
    return substr($v, 0, $len);
}

# "GEN SHA" of a pointer, its signature left out
sub gen_sha { join ' ', (split / /, $_[0] // '')[0, 1] }

sub synced {
    my ($want, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < $limit) {
        return 1 unless grep { (rget($_, 'attck:current') // '') ne $want }
                        @replica;
        sleep 0.02;
    }
    return 0;
}

# the data: ICS, the recorded OTX pulses, an analyst's mappings
($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                      shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'ingest ICS 18.1') or diag $out;
Attck::Test->start_otx(recorded_pulses());
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest OTX') or diag $out;
q1(q{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        confirmed, content_sha256)
     SELECT id, 'T0800', 0.5, 'analyst', true, content_sha256
       FROM threat_intelligence_data});
my $nthreats = q1('SELECT count(*) FROM threat_intelligence_data');
my $first = q1('SELECT min(id) FROM threat_intelligence_data');

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish to the primary') or diag $out;
my $current = $primary->cli('GET', 'attck:current');
ok(synced($current, 10), 'both replicas have the pointer');

# each instance on its own replica, with nothing but what it reads there
my @ng = map {
    Attck::Test->start_nginx(
        workers => 2,
        http    => "attck_zone attck 64m; "
                   . "attck_redis 127.0.0.1:$_->{port}; attck_refresh on; "
                   . "attck_refresh_interval 100ms; "
                   . "attck_refresh_key $dir/refresh.key;",
        server  => 'location /api/v1/ { attck_api; }')
} @replica;

sub published {
    my ($ng) = @_;
    my $r = $ng->get('/api/v1/status');
    return '' unless $r->{status} == 200;
    my $s = decode_json($r->{content});
    return ($s->{published}{generation} // '') . ' '
           . ($s->{published}{sha256} // '');
}

# every worker process of one instance, asked on fresh connections
sub serves {
    my ($ng, $want) = @_;
    for (1 .. 6) {
        return 0 if published($ng) ne $want;
    }
    return 1;
}

sub converged {
    my ($want, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < $limit) {
        return 1 unless grep { !serves($_, $want) } @ng;
        sleep 0.02;
    }
    return 0;
}

ok(converged(gen_sha($current), 5),
   'both instances serve generation 1 from their replicas');
my $doc = decode_json($ng[1]->get('/api/v1/techniques/T0800')->{content});
is($doc->{threats}{count}, $nthreats, "T0800 with every threat ($nthreats) "
   . 'from a snapshot read from a replica');
is(decode_json($ng[0]->get("/api/v1/threats/$first")->{content})->{id},
   $first, "threats/$first from a replica");

# --- 20 publishes under load ------------------------------------------------

# each loader asks one instance for a snapshot answer and a Redis one
my @pids;
for my $i (0, 1) {
    my $pid = fork() // die;
    if (!$pid) {
        my $ua = HTTP::Tiny->new(keep_alive => 1, timeout => 5);
        open(my $log, '>', "$dir/load$i") or die;
        $log->autoflush(1);
        my $stop = 0;
        local $SIG{TERM} = sub { $stop = 1 };
        while (!$stop) {
            my $r = $ua->get($ng[$i]->url('/api/v1/techniques/T0800'));
            my $score = 'x';
            if ($r->{status} == 200) {
                my $d = eval { decode_json($r->{content}) };
                $score = $d ? $d->{threats}{top}[0]{score} // 'none'
                            : 'broken';
            }
            print $log "$r->{status} $score\n";
            $r = $ua->get($ng[$i]->url("/api/v1/threats/$first"));
            print $log "$r->{status} -\n";
        }
        close $log;
        POSIX::_exit(0);    # not exit: END would stop the test's servers
    }
    push @pids, $pid;
}

# one change, published in the background while both replicas and both
# instances are watched: for each host, the time from its replica having
# the new pointer to every worker of its nginx serving it
my @published = (0.5);
my @lag = ([], []);
sub publish_watched {
    my ($k, $run) = @_;
    my $prev = rget($primary, 'attck:current');
    my $pid = fork() // die;
    if (!$pid) {
        $run->();
        POSIX::_exit(0);
    }
    my (@rep_at, @ng_at, @want);
    my $t0 = time;
    while (time - $t0 < 10 && grep { !defined } @ng_at[0, 1]) {
        for my $h (0, 1) {
            if (!defined $rep_at[$h]) {
                my $p = rget($replica[$h], 'attck:current') // '';
                if ($p ne $prev
                    && defined rget($replica[$h], 'attck:snapshot:'
                                    . (split / /, $p)[1]))
                {
                    ($rep_at[$h], $want[$h]) = (time, gen_sha($p));
                }
            }
            if (defined $rep_at[$h] && !defined $ng_at[$h]
                && serves($ng[$h], $want[$h]))
            {
                $ng_at[$h] = time;
            }
        }
        sleep 0.005;
    }
    waitpid($pid, 0);
    for my $h (0, 1) {
        push @{ $lag[$h] }, defined $ng_at[$h]
                            ? $ng_at[$h] - $rep_at[$h] : 99;
    }
    return $? >> 8;
}

my $failed = 0;
for my $k (1 .. 20) {
    my $score = sprintf('%.2f', 0.5 + $k / 100);
    q1("UPDATE mapped_threat_data SET score = $score WHERE threat_id = "
       . "$first AND technique_id = 'T0800'");
    my $st = publish_watched($k, sub {
        my ($rc, $out) = run_cmd(worker(), 'publish');
        print STDERR "publish $k: exit $rc: $out" if $rc;
        POSIX::_exit($rc);
    });
    $failed++ if $st;
    push @published, $score + 0;
}
is($failed, 0, '20 publishes to the primary, all exit 0');
for my $h (0, 1) {
    my ($slowest) = sort { $b <=> $a } @{ $lag[$h] };
    cmp_ok($slowest, '<', 1, sprintf('instance %d on each of the 20 '
           . 'generations within 1 s of its replica having it (slowest '
           . '%.3f s)', $h + 1, $slowest));
}

# --- replica lag: the pointer first, its snapshot 1.5 s later ------------

# the next generation is published into a Redis of its own, then moved to
# the primary out of order, the way a lagging replica would show it
my $scratch = Attck::Test->start_redis;
$scratch->cli('SET', 'attck:generation',
              $primary->cli('GET', 'attck:generation'));
q1("UPDATE mapped_threat_data SET score = 0.9 WHERE threat_id = $first "
   . "AND technique_id = 'T0800'");
{
    local $ENV{ATTCK_REDIS_URL} = $scratch->url;
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 0, 'the next generation published aside') or diag $out;
}
my $next = $scratch->cli('GET', 'attck:current');
my ($next_gen, $next_sha) = split / /, $next;
my @rest = grep { !/^attck:snapshot:/ }
           split /\n/, $scratch->cli('KEYS', 'attck:*');
my $before = published($ng[0]);
$scratch->cli('MIGRATE', '127.0.0.1', $primary->{port}, '', 0, 5000, 'COPY',
              'REPLACE', 'KEYS', @rest);
ok(synced($next, 5), "the replicas have pointer $next_gen, not its snapshot")
    or diag $replica[0]->cli('GET', 'attck:current');
is($replica[0]->cli('EXISTS', "attck:snapshot:$next_sha"), 0,
   '... which is not there');
sleep 1.5;
is_deeply([ map { published($_) } @ng ], [ $before, $before ],
          '1.5 s later both instances still serve the generation before');
like($ng[0]->error_log, qr/"attck:current" names generation $next_gen with snapshot "attck:snapshot:$next_sha", which is not in Redis; generation \d+ keeps serving/,
     '... and say why');
my $snap_at = time;
$scratch->cli('MIGRATE', '127.0.0.1', $primary->{port}, '', 0, 5000, 'COPY',
              'REPLACE', 'KEYS', "attck:snapshot:$next_sha");
my (@rep_at, @ng_at);
while (time - $snap_at < 10 && grep { !defined } @ng_at[0, 1]) {
    for my $h (0, 1) {
        $rep_at[$h] //= time
            if defined rget($replica[$h], "attck:snapshot:$next_sha");
        $ng_at[$h] //= time
            if defined $rep_at[$h] && serves($ng[$h], "$next_gen $next_sha");
    }
    sleep 0.005;
}
push @published, 0.9;
for my $h (0, 1) {
    my $lag = defined $ng_at[$h] ? $ng_at[$h] - $rep_at[$h] : 99;
    cmp_ok($lag, '<', 1, sprintf('the snapshot arrives: instance %d serves '
           . 'it within 1 s of its replica having it (%.3f s)', $h + 1,
           $lag));
}
$scratch->stop;

sleep 0.3;
kill 'TERM', @pids;
waitpid($_, 0) for @pids;

my %ok = map { $_ => 1 } @published;
my ($total, $bad, $torn) = (0, 0, 0);
for my $i (0, 1) {
    for my $line (split /\n/, slurp("$dir/load$i")) {
        my ($status, $score) = split / /, $line;
        $total++;
        $bad++, next if $status != 200;
        $torn++ if $score ne '-' && !$ok{$score};
    }
}
cmp_ok($total, '>', 500, "$total requests during the publishes");
is($bad, 0, '... none failed');
is($torn, 0, '... every T0800 answer of a published generation');

# --- what the module asks the replicas, and who talks to the primary -------

close delete $conn{ $primary->{port} };    # the test's own
sleep 0.2;
for my $h (0, 1) {
    unlike($replica[$h]->cli('INFO', 'errorstats'), qr/READONLY/,
           "replica " . ($h + 1) . ": no write was tried on it");
}
my @clients = grep { !/\bcmd=client\b/ }
              split /\n/, $primary->cli('CLIENT', 'LIST');
is_deeply([ grep { !/\bflags=S\b/ } @clients ], [],
          'the primary has the two replicas as clients, no nginx')
    or diag join "\n", @clients;
is(scalar @clients, 2, '... both of them');

# --- a replica stopped ------------------------------------------------------

my $last = "$next_gen $next_sha";
my $tech = $ng[0]->get('/api/v1/techniques/T0800')->{content};
$replica[0]->stop;
sleep 0.5;
my $t0 = time;
my $r = $ng[0]->get("/api/v1/threats/$first");
is($r->{status}, 503, 'replica 1 stopped: its instance answers threats/ID '
   . '503');
cmp_ok(time - $t0, '<', 0.5, '... at once');
is($ng[0]->get('/api/v1/techniques/T0800/threats')->{status}, 503,
   '... and techniques/T0800/threats 503');
is($ng[0]->get('/api/v1/techniques/T0800')->{content}, $tech,
   '... its shared-memory answers unchanged');
is($ng[1]->get("/api/v1/threats/$first")->{status}, 200,
   'the other instance serves threats as before');
ok(serves($ng[1], $last), '... on the last generation');

$replica[0]->start;
ok(synced($current = $primary->cli('GET', 'attck:current'), 10),
   'replica 1 back, synced from the primary');
$t0 = time;
while (time - $t0 < 5) {
    last if $ng[0]->get("/api/v1/threats/$first")->{status} == 200;
    sleep 0.1;
}
is($ng[0]->get("/api/v1/threats/$first")->{status}, 200,
   '... its instance serves threats again, without a reload');
ok(serves($ng[0], $last), '... on the last generation');

# --- the primary stopped ----------------------------------------------------

$primary->stop;
my ($asked, $failed_req) = (0, 0);
$t0 = time;
while (time - $t0 < 2) {
    for my $ng (@ng) {
        for my $path ('/api/v1/techniques/T0800', "/api/v1/threats/$first",
                      '/api/v1/techniques/T0800/threats')
        {
            $asked++;
            $failed_req++ if $ng->get($path)->{status} != 200;
        }
        $asked++;
        $failed_req++ unless serves($ng, $last);
    }
    sleep 0.05;
}
is($failed_req, 0, "the primary stopped: $asked requests over 2 s to both "
   . 'instances, none failed, all on the last generation');
is(rget($replica[1], 'attck:current'), $next,
   '... the replicas still answer with the last pointer');
like($replica[1]->cli('INFO', 'replication'), qr/master_link_status:down/,
     '... with their link to the primary down');

done_testing;

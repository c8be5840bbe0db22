# The loop closed: attck-worker publish -> Redis -> two nginx instances (as
# behind a load balancer) that load the published snapshot by themselves
# and serve the threat documents from Redis.  50 publishes under
# continuous load: no request fails, every body is one whole generation,
# and every instance is on the new generation within a second.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Digest::SHA qw(sha256_hex);
use HTTP::Tiny;
use POSIX ':sys_wait_h';
use Time::HiRes qw(time sleep);
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses
                   slurp);

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_MODEL);
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                      shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'ingest ICS 18.1') or diag $out;
my @pulses = recorded_pulses();
my $otx = Attck::Test->start_otx(@pulses);
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest the recorded OTX pulses') or diag $out;

# analysts map the pulses onto ICS techniques
q1(q{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        confirmed, evidence, content_sha256)
     SELECT id, 'T0800', 0.5, 'analyst', true, '["firmware"]', content_sha256
       FROM threat_intelligence_data});
q1(q{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        confirmed, content_sha256)
     SELECT id, 'T0817', 0.25, 'analyst', true, content_sha256
       FROM threat_intelligence_data ORDER BY id LIMIT 3});
my $nthreats = q1('SELECT count(*) FROM threat_intelligence_data');
my $first = q1('SELECT min(id) FROM threat_intelligence_data');

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish') or diag $out;

# A starts from the file publish wrote, B from nothing but Redis
my $http = <<"EOF";
    attck_zone attck 64m;
    attck_redis 127.0.0.1:$redis->{port};
    attck_refresh on;
    attck_refresh_interval 100ms;
EOF
my $na = Attck::Test->start_nginx(
    workers => 4,
    http    => "$http attck_snapshot $dir/attck.snap;",
    server  => 'location /api/v1/ { attck_api; }');
my $nb = Attck::Test->start_nginx(
    workers => 4,
    http    => $http,
    server  => 'location /api/v1/ { attck_api; }');

sub published {
    my ($ng) = @_;
    my $r = $ng->get('/api/v1/status');
    return '' unless $r->{status} == 200;
    my $s = decode_json($r->{content});
    return ($s->{published}{generation} // '') . ' '
           . ($s->{published}{sha256} // '') . ' ' . $s->{checksum};
}

# every worker of both instances, asked on fresh connections
sub converged {
    my ($want, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < $limit) {
        my %seen;
        for my $ng ($na, $nb) {
            $seen{ published($ng) }++ for 1 .. 8;
        }
        my @k = keys %seen;
        return time - $t0 if @k == 1 && $k[0] =~ /^\Q$want\E /;
        sleep 0.02;
    }
    return undef;
}

my $current = $redis->cli('GET', 'attck:current');
my ($gen, $sha) = split / /, $current;
ok(defined converged("$gen $sha", 5),
   'both instances, every worker: generation 1 from Redis');

# what is served is what was published
my $doc = decode_json($nb->get('/api/v1/techniques/T0800')->{content});
is($doc->{threats}{count}, $nthreats, 'B serves T0800 with every threat '
   . "mapped ($nthreats), from a snapshot it only got from Redis");
my $t = $na->get("/api/v1/threats/$first");
is($t->{status}, 200, "threats/$first from Redis");
my $td = decode_json($t->{content});
is($td->{title}, q1("SELECT title FROM threat_intelligence_data "
                    . "WHERE id = $first"), '... its title');
is_deeply([ map { $_->{id} } @{ $td->{techniques} } ], [ 'T0800', 'T0817' ],
          '... its techniques, best score first');
my $list = decode_json($nb->get('/api/v1/techniques/T0817/threats?limit=2')
                       ->{content});
is($list->{total}, 3, 'techniques/T0817/threats: total 3');
is(scalar @{ $list->{threats} }, 2, '... limit 2');
$list = decode_json($na->get('/api/v1/threats?source=otx&technique=T0800'
                            . '&limit=1000')->{content});
is($list->{total}, $nthreats, 'threats?source=otx&technique=T0800: all');

# 50 publishes under load: each changes T0800's best score
my $loaders = 4;
my @pids;
for my $i (1 .. $loaders) {
    my $pid = fork() // die;
    if (!$pid) {
        my $ng = $i % 2 ? $na : $nb;
        my $ua = HTTP::Tiny->new(keep_alive => 1, timeout => 5);
        open(my $log, '>', "$dir/load$i") or die;
        $log->autoflush(1);
        my $stop = 0;
        local $SIG{TERM} = sub { $stop = 1 };
        my $last = 0;
        while (!$stop) {
            my $r = $ua->get($ng->url('/api/v1/techniques/T0800'));
            my $score = 'x';
            if ($r->{status} == 200) {
                my $d = eval { decode_json($r->{content}) };
                $score = $d ? $d->{threats}{top}[0]{score} // 'none'
                            : 'broken';
            }
            print $log "$r->{status} $score\n";
        }
        close $log;
        POSIX::_exit(0);    # not exit: END would stop the test's servers
    }
    push @pids, $pid;
}

my @published = (0.5);
my @lag;
my $failed_publish = 0;
for my $k (1 .. ($ENV{SWAPS} || 50)) {
    my $score = sprintf('%.2f', 0.5 + $k / 100);
    q1("UPDATE mapped_threat_data SET score = $score WHERE threat_id = $first "
       . "AND technique_id = 'T0800'");
    ($rc, $out) = run_cmd(worker(), 'publish');
    if ($rc) {
        $failed_publish++;
        diag "publish $k: exit $rc: $out";
    }
    push @published, $score + 0;
    my ($g, $s) = split / /, $redis->cli('GET', 'attck:current');
    push @lag, converged("$g $s", 5) // 99;
}
sleep 0.3;
kill 'TERM', @pids;
waitpid($_, 0) for @pids;

is($failed_publish, 0, '50 publishes, all exit 0');
my ($slowest) = sort { $b <=> $a } @lag;
cmp_ok($slowest, '<', 1, sprintf('every instance on each new generation '
       . 'within 1 s (slowest %.3f s)', $slowest));

my %ok = map { $_ => 1 } @published;
my ($total, $bad, $torn, $backwards) = (0, 0, 0, 0);
for my $i (1 .. $loaders) {
    my $prev = 0;
    for my $line (split /\n/, slurp("$dir/load$i")) {
        my ($status, $score) = split / /, $line;
        $total++;
        $bad++, next if $status != 200;
        $torn++, next unless $ok{$score};
        # one connection stays on one worker, which never goes back
        $backwards++ if $score < $prev;
        $prev = $score;
    }
}
cmp_ok($total, '>', 1000, "$total requests during the swaps");
is($bad, 0, '... none failed');
is($torn, 0, '... every body one whole published generation');
is($backwards, 0, '... and no connection saw an older one after a newer');

my $r = $na->get('/api/v1/techniques/T0800');
diag "$r->{status} $r->{content}\n" . $na->error_log if $r->{status} != 200;
my $final = decode_json($r->{content});
is($final->{threats}{top}[0]{score}, $published[-1],
   'A serves the last publish');
$final = decode_json($nb->get("/api/v1/threats/$first")->{content});
is($final->{techniques}[0]{score}, $published[-1],
   'B\'s threat document is the last publish\'s');

# Redis gone: the snapshot answers stay as they were, threats answer 503;
# a new, empty Redis and one publish later everything is back
my $before = $na->get('/api/v1/techniques/T0800')->{content};
$redis->stop;
sleep 0.5;
is($na->get('/api/v1/techniques/T0800')->{content}, $before,
   'Redis stopped: the shared-memory answer is unchanged');
my $t0 = time;
$r = $nb->get("/api/v1/threats/$first");
is($r->{status}, 503, '... threats/ID answers 503');
cmp_ok(time - $t0, '<', 0.5, '... at once');
$redis->start;
sleep 1.5;
$r = $nb->get("/api/v1/threats/$first");
is($r->{status}, 503, 'an empty Redis: 503, nothing is published there')
    or diag $r->{content};
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish into the new Redis') or diag $out;
($gen, $sha) = split / /, $redis->cli('GET', 'attck:current');
ok(defined converged("$gen $sha", 5), '... both instances follow');
is(decode_json($nb->get("/api/v1/threats/$first")->{content})->{id}, $first,
   '... and serve threats again, without a restart');

# one generation's documents in the new Redis, named by their content
my @keys = split /\n/, $redis->cli('KEYS', 'attck:*');
is(scalar(grep { /^attck:doc:[0-9a-f]{32}$/ } @keys), $nthreats,
   'one generation of threat documents in the new Redis');
is(scalar(grep { /^attck:\d+:/ } @keys), 0, '... no keys of a generation');

done_testing;

# attck-worker publish when Redis fails under it: a connection dropped in
# the middle of the snapshot's SET (the worker used to die of SIGPIPE,
# with no log line), dropped in the middle of the threat documents, lost
# at the switch, a Redis that stops answering (paused, or stalled in the
# middle of a write).  Every such run exits 75 with one line saying why,
# and leaves the snapshot file and "attck:current" as they were; when the
# answer to the switch is lost but the switch took place, the run is a
# success and the file follows.
#
# The faults are made deterministic by a stand-in Redis (a few lines of
# RESP below) that misbehaves at a chosen command, and by a real Redis
# closing a client whose query outgrows client-query-buffer-limit, or
# paused with SIGSTOP.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Digest::SHA qw(sha256_hex);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);
use Attck::Test qw(worker shared_dir run_cmd recorded_pulses slurp);

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
my $snap = "$dir/attck.snap";
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = $snap;
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_REDIS_TIMEOUT ATTCK_PUBLISH_KEY_FILE);

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

# Enterprise: a snapshot of some 20 MB, far more than loopback's socket
# buffers hold, so that a peer that goes away finds the worker writing
($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                      shared_dir() . '/attack/enterprise-attack-18.1.json');
is($rc, 0, 'ingest Enterprise 18.1') or diag $out;
Attck::Test->start_otx(recorded_pulses());
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest the recorded OTX pulses') or diag $out;
my $nthreats = $pg->query('SELECT count(*) FROM threat_intelligence_data');

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish: generation 1') or diag $out;
my $first = slurp($snap);
cmp_ok(length $first, '>', 16 << 20, sprintf('the snapshot is %.1f MB',
       length($first) / 1e6));
my $pointer = $redis->cli('GET', 'attck:current');
is($pointer, '1 ' . sha256_hex($first), 'the file and attck:current agree');

# a change, so that every run below has a new snapshot to publish
($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                      shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'ingest ICS 18.1: the next snapshot differs') or diag $out;

# the raw wait status: a signal must show
sub run_status {
    my @cmd = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open(STDERR, '>&', \*STDOUT);
        exec(@cmd) or POSIX::_exit(127);
    }
    local $/;
    my $text = <$fh> // '';
    close $fh;
    return ($?, $text);
}

# one run that must fail: exit 75, one line matching $why, nothing changed
# ($then runs before anything is looked at: a paused Redis resumes)
sub fails {
    my ($label, $why, $env, $then) = @_;
    local @ENV{ keys %$env } = values %$env;
    my $t0 = time;
    my ($status, $text) = run_status(worker(), 'publish');
    my $took = time - $t0;
    $then->() if $then;
    is($status & 127, 0, "$label: not killed by a signal")
        or diag "signal " . ($status & 127);
    is($status >> 8, 75, "$label: exit 75") or diag $text;
    my @said = grep { /level=(error|warn)/ } split /\n/, $text;
    is(scalar @said, 1, "$label: one line says why") or diag $text;
    like($said[0] // '', qr/level=error msg="publish: .*$why/,
         "$label: ... $why");
    note $said[0] // '';
    ok(slurp($snap) eq $first, "$label: the snapshot file is unchanged");
    is($redis->cli('GET', 'attck:current'), $pointer,
       "$label: attck:current is unchanged");
    is_deeply([ glob("$dir/*") ], [ $snap ],
              "$label: no temporary file is left");
    return $took;
}

# --- a stand-in Redis ------------------------------------------------------
#
# Answers what publish sends, and at $at misbehaves: 'snapshot' reads the
# first 64 KB of the snapshot's SET, then closes (FIN, then RST for what
# it left unread: the worker, still writing, gets EPIPE: SIGPIPE unless
# ignored); 'stall' reads those 64 KB and then nothing more; 'documents'
# closes at the first threat document; 'exec' reads the switch and closes
# without an answer.  After 'exec', $then says what a second connection
# finds in attck:current: 'new' (the switch took place), 'old', or 'gone'
# (nothing listens any more).

sub stand_in {
    my ($at, $then) = @_;
    my $listen = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                       LocalPort => 0, Proto => 'tcp',
                                       ReuseAddr => 1) or die "listen: $!";
    my $port = $listen->sockport;
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        my $switched = serve($listen, $at, undef);
        if (($then // '') eq 'gone') {
            close $listen;
            sleep 3;
        } elsif ($then) {
            serve($listen, '', $then eq 'new' ? $switched : undef);
        }
        POSIX::_exit(0);
    }
    close $listen;
    return ($pid, "redis://127.0.0.1:$port");
}

# one connection; returns the pointer the switch set, if it got that far
sub serve {
    my ($listen, $at, $current) = @_;
    my $c = $listen->accept or return;
    my ($buf, $switched, $multi) = ('', undef, 0);
    my $fill = sub { sysread($c, $buf, 1 << 20, length $buf) };
    my $line = sub {
        my $i;
        while (($i = index($buf, "\r\n")) < 0) { $fill->() or return undef }
        my $l = substr($buf, 0, $i);
        substr($buf, 0, $i + 2) = '';
        return $l;
    };
    my $drop = sub {
        shutdown($c, 1);
        sleep 0.3;
        close $c;
    };
    while (defined(my $n = $line->())) {
        $n =~ s/^\*// or return;
        my @arg;
        for my $k (1 .. $n) {
            my ($len) = $line->() =~ /^\$(\d+)$/ or return;
            if ($k == 3 && "@arg" =~ /^SET attck:snapshot:/
                && ($at eq 'snapshot' || $at eq 'stall')) {
                while (length $buf < 65536) { $fill->() or return }
                if ($at eq 'stall') {
                    sleep 60;
                    return;
                }
                $drop->();
                return;
            }
            while (length $buf < $len + 2) { $fill->() or return }
            push @arg, substr($buf, 0, $len);
            substr($buf, 0, $len + 2) = '';
        }
        my $cmd = uc $arg[0];
        my $reply;
        if ($cmd eq 'GET') {
            $reply = defined $current ? '$' . length($current)
                                        . "\r\n$current\r\n" : "\$-1\r\n";
        } elsif ($cmd eq 'HGET') {
            $reply = "\$-1\r\n";
        } elsif ($cmd eq 'INCR') {
            $reply = ":7\r\n";
        } elsif ($cmd eq 'EXISTS') {
            $reply = ":0\r\n";
        } elsif ($cmd eq 'MULTI') {
            ($multi, $reply) = (1, "+OK\r\n");
        } elsif ($cmd eq 'EXEC') {
            if ($at eq 'exec') {
                $drop->();
                return $switched;
            }
            $reply = "*3\r\n+OK\r\n:6\r\n:0\r\n";
        } elsif ($multi) {
            $switched = $arg[2] if $cmd eq 'SET';
            $reply = "+QUEUED\r\n";
        } elsif ($cmd eq 'SET' && $arg[1] =~ /^attck:doc:/
                 && $at eq 'documents') {
            $drop->();
            return;
        } elsif ($cmd eq 'SCAN') {
            $reply = "*2\r\n\$1\r\n0\r\n*0\r\n";
        } else {
            $reply = $cmd eq 'ZADD' ? ":1\r\n" : "+OK\r\n";
        }
        syswrite($c, $reply);
    }
    return $switched;
}

sub against {
    my ($at, $then) = @_;
    my ($pid, $url) = stand_in($at, $then);
    return ($pid, { ATTCK_REDIS_URL => $url });
}

sub done { kill 'KILL', $_[0]; waitpid($_[0], 0) }

# --- the connection dropped ------------------------------------------------

my ($pid, $env) = against('snapshot');
fails('dropped in the middle of the snapshot',
      qr/Redis: (Broken pipe|Connection reset by peer); the current generation is unchanged/,
      $env);
done($pid);

($pid, $env) = against('documents');
fails('dropped in the middle of the threat documents',
      qr/Redis: .*; the current generation is unchanged/, $env);
done($pid);

# a real Redis that closes a client whose query grows past 1 MB: it drops
# the worker while the snapshot is on its way
$redis->cli('CONFIG', 'SET', 'client-query-buffer-limit', '1mb');
fails('a real Redis drops the connection during the SET',
      qr/Redis: .*; the current generation is unchanged/, {});
$redis->cli('CONFIG', 'SET', 'client-query-buffer-limit', '1gb');
like(slurp("$redis->{dir}/redis.log"),
     qr/Closing client that reached max query buffer length/,
     '... Redis says it closed it for that');

# --- Redis does not answer -------------------------------------------------

$redis->pause;
# the message names the timeout that ended the wait (no timed assertion:
# how long the publish takes before it waits depends on the machine's load)
fails('Redis paused (SIGSTOP)',
      qr/no answer in 1 s \(ATTCK_REDIS_TIMEOUT\); the current generation is unchanged/,
      { ATTCK_REDIS_TIMEOUT => 1 }, sub { $redis->resume });

($pid, $env) = against('stall');
fails('a Redis that stops reading in the middle of the snapshot',
      qr/no answer in 1 s \(ATTCK_REDIS_TIMEOUT\); the current generation is unchanged/,
      { %$env, ATTCK_REDIS_TIMEOUT => 1 });
done($pid);

# --- the answer to the switch lost ---------------------------------------

($pid, $env) = against('exec', 'old');
fails('the switch lost, and not carried out',
      qr/; the current generation is unchanged/, $env);
done($pid);

($pid, $env) = against('exec', 'gone');
fails('the switch lost, and Redis gone before it could be asked',
      qr/whether generation 7 became current is not known: \Q$snap\E is left as it was/,
      $env);
done($pid);

($pid, $env) = against('exec', 'new');
{
    local @ENV{ keys %$env } = values %$env;
    my ($status, $text) = run_status(worker(), 'publish');
    is($status, 0, 'the switch carried out, its answer lost: exit 0')
        or diag $text;
    like($text, qr/level=warn msg="publish: the answer to the switch was lost .*but generation 7 is current"/,
         '... saying so');
    my $now = slurp($snap);
    ok($now ne $first, '... and the file is the new snapshot');
    like($text, qr/wrote \Q$snap\E \(\d+ bytes, sha256 \Q@{[ substr(sha256_hex($now), 0, 12) ]}\E\)/,
         '... written after the switch');
}
done($pid);

# --- and a run that succeeds puts both in step again ------------------------

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish into the real Redis') or diag $out;
my $now = slurp($snap);
my ($gen, $sha) = split / /, $redis->cli('GET', 'attck:current');
is($sha, sha256_hex($now), 'the file and attck:current agree again');
cmp_ok($gen, '>', 1, "... on generation $gen");
cmp_ok(scalar(split /\n/, $redis->cli('KEYS', 'attck:doc:*')), '>=', $nthreats,
       '... with every threat document');
is_deeply([ glob("$dir/*") ], [ $snap ], 'no temporary file is left');

done_testing;

package Attck::Test;

# Our own small test harness: starts real servers (nginx with the built
# module) on free loopback ports in a private temp dir, talks HTTP to them
# and stops everything when the test ends.  Core Perl plus JSON::XS.

use strict;
use warnings;

use Exporter 'import';
use File::Temp ();
use File::Path ();
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::XS ();
use Test2::API ();
use Test::More ();
use POSIX ':sys_wait_h';
use Time::HiRes ();

our @EXPORT_OK = qw(build_dir shared_dir test_snapshot worker free_port
                    http_get decode_json load_bundle attack_id run_cmd
                    recorded_pulses procedure_pulses slurp spew);

my $JSON = JSON::XS->new->utf8;
my @RUNNING;
my @PG_RUNNING;
my @REDIS_RUNNING;

sub build_dir { $ENV{ATTCK_BUILD} || 'build' }
sub shared_dir { $ENV{ATTCK_SHARED} || '../shared' }
sub worker { build_dir() . '/attck-worker' }

# the snapshot of every bundle in shared/attack, compiled once by make
sub test_snapshot {
    my $s = $ENV{ATTCK_TEST_SNAPSHOT} || build_dir() . '/test/all.snap';
    die "no test snapshot at $s: run the tests through 'make test'\n"
        unless -f $s;
    return $s;
}

sub decode_json { $JSON->decode($_[0]) }

# a whole file as bytes; undef when it cannot be read
sub slurp {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or return undef;
    local $/;
    return scalar <$fh>;
}

# writes bytes to a file that nginx's worker processes may read
sub spew {
    my ($path, $data) = @_;
    open(my $fh, '>:raw', $path) or die "$path: $!";
    print $fh $data;
    close $fh or die "$path: $!";
    chmod 0644, $path;
}

sub free_port {
    my $sock = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                     LocalPort => 0, Proto => 'tcp')
        or die "cannot bind: $!";
    my $port = $sock->sockport;
    close $sock;
    return $port;
}

sub _wait_port {
    my ($port, $pid) = @_;
    for (1 .. 200) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp');
        return 1 if $s;
        return 0 if $pid && waitpid($pid, WNOHANG) == $pid;
        Time::HiRes::sleep(0.05);
    }
    return 0;
}

# run a command, returning (exit code, stdout+stderr)
sub run_cmd {
    my @cmd = @_;
    my $out = '';
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open(STDERR, '>&', \*STDOUT);
        exec(@cmd) or die "exec $cmd[0]: $!";
    }
    local $/;
    $out = <$fh> // '';
    close $fh;
    return ($? >> 8, $out);
}

# GET (or another method) with optional headers: returns HTTP::Tiny's hash
sub http_get {
    my ($url, %opt) = @_;
    my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
    return $http->request($opt{method} || 'GET', $url,
                          { headers => $opt{headers} || {},
                            (defined $opt{content}
                             ? (content => $opt{content}) : ()) });
}

# parse a STIX bundle; cached per process
my %BUNDLES;
sub load_bundle {
    my ($name) = @_;
    my $path = shared_dir() . "/attack/$name";
    return $BUNDLES{$path} //= do {
        open(my $fh, '<', $path) or die "$path: $!";
        local $/;
        $JSON->decode(<$fh>);
    };
}

sub attack_id {
    my ($obj) = @_;
    for my $r (@{ $obj->{external_references} || [] }) {
        return $r->{external_id}
            if ($r->{source_name} // '') =~ /^mitre-(?:mobile-|ics-)?attack$/;
    }
    return undef;
}

# the recorded OTX pulses of shared/intel-samples, both samples in one list
sub recorded_pulses {
    my @p;
    for my $f (qw(pulses.intelmq-test-data.json
                  pulses_subscribed.elastic-mock.json)) {
        open(my $fh, '<', shared_dir() . "/intel-samples/otx/$f") or die "$f: $!";
        local $/;
        my $v = $JSON->decode(<$fh>);
        push @p, @{ ref $v eq 'HASH' ? $v->{results} : $v };
    }
    return @p;
}

# OTX pulses made of the first n procedure examples of a release (what an
# actor did, in the words of ATT&CK's analysts): more threats to map than
# the recorded pulses, of real text
sub procedure_pulses {
    my ($n, $file) = @_;
    my @p;
    for my $o (@{ load_bundle($file || 'enterprise-attack-18.1.json')->{objects} }) {
        next unless $o->{type} eq 'relationship'
            && $o->{relationship_type} eq 'uses'
            && ($o->{target_ref} // '') =~ /^attack-pattern--/
            && !$o->{revoked} && length($o->{description} // '') > 40;
        (my $id = $o->{id}) =~ s/^relationship--//;
        push @p, { id => $id, name => 'Procedure ' . scalar(@p),
                   description => $o->{description},
                   modified => $o->{modified}, created => $o->{created},
                   tags => [], indicators => [] };
        last if @p == $n;
    }
    return @p;
}

# a stand-in OTX serving the pulses at the real API path: sets
# ATTCK_OTX_URL and ATTCK_OTX_KEY, returns the nginx
sub start_otx {
    my ($class, @pulses) = @_;
    my $www = File::Temp::tempdir('attck-otx-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $www;
    open(my $fh, '>', "$www/pulses.json") or die;
    print $fh $JSON->encode({ results => \@pulses, next => undef });
    close $fh;
    chmod 0644, "$www/pulses.json";
    my $ng = $class->start_nginx(server => <<"EOF");
        location = /api/v1/pulses/subscribed {
            rewrite ^ /files/pulses.json last;
        }
        location /files/ {
            alias $www/;
            default_type application/json;
        }
EOF
    $ENV{ATTCK_OTX_URL} = "http://127.0.0.1:$ng->{port}";
    $ENV{ATTCK_OTX_KEY} = 'k-test';
    return $ng;
}

# a stand-in SIEM / SOAR that logs every request it takes: $ng->received
# returns them ({uri, status, auth, type, body}).  /hec, /_bulk and /hook
# accept; /refused/_bulk answers like Elasticsearch refusing documents;
# /e503, /e429 (Retry-After: 1), /e401 and /redirect fail; /flaky/ accepts
# the first three requests and answers 503 after them, until
# $ng->siem_steady makes it accept everything.
sub start_siem {
    my ($class) = @_;
    my $port = free_port();
    return $class->start_nginx(port => $port, http => _siem_http(),
                               server => _siem_server($port, 1));
}

sub _siem_http {
    return <<'EOF';
    log_format siem escape=json '{"uri":"$request_uri","status":"$status",'
        '"auth":"$http_authorization","type":"$content_type",'
        '"body":"$request_body"}';
    limit_req_zone $server_port zone=siem:1m rate=1r/m;
EOF
}

sub _siem_server {
    my ($port, $flaky) = @_;
    my $limit = $flaky ? 'limit_req zone=siem burst=2 nodelay;' : '';
    return <<"EOF";
        client_max_body_size 64m;
        client_body_buffer_size 64m;
        access_log logs/siem.log siem;
        location /ok/ {
            access_log off;
            default_type application/json;
            location /ok/hec { return 200 '{"text":"Success","code":0}'; }
            location /ok/bulk { return 200 '{"errors":false,"items":[]}'; }
            location /ok/refused {
                return 200 '{"errors":true,"items":[{"index":{"status":201}},
                    {"index":{"status":400,"error":{"type":
                    "mapper_parsing_exception","reason":"failed to parse"}}}]}';
            }
        }
        location = /hec { proxy_pass http://127.0.0.1:$port/ok/hec; }
        location = /_bulk { proxy_pass http://127.0.0.1:$port/ok/bulk; }
        location = /refused/_bulk {
            proxy_pass http://127.0.0.1:$port/ok/refused;
        }
        location = /hook { proxy_pass http://127.0.0.1:$port/ok/hec; }
        location /flaky/ {
            $limit
            proxy_pass http://127.0.0.1:$port/ok/hec;
        }
        location = /e503 { return 503; }
        location = /e429 { add_header Retry-After 1 always; return 429; }
        location = /e401 { return 401; }
        location = /redirect { return 302 http://127.0.0.1:$port/hec; }
EOF
}

package Attck::Test::Nginx;

sub siem_steady {
    my ($self) = @_;
    $self->reload(server => Attck::Test::_siem_server($self->{port}, 0));
}

sub received {
    my ($self) = @_;
    open(my $fh, '<', "$self->{dir}/logs/siem.log") or return ();
    # the body as the bytes sent, for decode_json
    return map { my $r = $JSON->decode($_); utf8::encode($r->{body}); $r }
           <$fh>;
}

package Attck::Test;

# PostgreSQL on loopback, in a private data dir -------------------------

sub start_postgres {
    my ($class) = @_;
    my ($bin) = sort { $b cmp $a } glob('/usr/lib/postgresql/*/bin');
    die "no PostgreSQL server: apt-get install postgresql\n" unless $bin;
    my $pg = bless { bin => $bin }, 'Attck::Test::Postgres';
    $pg->{dir} = File::Temp::tempdir('attck-pg-XXXXXX', TMPDIR => 1,
                                     CLEANUP => 1);
    chmod 0755, $pg->{dir};
    $pg->{port} = free_port();

    # initdb and postgres refuse root: run them as the postgres user
    my $as = $> == 0 ? [ 'su', 'postgres', '-s', '/bin/sh', '-c' ] : [ 'sh', '-c' ];
    $pg->{as} = $as;
    system('chown', '-R', 'postgres', $pg->{dir}) if $> == 0;
    my ($rc, $out) = run_cmd(@$as, "$bin/initdb -D $pg->{dir}/data -A trust "
                                   . "-U attck --no-sync >/dev/null");
    die "initdb failed: $out" if $rc;
    ($rc, $out) = run_cmd(@$as, "$bin/pg_ctl -D $pg->{dir}/data -w -l "
                                . "$pg->{dir}/log -o \"-c listen_addresses=127.0.0.1 "
                                . "-p $pg->{port} -k $pg->{dir} -c fsync=off\" start");
    die "postgres did not start: $out" if $rc;
    push @PG_RUNNING, $pg;
    ($rc, $out) = run_cmd('psql', '-X', '-q', '-h', '127.0.0.1', '-p', $pg->{port},
                          '-U', 'attck', '-d', 'postgres', '-c', 'CREATE DATABASE attck');
    die "createdb failed: $out" if $rc;
    return $pg;
}

package Attck::Test::Postgres;

sub url { my ($self) = @_; "postgresql://attck\@127.0.0.1:$self->{port}/attck" }

# one value (or a list of rows joined by |) from a query
sub query {
    my ($self, $sql) = @_;
    my ($rc, $out) = Attck::Test::run_cmd('psql', '-X', '-q', '-A', '-t',
                                          '-h', '127.0.0.1', '-p', $self->{port},
                                          '-U', 'attck', '-d', 'attck',
                                          '-v', 'ON_ERROR_STOP=1', '-c', $sql);
    die "query failed: $sql\n$out" if $rc;
    chomp $out;
    return $out;
}

sub stop {
    my ($self) = @_;
    return if $self->{stopped}++;
    Attck::Test::run_cmd(@{ $self->{as} }, "$self->{bin}/pg_ctl -D "
                         . "$self->{dir}/data -m immediate stop");
}

package Attck::Test;

# Redis on loopback, no persistence, in a private dir --------------------
# (replicaof => PORT: a read-only replica of the Redis on that port)

sub start_redis {
    my ($class, %opt) = @_;
    my $r = bless { %opt }, 'Attck::Test::Redis';
    $r->{dir} //= File::Temp::tempdir('attck-redis-XXXXXX', TMPDIR => 1,
                                      CLEANUP => 1);
    $r->{port} //= free_port();
    $r->{socket} = "$r->{dir}/redis.sock" if $opt{unixsocket};
    $r->start;
    push @REDIS_RUNNING, $r;
    return $r;
}

package Attck::Test::Redis;

use POSIX ':sys_wait_h';

sub url { my ($self) = @_; "redis://127.0.0.1:$self->{port}" }

sub start {
    my ($self) = @_;
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        open(STDOUT, '>>', "$self->{dir}/redis.log");
        open(STDERR, '>&', \*STDOUT);
        exec('redis-server', '--port', $self->{port}, '--bind', '127.0.0.1',
             '--save', '', '--appendonly', 'no', '--dir', $self->{dir},
             ($self->{password} ? ('--requirepass', $self->{password}) : ()),
             # a replica's full sync at once, not after the 5 s default
             '--repl-diskless-sync-delay', 0,
             ($self->{replicaof} ? ('--replicaof', '127.0.0.1',
                                    $self->{replicaof}) : ()),
             ($self->{socket} ? ('--unixsocket', $self->{socket},
                                 '--unixsocketperm', 777) : ()))
            or exit 127;
    }
    $self->{pid} = $pid;
    Attck::Test::_wait_port($self->{port}, $pid)
        or die "redis-server did not start\n";
}

# redis-cli with arguments: returns its output, chomped
sub cli {
    my ($self, @args) = @_;
    my ($rc, $out) = Attck::Test::run_cmd('redis-cli', '-p', $self->{port},
        ($self->{password} ? ('-a', $self->{password}, '--no-auth-warning')
                           : ()), @args);
    die "redis-cli @args: $out" if $rc;
    chomp $out;
    return $out;
}

# SIGSTOP / SIGCONT: a Redis that hangs rather than one that is gone
sub pause { kill 'STOP', $_[0]{pid} }
sub resume { kill 'CONT', $_[0]{pid} }

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'CONT', $self->{pid};
    kill 'KILL', $self->{pid};
    waitpid($self->{pid}, 0);
    delete $self->{pid};
}

package Attck::Test;

# nginx with the module --------------------------------------------------

# an nginx prefix with the configuration written, not yet started
sub _prepare_nginx {
    my (%opt) = @_;
    my $self = bless { %opt }, 'Attck::Test::Nginx';
    $self->{dir} = File::Temp::tempdir('attck-nginx-XXXXXX', TMPDIR => 1,
                                       CLEANUP => 1);
    mkdir "$self->{dir}/$_" for qw(conf logs tmp);
    $self->{port} //= free_port();
    $self->write_conf;
    return $self;
}

sub start_nginx {
    my ($class, %opt) = @_;
    my $self = _prepare_nginx(%opt);
    my ($rc, $out) = $self->test_conf;
    die "nginx -t failed:\n$out" if $rc != 0 && !$opt{allow_fail};
    return undef if $rc != 0;
    $self->start;
    return $self;
}

# only "nginx -t" of a configuration built like start_nginx's:
# returns (exit code, output)
sub test_nginx_conf {
    my ($class, %opt) = @_;
    return _prepare_nginx(%opt)->test_conf;
}

package Attck::Test::Nginx;

use POSIX ':sys_wait_h';

sub module { Attck::Test::build_dir() . '/ngx_http_attck_module.so' }

sub write_conf {
    my ($self) = @_;
    my $dir = $self->{dir};
    my $module = File::Spec->rel2abs(module());
    my $workers = $self->{workers} // 2;
    my $http = $self->{http} // '';
    my $server = $self->{server} // '';
    my $listen = $self->{listen} // '';
    # worker processes run as the invoking user, not nginx's default
    # "nobody": the files a test serves (the clone, ../shared) may lie
    # below a directory only that user can enter, such as /root
    my $user = $> == 0 ? 'user root;' : '';
    open(my $fh, '>', "$dir/conf/nginx.conf") or die $!;
    print $fh <<"EOF";
load_module $module;
$user
daemon off;
master_process on;
worker_processes $workers;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    $http
    server {
        listen 127.0.0.1:$self->{port} $listen;
        $server
    }
}
EOF
    close $fh;
}

sub test_conf {
    my ($self) = @_;
    return Attck::Test::run_cmd('nginx', '-p', $self->{dir}, '-c',
                                "$self->{dir}/conf/nginx.conf", '-t');
}

sub start {
    my ($self) = @_;
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        open(STDOUT, '>', "$self->{dir}/logs/stdout.log");
        open(STDERR, '>&', \*STDOUT);
        exec('nginx', '-p', $self->{dir}, '-c',
             "$self->{dir}/conf/nginx.conf") or exit 127;
    }
    $self->{pid} = $pid;
    push @RUNNING, $self;
    Attck::Test::_wait_port($self->{port}, $pid)
        or die "nginx did not start:\n" . $self->error_log;
}

sub url { my ($self, $path) = @_; "http://127.0.0.1:$self->{port}$path" }

sub get { my ($self, $path, %opt) = @_; Attck::Test::http_get($self->url($path), %opt) }

sub error_log {
    my ($self) = @_;
    open(my $fh, '<', "$self->{dir}/logs/error.log") or return '';
    local $/;
    return <$fh>;
}

# rewrite the configuration and reload; waits until the old workers are gone
sub reload {
    my ($self, %opt) = @_;
    @$self{keys %opt} = values %opt;
    $self->write_conf;
    my $before = $self->error_log;
    my @old = $self->worker_pids;
    kill 'HUP', $self->{pid};
    for (1 .. 200) {
        my $log = substr($self->error_log, length $before);
        return $self->_old_workers_quit(\@old, length $before)
            if $log =~ /start worker process/;
        if ($log =~ /\[emerg\]/) {
            # a failed reload may still be retrying (bind() is tried for
            # 2.5 s): it is over when the log stops growing
            my $len = length $log;
            for (1 .. 100) {
                Time::HiRes::sleep(0.8);
                my $now = length $self->error_log;
                last if $now == $len;
                $len = $now;
            }
            return 0;
        }
        Time::HiRes::sleep(0.05);
    }
    return 0;
}

sub worker_pids {
    my ($self) = @_;
    my ($rc, $out) = Attck::Test::run_cmd('pgrep', '-P', $self->{pid});
    return grep { /^\d+$/ } split /\s+/, $out;
}

# after a reload, old workers may still accept a connection until they
# handle the QUIT the master sends them: wait until each has (or is gone)
sub _old_workers_quit {
    my ($self, $old, $from) = @_;
    for (1 .. 200) {
        my $log = substr($self->error_log, $from);
        my @left = grep { kill(0, $_) && $log !~ /\b$_#\d+: gracefully shutting down/ }
                   @$old;
        return 1 unless @left;
        Time::HiRes::sleep(0.025);
    }
    return 1;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'QUIT', $self->{pid};
    for (1 .. 100) {
        last if waitpid($self->{pid}, WNOHANG) == $self->{pid};
        Time::HiRes::sleep(0.05);
    }
    if (kill 0, $self->{pid}) {
        kill 'KILL', $self->{pid};
        waitpid($self->{pid}, 0);
    }
    delete $self->{pid};
}

package Attck::Test;

use File::Spec;

# Every test also asserts, when it calls done_testing, that no nginx it
# started crashed or raised an alert: a worker that dies after answering
# would otherwise go unnoticed.  A test that kills workers on purpose sets
# $ng->{allow_log} to a pattern of the lines it expects.
Test2::API::test2_add_callback_testing_done(sub {
    for my $ng (@RUNNING) {
        my $allow = $ng->{allow_log};
        my @bad = grep { /exited on signal|\[alert\]|\[crit\]|AddressSanitizer/
                         && !($allow && /$allow/) }
                  split /\n/, $ng->error_log;
        Test::More::ok(!@bad, "nginx on port $ng->{port}: no crash or alert")
            or Test::More::diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
    }
});

END {
    my $rc = $?;
    $_->stop for @RUNNING, @PG_RUNNING, @REDIS_RUNNING;
    $? = $rc;
}

1;

# "make deb": the two Debian packages are built with dpkg-buildpackage
# without a file left in the checkout or its parent, lintian finds no
# error, and their contents are what Debian's own libnginx-mod-* packages
# and a system service hold.  Then, as root, they are installed on this
# machine with apt-get: the module is enabled the Debian way and loads
# through nginx's own configuration and serves the API, attck-worker runs
# as its system user and migrates a database with the migrations it
# ships; "apt-get remove" disables the module and keeps the configuration,
# "apt-get purge" leaves nothing behind but the user attck (Debian's
# system users stay).  Installing needs root (CI is root): as another
# user the build and lintian are checked and the test fails, saying so.
#
# The machine is left as it was found: a package, /etc/attck or
# /var/lib/attck already there stops the test before it installs
# anything, and the END block purges what it installed and removes the
# user it made, also when the test fails midway.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd ();
use Fcntl qw(:flock);
use File::Temp ();
use Time::HiRes qw(sleep);
use Attck::Test qw(build_dir test_snapshot free_port run_cmd http_get
                   decode_json slurp spew);

my $src = Cwd::abs_path("$FindBin::Bin/..");
my $build = Cwd::abs_path(build_dir());
my $debs = "$build/deb";
my $MODULE_PKG = 'libnginx-mod-http-attck';
my $WORKER_PKG = 'attck-worker';
my $SNIPPET = '/usr/share/nginx/modules-available/mod-http-attck.conf';
my $ENABLED = '/etc/nginx/modules-enabled/50-mod-http-attck.conf';

# make's own settings from "make test" must not reach the inner make
delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES)};
$ENV{DEBIAN_FRONTEND} = 'noninteractive';

my @sql = map { s{.*/}{}r } sort glob("$src/sql/*.sql");
my (undef, $version) = run_cmd('dpkg-parsechangelog', '-l',
                               "$src/debian/changelog", '-S', 'Version');
chomp $version;
like($version, qr/^\d[\w.+~-]*$/, "debian/changelog's version: $version");

# --- the build ----------------------------------------------------------

sub git_status {
    my (undef, $out) = run_cmd('git', '-C', $src, 'status', '--porcelain',
                               '--untracked-files=all');
    return $out;
}

sub parent_artefacts {
    return join ' ', sort map { glob("$src/../$_") }
        'attck_*.changes', 'attck_*.buildinfo', '*attck*_*.deb';
}

my $git = -d "$src/.git" || -f "$src/.git";
my $status_before = $git ? git_status() : '';
my $parent_before = parent_artefacts();

my ($rc, $out) = run_cmd('make', '-s', '-C', $src, "BUILD=$build", 'deb');
is($rc, 0, 'make deb') or diag $out;

my $module_deb = "$debs/${MODULE_PKG}_${version}_"
                 . `dpkg --print-architecture` =~ s/\s+//r . '.deb';
my $worker_deb = $module_deb =~ s/\Q$MODULE_PKG\E_/${WORKER_PKG}_/r;
ok(-f $module_deb, "built $module_deb");
ok(-f $worker_deb, "built $worker_deb");
my ($changes) = glob("$debs/attck_${version}_*.changes");
ok($changes && -f $changes, 'and the .changes beside them');
ok(!-e "$debs/attck", 'the copy of the tree built in is gone');

SKIP: {
    skip 'not a git checkout: nothing to compare', 1 unless $git;
    is(git_status(), $status_before, 'the checkout has no new or changed file');
}
is(parent_artefacts(), $parent_before, "nothing written to the checkout's "
                                       . 'parent');

# lintian: no error (E:); warnings are listed in README
($rc, $out) = run_cmd('lintian', '--fail-on', 'error', $changes // '-');
is($rc, 0, 'lintian passes the .changes and both packages') or diag $out;
my @errors = $out =~ /^(E: .*)$/mg;
is_deeply(\@errors, [], 'lintian reports no error');
note $out;

# --- what the packages hold ---------------------------------------------

sub deb_field {
    my ($deb, $field) = @_;
    my (undef, $v) = run_cmd('dpkg-deb', '-f', $deb, $field);
    chomp $v;
    return $v;
}

sub deb_files {
    my ($deb) = @_;
    open(my $fh, '-|', "dpkg-deb --fsys-tarfile '$deb' | tar -tvf -")
        or die $!;
    my %f;
    while (<$fh>) {
        my ($mode, $owner, $name) = (split ' ', $_)[0, 1, 5];
        $name =~ s{^\./}{/};
        $name =~ s{/$}{} unless $name eq '/';
        $f{$name} = "$mode $owner";
    }
    close $fh;
    return \%f;
}

sub deb_file {
    my ($deb, $path) = @_;
    my (undef, $content) = run_cmd('sh', '-c', "dpkg-deb --fsys-tarfile "
                                   . "'$deb' | tar -xOf - '.$path'");
    return $content;
}

sub deb_control {
    my ($deb, $file) = @_;
    my (undef, $content) = run_cmd('sh', '-c', "dpkg-deb --ctrl-tarfile "
                                   . "'$deb' | tar -xOf - './$file'");
    return $content;
}

# the ABI the installed nginx provides, as Debian's own modules depend on it
my (undef, $provides) = run_cmd('dpkg-query', '-W', '-f', '${Provides}',
                                'nginx');
my ($abi) = $provides =~ /(nginx-abi-[\w.+~-]+)/;
ok($abi, "nginx provides $abi") or diag $provides;

my $m = deb_files($module_deb);
like($m->{'/usr/lib/nginx/modules/ngx_http_attck_module.so'} // '',
     qr/^-rw-r--r-- root\/root$/, 'the module in /usr/lib/nginx/modules');
ok(exists $m->{$SNIPPET}, "its snippet $SNIPPET");
is(deb_file($module_deb, $SNIPPET),
   "load_module modules/ngx_http_attck_module.so;\n",
   'the snippet loads it from the modules directory');
ok(!grep(m{^/etc/nginx}, keys %$m), 'nothing shipped in /etc/nginx');
my @deps = split /,\s*/, deb_field($module_deb, 'Depends');
ok($abi && grep({ $_ eq $abi } @deps), "depends on exactly $abi")
    or diag "@deps";
ok(grep(/^libhiredis/, @deps) && grep(/^libjansson/, @deps),
   'and on the libraries it links (shlibs)') or diag "@deps";
like(deb_control($module_deb, 'postinst'),
     qr{ln\s-sf\s/usr/share/nginx/modules-available/\$from\s+\\?\s*
        /etc/nginx/modules-enabled/\$to}x,
     'postinst enables it with a link in modules-enabled (dh_nginx)');
like(deb_control($module_deb, 'postinst'),
     qr/mod-http-attck\.conf:50-mod-http-attck\.conf/,
     'as 50-mod-http-attck.conf');

my $w = deb_files($worker_deb);
like($w->{'/usr/bin/attck-worker'} // '', qr/^-rwxr-xr-x root\/root$/,
     '/usr/bin/attck-worker');
is_deeply([ sort grep { m{^/usr/share/attck/sql/} } keys %$w ],
          [ map { "/usr/share/attck/sql/$_" } @sql ],
          'every migration in /usr/share/attck/sql');
is(deb_file($worker_deb, '/etc/attck/attck-worker.yaml'),
   slurp("$src/conf/attck-worker.yaml"),
   '/etc/attck/attck-worker.yaml is conf/attck-worker.yaml');
is(deb_control($worker_deb, 'conffiles'), "/etc/attck/attck-worker.yaml\n",
   'a conffile');
for my $unit (map { s{.*/}{}r } glob("$src/conf/systemd/*")) {
    my $text = deb_file($worker_deb, "/lib/systemd/system/$unit");
    my $want = slurp("$src/conf/systemd/$unit") // '';
    $want =~ s{/usr/local/bin/attck-worker}{/usr/bin/attck-worker}g;
    is($text, $want, "systemd unit $unit, running /usr/bin/attck-worker");
}
ok(exists $w->{'/var/lib/attck'}, '/var/lib/attck');
like(deb_control($worker_deb, 'postinst'),
     qr/adduser --system --group .*attck/s,
     'postinst makes the system user attck');
like(deb_control($worker_deb, 'postinst'), qr/update-state/,
     'and registers the units with deb-systemd-helper');
like(deb_field($worker_deb, 'Depends'), qr/\blibpq5\b.*\badduser\b/,
     'the worker depends on libpq and adduser');

# --- installed on this machine (root) -----------------------------------

if ($> != 0) {
    fail('installing the packages needs root (CI runs as root): run '
         . '"make test" as root');
    done_testing();
    exit;
}

my $user_before = getpwnam('attck');
my $group_before = getgrnam('attck');
my $installed;                 # this test installed the packages
my $nginx_pid_file;

sub pkg_status {
    my ($pkg) = @_;
    my (undef, $s) = run_cmd('dpkg-query', '-W', '-f', '${Status}', $pkg);
    return $s =~ / ok (\S+)$/ && $1 ne 'not-installed' ? $1 : 'none';
}

sub apt_get {
    return run_cmd('apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600',
                   @_);
}

END {
    my $rc = $?;
    if ($nginx_pid_file && -f $nginx_pid_file) {
        my $pid = slurp($nginx_pid_file) // '';
        kill 'TERM', $1 if $pid =~ /^(\d+)/;
    }
    if ($installed) {
        my @left = grep { pkg_status($_) ne 'none' }
                   $MODULE_PKG, $WORKER_PKG;
        apt_get('purge', @left) if @left;
        system('userdel', 'attck') if !defined $user_before
                                      && defined getpwnam('attck');
        system('groupdel', 'attck') if !defined $group_before
                                       && defined getgrnam('attck');
    }
    $? = $rc;
}
$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);

# one such test on the machine at a time (another clone's make test)
open(my $lock, '>', '/run/lock/attck-deb-test.lock') or die "lock: $!";
flock($lock, LOCK_EX) or die "lock: $!";

my @present = ((grep { pkg_status($_) ne 'none' } $MODULE_PKG, $WORKER_PKG),
               grep { -e } '/etc/attck', '/var/lib/attck', '/usr/share/attck',
               $SNIPPET, $ENABLED);
if (!ok(!@present, 'nothing of the packages is on this machine yet'
                   . (@present ? " (@present: remove it first)" : ''))) {
    done_testing();
    exit 1;
}
my %enabled_before = map { $_ => 1 } glob('/etc/nginx/modules-enabled/*');

$installed = 1;
($rc, $out) = apt_get('install', '--no-install-recommends', $module_deb,
                      $worker_deb);
is($rc, 0, 'apt-get install ./libnginx-mod-http-attck_*.deb '
           . './attck-worker_*.deb') or diag $out;
is(pkg_status($_), 'installed', "$_ installed")
    for $MODULE_PKG, $WORKER_PKG;

my %listed;
for my $pkg ($MODULE_PKG, $WORKER_PKG) {
    my (undef, $list) = run_cmd('dpkg', '-L', $pkg);
    my @paths = grep { m{^/} && $_ ne '/.' } split /\n/, $list;
    $listed{$pkg} = \@paths;
    my @missing = grep { !-e && !-l } @paths;
    is_deeply(\@missing, [], "every file of $pkg is in place");
}

# the module: enabled as Debian's modules are, loaded by nginx's own
# configuration (nginx.conf includes modules-enabled/*.conf)
is(readlink($ENABLED), $SNIPPET, "$ENABLED links to the snippet");
($rc, $out) = run_cmd('nginx', '-t');
is($rc, 0, "nginx -t with the system's configuration") or diag $out;
($rc, $out) = run_cmd('nginx', '-T');
like($out, qr/# configuration file \Q$ENABLED\E:\nload_module modules\/ngx_http_attck_module\.so;/,
     'which loads the module through the link');

# the packaged module serves the API, loaded through the same link
{
    my $dir = File::Temp::tempdir('attck-deb-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    chmod 0755, $dir;
    my $port = free_port();
    my $snap = Cwd::abs_path(test_snapshot());
    $nginx_pid_file = "$dir/nginx.pid";
    spew("$dir/nginx.conf", <<"EOF");
include $ENABLED;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    attck_zone attck 128m;
    attck_snapshot $snap;
    server {
        listen 127.0.0.1:$port;
        location /api/v1/ { attck_api; }
    }
}
EOF
    ($rc, $out) = run_cmd('nginx', '-c', "$dir/nginx.conf", '-e',
                          "$dir/error.log", '-t');
    is($rc, 0, 'nginx -t: attck_zone, attck_snapshot and attck_api known '
               . 'through the packaged snippet') or diag $out;
    ($rc, $out) = run_cmd('nginx', '-c', "$dir/nginx.conf", '-e',
                          "$dir/error.log");
    is($rc, 0, 'nginx starts with the packaged module') or diag $out;
    my $res;
    for (1 .. 100) {
        $res = http_get("http://127.0.0.1:$port/api/v1/techniques/T1059.001");
        last if $res->{status} != 599;
        sleep 0.1;
    }
    is($res->{status}, 200, 'GET /api/v1/techniques/T1059.001');
    is(eval { decode_json($res->{content})->{id} }, 'T1059.001',
       'the technique');
    run_cmd('nginx', '-c', "$dir/nginx.conf", '-e', "$dir/error.log",
            '-s', 'quit');
    for (1 .. 100) { last unless -f "$dir/nginx.pid"; sleep 0.1 }
    ok(!-f "$dir/nginx.pid", 'nginx stopped');
    unlike(slurp("$dir/error.log") // '', qr/\[(?:alert|crit|emerg)\]/,
           'nothing alarming logged');
}

# the worker: its user, its state directory, its units
my @pw = getpwnam('attck');
ok(@pw, 'the user attck exists');
cmp_ok($pw[2] // 99999, '<', 1000, 'a system user (uid < 1000)');
is($pw[7], '/var/lib/attck', 'home /var/lib/attck');
like($pw[8] // '', qr{/nologin$|/false$}, 'no login shell');
my @st = stat('/var/lib/attck');
is($st[4], $pw[2], '/var/lib/attck belongs to attck');
is(sprintf('%04o', ($st[2] // 0) & 07777), '0755',
   "mode 0755 (nginx's workers read the snapshot and reports there)");
ok(!-e '/etc/systemd/system/timers.target.wants/attck-worker.timer'
   && !-e '/etc/systemd/system/multi-user.target.wants/'
          . 'attck-worker-daemon.service',
   'no unit enabled: the worker needs its database first');

($rc, $out) = run_cmd('/usr/bin/attck-worker', '--help');
is($rc, 0, 'attck-worker --help');
like($out, qr/^usage: attck-worker /, 'prints its usage');
($rc, $out) = run_cmd('/usr/bin/attck-worker', 'migrate', '--help');
like($out, qr{default: \$ATTCK_SQL_DIR, else /usr/share/attck/sql\)},
     'migrate defaults to /usr/share/attck/sql');

my $pg = Attck::Test->start_postgres;
my @as_attck = ('runuser', '-u', 'attck', '--', 'env', '-u', 'ATTCK_SQL_DIR',
                '-u', 'ATTCK_CONFIG', 'ATTCK_DATABASE_URL=' . $pg->url);
($rc, $out) = run_cmd(@as_attck, '/usr/bin/attck-worker', 'migrate');
is($rc, 0, 'attck-worker migrate as the user attck, no ATTCK_SQL_DIR')
    or diag $out;
is($pg->query('SELECT version FROM schema_migrations ORDER BY version'),
   join("\n", @sql),
   'every shipped migration applied')
    or diag $pg->query('SELECT * FROM schema_migrations');
ok($pg->query("SELECT count(*) FROM pg_tables WHERE tablename = "
              . "'mitre_attack_techniques'"), 'the schema is there');

($rc, $out) = run_cmd(@as_attck, '/usr/bin/attck-worker', '--config',
                      '/etc/attck/attck-worker.yaml', 'migrate');
is($rc, 0, 'migrate with the packaged configuration: nothing left to '
           . 'apply') or diag $out;
unlike($out, qr/unknown|warn/i, 'the configuration has no unknown setting');

# what an administrator and the worker leave, for the purge to remove
($rc, $out) = run_cmd('runuser', '-u', 'attck', '--', 'sh', '-c',
                      'mkdir -p /var/lib/attck/reports && '
                      . 'echo x > /var/lib/attck/reports/x.csv');
is($rc, 0, 'the user attck writes below /var/lib/attck') or diag $out;
spew('/etc/attck/worker.env', "ATTCK_OTX_KEY=secret\n");
chmod 0600, '/etc/attck/worker.env';

# --- remove, then purge -------------------------------------------------

($rc, $out) = apt_get('remove', $MODULE_PKG, $WORKER_PKG);
is($rc, 0, 'apt-get remove') or diag $out;
ok(!-e $ENABLED && -l "$ENABLED.removed",
   'the module is disabled (its link set aside, as dh_nginx does)');
($rc, $out) = run_cmd('nginx', '-t');
is($rc, 0, 'nginx -t without the module') or diag $out;
ok(-f '/etc/attck/attck-worker.yaml', 'the configuration stays');
ok(!-e '/usr/bin/attck-worker', 'the program is gone');

($rc, $out) = apt_get('purge', $MODULE_PKG, $WORKER_PKG);
is($rc, 0, 'apt-get purge') or diag $out;
is(pkg_status($_), 'none', "$_ purged") for $MODULE_PKG, $WORKER_PKG;

# every file gone; a directory stays only when another package owns it, or
# when it is the system's link to one (/lib with merged /usr)
for my $pkg ($MODULE_PKG, $WORKER_PKG) {
    my @left;
    for my $path (@{ $listed{$pkg} }) {
        next unless -e $path || -l $path;
        next if -d $path && -l $path;
        if (-d $path) {
            my ($rc) = run_cmd('dpkg-query', '-S', $path);
            next if $rc == 0;
        }
        push @left, $path;
    }
    is_deeply(\@left, [], "nothing of $pkg is left");
}
my @left = grep { -e || -l } '/etc/attck', '/var/lib/attck',
    '/usr/share/attck', $ENABLED, "$ENABLED.removed", $SNIPPET,
    glob('/var/lib/systemd/deb-systemd-helper-enabled/attck-worker*'),
    glob('/var/lib/systemd/deb-systemd-helper-masked/attck-worker*');
is_deeply(\@left, [], 'no configuration, state, link or unit state left');
is_deeply({ map { $_ => 1 } glob('/etc/nginx/modules-enabled/*') },
          \%enabled_before, "modules-enabled as it was");
($rc, $out) = run_cmd('nginx', '-t');
is($rc, 0, 'nginx -t after the purge') or diag $out;
ok(defined getpwnam('attck'), "the user attck stays, as Debian's system "
   . 'users do (the test removes it when it made it)');

done_testing();

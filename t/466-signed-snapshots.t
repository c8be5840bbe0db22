# Signed snapshots: with a key shared by attck-worker publish
# (ATTCK_PUBLISH_KEY_FILE) and nginx (attck_refresh_key), "attck:current"
# reads "GEN SHA HMAC" and nginx loads only what the key's holder
# published.  A pointer pushed into Redis unsigned, or signed with another
# key, and a signed pointer whose snapshot's bytes are not the ones named,
# are refused and logged once while the last good snapshot keeps serving;
# nginx -t refuses a key file that is missing, empty or short; an nginx
# without the directive follows pointers as before.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Digest::SHA qw(sha256_hex hmac_sha256_hex);
use Time::HiRes qw(time sleep);
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses
                   slurp spew);

my $dir = File::Temp->newdir;
my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_MODEL ATTCK_PUBLISH_KEY_FILE);
sub q1 { $pg->query($_[0]) }

# a key as the README says to make one, and another one
sub key_file {
    my ($name, $mode) = @_;
    my ($rc, $out) = run_cmd('sh', '-c', "umask 077; openssl rand -hex 32 "
                             . "> $dir/$name && cat $dir/$name");
    die "openssl: $out" if $rc;
    chmod $mode // 0600, "$dir/$name";
    chomp $out;
    return ("$dir/$name", $out);
}
my ($keyfile, $key) = key_file('refresh.key');
my ($otherfile, $other) = key_file('other.key');
is(length $key, 64, 'a key of 64 hex digits');

# the data: ICS, the recorded OTX pulses, an analyst's mappings
my ($rc, $out) = run_cmd(worker(), 'migrate');
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

# --- the worker's key ------------------------------------------------------

{
    local $ENV{ATTCK_PUBLISH_KEY_FILE} = "$dir/missing.key";
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 66, 'publish: a missing key file: exit 66');
    like($out, qr/ATTCK_PUBLISH_KEY_FILE: key file \Q$dir\E\/missing\.key: No such file/,
         '... naming it');
    spew("$dir/short.key", substr($key, 0, 31) . "\n");
    chmod 0600, "$dir/short.key";
    $ENV{ATTCK_PUBLISH_KEY_FILE} = "$dir/short.key";
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 64, 'a key of 31 bytes: exit 64');
    like($out, qr/holds 31 bytes: a key has 32 to 4096/, '... saying why');
    unlike($out, qr/\Q@{[ substr($key, 0, 31) ]}\E/, '... without the key');
    is($redis->cli('EXISTS', 'attck:current'), 0, 'nothing was published');
}

$ENV{ATTCK_PUBLISH_KEY_FILE} = $keyfile;
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish with the key') or diag $out;
unlike($out, qr/\Q$key\E/, '... the key is never printed');
unlike($out, qr/level=warn/, '... a key file of mode 0600: no warning');
my $pointer = $redis->cli('GET', 'attck:current');
my ($gen, $sha, $sig) = split / /, $pointer;
is($sha, sha256_hex(slurp("$dir/attck.snap")), 'attck:current names the '
   . 'snapshot written');
is($sig, hmac_sha256_hex("$gen $sha", $key),
   '... and carries HMAC-SHA256 of "GEN SHA" under the key');

($rc, $out) = run_cmd(worker(), 'publish');
like($out, qr/unchanged, generation $gen stays current/,
     'published again with the same key: unchanged');
{
    local $ENV{ATTCK_PUBLISH_KEY_FILE} = $otherfile;
    chmod 0644, $otherfile;
    ($rc, $out) = run_cmd(worker(), 'publish');
    chmod 0600, $otherfile;
    like($out, qr/level=warn msg="publish: ATTCK_PUBLISH_KEY_FILE: key file \Q$otherfile\E can be read by every user/,
         'a key file every user can read: warned');
    like($out, qr/generation \d+ is current/,
         'with another key: the pointer is not the one it would write, so '
         . 'a new generation');
    my @f = split / /, $redis->cli('GET', 'attck:current');
    is($f[2], hmac_sha256_hex("$f[0] $f[1]", $other), '... signed with it');
}
($rc, $out) = run_cmd(worker(), 'publish');
like($out, qr/generation \d+ is current/, 'back to the key: signed again');

# --- nginx with the key, and one without -------------------------------------

my $http = <<"EOF";
    attck_zone attck 64m;
    attck_redis 127.0.0.1:$redis->{port};
    attck_refresh on;
    attck_refresh_interval 100ms;
EOF
my $signed = Attck::Test->start_nginx(
    http   => "$http attck_refresh_key $keyfile;",
    server => 'location /api/v1/ { attck_api; }');
my $plain = Attck::Test->start_nginx(
    http   => $http,
    server => 'location /api/v1/ { attck_api; }');

sub checksum { sprintf('%08x', unpack('x32 V', $_[0])) }

sub status {
    my ($ng) = @_;
    my $r = $ng->get('/api/v1/status');
    return $r->{status} == 200 ? decode_json($r->{content}) : {};
}

# every worker process of $ng on generation $g with the snapshot $data
sub serves {
    my ($ng, $g, $data, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < ($limit // 5)) {
        my $ok = grep {
            my $s = status($ng);
            ($s->{published}{generation} // 0) == $g
                && ($s->{checksum} // '') eq checksum($data)
        } 1 .. 6;
        return 1 if $ok == 6;
        sleep 0.05;
    }
    return 0;
}

sub current {
    my @f = split / /, $redis->cli('GET', 'attck:current');
    return @f;
}

($gen, $sha) = current();
my $good = slurp("$dir/attck.snap");
ok(serves($signed, $gen, $good), "nginx with attck_refresh_key loads the "
   . "signed generation $gen from Redis") or diag $signed->error_log;
ok(serves($plain, $gen, $good), 'nginx without it follows the three-field '
   . 'pointer too');
my $doc = decode_json($signed->get('/api/v1/techniques/T0800')->{content});
is($doc->{threats}{count}, $nthreats, "T0800 with its $nthreats threats");

# a new generation, signed: served
q1("UPDATE mapped_threat_data SET score = 0.75 WHERE threat_id = $first");
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'a change, published signed') or diag $out;
($gen, $sha) = current();
$good = slurp("$dir/attck.snap");
ok(serves($signed, $gen, $good), "generation $gen is served");
$doc = decode_json($signed->get('/api/v1/techniques/T0800')->{content});
is($doc->{threats}{top}[0]{score}, 0.75, '... with the new best score');

# --- what the key's holder did not publish ---------------------------------

($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/mobile.snap",
                      shared_dir() . '/attack/mobile-attack-18.1.json');
is($rc, 0, 'a mobile snapshot, compiled by someone') or diag $out;
my $mobile = slurp("$dir/mobile.snap");
my $mobile_sha = sha256_hex($mobile);

sub log_lines { grep { /$_[1]/ } split /\n/, $_[0]->error_log }

# the pointer set by $set; nothing may change on nginx with the key
sub refused {
    my ($label, $pattern, $set) = @_;
    $set->();
    sleep 1.2;      # a dozen polls
    ok(serves($signed, $gen, $good, 0.5), "$label: generation $gen keeps "
       . 'serving');
    is(decode_json($signed->get('/api/v1/techniques/T0800')->{content})
       ->{threats}{top}[0]{score}, 0.75, "$label: T0800 as published");
    is($signed->get('/api/v1/techniques/T1398')->{status}, 404,
       "$label: no mobile technique");
    is(scalar(log_lines($signed, $pattern)), 1,
       "$label: logged once in a dozen polls");
}

refused('pushed unsigned', qr/"attck:current" in Redis is not signed, and attck_refresh_key is set: "50 \Q$mobile_sha\E"; ignored, generation \d+ keeps serving/,
        sub {
    ($rc, $out) = run_cmd('python3', '/work/shared/repro/push_via_redis.py',
                          "$dir/mobile.snap", $redis->{port}, 0, 50);
    is($rc, 0, 'push_via_redis.py: "50 SHA", unsigned') or diag $out;
});

# the nginx without a key takes it: the old behaviour
ok(serves($plain, 50, $mobile), 'nginx without attck_refresh_key serves the '
   . 'unsigned push, as before');
is($plain->get('/api/v1/techniques/T1398')->{status}, 200,
   '... a mobile technique');

refused('signed with another key', qr/"attck:current" in Redis is not signed with attck_refresh_key: "51 \Q$mobile_sha\E /,
        sub {
    $redis->cli('SET', 'attck:current', "51 $mobile_sha "
                . hmac_sha256_hex("51 $mobile_sha", $other));
});

refused('a signature made for another pointer',
        qr/is not signed with attck_refresh_key: "52 \Q$mobile_sha\E /, sub {
    $redis->cli('SET', 'attck:current', "52 $mobile_sha $sig");
});

# signed rightly, but the bytes under the name are someone else's
my $named = sha256_hex("a snapshot the key's holder made");
refused('the bytes under a signed name replaced',
        qr/"attck:snapshot:\Q$named\E" refused: its bytes hash to \Q$mobile_sha\E, not to the name the signed pointer gives; generation \d+ keeps serving/,
        sub {
    ($rc, $out) = run_cmd('sh', '-c', "redis-cli -p $redis->{port} -x SET "
                          . "attck:snapshot:$named < $dir/mobile.snap");
    is($rc, 0, 'mobile\'s bytes stored under another name') or diag $out;
    $redis->cli('SET', 'attck:current', "53 $named "
                . hmac_sha256_hex("53 $named", $key));
});

refused('not a pointer', qr/is not "GENERATION SHA256 \[HMAC\]": "54 \Q$mobile_sha\E x"/,
        sub { $redis->cli('SET', 'attck:current', "54 $mobile_sha x") });

# the key's holder publishes again: served, past everything refused
q1("UPDATE mapped_threat_data SET score = 0.8 WHERE threat_id = $first");
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'the worker publishes again') or diag $out;
like($out, qr/generation \d+ is current/, '... a new generation');
($gen, $sha) = current();
$good = slurp("$dir/attck.snap");
ok(serves($signed, $gen, $good), "nginx with the key serves generation $gen");
ok(serves($plain, $gen, $good), '... and so does the one without');
is(decode_json($signed->get('/api/v1/techniques/T0800')->{content})
   ->{threats}{top}[0]{score}, 0.8, '... T0800 as published last');
is(decode_json($signed->get("/api/v1/threats/$first")->{content})->{id},
   $first, '... and its threat documents');
unlike($signed->error_log, qr/\Q$key\E/, 'the key is in no log line');

# --- nginx -t ---------------------------------------------------------------

my $zone = "attck_zone z 64m; attck_redis 127.0.0.1:$redis->{port};";
spew("$dir/empty.key", '');
spew("$dir/newline.key", "\n");
spew("$dir/big.key", 'k' x 5000);
chmod 0600, map { "$dir/$_.key" } qw(empty newline big);
for my $case (
    [ "$zone attck_refresh_key $dir/missing.key;",
      qr/attck_refresh_key: open\(\) "\Q$dir\E\/missing\.key" failed \(2: No such file/ ],
    [ "$zone attck_refresh_key $dir/empty.key;", qr/"\Q$dir\E\/empty\.key" is empty/ ],
    [ "$zone attck_refresh_key $dir/newline.key;", qr/newline\.key" is empty/ ],
    [ "$zone attck_refresh_key $dir/short.key;",
      qr/short\.key" holds 31 bytes: a key has 32 to 4096/ ],
    [ "$zone attck_refresh_key $dir/big.key;",
      qr/big\.key" holds 5000 bytes: a key has at most 4096/ ],
    [ "$zone attck_refresh_key $dir;", qr/is not a file/ ],
    [ "attck_zone z 64m; attck_refresh_key $keyfile;",
      qr/"attck_refresh_key" needs "attck_redis"/ ],
    [ "$zone attck_refresh_key $keyfile; attck_refresh_key $otherfile;",
      qr/"attck_refresh_key" directive is duplicate/ ],
    [ "$zone server { attck_refresh_key $keyfile; }", qr/not allowed here/ ],
) {
    my ($rc2, $text) = Attck::Test->test_nginx_conf(http => $case->[0]);
    isnt($rc2, 0, "nginx -t refuses: $case->[0]");
    like($text, $case->[1], '... saying why') or diag $text;
}

spew("$dir/exact.key", 'k' x 32);
chmod 0600, "$dir/exact.key";
my ($rc2, $text) = Attck::Test->test_nginx_conf(
    http => "$zone attck_refresh_key $dir/exact.key;");
is($rc2, 0, 'nginx -t accepts a key of 32 bytes') or diag $text;
unlike($text, qr/\[warn\]/, '... of mode 0600 without a warning');
chmod 0644, "$dir/exact.key";
($rc2, $text) = Attck::Test->test_nginx_conf(
    http => "$zone attck_refresh_key $dir/exact.key;");
is($rc2, 0, 'a key every user can read is accepted');
like($text, qr/\[warn\] .*attck_refresh_key: "\Q$dir\E\/exact\.key" can be read by every user/,
     '... with a warning');

done_testing;

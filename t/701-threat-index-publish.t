# The threat index across publishes: a publish after 10 changed threats of
# 2,000 writes the 10 documents and nothing else of the threats (Redis's
# own count of SETs); nginx following Redis serves the new generation;
# a snapshot whose threat index is corrupt, truncated or out of range is
# refused whole and logged once while the last good one keeps serving;
# Redis down and back.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Digest::SHA qw(sha256_hex);
use Compress::Zlib qw(crc32);
use Time::HiRes qw(sleep);
use Attck::Test qw(worker shared_dir run_cmd decode_json slurp spew);
use Attck::Facets qw(gen_threats sql_facets);

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
                      shared_dir() . '/attack/enterprise-attack-18.1.json');
is($rc, 0, 'ingest enterprise 18.1') or diag $out;
gen_threats($pg, 2000, 11);
my $n = q1('SELECT count(*) FROM threat_intelligence_data');
is($n, 2000, '2,000 threats');

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish') or diag $out;
like($out, qr/generation 1 is current in Redis .* 2000 documents written/,
     'generation 1: every document written');

sub sets {
    my ($v) = $redis->cli('INFO', 'commandstats') =~ /cmdstat_set:calls=(\d+)/;
    return $v // 0;
}

# 10 threats change (a title each); a publish writes their documents only
my @changed = split /\n/, q1(q{SELECT id FROM threat_intelligence_data
                               ORDER BY md5(id::text) LIMIT 10});
q1('UPDATE threat_intelligence_data SET title = title || \' (revised)\','
   . ' updated_at = now() WHERE id IN (' . join(',', @changed) . ')');
my $before = sets();
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish after 10 changed') or diag $out;
like($out, qr/generation 2 is current in Redis .* 10 documents written, 1990 shared with generation 1/,
     'generation 2: 10 documents written, 1,990 shared');
my $delta = sets() - $before;
cmp_ok($delta, '<=', 2 * 10 + 2,
       "$delta SETs: a document and a brief per changed threat, the "
       . 'snapshot and the pointer');
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:doc:*')), 2010,
   'generations 1 and 2: 2,010 documents');

# nginx following Redis alone
my $ng = Attck::Test->start_nginx(
    http   => "attck_zone attck 64m; attck_redis 127.0.0.1:$redis->{port};"
              . 'attck_refresh on; attck_refresh_interval 100ms;',
    server => 'location /api/v1/ { attck_api; }');
sub get { $ng->get("/api/v1/$_[0]") }
sub generation {
    my $r = get('threats/stats');
    return 0 unless $r->{status} == 200;
    return decode_json($r->{content})->{generation};
}
sub wait_generation {
    my ($g) = @_;
    for (1 .. 100) {
        return 1 if generation() == $g;
        sleep 0.1;
    }
    return 0;
}
ok(wait_generation(2), 'nginx serves generation 2 from Redis');
my $doc = decode_json(get("threats/$changed[0]")->{content});
like($doc->{title}, qr/\(revised\)$/, 'a changed threat: its new document');
is(decode_json(get('threats/stats')->{content})->{total}, 2000,
   'stats: 2,000 threats');

# a third publish: generation 1's documents go, 2's stay
q1("UPDATE threat_intelligence_data SET title = title || '!', updated_at ="
   . " now() WHERE id = $changed[1]");
($rc, $out) = run_cmd(worker(), 'publish');
like($out, qr/generation 3 is current .* 1 documents written/,
     'generation 3: 1 document written');
like($out, qr/removed 10 documents of generations before 2\b/,
     '... generation 1\'s own removed, from the list generation 2 left');
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:doc:*')), 2001,
   '2,001 documents: generations 2 and 3, generation 1\'s 10 gone');
ok(wait_generation(3), 'nginx on generation 3');

# --- bad threat indexes: refused whole, logged once, the last good serves --

my $good = slurp("$dir/attck.snap");
my ($toff, $tlen) = unpack('V V', substr($good, 56, 8));
ok($tlen > 0, "the snapshot has a threat index ($tlen bytes)");

sub with_checksum {
    my ($bytes) = @_;
    substr($bytes, 32, 4) = "\0\0\0\0";
    substr($bytes, 32, 4) = pack('V', crc32($bytes));
    return $bytes;
}

sub offer {
    my ($bytes, $gen) = @_;
    my $sha = sha256_hex($bytes);
    spew("$dir/bad.snap", $bytes);
    my ($rc2, $o) = run_cmd('sh', '-c', "redis-cli -p $redis->{port} -x "
                            . "SET attck:snapshot:$sha < $dir/bad.snap");
    $redis->cli('SET', 'attck:current', "$gen $sha");
    return $sha;
}

my %bad;
{   # a byte of the index changed: its CRC does not hold
    my $b = $good;
    substr($b, $toff + 200, 1) = chr(ord(substr($b, $toff + 200, 1)) ^ 0xff);
    $bad{crc} = [ with_checksum($b), qr/threat index checksum mismatch/ ];
}
{   # the index's header says more bytes than the section has
    my $b = $good;
    my $size = unpack('Q<', substr($b, $toff + 16, 8));
    substr($b, $toff + 16, 8) = pack('Q<', $size + 8);
    $bad{truncated} = [ with_checksum($b), qr/threat index truncated/ ];
}
{   # an offset past the end (the header is outside the index's CRC)
    my $b = $good;
    substr($b, $toff + 36, 4) = pack('V', 0x7ffffff8);
    $bad{offset} = [ with_checksum($b), qr/threat index header out of range/ ];
}
{   # a mapping naming a technique the index does not have
    my $b = $good;
    my $maps = unpack('V', substr($b, $toff + 36, 4));
    substr($b, $toff + $maps, 2) = pack('v', 65535);
    my $crc = crc32(substr($b, $toff + 112, $tlen - 112));   # the header: 112
    substr($b, $toff + 12, 4) = pack('V', $crc);
    $bad{mapping} = [ with_checksum($b), qr/mapping out of range/ ];
}

my $g = 10;
for my $k (sort keys %bad) {
    my ($bytes, $re) = @{ $bad{$k} };
    my $sha = offer($bytes, ++$g);
    sleep 1;
    my @lines = grep { /\Q$sha\E/ && /refused/ } split /\n/, $ng->error_log;
    is(scalar @lines, 1, "$k: refused and logged once");
    like($lines[0] // '', $re, "$k: saying why");
    is(generation(), 3, "$k: generation 3 keeps serving");
    is(decode_json(get('threats/stats')->{content})->{total}, 2000,
       "$k: ... with its index");
}

# the good one again: served
$redis->cli('SET', 'attck:current', '3 ' . sha256_hex($good));

# --- Redis down and back ---------------------------------------------------

$redis->stop;
sleep 0.5;
my $r = get('threats/stats');
is($r->{status}, 200, 'Redis down: stats still answer, from the index');
is(decode_json($r->{content})->{total}, 2000, '... all of it');
$r = get('threats?limit=1');
is($r->{status}, 503, 'Redis down: a list of documents is 503');
like(decode_json($r->{content})->{detail}, qr/Redis/, '... naming Redis');
is(get("threats/$changed[0]")->{status}, 503, '... one document too');
is(get('techniques/T1059')->{status}, 200, 'techniques still answer');

$redis->start;
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'Redis back, empty: publish') or diag $out;
like($out, qr/2000 documents written/, '... writes every document again');
ok(wait_generation(1), 'nginx follows the new generation 1');
my $ok = 0;
for (1 .. 50) {
    $r = get("threats/$changed[0]");
    last if ($ok = $r->{status} == 200);
    sleep 0.1;
}
ok($ok, 'documents are served again');
is(decode_json(get('threats?limit=5')->{content})->{total}, 2000,
   'lists too');
unlike($ng->error_log, qr/\[(alert|crit|emerg)\]|signal 11/,
       'no crash or alert');

done_testing();

# The Redis-backed endpoints against a real Redis seeded the way
# "attck-worker publish" writes it: threats/{id} verbatim,
# techniques/{id}/threats by score, threats?technique=&source=&since= by
# time last seen; paging, filters, the generation followed from
# attck:current, AUTH and SELECT, a unix socket, and hostile input.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use POSIX ();
use Time::HiRes qw(time sleep);
use Attck::Test qw(test_snapshot decode_json);

my $redis = Attck::Test->start_redis;
my $SHA = 'ab' x 32;

sub conf {
    my ($redis_line) = @_;
    return 'attck_zone attck 128m; attck_snapshot ' . test_snapshot() . ';'
           . ($redis_line // '');
}

my $ng = Attck::Test->start_nginx(
    http   => conf("attck_redis 127.0.0.1:$redis->{port};"),
    server => 'location /api/v1/ { attck_api; }',
);

sub get { $ng->get("/api/v1/$_[0]", %{ $_[1] || {} }) }

sub error_is {
    my ($path, $status, $detail, $label) = @_;
    my $res = get($path);
    is($res->{status}, $status, "$label: $status");
    my $e = eval { decode_json($res->{content}) } || {};
    like($e->{detail} // '', $detail, "$label: detail") if $detail;
    ok(defined $e->{error}, "$label: JSON error body");
    like($res->{headers}{'content-type'} // '', qr{^application/json},
         "$label: JSON type");
}

sub wait_published {
    my ($server, $gen) = @_;
    for (1 .. 60) {
        my $s = eval { decode_json($server->get('/api/v1/status')->{content}) };
        return 1 if $s && ($s->{published}{generation} // 0) == $gen;
        sleep 0.05;
    }
    return 0;
}

# --- before anything is published -----------------------------------------

my $st = decode_json(get('status')->{content});
is_deeply($st->{published}, { generation => undef, sha256 => undef },
          'status: published is null before the first pointer');
error_is('threats/42', 503, qr/no threat data published/,
         'threat before a generation');
error_is('threats', 503, qr/no threat data published/,
         'list before a generation');
error_is('techniques/T1059.001/threats', 503, qr/no threat data published/,
         'technique list before a generation');

# --- the data of generation 3 (and a stale generation 2) -------------------

my $doc = '{"id":42,"title":"Caf\xc3\xa9 \\"quoted\\" \\u0000 <b>",'
          . '"techniques":[{"id":"T1059.001","score":0.91}]}';
$redis->cli('SET', 'attck:3:threat:42', $doc);
$redis->cli('SET', 'attck:2:threat:42', '{"id":42,"stale":true}');
$redis->cli('SET', 'attck:3:threat:7', '{"id":7}');

# technique T1059.001: five threats by score
my @by_score = map { sprintf('{"id":%d,"name":"t%d","score":%.2f}', $_, $_,
                             1 - $_ / 10) } 1 .. 5;
$redis->cli('ZADD', 'attck:3:technique:T1059.001',
            map { (1 - $_ / 10, $by_score[$_ - 1]) } reverse 1 .. 5);

# seen sets: epoch seconds of the last sighting
my $day = 86400;
my $base = 1735689600;                      # 2025-01-01T00:00:00Z
my %seen = (
    1 => [ $base - $day, 'otx', 'T1059.001' ],          # 2024-12-31
    2 => [ $base, 'otx', 'T1566' ],                     # 2025-01-01
    3 => [ $base + 3600, 'virustotal', 'T1059.001' ],   # 01:00
    4 => [ $base + 2 * $day, 'virustotal', 'T1566' ],   # 2025-01-03
    5 => [ $base + 10 * $day, 'otx', 'T1059.001' ],     # 2025-01-11
);
my %brief = map { $_ => qq({"id":$_,"seen":$seen{$_}[0]}) } keys %seen;
for my $id (sort keys %seen) {
    my ($t, $src, $tid) = @{ $seen{$id} };
    $redis->cli('ZADD', $_, $t, $brief{$id})
        for 'attck:3:seen:all', "attck:3:seen:$src", "attck:3:seen:all:$tid",
            "attck:3:seen:$src:$tid";
}

# Redis answers of the wrong kind
$redis->cli('SET', 'attck:3:technique:T1566.001', 'not a sorted set');
$redis->cli('ZADD', 'attck:3:technique:T1566.002', 1, '');

$redis->cli('SET', 'attck:current', "3 $SHA");
my $dbsize = $redis->cli('DBSIZE');
ok(wait_published($ng, 3), 'status shows generation 3 within 3 s');
$st = decode_json(get('status')->{content});
is_deeply($st->{published}, { generation => 3, sha256 => $SHA },
          'status: published generation and sha256');

# --- threats/{id} -------------------------------------------------------

my $res = get('threats/42');
is($res->{status}, 200, 'threat 42: 200');
ok($res->{content} eq $doc, 'threat 42: the stored document, byte for byte')
    or diag $res->{content};
like($res->{headers}{'content-type'}, qr{^application/json}, 'threat: JSON');
my $etag = $res->{headers}{etag};
like($etag // '', qr/^"t3-[0-9a-f]{8}"$/, 'threat: ETag of generation 3');
is(get('threats/42', { headers => { 'If-None-Match' => $etag } })->{status},
   304, 'threat: If-None-Match gives 304');
$res = get('threats/42', { method => 'HEAD' });
is($res->{status}, 200, 'HEAD threat: 200');
is($res->{content} // '', '', 'HEAD threat: no body');
is(get('threats/7')->{content}, '{"id":7}', 'threat 7');
error_is('threats/43', 404, qr/threat 43 is not in generation 3/,
         'unknown threat');
error_is('threats/4a2', 400, qr/number of 1 to 19 digits/, 'letters in id');
error_is('threats/' . ('9' x 20), 400, qr/1 to 19 digits/, '20 digits');
error_is('threats/' . ('9' x 19), 404, qr/not in generation/,
         '19 digits are an id');
error_is('threats/-1', 400, qr/digits/, 'negative id');
error_is('threats/42%0d%0aFLUSHALL', 400, qr/digits/, 'CRLF in id');
error_is('threats/42%20', 400, qr/digits/, 'space in id');
error_is('threats/42*', 400, qr/digits/, 'glob in id');
error_is('threats/42/more', 404, qr/no such endpoint/, 'path below an id');
error_is('threats/42?verbose=1', 400, qr/unknown parameter "verbose"/,
         'unknown parameter');
error_is('threats/42?limit=1', 400, qr/unknown parameter "limit"/,
         'limit is not a parameter of one threat');

# --- techniques/{id}/threats -----------------------------------------

sub technique_body {
    my ($tid, $total, $offset, $limit, @m) = @_;
    return qq({"technique":"$tid","generation":3,"total":$total,)
           . qq("offset":$offset,"limit":$limit,"threats":[)
           . join(',', @m) . ']}';
}

$res = get('techniques/T1059.001/threats');
is($res->{status}, 200, 'technique threats: 200');
is($res->{content}, technique_body('T1059.001', 5, 0, 100, @by_score),
   'technique threats: best score first, members verbatim');
ok(eval { decode_json($res->{content}) }, 'technique threats: valid JSON');
like($res->{headers}{etag} // '', qr/^"t3-/, 'technique threats: ETag');
is(get('techniques/t1059.001/threats?limit=2&offset=1')->{content},
   technique_body('T1059.001', 5, 1, 2, @by_score[1, 2]),
   'page 2 of 2, lower-case id');
is(get('techniques/T1059.001/threats?offset=4&limit=10')->{content},
   technique_body('T1059.001', 5, 4, 10, $by_score[4]), 'last page');
is(get('techniques/T1059.001/threats?offset=5')->{content},
   technique_body('T1059.001', 5, 5, 100), 'past the end: empty page');
is(get('techniques/T1059.001/threats?offset=1000000&limit=1000')->{content},
   technique_body('T1059.001', 5, 1000000, 1000), 'largest page');
is(get('techniques/T1566/threats')->{content},
   technique_body('T1566', 0, 0, 100),
   'a known technique with nothing mapped: total 0');
is(get('techniques/T1059.001/threats?release=16.1')->{status}, 200,
   'release= is taken as everywhere');
error_is('techniques/T9999/threats', 404, qr/T9999 is not a technique/,
         'unknown technique');
error_is('techniques/TA0002/threats', 404, qr/not a technique/,
         'a tactic is not a technique');
error_is('techniques/T1059.001/threats?release=16.1&x=1', 400,
         qr/unknown parameter "x"/, 'unknown parameter');
error_is('techniques/T1059.001/threats?limit=0', 400, qr/"limit"/,
         'limit 0');
error_is('techniques/T1059.001/threats?limit=1001', 400, qr/"limit"/,
         'limit over 1000');
error_is('techniques/T1059.001/threats?offset=1000001', 400, qr/"offset"/,
         'offset over 1000000');
error_is('techniques/T1059.001/threats?offset=-1', 400, qr/"offset"/,
         'negative offset');
error_is('techniques/T1059.001/threats?limit=1&limit=2', 400, qr/twice/,
         'limit twice');
error_is('techniques/T1059.001/threats?technique=T1566', 400,
         qr/unknown parameter "technique"/, 'technique= not taken here');
error_is('techniques/T1059.001/others', 404, qr/no such endpoint/,
         'unknown sub-collection');
error_is('techniques/T1059.001/threats/1', 404, qr/no such endpoint/,
         'path below the sub-collection');
error_is('techniques/T1059:1/threats', 400, qr/ATT&CK id/, 'colon in id');
error_is('groups/G0016/threats', 404, qr/no such endpoint/,
         'groups have no threats');
error_is('techniques/T1566.001/threats', 502, qr/Redis/,
         'a key of another type: 502');
error_is('techniques/T1566.002/threats', 502, qr/Redis/,
         'an empty member: 502');

# --- threats?technique=&source=&since= --------------------------------

sub seen_body {
    my ($total, $offset, $limit, @ids) = @_;
    return qq({"generation":3,"total":$total,"offset":$offset,)
           . qq("limit":$limit,"threats":[)
           . join(',', map { $brief{$_} } @ids) . ']}';
}

sub seen_ids {
    my (%f) = @_;
    return sort { $seen{$b}[0] <=> $seen{$a}[0] }
           grep { (!$f{source} || $seen{$_}[1] eq $f{source})
                  && (!$f{technique} || $seen{$_}[2] eq $f{technique})
                  && (!defined $f{since} || $seen{$_}[0] >= $f{since}) }
           keys %seen;
}

my @all = seen_ids();
is_deeply(\@all, [ 5, 4, 3, 2, 1 ], 'expected order, most recent first');
is(get('threats')->{content}, seen_body(5, 0, 100, @all), 'all threats');
is(get('threats?limit=2&offset=1')->{content},
   seen_body(5, 1, 2, @all[1, 2]), 'paged');
is(get('threats?source=otx')->{content},
   seen_body(3, 0, 100, seen_ids(source => 'otx')), 'source=otx');
is(get('threats?source=virustotal')->{content},
   seen_body(2, 0, 100, seen_ids(source => 'virustotal')),
   'source=virustotal');
is(get('threats?technique=t1059.001')->{content},
   seen_body(3, 0, 100, seen_ids(technique => 'T1059.001')),
   'technique=, lower case');
is(get('threats?technique=T1059.001&source=otx')->{content},
   seen_body(2, 0, 100, seen_ids(technique => 'T1059.001', source => 'otx')),
   'technique and source');
is(get('threats?since=2025-01-01')->{content},
   seen_body(4, 0, 100, seen_ids(since => $base)),
   'since a date: from its midnight UTC, inclusive');
is(get('threats?since=2025-01-01T00:00:01Z')->{content},
   seen_body(3, 0, 100, seen_ids(since => $base + 1)), 'since a time');
is(get('threats?since=2025-01-01T01:00:00Z&source=virustotal&limit=1')
   ->{content}, seen_body(2, 0, 1, 4), 'since, source and limit');
is(get('threats?since=2025-01-11T00:00:00Z&technique=T1059.001')->{content},
   seen_body(1, 0, 100, 5), 'since and technique');
is(get('threats?since=2030-01-01')->{content}, seen_body(0, 0, 100),
   'nothing since: total 0');
is(get('threats?since=2024-02-29')->{status}, 200, 'leap day');
is(get('threats?technique=T1566.001')->{status}, 200,
   'a sub-technique with no sightings: 200');
is(decode_json(get('threats?technique=T1566.001')->{content})->{total}, 0,
   '... total 0');

for my $bad ('2024-02-30', '2023-02-29', '2025-13-01', '2025-00-10',
             '2025-1-01', '2025-01-01T24:00:00Z', '2025-01-01T12:60:00Z',
             '2025-01-01T12:00:60Z', '2025-01-01T12:00:00', '2025-01-01 ',
             '2025-01-01T12:00:00+01:00', '1969-12-31', 'yesterday',
             '1735689600', '', '2025-01-01t12:00:00z')
{
    (my $q = $bad) =~ s/([^A-Za-z0-9.:-])/sprintf('%%%02X', ord $1)/ge;
    error_is("threats?since=$q", 400, qr/"since" is a date/,
             "since=\"$bad\"");
}
error_is('threats?source=all', 400, qr/"source" is otx or virustotal/,
         'source=all is not a source');
error_is('threats?source=OTX', 400, qr/"source"/, 'source is lower case');
error_is('threats?source=', 400, qr/"source"/, 'empty source');
error_is('threats?technique=T9999', 400, qr/T9999 is not a technique/,
         'unknown technique');
error_is('threats?technique=G0016', 400, qr/G0016 is not a technique/,
         'a group is not a technique');
error_is('threats?technique=T1059*', 400, qr/technique id such as/,
         'glob in technique');
error_is('threats?technique=T1059:otx', 400, qr/technique id such as/,
         'colon in technique');
error_is('threats?technique=T1059%20FLUSHALL', 400, qr/technique id/,
         'space in technique');
error_is('threats?technique=T1059%0D%0AFLUSHALL', 400, qr/control/,
         'CRLF in technique');
error_is('threats?technique=' . ('T' x 25), 400, qr/technique id/,
         'long technique');
error_is('threats?technique=', 400, qr/technique id/, 'empty technique');
error_is('threats?limit=1001', 400, qr/"limit"/, 'limit over 1000');
error_is('threats?limit=99999999999999999999999', 400, qr/"limit"/,
         'huge limit');
error_is('threats?offset=x', 400, qr/"offset"/, 'offset not a number');
error_is('threats?q=x', 400, qr/unknown parameter "q"/, 'unknown parameter');
error_is('threats?source=otx&source=otx', 400, qr/twice/, 'source twice');
error_is('threats?since=' . ('1' x 300), 400, qr/longer than/,
         'a value over 256 bytes');
is(get('threats?_=123&limit=1')->{status}, 200, 'the cache buster is fine');

# nothing above changed Redis
is($redis->cli('DBSIZE'), $dbsize, 'Redis holds exactly what was seeded');
is($redis->cli('GET', 'attck:3:threat:42'), $doc, 'threat 42 unchanged');

# --- the index lists the endpoints ----------------------------------------

my $index = decode_json(get('')->{content});
ok((grep { $_ eq 'threats/{id}' } @{ $index->{endpoints} }),
   'index lists threats/{id}');
ok((grep { $_ eq 'techniques/{id}/threats' } @{ $index->{endpoints} }),
   'index lists techniques/{id}/threats');

# --- a new pointer: every worker process reads the new generation ---------

$redis->cli('SET', 'attck:4:threat:42', '{"id":42,"generation":4}');
my $t0 = time;
$redis->cli('SET', 'attck:current', "4 $SHA");
my $seen4 = 0;
while (time - $t0 < 3) {
    $seen4 = 0;
    for (1 .. 10) {
        $seen4++ if get('threats/42')->{content} eq '{"id":42,"generation":4}';
    }
    last if $seen4 == 10;
    sleep 0.05;
}
is($seen4, 10, 'generation 4 served by every request');
cmp_ok(time - $t0, '<', 1.5, 'within about a second');
error_is('threats/7', 404, qr/not in generation 4/,
         'generation 3 keys no longer read');
is(decode_json(get('techniques/T1059.001/threats')->{content})->{total}, 0,
   'generation 4 has no mappings: total 0');

# a pointer that is not "GEN SHA" is ignored (and logged once)
for my $bad ('0 ' . $SHA, "5 $SHA extra", '5', "x $SHA", '5 ' . ('A' x 64)) {
    $redis->cli('SET', 'attck:current', $bad);
}
$redis->cli('SET', 'attck:current', "5 ZZZ");
sleep 1.5;
is(decode_json(get('status')->{content})->{published}{generation}, 4,
   'malformed pointers leave generation 4');
my @bad = grep { /attck:current" in Redis is not/ } split /\n/, $ng->error_log;
cmp_ok(scalar @bad, '>=', 1, 'a malformed pointer is logged');
cmp_ok(scalar @bad, '<=', 6, '... once per value, not at every poll');
$redis->cli('SET', 'attck:current', "4 $SHA");

# --- AUTH and SELECT ----------------------------------------------------

my $locked = Attck::Test->start_redis(password => 'sec ret');
$locked->cli('-n', 2, 'SET', 'attck:9:threat:1', '{"id":1,"db":2}');
$locked->cli('-n', 2, 'SET', 'attck:current', "9 $SHA");
my $auth = Attck::Test->start_nginx(
    http   => 'attck_zone auth 128m; attck_snapshot ' . test_snapshot()
              . "; attck_redis 127.0.0.1:$locked->{port} \"password=sec ret\""
              . ' db=2;',
    server => 'location /api/v1/ { attck_api; }',
);
ok(wait_published($auth, 9), 'AUTH and SELECT: generation 9 from db 2');
is($auth->get('/api/v1/threats/1')->{content}, '{"id":1,"db":2}',
   'AUTH and SELECT: the threat of db 2');

my $wrong = Attck::Test->start_nginx(
    http   => 'attck_zone wrong 128m; attck_snapshot ' . test_snapshot()
              . "; attck_redis 127.0.0.1:$locked->{port} password=wrong;",
    server => 'location /api/v1/ { attck_api; }',
);
sleep 2.5;
is($wrong->get('/api/v1/threats/1')->{status}, 503,
   'a wrong password: 503');
is($wrong->get('/api/v1/techniques/T1059.001')->{status}, 200,
   '... the shared-memory endpoints serve');
my @auth = grep { /AUTH refused/ } split /\n/, $wrong->error_log;
cmp_ok(scalar @auth, '>=', 1, 'the refused AUTH is logged');
cmp_ok(scalar @auth, '<=', 2, '... once per worker process, not per retry');

# --- a unix socket ----------------------------------------------------------

my $dir = File::Temp::tempdir('attck-redis-unix-XXXXXX', TMPDIR => 1,
                              CLEANUP => 1);
my $sock = "$dir/redis.sock";
chmod 0755, $dir;          # nginx's worker processes run as another user
my $upid = fork() // die "fork: $!";
if (!$upid) {
    open(STDOUT, '>', "$dir/redis.log");
    open(STDERR, '>&', \*STDOUT);
    exec('redis-server', '--port', 0, '--unixsocket', $sock,
         '--unixsocketperm', 777, '--save', '', '--appendonly', 'no',
         '--dir', $dir) or POSIX::_exit(127);
}
END { local $?; if ($upid) { kill 'KILL', $upid; waitpid($upid, 0) } }
for (1 .. 100) { last if -S $sock; sleep 0.05 }
system('redis-cli', '-s', $sock, 'SET', 'attck:current', "2 $SHA");
system('redis-cli', '-s', $sock, 'SET', 'attck:2:threat:5', '{"id":5}');
my $unix = Attck::Test->start_nginx(
    http   => 'attck_zone unix 128m; attck_snapshot ' . test_snapshot()
              . "; attck_redis unix:$sock;",
    server => 'location /api/v1/ { attck_api; }',
);
ok(wait_published($unix, 2), 'unix socket: generation 2')
    or diag join "\n", grep { /attck/ } split /\n/, $unix->error_log;
is($unix->get('/api/v1/threats/5')->{content}, '{"id":5}',
   'unix socket: threat 5');

# --- without attck_redis the endpoints do not exist ------------------------

my $plain = Attck::Test->start_nginx(
    http   => 'attck_zone plain 128m; attck_snapshot ' . test_snapshot() . ';',
    server => 'location /api/v1/ { attck_api; }',
);
is($plain->get('/api/v1/threats/42')->{status}, 404, 'no attck_redis: 404');
is($plain->get('/api/v1/techniques/T1059.001/threats')->{status}, 404,
   'no attck_redis: technique threats 404');
my $pst = decode_json($plain->get('/api/v1/status')->{content});
ok(!exists $pst->{published}, 'no attck_redis: no "published" in status');
ok(!(grep { $_ eq 'threats' }
     @{ decode_json($plain->get('/api/v1/')->{content})->{endpoints} }),
   'no attck_redis: the index does not list threats');

done_testing();

# attck-worker publish: the snapshot compiled from PostgreSQL (every
# stored release, with the mapped threats of each technique) written to a
# file and to Redis, with the threat documents the module serves from
# Redis; an unchanged database publishes nothing new; older generations
# are removed; Redis or PostgreSQL away is a clear exit 75.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Digest::SHA qw(sha256_hex);
use Attck::Test qw(worker shared_dir run_cmd decode_json free_port
                   recorded_pulses attack_id load_bundle slurp);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{ATTCK_CONFIG};
sub q1 { $pg->query($_[0]) }
sub rget { $redis->cli(@_) }

my $base = shared_dir() . '/attack';
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

# nothing to publish yet
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 66, 'an empty database: exit 66');
like($out, qr/no ATT&CK release in the database/, '... saying why');
{
    local $ENV{ATTCK_SNAPSHOT} = '';
    local $ENV{ATTCK_REDIS_URL} = '';
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 64, 'nowhere to publish: exit 64');
    like($out, qr/nowhere to publish/, '... saying so');
}

for my $f ('enterprise-attack-18.1.json', 'ics-attack-18.1.json',
           'enterprise-attack-16.1.json') {
    ($rc, $out) = run_cmd(worker(), 'ingest', 'attack', "$base/$f");
    is($rc, 0, "ingest $f") or diag $out;
}
my @pulses = recorded_pulses();
Attck::Test->start_otx(@pulses);
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest otx') or diag $out;
($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map') or diag $out;

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish exits 0') or diag $out;
like($out, qr/generation 1 is current in Redis/, 'generation 1');

# the file and the Redis copy are the same bytes, named by their hash
my $snap = slurp("$dir/attck.snap");
my $sha = sha256_hex($snap);
is(rget('GET', 'attck:current'), "1 $sha", 'attck:current: "GEN SHA"');
{
    my ($rc2, $bytes) = run_cmd('sh', '-c', "redis-cli -p $redis->{port} "
                                . "--raw GET attck:snapshot:$sha | head -c -1");
    is(length($bytes), length($snap), 'the Redis copy has the file\'s size');
    is(sha256_hex($bytes), $sha, '... and its bytes');
}
is(rget('HGET', 'attck:published', 'threats'),
   q1('SELECT count(*) FROM threat_intelligence_data'),
   'attck:published counts every threat');

# the snapshot answers as compile's does, with the mapped threats added:
# served by nginx from the file, as an operator's nginx would
my $ng = Attck::Test->start_nginx(
    http   => "attck_zone attck 128m; attck_snapshot $dir/attck.snap;",
    server => 'location /api/v1/ { attck_api; }');
my $status = decode_json($ng->get('/api/v1/status')->{content});
is_deeply([ sort map { $_->{release} } @{ $status->{releases} } ],
          [ '16.1', '18.1' ], 'every stored release is in the snapshot');
my ($latest) = grep { $_->{release} eq '18.1' } @{ $status->{releases} };
is_deeply([ sort map { $_->{domain} } @{ $latest->{domains} } ],
          [ 'enterprise-attack', 'ics-attack' ], '... with its domains');

my ($top_tid, $top_n) = split /\|/, q1(q{SELECT technique_id, count(*)
    FROM mapped_threat_data GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1});
my $doc = decode_json($ng->get("/api/v1/techniques/$top_tid")->{content});
is($doc->{threats}{count}, $top_n,
   "$top_tid: the mapped threat count of the database ($top_n)");
my @scores = map { $_->{score} } @{ $doc->{threats}{top} };
is(scalar @scores, $top_n > 10 ? 10 : $top_n, '... at most 10 listed');
is_deeply(\@scores, [ sort { $b <=> $a } @scores ], '... best score first');
my $best = q1(qq{SELECT t.title FROM mapped_threat_data m
    JOIN threat_intelligence_data t ON t.id = m.threat_id
    WHERE m.technique_id = '$top_tid' ORDER BY m.score DESC, t.id LIMIT 1});
is($doc->{threats}{top}[0]{title}, $best, '... the best one by title');
my $unmapped = q1(q{SELECT o.attack_id FROM mitre_attack_techniques o
    WHERE o.attack_id IS NOT NULL AND NOT EXISTS (SELECT 1
          FROM mapped_threat_data m WHERE m.technique_id = o.attack_id)
    ORDER BY 1 LIMIT 1});
$doc = decode_json($ng->get("/api/v1/techniques/$unmapped")->{content});
is_deeply($doc->{threats}, { count => 0, top => [] },
          "$unmapped, mapped to nothing: count 0");

# the threat documents in Redis, named by their content: attck:doc:HEX,
# HEX the first 16 bytes of the SHA-256 of the document's bytes
sub docs_of {
    my ($id) = @_;
    my @r;
    for my $k (split /\n/, rget('KEYS', 'attck:doc:*')) {
        my $bytes = rget('GET', $k);
        my $d = decode_json($bytes);
        push @r, [ $k, $d, $bytes ] if $d->{id} == $id;
    }
    return @r;
}
my $nthreats = q1('SELECT count(*) FROM threat_intelligence_data');
my $tid = q1(q{SELECT threat_id FROM mapped_threat_data
               GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1});
my @d = docs_of($tid);
is(scalar @d, 1, "threat $tid: one document");
my $tdoc = $d[0][1];
is($d[0][0], 'attck:doc:' . substr(sha256_hex($d[0][2]), 0, 32),
   '... named by the digest of its bytes');
is($tdoc->{title}, q1("SELECT title FROM threat_intelligence_data "
                      . "WHERE id = $tid"), "threat $tid: its title");
is(scalar @{ $tdoc->{techniques} },
   q1("SELECT count(*) FROM mapped_threat_data WHERE threat_id = $tid"),
   '... every mapped technique');
is(join(' ', map { "$_->{id}:$_->{method}" } @{ $tdoc->{techniques} }),
   q1(qq{SELECT string_agg(technique_id || ':' || method, ' '
          ORDER BY score DESC, technique_id) FROM mapped_threat_data
          WHERE threat_id = $tid}), '... best score first, with method');
ok(exists $tdoc->{techniques}[0]{evidence}, '... and evidence');
ok(exists $tdoc->{malware_families}, '... and its malware families');
is(scalar(split /\n/, rget('KEYS', 'attck:doc:*')), $nthreats,
   'a document per threat');
is(scalar(split /\n/, rget('KEYS', 'attck:brief:*')), $nthreats,
   'a brief per threat');
(my $bkey = $d[0][0]) =~ s/:doc:/:brief:/;
is(decode_json(rget('GET', $bkey))->{title}, $tdoc->{title},
   '... of the same name, with the title');
like($out, qr/$nthreats documents written/, 'publish: every one written');

# unchanged data: the same bytes, no new generation
my $mtime = (stat "$dir/attck.snap")[9];
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'second publish exits 0');
like($out, qr/unchanged, generation 1 stays current/, '... unchanged');
is(sha256_hex(slurp("$dir/attck.snap")), $sha, '... the same snapshot bytes');
is(rget('GET', 'attck:current'), "1 $sha", '... generation 1 stays');

# an analyst confirms a mapping (hostile text in it): a new generation
q1(qq{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        confirmed, evidence, content_sha256)
      VALUES ($tid, 'T1486', 1, 'analyst', true,
              '["</script><b>\\"quoted\\""]', 'x')
      ON CONFLICT (threat_id, technique_id) DO UPDATE SET score = 1,
         method = 'analyst', confirmed = true, evidence = EXCLUDED.evidence});
q1(qq{UPDATE threat_intelligence_data SET title = 'Quotes '' " and <tags>'
       WHERE id = $tid});
($rc, $out) = run_cmd(worker(), 'publish');
like($out, qr/generation 2 is current/, 'a change: generation 2');
my $sha2 = sha256_hex(slurp("$dir/attck.snap"));
isnt($sha2, $sha, '... a new snapshot');
like($out, qr/ 1 documents written, \d+ shared with generation 1/,
     '... one document written, the others shared');
my ($new) = grep { $_->[1]{title} =~ /^Quotes/ } docs_of($tid);
$tdoc = $new->[1];
is($tdoc->{title}, q{Quotes ' " and <tags>}, '... hostile title kept exactly');
my ($t1486) = grep { $_->{id} eq 'T1486' } @{ $tdoc->{techniques} };
is($t1486->{evidence}[0], '</script><b>"quoted"',
   '... evidence kept exactly, as JSON');
ok((grep { $_->[1]{title} !~ /^Quotes/ } docs_of($tid)),
   "generation 1's document stays beside it");
ok(rget('EXISTS', "attck:snapshot:$sha"), '... with its snapshot');

q1(qq{UPDATE mapped_threat_data SET score = 0.99 WHERE threat_id = $tid
       AND technique_id = 'T1486'});
my $sub = "$dir/subscribed";
my $spid = fork() // die;
if (!$spid) {
    open(STDOUT, '>', $sub);
    exec('redis-cli', '-p', $redis->{port}, 'SUBSCRIBE', 'attck:generation');
    exit 127;
}
sleep 1;
($rc, $out) = run_cmd(worker(), 'publish');
like($out, qr/generation 3 is current/, 'another change: generation 3');
is(scalar(grep { $_->[1]{title} !~ /^Quotes/ } docs_of($tid)), 0,
   "generation 1's document is removed");
is(rget('EXISTS', "attck:snapshot:$sha"), 0, '... and its snapshot');
is(scalar(docs_of($tid)), 2, "generations 2 and 3 have theirs");
ok(rget('EXISTS', $new->[0]), "... generation 2's among them");
is(scalar(split /\n/, rget('KEYS', 'attck:doc:*')), $nthreats + 1,
   '... the others shared by all');
sleep 1;
kill 'TERM', $spid;
waitpid($spid, 0);
like(slurp($sub), qr/^message\nattck:generation\n3$/m,
     'announced on the attck:generation channel');

# Redis away: exit 75, nothing switched
{
    local $ENV{ATTCK_REDIS_URL} = 'redis://127.0.0.1:' . free_port();
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 75, 'Redis unreachable: exit 75');
    like($out, qr/cannot connect to Redis at 127\.0\.0\.1:\d+/,
         '... naming where');
}
{
    my $locked = Attck::Test->start_redis(password => 's3cret!@#');
    local $ENV{ATTCK_REDIS_URL} = "redis://:wrong\@127.0.0.1:$locked->{port}";
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 75, 'a wrong Redis password: exit 75');
    like($out, qr/refused the password/, '... saying so');
    unlike($out, qr/wrong/, '... without the password');
    $ENV{ATTCK_REDIS_URL} = "redis://:s3cret%21%40%23\@127.0.0.1:"
                            . "$locked->{port}/2";
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 0, 'the right password (URL-escaped), database 2') or diag $out;
    unlike($out, qr/s3cret/, '... never printed');
    is($locked->cli('-n', 2, 'GET', 'attck:current') =~ /^1 [0-9a-f]{64}$/
       ? 1 : 0, 1, '... published in database 2');
}
{
    my $sock = Attck::Test->start_redis(unixsocket => 1);
    for my $url ($sock->{socket}, "unix:$sock->{socket}") {
        local $ENV{ATTCK_REDIS_URL} = $url;
        ($rc, $out) = run_cmd(worker(), 'publish');
        is($rc, 0, "a unix socket: $url") or diag $out;
    }
    like($sock->cli('GET', 'attck:current'), qr/^1 [0-9a-f]{64}$/,
         '... published there once; the second run found it unchanged');
    local $ENV{ATTCK_REDIS_URL} = 'rediss://127.0.0.1:6379';
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 64, 'an address of another kind: exit 64');
    like($out, qr/neither redis:\/\/host:port nor a unix socket path/,
         '... saying what is expected');
}
{
    local $ENV{ATTCK_DATABASE_URL} = 'postgresql://attck@127.0.0.1:'
                                     . free_port() . '/attck';
    ($rc, $out) = run_cmd(worker(), 'publish');
    is($rc, 75, 'PostgreSQL unreachable: exit 75');
}
is(rget('GET', 'attck:current') =~ /^3 / ? 1 : 0, 1,
   'after the failures generation 3 is still current');

done_testing;

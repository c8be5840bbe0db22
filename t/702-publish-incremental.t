# A publish that costs what changed: after changes to a few threats of a
# generated store (titles, a threat seen later so it moves in the index,
# mappings added, removed and confirmed, a threat deleted, threats added)
# publish reads only those threats again (its log says how many), and the
# snapshot it writes is byte for byte the one `publish --full`, reading
# every threat, writes.  A change in a transaction still open while a
# publish reads is not lost: the next publish reads it.  A TRUNCATE, a
# snapshot the database did not publish, and --full read everything.
# threat_changes is emptied of what a publish saw.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(sleep);
use Attck::Test qw(worker shared_dir run_cmd decode_json slurp);
use Attck::Facets qw(gen_threats sql_facets);

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_MODEL ATTCK_PUBLISH_TAXII);
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                      shared_dir() . '/attack/enterprise-attack-18.1.json');
is($rc, 0, 'ingest enterprise 18.1') or diag $out;
gen_threats($pg, 2000, 7);
my $total = q1('SELECT count(*) FROM threat_intelligence_data');

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'first publish') or diag $out;
like($out, qr/every threat read: no publish is recorded in the database/,
     'the first publish reads every threat, saying why');
like($out, qr/threat index of $total threats, $total read/,
     "all $total threats read");
is(q1('SELECT count(*) FROM threat_changes'), 0,
   'threat_changes is empty after a publish saw everything');

# a full publish of the same data into another file: the same bytes
sub full_snapshot {
    my ($name) = @_;
    local $ENV{ATTCK_REDIS_URL} = '';
    my ($rc, $out) = run_cmd(worker(), 'publish', '--full', '-o',
                             "$dir/$name");
    is($rc, 0, "publish --full -o $name") or diag $out;
    like($out, qr/every threat read \(--full\)/, '--full reads every threat');
    return slurp("$dir/$name");
}

is(sha256_hex(full_snapshot('full0.snap')),
   sha256_hex(slurp("$dir/attck.snap")),
   'publish and publish --full agree on unchanged data');

# changes of every kind, in several transactions
my @ids = split /\n/, q1(q{SELECT id FROM threat_intelligence_data
                           ORDER BY md5(id::text || 'x') LIMIT 8});
q1("UPDATE threat_intelligence_data SET title = title || ' (revised)'"
   . " WHERE id IN ($ids[0], $ids[1])");
q1("UPDATE threat_intelligence_data SET last_seen = '2026-11-29T10:00:00Z'"
   . " WHERE id = $ids[2]");
q1("DELETE FROM mapped_threat_data WHERE threat_id = $ids[3]");
q1("INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,"
   . " content_sha256) SELECT $ids[4], 'T1486', 0.91, 'model', content_sha256"
   . " FROM threat_intelligence_data WHERE id = $ids[4]"
   . " ON CONFLICT DO NOTHING");
q1("UPDATE mapped_threat_data SET confirmed = NOT confirmed"
   . " WHERE threat_id = $ids[5]");
q1("DELETE FROM threat_intelligence_data WHERE id = $ids[6]");
q1(q{INSERT INTO threat_intelligence_data (source, source_id, title,
       description, threat_type, countries, last_seen, tags, content_sha256)
     VALUES ('otx', 'new-1', 'A new threat', 'new', 'wiper', '{UA}',
             '2026-11-30T08:00:00Z', '{brand-new-tag}', md5('new-1'))});
my $new = q1(q{SELECT id FROM threat_intelligence_data WHERE source_id = 'new-1'});
q1("INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,"
   . " content_sha256) VALUES ($new, 'T1561.002', 0.8, 'explicit', md5('new-1'))");
my $changed = 7 + 1;   # @ids[0..6] and the new one

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish after the changes') or diag $out;
like($out, qr/building on snapshot [0-9a-f]{12} \($total threats\), $changed changed since/,
     "it builds on the generation before: $changed threats changed");
my $now = $total;   # one deleted, one added
like($out, qr/threat index of $now threats, 7 read/,
     "7 threats read (the deleted one is gone), $now in the index");
like($out, qr/(\d+) documents written/, 'documents written');
my ($written) = $out =~ /(\d+) documents written/;
is($written, 7, 'a document for each threat read, and no other');
is(sha256_hex(slurp("$dir/attck.snap")), sha256_hex(full_snapshot('full1.snap')),
   'the snapshot built on the one before is byte for byte the full one');

# what nginx serves from it equals SQL
my $ng = Attck::Test->start_nginx(
    http   => "attck_zone attck 64m; attck_redis 127.0.0.1:$redis->{port};"
              . 'attck_refresh on; attck_refresh_interval 100ms;',
    server => 'location /api/v1/ { attck_api; }');
for (1 .. 100) {
    last if $ng->get('/api/v1/threats/stats')->{status} == 200;
    sleep 0.1;
}
for my $q ('', 'tag=brand-new-tag', 'technique=T1486', 'country=UA',
           'since=2026-11-29') {
    my $r = $ng->get("/api/v1/threats/stats?$q");
    is($r->{status}, 200, "threats/stats?$q") or next;
    my $got = decode_json($r->{content});
    my $want = sql_facets($pg, map { split /=/, $_, 2 } grep { length }
                                   split /&/, $q);
    is($got->{total}, $want->{total}, "threats/stats?$q: total $want->{total} as SQL");
    is_deeply([ map { "$_->{id}=$_->{count}" } @{ $got->{techniques} } ],
              [ map { "$_->{id}=$_->{count}" } @{ $want->{techniques} } ],
              "threats/stats?$q: technique counts as SQL");
    is_deeply($got->{tags}, $want->{tags}, "threats/stats?$q: tags as SQL");
}
my $doc = $ng->get("/api/v1/threats/$new");
is($doc->{status}, 200, 'the new threat is served');
like($doc->{content}, qr/"title": ?"A new threat"/, 'its document');
is($ng->get("/api/v1/threats/$ids[6]")->{status}, 404, 'the deleted threat is not');
my $t = decode_json($ng->get('/api/v1/techniques/T1561.002')->{content});
is($t->{threats}{count}, q1(q{SELECT count(*) FROM mapped_threat_data
                              WHERE technique_id = 'T1561.002'}),
   "the technique document's count of mapped threats is SQL's");

# a change in a transaction still open while publish reads
open(my $psql, '|-', 'psql', '-X', '-q', '-h', '127.0.0.1', '-p', $pg->{port},
     '-U', 'attck', '-d', 'attck') or die "psql: $!";
select((select($psql), $| = 1)[0]);
print $psql "BEGIN; UPDATE threat_intelligence_data SET title = 'Late change'"
            . " WHERE id = $ids[7];\n";
my $waiting = 0;
for (1 .. 100) {
    $waiting = q1(q{SELECT count(*) FROM pg_stat_activity
                     WHERE state = 'idle in transaction'});
    last if $waiting;
    sleep 0.1;
}
ok($waiting, 'a transaction has changed a threat and not committed');
q1("UPDATE threat_intelligence_data SET title = 'Committed change' WHERE id = $ids[0]");
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish while the transaction is open') or diag $out;
like($out, qr/1 changed since/, 'it reads the committed change only');
like($out, qr/removed 7 documents of generations before 2\b/,
     'the 7 documents generation 2 retired are removed, without a scan');
unlike($out, qr/removed \d+ keys of older generations/, 'no key is scanned');
my $names = $total + 1;   # generation 3's, and the one generation 2 had
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:doc:*')), $names,
   "$names documents in Redis: those generations 2 and 3 name");
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:brief:*')), $names,
   "and $names briefs");
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:snapshot:*')), 2,
   'two snapshots: generations 2 and 3');
print $psql "COMMIT;\n";
close($psql);
cmp_ok(q1('SELECT count(*) FROM threat_changes'), '>=', 1,
       'the late change is still recorded after that publish');
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish after the commit') or diag $out;
like($out, qr/1 changed since/, 'the next publish reads the late change');
my $late;
for (1 .. 100) {
    $late = $ng->get("/api/v1/threats/$ids[7]")->{content};
    last if $late =~ /"title": ?"Late change"/;
    sleep 0.1;
}
like($late, qr/"title": ?"Late change"/, 'the late change is served');
is(sha256_hex(slurp("$dir/attck.snap")), sha256_hex(full_snapshot('full2.snap')),
   'still byte for byte the full snapshot');

# nothing changed: the same snapshot, nothing read
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish with nothing changed') or diag $out;
like($out, qr/0 changed since/, 'no threat changed');
like($out, qr/unchanged, generation \d+ stays current/, 'the generation stays');

is(scalar(split /\n/, $redis->cli('KEYS', 'attck:doc:*')), $names,
   "still $names documents after one more changed");

# a publish that dies after writing, before its switch (Redis refuses
# PUBLISH, so the switch's transaction is aborted): the next publish that
# switches removes what it wrote, without a scan
q1("UPDATE threat_intelligence_data SET title = 'Dead run' WHERE id IN ($ids[1], $ids[2])");
$redis->cli('ACL', 'SETUSER', 'default', '-publish');
($rc, $out) = run_cmd(worker(), 'publish');
$redis->cli('ACL', 'SETUSER', 'default', '+publish');
is($rc, 75, 'a publish whose switch is refused exits 75') or diag $out;
like($out, qr/the current generation is unchanged/, '... and says so');
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:doc:*')), $names + 2,
   'it left the 2 documents it wrote');
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:snapshot:*')), 3,
   '... and its snapshot');
q1("UPDATE threat_intelligence_data SET title = 'After it' WHERE id IN ($ids[1], $ids[2])");
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'the next publish') or diag $out;
like($out, qr/removed 2 documents and 1 snapshots that publishes which did not switch wrote/,
     '... removes them') or diag $out;
unlike($out, qr/removed \d+ keys of older generations/, '... without a scan');
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:doc:*')), $total + 2,
   "$total documents and the 2 generation before names: those the last two "
   . 'generations name');
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:snapshot:*')), 2,
   'two snapshots: the last two generations');
is($redis->cli('EXISTS', 'attck:unpublished'), 0, 'the record is gone');

# a snapshot the database did not publish: everything read
q1('DELETE FROM published_bases');
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish without a recorded base') or diag $out;
like($out, qr/every threat read: no publish is recorded in the database/,
     'without a record of the last publish nothing is built on');

# a Redis restarted empty holds none of the documents: everything read
# and written, not only what changed
$redis->cli('FLUSHALL');
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish into an empty Redis') or diag $out;
like($out, qr/every threat read: Redis's current generation is not the one published last/,
     'an empty Redis is not built on');
like($out, qr/$total documents written/, "all $total documents written");
is(scalar(split /\n/, $redis->cli('KEYS', 'attck:doc:*')), $total,
   "$total documents in Redis");

# TRUNCATE: everything read
q1('TRUNCATE mapped_threat_data');
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish after TRUNCATE') or diag $out;
like($out, qr/every threat read: a table of threats was truncated/,
     'a TRUNCATE makes the next publish read everything');
is(sha256_hex(slurp("$dir/attck.snap")), sha256_hex(full_snapshot('full3.snap')),
   'and it is the full snapshot');

done_testing();

# attck-worker generate: a synthetic store written through the schema,
# made of real procedure examples, deterministic from the seed, and
# replacing what an earlier run of the same seed wrote.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(worker shared_dir run_cmd);

delete $ENV{ATTCK_SOURCES};
my $bundle = shared_dir() . '/attack/enterprise-attack-18.1.json';
my $dir = File::Temp->newdir;
my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

my @gen = (worker(), 'generate', '--end', '2026-11-30', '--days', '365');

($rc, $out) = run_cmd(@gen, '--end', '2026-13-01', $bundle);
is($rc, 64, 'a month 13 is refused with 64');
like($out, qr/--end takes a date/, '... naming the option');
($rc, $out) = run_cmd(@gen, '--count', '0', $bundle);
is($rc, 64, 'a count of 0 is refused with 64');
is(q1('SELECT count(*) FROM threat_intelligence_data'), 0,
   '... and nothing is written');

($rc, $out) = run_cmd(@gen, '--seed', '7', '--count', '400', '--mapped',
                      $bundle);
is($rc, 0, 'generate 400 mapped threats') or diag $out;
like($out, qr/400 synthetic threats \(seed 7\)/, 'it says how many');

is(q1('SELECT count(*) FROM threat_intelligence_data'), 400, '400 rows');
is(q1(q{SELECT count(*) FROM threat_intelligence_data
        WHERE source_id !~ '^gen-7-[0-9]+(-[0-9a-f]{32})?$'}), 0,
   'every source id names the seed');
my %by_source = map { split /\|/ } split /\n/,
    q1('SELECT source, count(*) FROM threat_intelligence_data GROUP BY 1');
cmp_ok($by_source{otx}, '>', 2 * $by_source{virustotal},
       "mostly OTX ($by_source{otx}) beside VirusTotal "
       . "($by_source{virustotal})");
cmp_ok($by_source{virustotal}, '>', 0, '... and some VirusTotal');

is(q1(q{SELECT count(*) FROM threat_intelligence_data
        WHERE first_seen < timestamptz '2025-11-30 00:00+00'
           OR last_seen >= timestamptz '2026-12-01 00:00+00'
           OR last_seen < first_seen}), 0,
   'every threat is seen within the 365 days up to the end, last after first');
cmp_ok(q1(q{SELECT count(*) FROM threat_intelligence_data
            WHERE last_seen >= timestamptz '2026-06-01'}), '>',
       q1(q{SELECT count(*) FROM threat_intelligence_data
            WHERE last_seen < timestamptz '2026-06-01'}),
       'more threats in the later half (a growing feed)');
is(q1(q{SELECT count(*) FROM threat_intelligence_data
        WHERE content_sha256 <> encode(sha256(convert_to(title || E'\n'
                                  || description, 'UTF8')), 'hex')}), 0,
   'content_sha256 is of the title and the text, as ingest has it');
cmp_ok(q1(q{SELECT count(DISTINCT c) FROM threat_intelligence_data,
            unnest(countries) c}), '>=', 10, 'ten or more countries');
is(q1(q{SELECT count(*) FROM threat_intelligence_data, unnest(countries) c
        WHERE c !~ '^[A-Z]{2}$'}), 0, '... each an ISO 3166 alpha-2 code');
cmp_ok(q1(q{SELECT count(DISTINCT threat_type)
            FROM threat_intelligence_data}), '>=', 6, 'six or more types');
cmp_ok(q1(q{SELECT count(*) FROM threat_intelligence_data
            WHERE cardinality(malware_families) > 0}), '>', 200,
       'most threats name a malware family');

# the text of every mapped technique is in its threat: one of that
# technique's own procedure examples
($rc, $out) = run_cmd(worker() . " examples $bundle > $dir/ex.jsonl");
is($rc, 0, 'examples of the same bundle') or diag $out;
my %procs;
open(my $ex, '<', "$dir/ex.jsonl") or die;
while (<$ex>) {
    my $e = JSON::XS->new->decode($_);
    next unless $e->{kind} eq 'procedure';
    utf8::encode($e->{text});     # psql gives bytes
    push @{ $procs{ $e->{techniques}[0] } }, $e->{text};
}
my @rows = split /\n/, q1(q{SELECT t.id, m.technique_id, m.method, m.score,
                                   m.technique_id = ANY (t.attack_ids),
                                   t.description
                            FROM mapped_threat_data m
                            JOIN threat_intelligence_data t ON t.id = m.threat_id
                            ORDER BY 1, 2});
my ($found, $explicit_ok, $score_ok, %per_threat, %tech_count) = (0, 0, 0);
for (@rows) {
    my ($id, $tech, $method, $score, $given, $desc) = split /\|/, $_, 6;
    $per_threat{$id}++;
    $tech_count{$tech}++;
    $found++ if grep { index($desc, $_) >= 0 } @{ $procs{$tech} || [] };
    $explicit_ok++ if ($method eq 'explicit') == ($given eq 't');
    $score_ok++ if $method eq 'explicit' ? $score == 1
                                         : $score >= 0.5 && $score < 1;
}
is(scalar keys %per_threat, 400, 'every threat has mappings');
is($found, scalar @rows, 'every mapping (' . scalar(@rows) . ') has a '
   . 'procedure example of its technique in the threat\'s text');
is($explicit_ok, scalar @rows, 'explicit exactly where the source named '
   . 'the technique in attack_ids');
is($score_ok, scalar @rows, 'scores: 1 explicit, 0.5 to 1 by model');
my $mean = @rows / 400;
ok($mean > 3.5 && $mean < 6.5, "about five techniques a threat ($mean)");
my @counts = sort { $b <=> $a } values %tech_count;
cmp_ok($counts[0], '>', 10 * $counts[$#counts / 2],
       "power-law popularity: the top technique in $counts[0] threats, "
       . "the median in $counts[$#counts / 2]");

# deterministic: a smaller run of the same seed is a prefix, and replaces
my $dump = q{SELECT source_id, title, description, threat_type, countries,
                    first_seen, last_seen, tags, malware_families, attack_ids,
                    indicator_count, content_sha256
             FROM threat_intelligence_data
             WHERE source_id ~ '^gen-7-([0-9]|[0-9][0-9]|1[0-4][0-9])(-|$)'
             ORDER BY source_id};
my $before = q1($dump);
($rc, $out) = run_cmd(@gen, '--seed', '7', '--count', '150', $bundle);
is($rc, 0, 'the same seed again, 150 threats') or diag $out;
is(q1('SELECT count(*) FROM threat_intelligence_data'), 150,
   'the earlier rows of the seed are replaced');
is(q1($dump), $before, 'the 150 are the first 150 of before, byte for byte');
is(q1('SELECT count(*) FROM mapped_threat_data'), 0,
   'without --mapped no mapping is written (the old ones went with their rows)');

($rc, $out) = run_cmd(@gen, '--seed', '8', '--count', '50', $bundle);
is($rc, 0, 'another seed') or diag $out;
is(q1('SELECT count(*) FROM threat_intelligence_data'), 200,
   '... adds its own rows beside');
isnt(q1(q{SELECT description FROM threat_intelligence_data
          WHERE source_id LIKE 'gen-8-0%' LIMIT 1}),
     q1(q{SELECT description FROM threat_intelligence_data
          WHERE source_id LIKE 'gen-7-0%' LIMIT 1}),
     '... made differently');

# the mapper reads them like any threat
($rc, $out) = run_cmd(worker(), 'map', '--model',
                      $ENV{ATTCK_TEST_MODEL} || 'build/test/enterprise.model');
is($rc, 0, 'map runs over the generated store') or diag $out;
cmp_ok(q1('SELECT count(DISTINCT threat_id) FROM mapped_threat_data'), '>=',
       50, '... and maps a quarter or more of the 200');

# the database gone: one line, 75
$pg->stop;
($rc, $out) = run_cmd(@gen, '--seed', '9', '--count', '10', $bundle);
is($rc, 75, 'PostgreSQL away gives 75');

done_testing;

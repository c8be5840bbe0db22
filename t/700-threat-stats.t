# threats/stats and threats?<filters>, answered by the module from the
# threat index publish puts in the snapshot: every facet checked against
# the same query in PostgreSQL, on the recorded OTX pulses of ../shared
# and a few thousand generated threats; filter combinations with empty
# answers, a technique with no threats, a parent matching its subs; the
# timeline's buckets; paging; hostile values in every filter.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Time::HiRes qw(sleep);
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses);
use Attck::Facets qw(sql_facets sql_page gen_threats);

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_MODEL);
sub q1 { $pg->query($_[0]) }

my $n = $ENV{ATTCK_TEST_THREATS} || 3000;

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
for my $f ('enterprise-attack-18.1.json', 'ics-attack-18.1.json') {
    ($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                          shared_dir() . "/attack/$f");
    is($rc, 0, "ingest $f") or diag $out;
}
Attck::Test->start_otx(recorded_pulses());
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest the recorded OTX pulses') or diag $out;

# the pulses' own ATT&CK ids, as explicit mappings
q1(q{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        confirmed, content_sha256)
     SELECT t.id, a, 1, 'explicit', true, t.content_sha256
       FROM threat_intelligence_data t, unnest(t.attack_ids) a
      WHERE a ~ '^T[0-9]{4}(\.[0-9]{3})?$' ON CONFLICT DO NOTHING});
my $families = q1(q{SELECT count(*) FROM threat_intelligence_data
                     WHERE malware_families <> '{}'});
my $pulse_families = q1(q{SELECT count(*) FROM otx_data
                           WHERE malware_families <> '{}'});
is($families, $pulse_families,
   "malware_families of the threats from the pulses' ($pulse_families)");

gen_threats($pg, $n, 7);
is(q1(q{SELECT count(*) FROM threat_intelligence_data
         WHERE source_id LIKE 'gen-%'}), $n, "$n generated threats");

# and a store of attck-worker generate's (procedure texts, its own spread)
my $before = q1('SELECT count(*) FROM threat_intelligence_data');
($rc, $out) = run_cmd(worker(), 'generate', '--seed', 5, '--count', 1000,
                      '--end', '2026-11-30', '--mapped',
                      shared_dir() . '/attack/enterprise-attack-18.1.json');
is($rc, 0, 'attck-worker generate 1,000 more') or diag $out;
is(q1('SELECT count(*) FROM threat_intelligence_data') - $before, 1000,
   '... stored');

($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish') or diag $out;
like($out, qr/threat index of \d+ threats/, 'publish writes the index');

my $ng = Attck::Test->start_nginx(
    http   => "attck_zone attck 64m; attck_snapshot $dir/attck.snap;"
              . "attck_redis 127.0.0.1:$redis->{port};",
    server => 'location /api/v1/ { attck_api; }'
              # the same, its walks in slices on the default thread pool
              . 'location /api/v2/ { attck_api;'
              . ' attck_thread_pool default min_threats=100; }'
              . 'location = /metrics { attck_metrics; }');

sub get { $ng->get("/api/v1/$_[0]") }
sub stats {
    my $r = get("threats/stats?$_[0]");
    is($r->{status}, 200, "stats?$_[0]: 200") or diag $r->{content};
    return decode_json($r->{content});
}

for (1 .. 100) {
    last if get('threats/stats')->{status} == 200;
    sleep 0.05;
}

my $threats = q1('SELECT count(*) FROM threat_intelligence_data');
my $s = stats('');
is($s->{total}, $threats, "all threats: $threats");
is($s->{generation}, 1, 'generation 1');

# --- facets against SQL ------------------------------------------------

sub round4 { 0 + sprintf('%.4f', $_[0]) }

sub compare {
    my ($q, $label) = @_;
    my %f = map { my ($k, $v) = split /=/, $_, 2; $k => $v }
            grep { length } split /&/, $q;
    my $m = stats($q);
    my $e = sql_facets($pg, %f);
    is($ng->get("/api/v2/threats/stats?$q")->{content},
       get("threats/stats?$q")->{content},
       "$label: the same answer from slices on a thread pool");
    is($m->{total}, $e->{total}, "$label: total $e->{total}");
    my @mt = map { { id => $_->{id}, count => $_->{count},
                     best => round4($_->{best}), mean => round4($_->{mean}),
                     (exists $_->{count_incl_subs}
                      ? (count_incl_subs => $_->{count_incl_subs}) : ()) } }
             @{ $m->{techniques} };
    for (@{ $e->{techniques} }) {
        delete $_->{count_incl_subs} unless defined $_->{count_incl_subs};
    }
    is_deeply(\@mt, $e->{techniques},
              "$label: techniques (" . @mt . '), best, mean, with subs')
        or diag explain [ \@mt, $e->{techniques} ];
    is_deeply($m->{parents}, $e->{parents},
              "$label: parents with their sub-techniques ("
              . keys(%{ $e->{parents} }) . ')')
        or diag explain [ $m->{parents}, $e->{parents} ];
    is_deeply([ map { { id => $_->{id}, count => $_->{count} } }
                @{ $m->{tactics} } ],
              $e->{tactics}, "$label: tactics");
    for my $k (qw(sources types countries tags malware)) {
        is_deeply($m->{$k}, $e->{$k}, "$label: $k (" . @{ $e->{$k} } . ')')
            or diag explain [ $m->{$k}, $e->{$k} ];
    }
    # the day buckets that have threats, from the timeline
    if (($m->{filters}{interval} // '') eq 'day') {
        is_deeply([ map { { t => $_->{t}, count => $_->{count} } }
                    grep { $_->{count} } @{ $m->{timeline} } ],
                  $e->{by_day}, "$label: timeline by day");
    }
    my $sum = 0;
    $sum += $_->{count} for @{ $m->{timeline} };
    is($sum, $e->{total}, "$label: the timeline adds up to the total");
    return $m;
}

my $top = q1(q{SELECT technique_id FROM mapped_threat_data
               WHERE technique_id LIKE '%.%'
               GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1});
(my $parent = $top) =~ s/\..*//;
my $none = q1(q{SELECT attack_id FROM mitre_attack_techniques
                WHERE attack_id LIKE 'T1%' AND NOT revoked
                  AND attack_id NOT IN (SELECT technique_id
                                          FROM mapped_threat_data)
                ORDER BY attack_id LIMIT 1});

compare('', 'everything');
compare('since=2025-01-01&until=2025-04-01', 'a quarter');
compare('source=virustotal', 'virustotal');
compare('source=otx,virustotal&type=ransomware,apt', 'two sources, types');
compare('country=de&tag=tag3', 'a country and a tag');
compare("technique=$parent", "$parent with its subs");
compare("technique=$top", "$top alone");
compare("technique=$none", "$none: no threats");
compare('tactic=execution&method=model&min_score=0.5',
        'tactic, method, min_score');
compare('tactic=TA0002,persistence', 'two tactics');
compare('domain=ics', 'domain ics');
compare('min_score=1&method=explicit', 'explicit 1.0');
compare('since=2030-01-01', 'nothing after 2030');
compare('country=ZZ', 'a country no threat has');
compare("source=virustotal&since=2024-06-01&until=2025-06-01"
        . "&technique=$parent&min_score=0.3&country=US,DE", 'six filters');
compare('release=18.1&domain=enterprise', 'release 18.1, enterprise');
# whole days and sources are answered from the index's day units, the
# rest by walking the threats: both against SQL, at and off day bounds
compare('source=otx&interval=week', 'otx by week (units)');
compare('since=2024-01-01&interval=month', 'since 2024 by month (units)');
compare('since=2025-01-01T12:00:00Z&until=2025-03-01', 'off a day bound');
# a mapping filter every mapping passes, and one whose postings are read
compare('domain=enterprise,mobile,ics&since=2025-01-01', 'every domain');
compare("technique=$top&min_score=0.5&since=2025-01-01",
        "$top from its postings, cut at 0.5");

my $m = stats("technique=$none");
is($m->{total}, 0, "$none: total 0");
is_deeply($m->{techniques}, [], '... no techniques');
is_deeply($m->{timeline}, [], '... no timeline without a period');
is_deeply($m->{filters}{technique}, [ $none ], '... the filter echoed');

# --- the timeline: every bucket, weeks from Mondays, months --------------

$m = stats('since=2025-01-01&until=2025-03-01');
is($m->{filters}{interval}, 'day', '59 days: by day');
is(scalar @{ $m->{timeline} }, 59, '... 59 buckets, empty ones included');
is($m->{timeline}[0]{t}, '2025-01-01', '... from since');
is($m->{timeline}[-1]{t}, '2025-02-28', '... to the day before until');
$m = stats('since=2025-01-01&until=2025-12-31');
is($m->{filters}{interval}, 'week', 'a year: by week');
is($m->{timeline}[0]{t}, '2024-12-30', '... from the Monday of since');
$m = stats('since=2023-01-01&until=2026-01-01');
is($m->{filters}{interval}, 'month', 'three years: by month');
is(scalar @{ $m->{timeline} }, 36, '... 36 months');
is($m->{timeline}[1]{t}, '2023-02-01', '... on the 1st');
$m = stats('since=2025-01-01&until=2025-03-01&interval=month');
is(scalar @{ $m->{timeline} }, 2, 'interval=month asked for: 2 buckets');
my $row = (grep { $_->{count} } @{ stats('interval=month')->{timeline} })[0];
is($row->{count}, $row->{by_source}{otx} + $row->{by_source}{virustotal}
                  + $row->{by_source}{taxii}, 'by_source adds up');

# --- threats? pages the same threats -----------------------------------

for my $q ('', 'source=virustotal&limit=7&offset=3',
           "technique=$parent&limit=20", 'country=FR&type=apt&limit=5',
           "technique=$none") {
    my %f = map { my ($k, $v) = split /=/, $_, 2; $k => $v }
            grep { length } split /&/, $q;
    my $limit = delete $f{limit} // 100;
    my $offset = delete $f{offset} // 0;
    my $r = get("threats?$q");
    is($r->{status}, 200, "threats?$q: 200") or diag $r->{content};
    my $l = decode_json($r->{content});
    is_deeply([ map { $_->{id} } @{ $l->{threats} } ],
              sql_page($pg, $limit, $offset, %f),
              "threats?$q: the page of SQL, newest first");
    is($l->{total}, sql_facets($pg, %f)->{total}, "threats?$q: total");
}
my $doc = decode_json(get("threats?technique=$top&limit=1")->{content})
          ->{threats}[0];
ok((grep { $_->{id} eq $top } @{ $doc->{techniques} }),
   'a listed threat has its techniques');
ok(exists $doc->{malware_families}, '... and its malware families');

# --- hostile values: 400 with a JSON error, for every filter -------------

sub error_is {
    my ($q, $re, $label) = @_;
    my $r = get($q);
    is($r->{status}, 400, "$label: 400");
    my $e = eval { decode_json($r->{content}) } || {};
    like($e->{detail} // '', $re, "$label: detail");
}

for my $p ('threats/stats', 'threats') {
    error_is("$p?since=2025-02-30", qr/"since"/, "$p since=2025-02-30");
    error_is("$p?until=tomorrow", qr/"until"/, "$p until=tomorrow");
    error_is("$p?since=2025-02-01&until=2025-01-01", qr/after/,
             "$p until before since");
    error_is("$p?source=all", qr/"source" takes otx/, "$p source=all");
    error_is("$p?source=otx,,virustotal", qr/non-empty/, "$p empty in a list");
    error_is("$p?type=", qr/"type"/, "$p empty type");
    error_is("$p?country=DEU", qr/alpha-2/, "$p country=DEU");
    error_is("$p?country=D%C3%84", qr/alpha-2/, "$p country not ASCII");
    error_is("$p?technique=T1059*", qr/technique ids/, "$p glob technique");
    error_is("$p?technique=T9999", qr/not a technique of this release/,
             "$p unknown technique");
    error_is("$p?technique=T1059%0d%0aFLUSHALL", qr/control/,
             "$p CRLF in technique");
    error_is("$p?tactic=TA9999", qr/"tactic"/, "$p unknown tactic");
    error_is("$p?tactic=%22%3E%3Cscript%3E", qr/"tactic"/, "$p markup tactic");
    error_is("$p?tag=" . join(',', ('a') x 65), qr/1 to 64/,
             "$p 65 tags");
    error_is("$p?tag=" . ('x' x 300), qr/longer than/, "$p long tag");
    for my $v ('1.5', '-0.1', 'nan', 'inf', '1e-1', '0x1', '.5', '0.5.1',
               '', '%200.5') {
        error_is("$p?min_score=$v", qr/"min_score"/, "$p min_score=$v");
    }
    error_is("$p?method=human", qr/"method" takes explicit/,
             "$p method=human");
    error_is("$p?domain=pre", qr/"domain" takes enterprise/, "$p domain=pre");
    error_is("$p?source=otx&source=otx", qr/twice/, "$p repeated");
    error_is("$p?verbose=1", qr/unknown parameter "verbose"/, "$p unknown");
}
error_is('threats/stats?interval=year', qr/"interval"/, 'interval=year');
error_is('threats/stats?interval=day,week', qr/"interval"/, 'two intervals');
error_is('threats/stats?since=1970-01-01&until=9999-01-01&interval=day',
         qr/more than 5000 days/, 'too many buckets');
error_is('threats/stats?limit=5', qr/unknown parameter "limit"/,
         'limit is not a stats parameter');
error_is('threats?interval=day', qr/unknown parameter "interval"/,
         'interval is not a list parameter');
is(get('threats/stats?tag=%22%3E%3Cx%3E%5C')->{status}, 200,
   'markup in a tag is a value like another');
is_deeply(stats('tag=%22%3E%3Cx%3E%5C')->{filters}{tag}, [ '"><x>\\' ],
          '... echoed as JSON');

# the walks above ran on the thread pool, in slices
my $metrics = $ng->get('/metrics')->{content};
my ($pooled) = $metrics =~ /^attck_threat_walks_total\{where="thread_pool"\} (\d+)/m;
my ($slices) = $metrics =~ /^attck_threat_walk_slices_total (\d+)/m;
ok(($pooled // 0) >= 10, "walks on the thread pool: $pooled")
    or diag $metrics;
ok(($slices // 0) >= 2 * $pooled, "... in slices: $slices");

# attck_thread_pool's own mistakes, refused by nginx -t
for ([ 'default min_threats=0', qr/invalid value "min_threats=0"/ ],
     [ 'default threads=4', qr/invalid parameter "threads=4"/ ],
     [ 'off min_threats=5', qr/takes no parameter after "off"/ ],
     [ 'nosuch', qr/unknown thread pool "nosuch"/ ]) {
    my ($args, $re) = @$_;
    my ($trc, $tout) = Attck::Test->test_nginx_conf(
        http   => "attck_zone attck 64m; attck_snapshot $dir/attck.snap;",
        server => "location /api/v1/ { attck_api; attck_thread_pool $args; }");
    isnt($trc, 0, "nginx -t refuses attck_thread_pool $args");
    like($tout, $re, '... saying why') or diag $tout;
}
my ($trc, $tout) = Attck::Test->test_nginx_conf(
    http   => "attck_zone attck 64m; attck_snapshot $dir/attck.snap;"
              . 'attck_thread_pool default; attck_thread_pool off;',
    server => 'location /api/v1/ { attck_api; }');
like($tout, qr/"attck_thread_pool" directive is duplicate/,
     'a second attck_thread_pool in one block is refused');

# --- a threat with many values, one dated centuries off -----------------
# More than a few values of a kind are deduplicated another way than a
# few; a period whose threats span more days than a timeline may have
# counts its buckets in a second walk.  Both against SQL.

q1(q{INSERT INTO threat_intelligence_data (source, source_id, title,
        description, threat_type, countries, first_seen, last_seen, tags,
        malware_families, content_sha256)
     VALUES ('otx', 'odd-1', 'Many values', 'odd', 'apt',
             ARRAY['DE', 'US', 'DE'], '2025-03-01', '2025-03-02',
             ARRAY['tag3', 'tag3', 'tag5', 'a1', 'a2', 'a3', 'a4', 'a5',
                   'a6', 'a7', 'a8', 'a9', 'a10', 'a11', 'a12', 'a13',
                   'a14', 'tag5', 'a1'],
             ARRAY['family1', 'family1'], md5('odd-1')),
            ('otx', 'odd-2', 'Centuries off', 'odd', 'apt', ARRAY['FR'],
             '1500-06-01', '1500-06-02', ARRAY['tag3'], '{}', md5('odd-2'))});
q1(qq{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        confirmed, content_sha256)
     SELECT id, '$top', 0.75, 'model', false, content_sha256
       FROM threat_intelligence_data WHERE source_id LIKE 'odd-%'});
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish with the odd threats') or diag $out;
my $g = decode_json(get('threats/stats?since=2030-01-01')->{content})
        ->{generation};
$ng->reload;
for (1 .. 100) {
    last if decode_json(get('threats/stats?since=2030-01-01')->{content})
            ->{generation} != $g;
    sleep 0.1;
}
compare('since=2025-03-01&until=2025-03-03&interval=day',
        'seventeen tags and more, some twice');
compare('country=DE&tag=tag3', 'a period of centuries, a country');
compare("technique=$top&country=US", "$top and a country, centuries");
error_is('threats/stats?tag=tag3', qr/more than 5000 months/,
         'centuries of matching threats: too many buckets');

done_testing();

# The dashboard's threat detail in a real browser (headless Debian
# chromium, playwright-core, as t/730): under each technique of the
# threat, the sentences of its text that support the mapping, from the
# threat document (GET threats/{id}), with the evidence terms marked.
# Threats generated from ATT&CK's procedure examples and mapped by the
# test model give real sentences, checked against SQL; one threat's
# mapping rests on hostile sentences (markup, a closing tag, an entity),
# which must stay text: no element comes of them, the page runs no
# script of theirs.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use File::Path qw(make_path);
use File::Spec;
use JSON::PP ();
use Attck::Test qw(worker shared_dir run_cmd decode_json build_dir);

my $dash = File::Spec->rel2abs(build_dir() . '/dashboard');
plan skip_all => "no $dash (make dashboard)" unless -f "$dash/index.html";
plan skip_all => 'no chromium' unless -x '/usr/bin/chromium';
plan skip_all => 'ATTCK_TEST_MODEL is not set' unless $ENV{ATTCK_TEST_MODEL};
my $art = File::Spec->rel2abs(build_dir() . '/test/artefacts');
make_path($art);

my $pg = Attck::Test->start_postgres;
my $redis = Attck::Test->start_redis;
my $dir = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
$ENV{ATTCK_REDIS_URL} = $redis->url;
$ENV{ATTCK_SNAPSHOT} = "$dir/attck.snap";
$ENV{ATTCK_MODEL} = $ENV{ATTCK_TEST_MODEL};
delete $ENV{ATTCK_CONFIG};
sub q1 { $pg->query($_[0]) }

my @bundles = map { shared_dir() . "/attack/$_-attack-18.1.json" }
              qw(enterprise mobile ics);
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', @bundles);
is($rc, 0, 'ingest ATT&CK 18.1') or diag $out;
($rc, $out) = run_cmd(worker(), 'generate', '--seed', '732', '--count', '60',
                      '--days', '30', '--end', '2026-11-30', $bundles[0]);
is($rc, 0, 'generate 60 threats') or diag $out;
($rc, $out) = run_cmd(worker(), 'map');
is($rc, 0, 'map them with the test model') or diag $out;

# hostile sentences under a mapping of a threat of their own
my @hostile = (
    q{The loader ran <img src=x onerror=alert(1)> through powershell }
    . q{</q></li><script>alert(2)</script> &amp; <b>bold</b>.},
    q{Then a scheduled task "<iframe src=//evil.example>" ran it again.},
);
my $sentences = JSON::PP->new->canonical->ascii->encode(
    [ map { { start => 0, end => length, text => $_ } } @hostile ]);
my ($evil) = q1(q{INSERT INTO threat_intelligence_data (source, source_id,
        title, description, last_seen, content_sha256)
     VALUES ('otx', 'hostile-732', 'Hostile sentences', 'x',
             timestamptz '2026-11-20 12:00+00', 'x') RETURNING id})
    =~ /^(\d+)/;
q1(qq{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        evidence, sentences, content_sha256)
     VALUES ($evil, 'T1059.001', 0.9, 'model',
             '["powershell", "script", "loader ran"]',
             \$h\$$sentences\$h\$, 'x')});
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish') or diag $out;

# three mapped threats with the most supporting sentences, and the
# hostile one
my @ids = split /\n/, q1(q{SELECT threat_id FROM mapped_threat_data
    WHERE threat_id <> } . $evil . q{ GROUP BY threat_id
    ORDER BY sum(jsonb_array_length(sentences)) DESC, threat_id LIMIT 3});
is(scalar @ids, 3, 'three mapped threats: ' . join(' ', @ids));

# SQL: threat -> technique -> its sentences' texts and evidence
my %want;
my %evidence;
for my $r (@{ decode_json(q1(q{SELECT coalesce(json_agg(json_build_object(
        't', threat_id::text, 'k', technique_id, 'e', evidence,
        's', (SELECT coalesce(json_agg(e->>'text' ORDER BY o), '[]')
                FROM jsonb_array_elements(sentences)
                     WITH ORDINALITY AS x(e, o)))), '[]')
      FROM mapped_threat_data})) }) {
    $want{ $r->{t} }{ $r->{k} } = $r->{s} if @{ $r->{s} };
    $evidence{ $r->{t} }{ $r->{k} } = $r->{e};
}
ok((grep { $want{$_} } @ids) >= 1, 'map stored sentences for them');

my $conf = Attck::Test::slurp("$FindBin::Bin/../conf/nginx.conf.in");
my ($dash_loc) = $conf =~ /^(        location \/ \{\n.*?^        \})/ms;
ok($dash_loc, 'conf/nginx.conf.in serves the dashboard at /') or BAIL_OUT('no location /');
$dash_loc =~ s/\@DASHBOARD\@/$dash/;
my $loc = "    location /api/v1/ { attck_api; }\n$dash_loc\n";
my $ng = Attck::Test->start_nginx(http => <<"CONF", server => $loc);
    attck_zone attck 128m;
    attck_snapshot $dir/attck.snap;
    attck_redis 127.0.0.1:$redis->{port};
CONF

my ($nrc, $nout) = run_cmd('node', "$FindBin::Bin/732-dashboard-sentences.mjs",
                           $ng->url('/'), $art, @ids, $evil);
my ($line) = grep { /^\{/ } split /\n/, $nout;
ok($line, 'the browser ran') or diag $nout;
my $o = $line ? decode_json($line) : {};
is($o->{error}, undef, 'no step failed') or diag $o->{error};
is_deeply($o->{foreign}, [], 'no request left loopback');
is_deeply($o->{console}, [], 'no console error or warning')
    or diag explain $o->{console};
is_deeply($o->{pageErrors}, [], 'no uncaught error');
is_deeply($o->{dialogs}, [], 'no dialog opened (no script ran)');

# a mark is one of the words of the mapping's evidence terms
sub marked_ok {
    my ($marks, $evidence) = @_;
    my %w = map { $_ => 1 } grep { length > 1 }
            map { split /\s+/, lc } @{ $evidence || [] };
    return !grep { !$w{ lc $_ } } @$marks;
}

my ($nsent, $nmarks) = (0, 0);
for my $id (@ids, $evil) {
    my $t = $o->{threats}{$id} || {};
    is_deeply($t->{sentences} || {}, $want{$id} || {},
              "threat $id: under each of its " . scalar(@{ $t->{techniques}
              || [] }) . ' techniques the sentences SQL has, best first');
    for my $k (sort keys %{ $t->{marks} || {} }) {
        ok(marked_ok($t->{marks}{$k}, $evidence{$id}{$k}),
           "threat $id $k: marks only evidence terms ("
           . join(', ', @{ $t->{marks}{$k} }) . ')');
        $nmarks += @{ $t->{marks}{$k} };
    }
    $nsent += @$_ for values %{ $t->{sentences} || {} };
    is($t->{foreignNodes}, 0, "threat $id: sentences are text and marks only");
}
cmp_ok($nsent, '>', 3, "$nsent sentences shown");
cmp_ok($nmarks, '>', 0, "$nmarks evidence terms marked");

my $e = $o->{threats}{$evil} || {};
is_deeply($e->{sentences}{'T1059.001'}, \@hostile,
          'the hostile sentences are shown as their text');
is_deeply([ map { lc } @{ $e->{marks}{'T1059.001'} || [] } ],
          [ qw(loader ran powershell script script ran) ],
          '... with the evidence marked, also inside markup-looking text');
is($e->{injected}, 0, '... and no element came of them');

done_testing;

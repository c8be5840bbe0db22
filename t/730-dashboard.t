# The dashboard in a real browser: headless Debian chromium driven by
# playwright-core (t/730-dashboard.mjs) against nginx with the module,
# Redis and PostgreSQL holding generated threats, the recorded OTX
# pulses and two pulses with hostile titles.  The numbers the widgets
# show are checked against SQL, before and after filters and drill-down;
# the URL round-trips the view; no request leaves loopback, nothing is
# logged to the console, hostile titles are text.  Screenshots are kept
# in build/test/artefacts/.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use File::Path qw(make_path);
use File::Spec;
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses
                   build_dir);

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
sub rows { map { [split /\|/] } split /\n/, q1($_[0]) }

my @bundles = map { shared_dir() . "/attack/$_-attack-18.1.json" }
              qw(enterprise mobile ics);
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', @bundles);
is($rc, 0, 'ingest ATT&CK 18.1') or diag $out;
($rc, $out) = run_cmd(worker(), 'generate', '--seed', '730', '--count', '400',
                      '--days', '120', '--end', '2026-11-30', '--mapped',
                      $bundles[0]);
is($rc, 0, 'generate 400 threats') or diag $out;

# the recorded pulses, and two whose titles are markup
my @pulses = recorded_pulses();
my @evil;
for my $title ('<img src=x onerror=alert(1)>', q{"'><script>alert(2)</script>}) {
    my %p = %{ $pulses[0] };
    $p{id} = sprintf('%024x', 0xbad000 + @evil);
    $p{name} = $title;
    $p{description} = "$title uses PowerShell (T1059.001) <b>bold</b>";
    $p{modified} = $p{created} = '2026-11-20T10:00:00.000000';
    push @evil, \%p;
}
my $otx = Attck::Test->start_otx(@pulses, @evil);
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest the recorded OTX pulses') or diag $out;
($rc, $out) = run_cmd(worker(), 'map');
is($rc, 0, 'map') or diag $out;
($rc, $out) = run_cmd(worker(), 'publish');
is($rc, 0, 'publish') or diag $out;

my $csp = q{default-src 'none'; script-src 'self'; style-src 'self'; }
        . q{img-src 'self'; connect-src 'self'; base-uri 'none'; }
        . q{form-action 'self'; frame-ancestors 'none'};
# the dashboard's location as conf/nginx.conf.in has it (make run's)
my $conf = Attck::Test::slurp("$FindBin::Bin/../conf/nginx.conf.in");
my ($dash_loc) = $conf =~ /^(        location \/ \{\n.*?^        \})/ms;
ok($dash_loc, 'conf/nginx.conf.in serves the dashboard at /') or BAIL_OUT('no location /');
$dash_loc =~ s/\@DASHBOARD\@/$dash/;
like($dash_loc, qr/\Q$csp\E/, '... with the strict CSP');
my $loc = <<"EOF";
    location /api/v1/ { attck_api; }
    location ~ ^/api/v1/threats/[0-9]+/verdicts\$ { attck_triage on; }
$dash_loc
EOF
my $ng = Attck::Test->start_nginx(http => <<"EOF", server => $loc);
    attck_zone attck 128m;
    attck_snapshot $dir/attck.snap;
    attck_redis 127.0.0.1:$redis->{port};
    attck_refresh on;
    attck_refresh_interval 100ms;
EOF

my $r = $ng->get('/');
is($r->{status}, 200, 'GET / serves the dashboard');
is($ng->get('/app.js')->{headers}{'content-type'}, 'application/javascript',
   '... its script as a script');
like($r->{headers}{'content-security-policy'}, qr/script-src 'self'/,
     '... with a strict CSP');
unlike($r->{content}, qr/https?:\/\/(?!127\.0\.0\.1)/, '... naming no other host');

sub browse {
    my (@args) = @_;
    my ($rc, $out) = run_cmd('node', "$FindBin::Bin/730-dashboard.mjs", @args);
    my ($line) = grep { /^\{/ } split /\n/, $out;
    ok($line, "the browser ran (@args[2 .. $#args])") or diag $out;
    return $line ? decode_json($line) : {};
}

my $o = browse($ng->url('/'), $art);
is($o->{error}, undef, 'no step failed') or diag $o->{error};
is($o->{first}, '1', 'the default view is ready');
ok(grep({ m{/api/v1/threats/stats} } @{ $o->{requests} }),
   '... from threats/stats');
is_deeply($o->{foreign}, [], 'no request left loopback');
ok(@{ $o->{requests} } > 5, scalar(@{ $o->{requests} }) . ' requests made');
is_deeply($o->{console}, [], 'no console error or warning') or diag explain $o->{console};
is_deeply($o->{pageErrors}, [], 'no uncaught error');
is_deeply($o->{dialogs}, [], 'no dialog opened (no script ran)');

# the default view against SQL
my $total = q1('SELECT count(*) FROM threat_intelligence_data');
my $d = $o->{default};
is($d->{total}, $total, "total: $total threats");
is($d->{timeline}, $total, '... the timeline sums to it');
is($d->{rows}, 50, 'a page of 50 threats in the list');
my @top15 = rows(q{SELECT threat_type, count(*) FROM threat_intelligence_data
                    WHERE threat_type IS NOT NULL
                    GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15});
my $t15 = 0;
$t15 += $_->[1] for @top15;
is($d->{types}, $t15, "the type bars: $t15 threats in the top 15 types");

my %cc = map { @$_ } rows(q{SELECT c, count(DISTINCT id)
    FROM threat_intelligence_data, unnest(countries) c GROUP BY 1});
my $bad = grep { ($cc{$_->[0]} // -1) != $_->[1] } @{ $d->{countries} };
ok(@{ $d->{countries} } > 5 && !$bad,
   scalar(@{ $d->{countries} }) . ' countries ranked, each as in SQL')
    or diag explain $d->{countries};
my @cs = sort { $b <=> $a } values %cc;
is($d->{countries}[0][1], $cs[0], "the first country: $cs[0] threats");

my %tech = map { @$_ } rows(q{SELECT technique_id, count(DISTINCT threat_id)
    FROM mapped_threat_data GROUP BY 1});
$bad = grep { ($tech{$_->[0]} // -1) != $_->[1] } @{ $d->{techniques} };
ok(@{ $d->{techniques} } == 10 && !$bad, 'top 10 techniques as in SQL')
    or diag explain $d->{techniques};
my @ts = sort { $b <=> $a } values %tech;
is($d->{techniques}[0][1], $ts[0], "the first technique: $ts[0] threats");

my %incl = map { @$_ } rows(q{SELECT split_part(technique_id, '.', 1),
    count(DISTINCT threat_id) FROM mapped_threat_data GROUP BY 1});
my @parents = grep { !/\./ && exists $d->{cells}{$_} } keys %incl;
$bad = grep { $d->{cells}{$_} != $incl{$_} } @parents;
ok(@parents > 5 && !$bad, scalar(@parents) . ' matrix cells (parents '
   . 'with their sub-techniques) as in SQL') or diag join ' ',
    map { "$_=$d->{cells}{$_}/$incl{$_}" } @parents;
my %tag = map { @$_ } rows(q{SELECT g, count(DISTINCT id)
    FROM threat_intelligence_data, unnest(tags) g GROUP BY 1});
$bad = grep { ($tag{$_->[0]} // -1) != $_->[1] } @{ $d->{tags} };
ok(@{ $d->{tags} } && !$bad, 'top tags as in SQL');
my %mal = map { @$_ } rows(q{SELECT g, count(DISTINCT id)
    FROM threat_intelligence_data, unnest(malware_families) g GROUP BY 1});
$bad = grep { ($mal{$_->[0]} // -1) != $_->[1] } @{ $d->{malware} };
ok(@{ $d->{malware} } && !$bad, 'top malware families as in SQL');
ok(!$d->{synthetic}, 'no "synthetic" banner (config.json says so)');

# drill-down: a matrix cell (by keyboard)
my $x = $o->{topTechnique};
my $like = $x =~ /\./ ? "= '$x'" : "= '$x' OR technique_id LIKE '$x.%'";
my $n = q1(qq{SELECT count(DISTINCT threat_id) FROM mapped_threat_data
               WHERE technique_id $like});
like($o->{byCell}{url}, qr/technique=\Q$x\E/, "Enter on the cell of $x sets the filter");
is($o->{byCell}{total}, $n, "... $n threats, as in SQL");
is($o->{byCell}{form}{technique}, $x, '... shown in the form');
ok($o->{subVisible} // 1, 'a sub-technique opens with its count');
is($o->{back}{total}, $total, 'back: the default view again');
is($o->{back}{url}, '', '... with its URL');
is($o->{forward}{total}, $n, 'forward: the cell again');

# a country clicked on the map (the choropleth), not the ranked list
my $mc = $o->{mapCountry} // '';
$n = q1(qq{SELECT count(*) FROM threat_intelligence_data
            WHERE '$mc' = ANY(countries)});
like($o->{byMap}{url} // '', qr/country=\Q$mc\E(&|$)/,
     "a click on $mc on the map sets the filter");
is($o->{byMap}{total}, $n, "... $n threats, as in SQL");
is($o->{byMap}{form}{country}, $mc, '... shown in the form');

# a country, then the type bar in that view
my $c = $o->{country};
$n = q1(qq{SELECT count(*) FROM threat_intelligence_data
            WHERE '$c' = ANY(countries)});
is($o->{byCountry}{total}, $n, "country $c from the ranked list: $n threats");
my ($type) = ($o->{byType}{url} =~ /type=([^&]+)/);
ok($type, 'the top bar of the type chart sets a type') or diag $o->{byType}{url};
$type = URI::Escape::uri_unescape($type // '') if eval { require URI::Escape };
$n = q1(qq{SELECT count(*) FROM threat_intelligence_data
            WHERE '$c' = ANY(countries) AND threat_type = '$type'});
is($o->{byType}{total}, $n, "... type $type in $c: $n threats");
is($o->{reloaded}{total}, $n, 'that URL loaded afresh shows the same');
is($o->{reloaded}{form}{country}, $c, '... and fills the form');
is($o->{reloaded}{form}{type}, $type, '... both filters');

# the form: min score and method
$n = q1(q{SELECT count(DISTINCT threat_id) FROM mapped_threat_data
           WHERE method = 'explicit' AND score >= 0.9});
is($o->{byScore}{total}, $n, "min score 0.9, method explicit: $n threats");
like($o->{byScore}{url}, qr/min_score=0\.9.*method=explicit/, '... in the URL');
is($o->{cleared}{total}, $total, 'Clear: every threat again');

# the last bucket of the timeline
my ($since, $until) = ($o->{byDay}{url} =~ /since=([\d-]+).*until=([\d-]+)/);
ok($since && $until, "the timeline's last bucket: $since to $until")
    or diag $o->{byDay}{url};
$n = q1(qq{SELECT count(*) FROM threat_intelligence_data
            WHERE coalesce(last_seen, first_seen) >= '$since'
              AND coalesce(last_seen, first_seen) < '$until'});
is($o->{byDay}{total}, $n, "... $n threats, as in SQL");
my $days = q1(qq{SELECT '$until'::date - '$since'::date});
is($o->{daily}{points}, $days, "per day: $days points");
is($o->{daily}{timeline}, $n, '... summing to the same');
like($o->{daily}{url}, qr/interval=day/, '... in the URL');

# a tag
my $g = $o->{tag} // '';
$n = q1(qq{SELECT count(*) FROM threat_intelligence_data
            WHERE '$g' = ANY(tags)});
is($o->{byTag}{total}, $n, "tag $g from the top tags: $n threats");
like($o->{tagShown} // '', qr/\Q$g\E/, '... shown beside the filters');
is($o->{untagged}{total}, $total, '... and removed again');

# a tactic by name
like($o->{byTactic}{url}, qr/tactic=TA0002/, '"execution" is tactic TA0002');
$n = q1(q{SELECT count(DISTINCT m.threat_id) FROM mapped_threat_data m
           WHERE m.technique_id IN (SELECT attack_id
                 FROM mitre_attack_techniques
                WHERE 'execution' = ANY(tactics)
                  AND 'enterprise-attack' = ANY(domains))});
is($o->{byTactic}{total}, $n, "... $n threats, as in SQL");

# hostile titles
is($o->{evilRows}, 1, 'the <img> title is listed as text');
ok(grep({ $_ eq q{"'><script>alert(2)</script>} } @{ $o->{otx}{titles} }),
   'the "\'><script> title too');
is($o->{detailTitle}, '<img src=x onerror=alert(1)>', 'its detail shows it as text');
is($o->{injected}, 0, 'no element came of either');

# triage from the page
is($o->{confirm}[0], 'accepted', "confirm $o->{confirm}[1] from the detail: accepted");
is($o->{add}, 'accepted', 'add T1059.001: accepted');
is($redis->cli('XLEN', 'attck:verdicts'), 2, 'two verdicts in Redis');

# exports
my $layer = eval { decode_json($o->{layer}) } || {};
is($layer->{versions}{layer}, '4.5', 'Navigator layer, format 4.5');
is($layer->{domain}, 'enterprise-attack', '... of Enterprise');
my ($lt) = grep { $_->{techniqueID} eq $d->{techniques}[0][0] }
           @{ $layer->{techniques} || [] };
is($lt && $lt->{score}, $d->{techniques}[0][1], '... scoring the top technique');
my @csv = split /\r\n/, $o->{csv} // '';
is(scalar(@csv) - 1, scalar(keys %tech), 'CSV: a line per technique mapped');
like($csv[0] // '', qr/^technique,name,threats/, '... under a header');

# matrix options
my $ics = q1(q{SELECT count(*) FROM attack_tactics WHERE 'ics-attack' = ANY(domains)});
is($o->{ics}{columns}, $ics, "ICS: $ics tactic columns");
my @v = values %{ $o->{hidden}{cells} };
ok(@v && !grep({ $_ <= 0 } @v), 'hide unused: ' . scalar(@v)
   . ' cells, none at 0');
like($o->{sortedFirst} // '', qr/^TA\d{4}$/, 'sorted by usage');

# layout and contrast
ok(defined $o->{phoneOverflow} && $o->{phoneOverflow} <= 0,
   'no sideways scrolling at 390 px') or diag $o->{phoneOverflow};
ok(($o->{contrast} // 0) >= 4.5, sprintf('text contrast at least 4.5:1 '
   . '(lowest %.1f)', $o->{contrast} // 0));
ok(-s "$art/$_", "screenshot $_") for qw(730-default-1280.png 730-technique.png
    730-detail.png 730-phone-390.png);

# 503: no threat data published (a demo's page, as make demo sets it up:
# it says its threats are synthetic); 504: Redis hangs
my $demo = "$dir/demo-dashboard";
system('cp', '-r', $dash, $demo) == 0 or die;
open(my $cfg, '>', "$demo/config.json") or die;
print $cfg qq({"synthetic": true}\n);
close $cfg;
(my $demo_loc = $loc) =~ s/root \Q$dash\E;/root $demo;/;
my $empty = Attck::Test->start_redis;
my $ng503 = Attck::Test->start_nginx(http => <<"EOF", server => $demo_loc);
    attck_zone attck 128m;
    attck_snapshot $ENV{ATTCK_TEST_SNAPSHOT};
    attck_redis 127.0.0.1:$empty->{port};
EOF
my $e = browse($ng503->url('/'), $art, 'errors', '730-error-503.png');
is($e->{shown}[0], '503', 'nothing published: the page shows the 503');
like($e->{shown}[1], qr/ATTCK_OTX_KEY/, '... and says how to get threats');
ok($e->{shown}[2], "the demo's page says its threats are synthetic");
$redis->pause;
$e = browse($ng->url('/'), $art, 'errors', '730-error-504.png');
$redis->resume;
is($e->{shown}[0], '504', 'Redis hanging: the page shows the 504');
like($e->{shown}[1], qr/did not answer in time/, '... in words');

done_testing;

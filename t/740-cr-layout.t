# The cyber-range matrix as a trainee sees it: the training front end sets
# the fragment as innerHTML of a div inside a card about 1,520 px wide.
# Headless Chromium lays it out there, for the matrix and its
# sub-technique variant, with training definitions present: the legend is
# above the table, the 14 Enterprise tactics fit without a horizontal
# scroll, technique links open a new tab, hostile titles stay text.
# Screenshots are kept under build/test/artefacts/.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path ();
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(test_snapshot run_cmd spew build_dir decode_json
                   load_bundle);

my $chromium = '/usr/bin/chromium';
ok(-x $chromium, 'Debian\'s chromium is installed (make test-deps)')
    or BAIL_OUT('no chromium');

my $dir = File::Temp::tempdir(CLEANUP => 1);
my $artefacts = build_dir() . '/test/artefacts';
File::Path::make_path($artefacts);

# the Enterprise tactics, from the bundle the snapshot was compiled from
my $bundle = load_bundle('enterprise-attack-18.1.json');
my %tactics = map { $_->{x_mitre_shortname} => 1 }
              grep { $_->{type} eq 'x-mitre-tactic' && !$_->{revoked}
                     && !$_->{x_mitre_deprecated} } @{ $bundle->{objects} };
my $ntactics = keys %tactics;

# 20 linear definitions on the first and the last tactic (more dots than a
# cell is wide), one with a hostile title; the adaptive service has none
my $linear = JSON::XS->new->canonical->encode([
    { id => 1, title => '<img src=x onerror="document.title=1">',
      played => JSON::XS::true,
      mitre_techniques => [ 'TA0043.T1595', 'TA0040.T1485',
                            'TA0040.T1499.004' ] },
    map { { id => $_, title => "Definition number $_", played => JSON::XS::true,
            mitre_techniques => [ 'TA0043.T1595', 'TA0040.T1486' ] } } 2 .. 20 ]);
# nginx unescapes \\ and \' inside a quoted string: escape them for it
(my $linear_conf = $linear) =~ s/(['\\])/\\$1/g;

my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => <<"EOF2",
        location /cr/ {
            attck_cyberrange;
            attck_cyberrange_training linear /_t/linear;
            attck_cyberrange_training adaptive /_t/adaptive;
        }
        location = /_t/linear {
            internal;
            proxy_pass http://127.0.0.1:\$server_port/defs/linear;
        }
        location = /_t/adaptive {
            internal;
            proxy_pass http://127.0.0.1:\$server_port/defs/adaptive;
        }
        location = /defs/linear {
            default_type application/json;
            return 200 '$linear_conf';
        }
        location = /defs/adaptive {
            default_type application/json;
            return 200 '[]';
        }
EOF2
);

sub chromium {
    my (@args) = @_;
    return run_cmd($chromium, '--headless', '--no-sandbox', '--disable-gpu',
                   '--disable-background-networking', '--disable-component-update',
                   '--disable-sync', '--no-first-run', '--disable-quic',
                   "--user-data-dir=$dir/profile", '--hide-scrollbars',
                   @args);
}

# The page: a card 1,520 px wide (16 px padding, as a Material card has)
# whose div gets the fragment by innerHTML, then measures what the browser
# laid out and writes it into the page as JSON for --dump-dom to show.
sub page {
    my ($fragment) = @_;
    (my $js = JSON::XS->new->allow_nonref->ascii->encode($fragment))
        =~ s{</}{<\\/}g;
    return <<"EOF3";
<!doctype html><html><head><meta charset="utf-8"><title>trainee</title>
<style>body{margin:0;font-family:sans-serif}
.card{box-sizing:border-box;width:1520px;padding:16px;margin:8px;
box-shadow:0 1px 3px #888}</style></head><body>
<div class="card"><h2>MITRE ATT&amp;CK techniques of the trainings</h2>
<div id="frag"></div></div>
<pre id="result"></pre>
<script>
var f = document.getElementById('frag');
f.innerHTML = $js;
var m = f.querySelector('.attck-matrix'), t = f.querySelector('table'),
    l = f.querySelector('.attck-legend'), th = f.querySelectorAll('th'),
    links = f.querySelectorAll('.attck-cell a[href]'), newtab = 0;
for (var i = 0; i < links.length; i++) {
    if (links[i].target === '_blank'
        && links[i].rel === 'noopener noreferrer') newtab++;
}
var last = th[th.length - 1].getBoundingClientRect();
document.getElementById('result').textContent = JSON.stringify({
    legendTop: l ? l.getBoundingClientRect().top : null,
    tableTop: t.getBoundingClientRect().top,
    tableHeight: t.getBoundingClientRect().height,
    fragScroll: f.scrollWidth, fragClient: f.clientWidth,
    matrixScroll: m.scrollWidth, matrixClient: m.clientWidth,
    cardRight: f.getBoundingClientRect().right, lastRight: last.right,
    lastName: th[th.length - 1].firstChild.textContent,
    columns: th.length, links: links.length, newtab: newtab,
    sections: Array.prototype.map.call(f.querySelectorAll('.attck-legend h4'),
                                       function (h) { return h.textContent; }),
    legendItems: f.querySelectorAll('.attck-legend li').length,
    dots: f.querySelectorAll('.attck-cell .attck-dot').length,
    images: f.querySelectorAll('img').length
});
</script></body></html>
EOF3
}

for my $variant ([ 'matrix', '' ], [ 'matrix-sub', '&subtechniques=true' ]) {
    my ($name, $args) = @$variant;
    my $res = $ng->get("/cr/mitre-matrix-visualisation?played=true$args",
                       headers => { Authorization => 'Bearer t' });
    is($res->{status}, 200, "$name: the fragment");
    is($res->{headers}{'x-attck-overlay'}, 'complete', "$name: with its overlay");
    like($res->{content}, qr/&lt;img src=x onerror=&quot;document\.title=1&quot;&gt;/,
         "$name: the hostile title, escaped");

    spew("$dir/$name.html", page($res->{content}));
    my ($rc, $out) = chromium('--window-size=1600,1000', '--dump-dom',
                              "file://$dir/$name.html");
    my ($json) = $out =~ m{<pre id="result">(.*?)</pre>}s;
    ok($json, "$name: the page measured the fragment") or do { diag $out; next };
    $json =~ s/&quot;/"/g;
    $json =~ s/&lt;/</g;
    $json =~ s/&gt;/>/g;
    $json =~ s/&amp;/&/g;
    my $m = decode_json($json);
    note("$name: " . JSON::XS->new->canonical->encode($m));

    like($out, qr{<title>trainee</title>}, "$name: the page title is untouched");
    is($m->{images}, 0, "$name: the hostile title made no element");
    is($m->{columns}, $ntactics, "$name: $ntactics tactic columns");
    is($m->{lastName}, 'Impact', "$name: the last one is Impact");

    ok(defined $m->{legendTop}, "$name: a legend");
    cmp_ok($m->{legendTop}, '<', $m->{tableTop},
           "$name: the legend's top ($m->{legendTop} px) is above the "
           . "table's ($m->{tableTop} px, $m->{tableHeight} px tall)");
    is_deeply($m->{sections}, [ 'Linear training:' ],
              "$name: only the section that has definitions");
    is($m->{legendItems}, 20, "$name: 20 definitions in the legend");

    cmp_ok($m->{fragScroll}, '<=', $m->{fragClient},
           "$name: the fragment's scroll width ($m->{fragScroll} px) fits its "
           . "container ($m->{fragClient} px)");
    cmp_ok($m->{matrixScroll}, '<=', $m->{matrixClient},
           "$name: and the matrix scrolls nothing inside ($m->{matrixScroll} "
           . "<= $m->{matrixClient} px)");
    cmp_ok($m->{lastRight}, '<=', $m->{cardRight},
           "$name: Impact ends ($m->{lastRight} px) inside the card "
           . "($m->{cardRight} px)");

    ok($m->{links} > 100, "$name: $m->{links} technique links");
    is($m->{newtab}, $m->{links},
       "$name: every one opens a new tab, without opener or referrer");

    # T1595 with 20 dots, the Impact ones with 20 and 1; the sub-technique's
    # own cell in the sub variant
    my $want = 20 + 19 + 1 + 1 + ($args ? 1 : 0);
    is($m->{dots}, $want, "$name: $want dots in cells");

    ($rc, $out) = chromium('--window-size=1600,1200',
                           "--screenshot=$artefacts/740-$name.png",
                           "file://$dir/$name.html");
    ok(-s "$artefacts/740-$name.png", "$name: screenshot in "
                                      . "build/test/artefacts/740-$name.png")
        or diag $out;
}

done_testing();

# The matrix as a person sees it: headless Chromium renders the HTML
# fragment (in a page, as the front end embeds it) and the SVG; the
# screenshots must show far more than a blank page, and the browser's DOM
# must hold the dots and no script from a hostile title.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Attck::Test qw(test_snapshot run_cmd spew);

my $chromium = '/usr/bin/chromium';
ok(-x $chromium, 'Debian\'s chromium is installed (make deps)') or BAIL_OUT('no chromium');

my $dir = File::Temp::tempdir(CLEANUP => 1);
my $defs = '[{"id":1,"title":"<script>document.title=\\"pwned\\"</script>",'
         . '"played":true,"mitre_techniques":["TA0043.T1595","TA0002.T1059"]}]';

# nginx unescapes \\ and \' inside a quoted string: escape them for it
(my $defs_conf = $defs) =~ s/(['\\])/\\$1/g;

my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => <<"EOF2",
        location /cr/ {
            attck_cyberrange;
            attck_cyberrange_training linear /_t;
        }
        location = /_t {
            internal;
            proxy_pass http://127.0.0.1:\$server_port/defs;
        }
        location = /defs {
            default_type application/json;
            return 200 '$defs_conf';
        }
EOF2
);

sub chromium {
    my (@args) = @_;
    return run_cmd($chromium, '--headless', '--no-sandbox', '--disable-gpu',
                   '--disable-background-networking', '--disable-component-update',
                   '--disable-sync', '--no-first-run', '--disable-quic',
                   "--user-data-dir=$dir/profile", '--window-size=1600,1000', @args);
}


my $res = $ng->get('/cr/mitre-matrix-visualisation',
                   headers => { Authorization => 'Bearer t' });
is($res->{status}, 200, 'the fragment');
is($res->{headers}{'x-attck-overlay'}, 'complete', 'with its overlay');
like($res->{content}, qr/&lt;script&gt;document.title/, 'the hostile title, escaped');
spew("$dir/page.html", "<!doctype html><html><head><meta charset=\"utf-8\">"
                       . "<title>matrix</title></head><body>$res->{content}"
                       . "</body></html>");
spew("$dir/blank.html", '<!doctype html><html><body></body></html>');

my ($rc, $out) = chromium("--screenshot=$dir/blank.png", "file://$dir/blank.html");
ok(-s "$dir/blank.png", 'a blank page renders') or diag $out;
($rc, $out) = chromium("--screenshot=$dir/page.png", "file://$dir/page.html");
ok(-s "$dir/page.png", 'the matrix renders') or diag $out;
cmp_ok(-s "$dir/page.png", '>', 10 * (-s "$dir/blank.png"),
       'the screenshot shows far more than a blank page');

# what the browser made of the fragment
($rc, $out) = chromium('--dump-dom', "file://$dir/page.html");
like($out, qr{<title>matrix</title>}, 'the page title is untouched: no script ran');
is(scalar(() = $out =~ /class="attck-dot" style=/g), 3,
   'two dots on cells and one in the legend');
is(scalar(() = $out =~ /<script/g), 0, 'no script element in the DOM');
is(scalar(() = $out =~ /class="attck-cell"/g),
   scalar(() = $res->{content} =~ /class="attck-cell"/g),
   'every cell made it into the DOM');

# the SVG on its own
$res = $ng->get('/cr/mitre-matrix-visualisation?format=svg',
                headers => { Authorization => 'Bearer t' });
spew("$dir/matrix.svg", $res->{content});
($rc, $out) = chromium("--screenshot=$dir/svg.png", "file://$dir/matrix.svg");
cmp_ok(-s "$dir/svg.png", '>', 10 * (-s "$dir/blank.png"),
       'the SVG renders to far more than a blank page');

done_testing();

# attck-worker compile: command line, exit codes, one error line, atomic
# output, and sources fetched over HTTP and file:// URLs.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Copy ();
use File::Temp ();
use Attck::Test qw(worker run_cmd shared_dir free_port decode_json slurp spew);

my $dir = File::Temp::tempdir('attck-compile-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;   # served by nginx workers below
my $attack = shared_dir() . '/attack';
my $ics = "$attack/ics-attack-18.1.json";



# a compile run: exit code, output; checks the single error line
sub compile {
    my ($label, $want, @args) = @_;
    my ($rc, $out) = run_cmd(worker(), 'compile', @args);
    is($rc, $want, "$label: exit $want") or diag $out;
    my @lines = split /\n/, $out;
    my @errors = grep { /level=error/ } @lines;
    if ($want == 0) {
        is(scalar @errors, 0, "$label: no error line");
    } else {
        is(scalar @errors, 1, "$label: exactly one level=error line");
    }
    return $out;
}

# a snapshot file as the module sees it, with the compile time masked
sub snapshot_ok {
    my ($path, $label) = @_;
    my ($rc, $out) = Attck::Test->test_nginx_conf(
        http => "attck_zone attck 16m; attck_snapshot $path;",
        server => 'location /api/v1/ { attck_api; }');
    is($rc, 0, "$label: nginx -t accepts the snapshot") or diag $out;
}

sub masked {
    my $data = slurp($_[0]) // return '';
    substr($data, 24, 12) = "\0" x 12;    # created, checksum
    $data =~ s/"compiled":"[^"]*"/"compiled":""/;
    return $data;
}

# the command line
my ($rc, $out) = run_cmd(worker());
is($rc, 64, 'no command: 64');
($rc, $out) = run_cmd(worker(), 'frobnicate');
is($rc, 64, 'unknown command: 64');
like($out, qr/level=error/, 'unknown command: an error line');
($rc, $out) = run_cmd(worker(), '--help');
is($rc, 0, '--help: 0');
like($out, qr/compile/, '--help lists compile');
($rc, $out) = run_cmd(worker(), 'compile', '--help');
is($rc, 0, 'compile --help: 0');
compile('compile without -o', 64, $ics);
compile('compile with an unknown option', 64, '--bogus', '-o', "$dir/x.snap", $ics);
compile('-o without its argument', 64, '-o');
{
    local $ENV{ATTCK_SOURCES};
    delete $ENV{ATTCK_SOURCES};
    compile('no sources, no ATTCK_SOURCES', 64, '-o', "$dir/x.snap");
    $ENV{ATTCK_SOURCES} = "$ics";
    compile('sources from ATTCK_SOURCES', 0, '-o', "$dir/env.snap");
    snapshot_ok("$dir/env.snap", 'ATTCK_SOURCES');
}
ok(!-e "$dir/x.snap", 'failed runs wrote nothing');

# a good snapshot, the reference for what follows
my $good = "$dir/good.snap";
compile('ICS bundle', 0, '-o', $good, $ics);
snapshot_ok($good, 'ICS');
my $good_bytes = slurp($good);

# bad inputs: exit code, and the existing output stays as it was
my $ics_text = slurp($ics);
spew("$dir/not-json.json", "this is not JSON\n");
spew("$dir/object.json", '{"type":"report","objects":[]}');
spew("$dir/array.json", '[1,2,3]');
spew("$dir/empty.json", '');
spew("$dir/truncated.json", substr($ics_text, 0, 100000));
spew("$dir/half.json", substr($ics_text, 0, length($ics_text) - 2));
(my $nocoll = $ics_text) =~ s/"type": "x-mitre-collection"/"type": "x-other"/;
spew("$dir/no-collection.json", $nocoll);
(my $longver = $ics_text) =~ s/"x_mitre_version": "18.1"/'"x_mitre_version": "' . ('9' x 20000) . '"'/e;
spew("$dir/long-version.json", $longver);
(my $quotever = $ics_text) =~ s/"x_mitre_version": "18.1"/"x_mitre_version": "18.1\\"<b>"/;
spew("$dir/quote-version.json", $quotever);
mkdir "$dir/a-directory";

my @bad = (
    [ 'missing file', 66, "$dir/missing.json" ],
    [ 'a directory', 66, "$dir/a-directory" ],
    [ 'not JSON', 65, "$dir/not-json.json" ],
    [ 'JSON, not a bundle', 65, "$dir/object.json" ],
    [ 'a JSON array', 65, "$dir/array.json" ],
    [ 'empty file', 65, "$dir/empty.json" ],
    [ 'truncated JSON (100 KB)', 65, "$dir/truncated.json" ],
    [ 'JSON missing its last 2 bytes', 65, "$dir/half.json" ],
    [ 'bundle without x-mitre-collection', 65, "$dir/no-collection.json" ],
    [ 'a release number of 20000 digits', 65, "$dir/long-version.json" ],
    [ 'a release number with a quote', 65, "$dir/quote-version.json" ],
    [ 'a good source then a missing one', 66, $ics, "$dir/missing.json" ],
    [ 'a good source then a bad one', 65, $ics, "$dir/not-json.json" ],
    [ 'file:// URL of a missing file', 66, "file://$dir/missing.json" ],
);
for my $case (@bad) {
    my ($label, $want, @src) = @$case;
    compile($label, $want, '-o', $good, @src);
    ok(slurp($good) eq $good_bytes, "$label: existing output unchanged");
    is_deeply([ glob("$good.tmp.*") ], [], "$label: no temporary file left");
}

# outputs that cannot be written
compile('output in a missing directory', 73, '-o', "$dir/no/such/dir/x.snap", $ics);
mkdir "$dir/out-dir";
compile('output is a directory', 73, '-o', "$dir/out-dir", $ics);
ok(-d "$dir/out-dir", 'the directory is still a directory');
is_deeply([ glob("$dir/out-dir.tmp.*") ], [], 'no temporary file left');

# a successful run replaces the output, atomically
File::Copy::copy("$dir/env.snap", "$dir/replace.snap") or die $!;
compile('mobile over an existing ICS snapshot', 0, '-o', "$dir/replace.snap",
        "$attack/mobile-attack-18.1.json");
isnt(masked("$dir/replace.snap"), masked($good), 'output replaced');
is_deeply([ glob("$dir/replace.snap.tmp.*") ], [], 'no temporary file left');
snapshot_ok("$dir/replace.snap", 'mobile');

# sources over HTTP, served by nginx
mkdir "$dir/www";
chmod 0755, "$dir/www";
spew("$dir/www/truncated.json", substr($ics_text, 0, int(length($ics_text) / 2)));
spew("$dir/www/not-json.json", "<html>oops</html>");
my $web = Attck::Test->start_nginx(
    server => "location /attack/ { alias $attack/; }\n"
            . "        location /www/ { alias $dir/www/; }");
my $base = "http://127.0.0.1:$web->{port}";
is($web->get('/attack/ics-attack-18.1.json')->{status}, 200, 'bundle served over HTTP');

compile('http:// source', 0, '-o', "$dir/http.snap", "$base/attack/ics-attack-18.1.json");
is(masked("$dir/http.snap"), masked($good), 'same snapshot as from the file');
snapshot_ok("$dir/http.snap", 'HTTP');
compile('file:// source', 0, '-o', "$dir/file.snap", "file://$ics");
is(masked("$dir/file.snap"), masked($good), 'same snapshot as from the path');
compile('http:// and a path together', 0, '-o', "$dir/two.snap",
        "$base/attack/mobile-attack-18.1.json", $ics);
snapshot_ok("$dir/two.snap", 'HTTP and path');

my $port = free_port();
for my $case ([ 'HTTP 404', 69, "$base/attack/no-such-bundle.json" ],
              [ 'truncated download', 65, "$base/www/truncated.json" ],
              [ 'HTML instead of JSON', 65, "$base/www/not-json.json" ],
              [ 'connection refused', 69, "http://127.0.0.1:$port/x.json" ]) {
    my ($label, $want, $url) = @$case;
    compile($label, $want, '-o', $good, $url);
    ok(slurp($good) eq $good_bytes, "$label: existing output unchanged");
    is_deeply([ glob("$good.tmp.*") ], [], "$label: no temporary file left");
}

done_testing();

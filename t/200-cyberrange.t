# Drop-in compatibility with the cyber-range technique service
# (../shared/notes/cyberrange-compat.md): the technique index against one
# computed from the bundle by the contract's rules, the matrix with a
# training overlay from stand-in training services (nginx locations that
# check the caller's token), failing and silent services, hostile titles,
# and the refresh.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use IO::Socket::INET;
use Time::HiRes ();
use Attck::Test qw(worker shared_dir run_cmd decode_json load_bundle
                   attack_id free_port);

# the refresh reads the snapshot in a worker process: it must be readable
# by nginx's worker user, not only by the master
my $dir = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $dir;
my $snap = "$dir/attck.snap";
my $ent = shared_dir() . '/attack/enterprise-attack-18.1.json';
my ($rc, $log) = run_cmd(worker(), 'compile', '-o', $snap, $ent);
is($rc, 0, 'compiled Enterprise') or diag $log;

# a training service that listens but never answers: the slow case
my $silent = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, Proto => 'tcp') or die $!;
my $silent_port = $silent->sockport;
my $dead_port = free_port();

my $linear = '[{"id":12,"title":"Demo <script>alert(1)</script>",'
           . '"played":true,"mitre_techniques":["TA0043.T1595",'
           . '"TA0042.T1588.006","bogus key","TA0002.T1059.001"]},'
           . '{"id":13,"title":"Not played \\" quote","played":false,'
           . '"mitre_techniques":["TA0043.T1595"]}]';
my $adaptive = '[{"id":"a-7","title":"Adaptive & co","played":true,'
             . '"mitre_techniques":["TA0043.T1595","TA0007.T1046"]}]';
# nginx unescapes \\ and \' inside a quoted string: escape them for it
(my $linear_conf = $linear) =~ s/(['\\])/\\$1/g;

# 40 definitions: more than the old service's 26 colours
my $many = '[' . join(',', map { qq({"id":$_,"title":"Definition $_","played":true,)
                                 . qq("mitre_techniques":["TA0043.T1595"]}) } 1 .. 40) . ']';

my $cr = '/mitre-technique-service/api/v1';
my $ng = Attck::Test->start_nginx(
    http   => "attck_zone attck 64m; attck_snapshot $snap;",
    server => <<"EOF2",
        location $cr/ {
            attck_cyberrange;
            attck_cyberrange_training linear /_t/linear;
            attck_cyberrange_training adaptive /_t/adaptive;
        }
        location /dead/ {
            attck_cyberrange;
            attck_cyberrange_training linear /_t/linear;
            attck_cyberrange_training adaptive /_t/dead;
        }
        location /slow/ {
            attck_cyberrange;
            attck_cyberrange_training linear /_t/linear;
            attck_cyberrange_training adaptive /_t/slow;
        }
        location /plain/ {
            attck_cyberrange;
        }
        location /many/ {
            attck_cyberrange;
            attck_cyberrange_training linear /_t/many;
        }
        location = /_t/many {
            internal;
            proxy_pass http://127.0.0.1:\$server_port/svc/many;
        }
        location = /svc/many {
            default_type application/json;
            return 200 '$many';
        }
        location = /exact/mitre-update-matrix-data {
            attck_cyberrange;
            allow 127.0.0.1;
            deny all;
        }
        location = /denied/mitre-update-matrix-data {
            attck_cyberrange;
            deny all;
        }
        location = /_t/linear {
            internal;
            proxy_pass http://127.0.0.1:\$server_port/svc/training/api/v1/visualizations/training-definitions/mitre-techniques;
            proxy_set_header Accept application/json;
        }
        location = /_t/adaptive {
            internal;
            proxy_pass http://127.0.0.1:\$server_port/svc/adaptive-training/api/v1/visualizations/training-definitions/mitre-techniques;
        }
        location = /_t/dead {
            internal;
            proxy_pass http://127.0.0.1:$dead_port/;
        }
        location = /_t/slow {
            internal;
            proxy_pass http://127.0.0.1:$silent_port/;
            proxy_read_timeout 1s;
        }
        location = /svc/training/api/v1/visualizations/training-definitions/mitre-techniques {
            if (\$http_authorization != "Bearer caller-token") { return 401; }
            if (\$http_accept != "application/json") { return 406; }
            default_type application/json;
            return 200 '$linear_conf';
        }
        location = /svc/adaptive-training/api/v1/visualizations/training-definitions/mitre-techniques {
            if (\$http_authorization != "Bearer caller-token") { return 401; }
            default_type application/json;
            return 200 '$adaptive';
        }
EOF2
);

# --- the technique index, computed here by the contract's rules ----------

my $bundle = load_bundle('enterprise-attack-18.1.json');
my %by = map { $_->{id} => $_ } @{ $bundle->{objects} };
my ($matrix) = grep { $_->{type} eq 'x-mitre-matrix' && !$_->{x_mitre_deprecated} }
               @{ $bundle->{objects} };
my @want;
for my $tref (@{ $matrix->{tactic_refs} }) {
    my $t = $by{$tref};
    my @techs = sort { $a->{name} cmp $b->{name} }
        grep { $_->{type} eq 'attack-pattern' && !$_->{revoked}
               && !$_->{x_mitre_deprecated} && !$_->{x_mitre_is_subtechnique}
               && grep { $_->{kill_chain_name} eq 'mitre-attack'
                         && $_->{phase_name} eq $t->{x_mitre_shortname} }
                       @{ $_->{kill_chain_phases} || [] } }
        @{ $bundle->{objects} };
    push @want, map { { code => attack_id($t) . '.' . attack_id($_),
                        name => $_->{name} } } @techs;
}
cmp_ok(scalar @want, '>', 200, 'the contract gives a full index');

for my $path ("$cr/mitre-technique-index", "$cr/mitre-technqiue-index") {
    my $res = $ng->get($path);
    is($res->{status}, 200, "$path: 200");
    like($res->{headers}{'content-type'}, qr{^application/json}, "$path: JSON");
    is_deeply(decode_json($res->{content}), { techniques => \@want },
              "$path: equal entry by entry to the index from the bundle");
    ok($res->{headers}{etag}, "$path: ETag");
}
my @codes = map { $_->{code} } @want;
ok(!(grep { !/^TA[0-9]{4}\.T[0-9]{4}$/ } @codes),
   'every code matches the editor\'s pattern, parents only');

# --- the matrix ----------------------------------------------------------

my $res = $ng->get("$cr/mitre-matrix-visualisation?played=true");
is($res->{status}, 400, 'no Authorization: 400');
is_deeply(decode_json($res->{content}),
          { detail => 'Authentication token is missing from the header' },
          'no Authorization: the contract\'s body');

sub matrix {
    my ($path, $token) = @_;
    return $ng->get($path, headers => { Authorization => $token // 'Bearer caller-token' });
}

sub dots_in {
    my ($html, $tactic, $tech) = @_;
    my ($cell) = $html =~ m{id="attck-$tactic-\Q$tech\E">(.*?)</div>}s;
    return undef unless defined $cell;
    return [ $cell =~ /title="([^"]*)"><\/span>/g ];
}

$res = matrix("$cr/mitre-matrix-visualisation?played=true");
is($res->{status}, 200, 'matrix: 200');
like($res->{headers}{'content-type'}, qr{^text/html}, 'matrix: HTML');
is($res->{headers}{'x-attck-overlay'}, 'complete', 'both services answered');
my $html = $res->{content};
like($html, qr{^<style>}, 'a <style> block');
like($html, qr{<div class="attck-matrix">}, 'and a <div>');
my @cells = $html =~ /class="attck-cell" id="attck-(TA\d{4})-(T\d{4})"/g;
is(scalar @cells / 2, scalar @want, 'one cell per index entry');

my $demo = 'Demo &lt;script&gt;alert(1)&lt;/script&gt; (12)';
is_deeply(dots_in($html, 'TA0043', 'T1595'), [ $demo, 'Adaptive &amp; co (a-7)' ],
          'T1595 under Reconnaissance: a dot per played definition');
is_deeply(dots_in($html, 'TA0042', 'T1588'), [ $demo ],
          'TA0042.T1588.006 counts for T1588');
is_deeply(dots_in($html, 'TA0007', 'T1046'), [ 'Adaptive &amp; co (a-7)' ],
          'adaptive definition on T1046');
is_deeply(dots_in($html, 'TA0002', 'T1059'), [ $demo ], 'T1059.001 -> T1059');
is_deeply(dots_in($html, 'TA0043', 'T1592'), [], 'an unused cell has no dots');
unlike($html, qr/<script>/, 'hostile title escaped');
unlike($html, qr/Not played/, 'played=true: unplayed definitions left out');
like($html, qr{<h4>Linear training:</h4><ul><li>.*?\Q$demo\E</li></ul>},
     'legend: Linear training');
like($html, qr{<h4>Adaptive training:</h4><ul><li>.*?Adaptive &amp; co \(a-7\)</li>},
     'legend: Adaptive training');

$html = matrix("$cr/mitre-matrix-visualisation?played=false")->{content};
is_deeply(dots_in($html, 'TA0043', 'T1595'),
          [ $demo, 'Not played &quot; quote (13)', 'Adaptive &amp; co (a-7)' ],
          'played=false: every definition');

my @styles = $html =~ /<li><span class="attck-dot" style="background:(hsl\([^)]*\))"/g;
is(scalar @styles, 3, 'three definitions in the legend');
my %seen;
ok(!(grep { $seen{$_}++ } @styles), 'each definition has its own colour');

$html = matrix("$cr/mitre-matrix-visualisation?played=true&subtechniques=true")->{content};
is_deeply(dots_in($html, 'TA0042', 'T1588.006'), [ $demo ],
          'subtechniques=true: a dot on the sub-technique\'s own cell');
is_deeply(dots_in($html, 'TA0042', 'T1588.001'), [], 'and not on its siblings');

# no colour cap: 40 definitions, 40 colours, all on the one cell
$html = matrix('/many/mitre-matrix-visualisation')->{content};
my @many_dots = $html =~ /<li><span class="attck-dot" style="background:(hsl\([^)]*\))"/g;
is(scalar @many_dots, 40, '40 definitions in the legend');
%seen = ();
is(scalar(grep { !$seen{$_}++ } @many_dots), 40, 'each of the 40 has its own colour');
is(scalar @{ dots_in($html, 'TA0043', 'T1595') }, 40, 'and 40 dots on T1595');

# the caller's token travels to the training services, verbatim
$res = matrix("$cr/mitre-matrix-visualisation?played=true", 'Bearer other');
is($res->{status}, 200, 'a token the services refuse: the matrix still answers');
is($res->{headers}{'x-attck-overlay'}, 'partial', 'overlay: partial');
like($res->{content}, qr/Linear training definitions are unavailable \(HTTP 401\)/,
     'the fragment says why');
is_deeply(dots_in($res->{content}, 'TA0043', 'T1595'), [], 'no dots');

# a service that is down, and one that never answers
$res = matrix('/dead/mitre-matrix-visualisation?played=true');
is($res->{status}, 200, 'a service down: 200');
is($res->{headers}{'x-attck-overlay'}, 'partial', 'a service down: partial');
like($res->{content}, qr/Adaptive training definitions are unavailable \(HTTP 502\)/,
     'a service down: said in the fragment');
is_deeply(dots_in($res->{content}, 'TA0043', 'T1595'), [ $demo ],
          'a service down: the other one\'s dots stay');

# the slow matrix on a socket of its own; meanwhile other requests go on
my $t0 = Time::HiRes::time();
my $slow = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ng->{port})
    or die $!;
print $slow "GET /slow/mitre-matrix-visualisation?played=true HTTP/1.0\r\n"
          . "Authorization: Bearer caller-token\r\n\r\n";
Time::HiRes::sleep(0.2);
my $t1 = Time::HiRes::time();
is($ng->get("$cr/mitre-technique-index")->{status}, 200,
   'while the matrix waits for the silent service, the index answers');
cmp_ok(Time::HiRes::time() - $t1, '<', 0.5, 'and is not held up');
my $slow_answer = do { local $/; <$slow> };
my $took = Time::HiRes::time() - $t0;
like($slow_answer, qr{^HTTP/1.1 200}, 'a silent service: 200');
like($slow_answer, qr/Adaptive training definitions are unavailable \(HTTP 504\)/,
     'a silent service: 504 at its timeout');
cmp_ok($took, '>=', 0.9, 'waited for the configured timeout');
cmp_ok($took, '<', 3, 'and no longer');

$res = matrix('/plain/mitre-matrix-visualisation');
is($res->{status}, 200, 'no training services configured: 200');
is($res->{headers}{'x-attck-overlay'}, 'none', 'overlay: none');

# --- the matrix as JSON and SVG, every domain ----------------------------

$res = matrix("$cr/mitre-matrix-visualisation?played=true&format=json");
is($res->{status}, 200, 'JSON matrix: 200');
like($res->{headers}{'content-type'}, qr{^application/json}, 'JSON matrix: JSON');
my $jm = decode_json($res->{content});
is($jm->{domain}, 'enterprise-attack', 'JSON matrix: Enterprise');
is_deeply([ map { $_->{label} } @{ $jm->{training}{definitions} } ],
          [ 'Demo <script>alert(1)</script> (12)', 'Adaptive & co (a-7)' ],
          'JSON matrix: the played definitions');
is_deeply($jm->{training}{unavailable}, [], 'JSON matrix: every service heard');
my %jcell;
for my $t (@{ $jm->{tactics} }) {
    for my $tech (@{ $t->{techniques} }) {
        $jcell{"$t->{id}.$tech->{id}"} = $tech->{definitions};
        $jcell{"$t->{id}.$_->{id}"} = $_->{definitions}
            for @{ $tech->{subtechniques} };
    }
}
is_deeply($jcell{'TA0043.T1595'}, [ 0, 1 ], 'JSON: T1595 has both definitions');
is_deeply($jcell{'TA0042.T1588'}, [ 0 ], 'JSON: T1588 from its sub-technique');
is_deeply($jcell{'TA0042.T1588.006'}, [ 0 ], 'JSON: and on T1588.006 itself');
is_deeply($jcell{'TA0043.T1592'}, [], 'JSON: unused cells are empty');
is(scalar(grep { !/\.T\d{4}\./ } keys %jcell), scalar @want,
   'JSON: one parent cell per index entry');

$res = matrix('/dead/mitre-matrix-visualisation?format=json');
is_deeply(decode_json($res->{content})->{training}{unavailable},
          [ { kind => 'adaptive', status => 502 } ],
          'JSON: an unavailable service is listed');

$res = matrix("$cr/mitre-matrix-visualisation?played=true&format=svg");
is($res->{status}, 200, 'SVG matrix: 200');
like($res->{headers}{'content-type'}, qr{^image/svg\+xml}, 'SVG: image/svg+xml');
like($res->{content}, qr{^<svg xmlns="http://www.w3.org/2000/svg"}, 'SVG: standalone');
unlike($res->{content}, qr/<script/, 'SVG: hostile title escaped');
open(my $svg, '>', "$dir/m.svg") or die $!;
print $svg $res->{content};
close $svg;
my ($xrc, $xout) = run_cmd('xmllint', '--noout', "$dir/m.svg");
is($xrc, 0, 'SVG: well-formed XML') or diag $xout;
is(scalar(() = $res->{content} =~ /<circle cx="\d+" cy="\d+" r="3.5"/g), 5,
   'SVG: a dot per definition and cell (T1595 x2, T1588, T1059, T1046)');

# the snapshot here holds Enterprise only; the test snapshot all domains
{
    my $all = Attck::Test->start_nginx(
        http   => 'attck_zone attck 256m; attck_snapshot '
                  . Attck::Test::test_snapshot() . ';',
        server => 'location /cr/ { attck_cyberrange; }',
    );
    my %tactics;
    for my $d (qw(mobile ics)) {
        my $b = load_bundle("$d-attack-18.1.json");
        my ($m) = grep { $_->{type} eq 'x-mitre-matrix' && !$_->{x_mitre_deprecated} }
                  @{ $b->{objects} };
        my %id = map { $_->{id} => attack_id($_) } @{ $b->{objects} };
        $tactics{$d} = [ map { $id{$_} } @{ $m->{tactic_refs} } ];
    }
    for my $d (qw(mobile ics)) {
        my $h = $all->get("/cr/mitre-matrix-visualisation?domain=$d",
                          headers => { Authorization => 'x' });
        is($h->{status}, 200, "$d HTML matrix: 200");
        is_deeply([ $h->{content} =~ /<th title="(TA\d{4})">/g ], $tactics{$d},
                  "$d HTML matrix: the domain's tactics in its matrix order");
        my $j = decode_json($all->get("/cr/mitre-matrix-visualisation?domain=$d&format=json",
                                      headers => { Authorization => 'x' })->{content});
        is_deeply([ map { $_->{id} } @{ $j->{tactics} } ], $tactics{$d},
                  "$d JSON matrix: the same tactics");
        my $s = $all->get("/cr/mitre-matrix-visualisation?domain=$d&format=svg",
                          headers => { Authorization => 'x' });
        is($s->{status}, 200, "$d SVG matrix: 200");
    }
    is($all->get('/cr/mitre-matrix-visualisation?format=pdf',
                 headers => { Authorization => 'x' })->{status}, 400,
       'an unknown format: 400');
    is($all->get('/cr/mitre-matrix-visualisation?domain=moon',
                 headers => { Authorization => 'x' })->{status}, 400,
       'an unknown domain: 400');
    is(matrix('/plain/mitre-matrix-visualisation?domain=ics')->{status}, 404,
       'a domain not in the snapshot: 404');
}

# --- the overlay as a Navigator layer ------------------------------------

my %shortname = map { attack_id($_) => $_->{x_mitre_shortname} }
                grep { $_->{type} eq 'x-mitre-tactic' } @{ $bundle->{objects} };
$res = matrix("$cr/mitre-navigator-layer?played=true");
is($res->{status}, 200, 'overlay layer: 200');
my $layer = decode_json($res->{content});
is($layer->{domain}, 'enterprise-attack', 'overlay layer: domain');
is($layer->{versions}{layer}, '4.5', 'overlay layer: format 4.5');
my %entry = map { ("$_->{tactic}/$_->{techniqueID}" => $_) } @{ $layer->{techniques} };
is_deeply([ sort keys %entry ],
          [ sort "$shortname{TA0043}/T1595", "$shortname{TA0042}/T1588.006",
                 "$shortname{TA0002}/T1059.001", "$shortname{TA0007}/T1046" ],
          'one entry per key, tactic from the TA id, "bogus key" left out');
my $scan = $entry{"$shortname{TA0043}/T1595"};
is($scan->{score}, 2, 'T1595: score = definitions using it');
is($scan->{comment}, 'Demo <script>alert(1)</script> (12); Adaptive & co (a-7)',
   'T1595: comment = their titles (JSON-escaped, not HTML)');
is_deeply($scan->{metadata},
          [ { name => 'linear', value => 'Demo <script>alert(1)</script> (12)' },
            { name => 'adaptive', value => 'Adaptive & co (a-7)' } ],
          'T1595: metadata per definition');
is($layer->{gradient}{maxValue}, 2, 'gradient up to the highest score');

# --- methods, unknown paths, refresh -------------------------------------

$res = $ng->get("$cr/mitre-technique-index", method => 'POST');
is($res->{status}, 405, 'POST index: 405');
is($res->{headers}{allow}, 'GET, HEAD', 'Allow: GET, HEAD');
$res = $ng->get("$cr/mitre-update-matrix-data");
is($res->{status}, 405, 'GET refresh: 405');
is($res->{headers}{allow}, 'PUT', 'Allow: PUT');
is($ng->get("$cr/nothing")->{status}, 404, 'unknown endpoint: 404');
is_deeply(decode_json($ng->get("$cr/nothing")->{content}), { detail => 'Not found.' },
          'unknown endpoint: the old service\'s body');

$res = $ng->get("$cr/mitre-update-matrix-data", method => 'PUT');
is($res->{status}, 200, 'PUT refresh, unchanged snapshot: 200');
like(decode_json($res->{content})->{message}, qr/up to date \(generation 1\)/,
     'says it is up to date');
$res = $ng->get('/exact/mitre-update-matrix-data', method => 'PUT');
is($res->{status}, 200, 'PUT refresh in an exact, allowed location: 200');
is($ng->get('/denied/mitre-update-matrix-data', method => 'PUT')->{status}, 403,
   'deny all keeps the refresh closed');

# a new snapshot in place: the refresh serves it in every worker
($rc, $log) = run_cmd(worker(), 'compile', '-o', $snap, $ent,
                      shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'recompiled with ICS') or diag $log;
$res = $ng->get("$cr/mitre-update-matrix-data", method => 'PUT', content => '{}');
is($res->{status}, 200, 'PUT refresh: 200');
like(decode_json($res->{content})->{message}, qr/updated \(generation 2\)/,
     'a new generation');
my $ok = 0;
for (1 .. 20) {
    $ok++ if $ng->get("$cr/mitre-technique-index")->{status} == 200;
}
is($ok, 20, 'every worker serves after the refresh');

# a corrupt file is refused; the data stays
open(my $fh, '+<', $snap) or die $!;
seek($fh, 5000, 0);
print $fh "garbage";
close $fh;
$res = $ng->get("$cr/mitre-update-matrix-data", method => 'PUT');
is($res->{status}, 500, 'corrupt snapshot: 500');
like(decode_json($res->{content})->{detail}, qr/current data is kept/,
     'corrupt snapshot: says the data is kept');
like($ng->error_log, qr/checksum mismatch/, 'the reason is logged');
is_deeply(decode_json($ng->get("$cr/mitre-technique-index")->{content}),
          { techniques => \@want }, 'the index is unchanged');

done_testing();

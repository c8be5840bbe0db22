# GET diff: the changelog between two releases, as compiled into the
# snapshot, against one computed here from the two bundles (Attck::Diff);
# its Markdown, HTML and Navigator forms; errors; and attck-worker diff,
# which prints the same bytes.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Attck::Test qw(test_snapshot load_bundle attack_id decode_json run_cmd
                   worker shared_dir);
use Attck::Diff qw(changelog @TYPES @SECTIONS);

my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => 'location /api/v1/ { attck_api; }',
);

my $want = changelog(load_bundle('enterprise-attack-16.1.json'),
                     load_bundle('enterprise-attack-18.1.json'));

my $res = $ng->get('/api/v1/diff?from=16.1&to=18.1&domain=enterprise');
is($res->{status}, 200, 'diff 16.1 -> 18.1: 200');
like($res->{headers}{'content-type'}, qr{^application/json}, '... JSON');
ok($res->{headers}{etag}, '... with an entity tag');
my $d = decode_json($res->{content});
is($d->{from}, '16.1', '... from');
is($d->{to}, '18.1', '... to');
is($d->{domain}, 'enterprise-attack', '... domain');

# every section of every type: the same objects as computed from the STIX

for my $t (@TYPES) {
    for my $s (@SECTIONS) {
        my @ids = map { $_->{id} } @{ $want->{$t}{$s} };
        is($d->{counts}{$t}{$s}, scalar @ids, "$t $s: count " . @ids);
        is_deeply([ map { $_->{id} } @{ $d->{changes}{$t}{$s} } ], \@ids,
                  "$t $s: the same objects");
    }
}

# the release's known shape: new techniques, the whole detection model new

ok(@{ $want->{technique}{additions} } > 10, 'techniques were added');
ok(@{ $want->{'detection-strategy'}{additions} } > 100,
   'detection strategies were added');
ok(@{ $want->{analytic}{additions} } > 100, 'analytics were added');

# revocations with what replaces them (and its tactics)

my @rev = @{ $want->{technique}{revocations} };
ok(@rev >= 1, 'at least one technique was revoked');
for my $w (@rev) {
    my ($e) = grep { $_->{id} eq $w->{id} }
              @{ $d->{changes}{technique}{revocations} };
    is($e->{revoked_by}{id}, $w->{revoked_by},
       "$w->{id} revoked by $w->{revoked_by}");
    is_deeply($e->{revoked_by}{tactics}, $w->{tactics},
              "... whose tactics are @{ $w->{tactics} }");
    ok($e->{old_version} && $e->{new_version}, '... with both versions');
}

# every changed technique: the fields that changed and how

my %served = map { $_->{id} => $_ }
             map { @{ $d->{changes}{technique}{$_} } }
             qw(major_version_changes minor_version_changes
                other_version_changes patches);
my ($checked, %kinds) = (0);
for my $s (qw(major_version_changes minor_version_changes
              other_version_changes patches)) {
    for my $w (@{ $want->{technique}{$s} }) {
        my $e = $served{ $w->{id} };
        my $ok = $e && "@{ $e->{changed} }" eq "@{ $w->{changed} }";
        for my $f (qw(tactics platforms)) {
            next unless $w->{detail}{$f};
            $ok &&= $e->{$f}
                && "@{ $e->{$f}{added} }" eq "@{ $w->{detail}{$f}{added} }"
                && "@{ $e->{$f}{removed} }" eq "@{ $w->{detail}{$f}{removed} }";
        }
        if ($w->{detail}{parent}) {
            $ok &&= ($e->{parent}{old} // '') eq ($w->{detail}{parent}{old} // '')
                 && ($e->{parent}{new} // '') eq ($w->{detail}{parent}{new} // '');
        }
        if ($w->{detail}{relationships}) {
            my $r = $e->{relationships} || {};
            $ok &&= join(',', sort keys %$r)
                    eq join(',', sort keys %{ $w->{detail}{relationships} });
            for my $cat (keys %{ $w->{detail}{relationships} }) {
                for my $k (qw(added removed)) {
                    $ok &&= join(',', @{ $r->{$cat}{$k} || [] })
                        eq join(',', sort @{ $w->{detail}{relationships}{$cat}{$k} });
                }
            }
        }
        ok($ok, "$w->{id} ($s): @{ $w->{changed} }") or diag explain $e;
        $checked++;
        $kinds{$_}++ for @{ $w->{changed} };
    }
}
ok($checked > 100, "$checked changed techniques checked");
ok($kinds{$_}, "some technique changed its $_ ($kinds{$_})")
    for qw(name description tactics platforms detection relationships);

# a known one by name: its old and new versions as in the bundles

{
    my ($w) = grep { grep { $_ eq 'name' } @{ $_->{changed} } }
              map { @{ $want->{technique}{$_} } }
              qw(major_version_changes minor_version_changes
                 other_version_changes patches);
    my $e = $served{ $w->{id} };
    my ($old) = grep { (attack_id($_) // '') eq $w->{id} }
                @{ load_bundle('enterprise-attack-16.1.json')->{objects} };
    is($e->{old_name}, $old->{name}, "$w->{id}: old name $old->{name}");
    is($e->{old_version}, $old->{x_mitre_version}, '... old version');
}

# --- slices ---------------------------------------------------------------

$res = $ng->get('/api/v1/diff?from=16.1&to=18.1&type=technique'
                . '&section=revocations');
is($res->{status}, 200, 'one type, one section: 200');
my $s = decode_json($res->{content});
is_deeply([ keys %{ $s->{changes} } ], ['technique'], '... only techniques');
is_deeply([ keys %{ $s->{changes}{technique} } ], ['revocations'],
          '... only revocations');
is_deeply($s->{changes}{technique}{revocations},
          $d->{changes}{technique}{revocations}, '... the same entries');

$res = $ng->get('/api/v1/diff?from=16.1&to=18.1&type=group');
$s = decode_json($res->{content});
is_deeply([ keys %{ $s->{changes} } ], ['group'], 'type=group: groups');
is(scalar keys %{ $s->{changes}{group} }, 8, '... in all eight sections');

$res = $ng->get('/api/v1/diff?from=16.1&to=18.1&section=deprecations');
$s = decode_json($res->{content});
is(scalar keys %{ $s->{changes} }, 10, 'section=deprecations: every type');
is_deeply([ map { keys %{ $s->{changes}{$_} } } @TYPES ],
          [ ('deprecations') x 10 ], '... that section only');

$res = $ng->get('/api/v1/diff?from=16.1');
is($res->{content}, $ng->get('/api/v1/diff?from=16.1&to=18.1')->{content},
   'to defaults to the newest release');
is($ng->get('/api/v1/diff?from=16.1&to=latest')->{status}, 200,
   'to=latest');

# --- Markdown and HTML ----------------------------------------------------

$res = $ng->get('/api/v1/diff?from=16.1&to=18.1&format=markdown');
is($res->{status}, 200, 'Markdown: 200');
like($res->{headers}{'content-type'}, qr{^text/markdown; charset=utf-8},
     '... text/markdown');
my $md = $res->{content};
like($md, qr/^# Changes to Enterprise ATT&CK from 16\.1 to 18\.1/,
     '... titled');
my $n = @rev;
like($md, qr/^### Revocations \($n\)$/m, "... $n revocation(s)");
for my $w (@rev) {
    like($md, qr/^- \*\*\Q$w->{id}\E\*\* .*: revoked by \*\*\Q$w->{revoked_by}\E\*\*/m,
         "... $w->{id} revoked by $w->{revoked_by}");
}
$n = @{ $want->{technique}{additions} };
like($md, qr/^## Techniques and sub-techniques\n\n### Additions \($n\)$/m,
     "... $n technique additions");

$res = $ng->get('/api/v1/diff?from=16.1&to=18.1&format=html&type=technique');
is($res->{status}, 200, 'HTML: 200');
like($res->{headers}{'content-type'}, qr{^text/html; charset=utf-8},
     '... text/html');
like($res->{headers}{'content-security-policy'} // '', qr/default-src 'none'/,
     '... nothing may load or run');
my $html = $res->{content};
like($html, qr/^<!DOCTYPE html>/, '... a whole page');
unlike($html, qr/<(?:script|link|img|iframe)\b/i, '... self-contained');
unlike($html, qr/ATT&CK/, '... "&" escaped');
like($html, qr{<h3>Revocations \(\d+\)</h3>}, '... sections');
for my $w (@rev) {
    like($html, qr{<span class="id">\Q$w->{id}\E</span>}, "... $w->{id}");
}

# the HTML parses (xmllint's HTML parser; it reports errors on stderr)

{
    my $f = File::Temp->new(SUFFIX => '.html');
    print $f $html;
    close $f;
    my ($rc, $out) = run_cmd('xmllint', '--html', '--noout', $f->filename);
    is($out, '', '... HTML without parse errors');
}

# --- the Navigator layer --------------------------------------------------

$res = $ng->get('/api/v1/diff?from=16.1&to=18.1&format=layer');
is($res->{status}, 200, 'layer: 200');
my $layer = decode_json($res->{content});
is($layer->{versions}{layer}, '4.5', '... layer format 4.5');
is($layer->{versions}{attack}, '18', '... ATT&CK 18');
is($layer->{domain}, 'enterprise-attack', '... Enterprise');
my %colour = map { $_->{label} => $_->{color} } @{ $layer->{legendItems} };
is(scalar keys %colour, 4, '... a legend of four colours');
my %by_colour;
$by_colour{ $_->{color} }++ for @{ $layer->{techniques} };
my %count = map { $_ => scalar @{ $want->{technique}{$_} } } @SECTIONS;
is($by_colour{ $colour{Addition} } // 0, $count{additions},
   "... $count{additions} additions");
is($by_colour{ $colour{'Change (major, minor or other version)'} } // 0,
   $count{major_version_changes} + $count{minor_version_changes}
   + $count{other_version_changes}, '... the version changes');
is($by_colour{ $colour{Revocation} } // 0, $count{revocations},
   '... the revocations');
is($by_colour{ $colour{Deprecation} } // 0, $count{deprecations},
   '... the deprecations');
my ($lr) = grep { $_->{techniqueID} eq $rev[0]{id} } @{ $layer->{techniques} };
like($lr->{comment}, qr/revoked by \Q$rev[0]{revoked_by}\E/,
     '... a revocation says by what');

$res = $ng->get('/api/v1/diff?from=16.1&to=18.1&format=layer'
                . '&section=additions');
is(scalar @{ decode_json($res->{content})->{techniques} }, $count{additions},
   'layer of additions only');

# --- errors ---------------------------------------------------------------

my %err = (
    '/api/v1/diff' => [400, qr/"from" is required/],
    '/api/v1/diff?from=17.0' => [404, qr/no such release: 17\.0 \(loaded releases: 16\.1, 18\.1\)/],
    '/api/v1/diff?from=16.1&to=99.0' => [404, qr/no such release: 99\.0 .*16\.1, 18\.1/],
    '/api/v1/diff?from=18.1&to=16.1' => [404, qr/no changelog of enterprise ATT&CK from 18\.1 to 16\.1.*loaded releases: 16\.1, 18\.1/],
    '/api/v1/diff?from=16.1&domain=mobile' => [404, qr/no changelog of mobile/],
    '/api/v1/diff?from=16.1&domain=pre' => [400, qr/"domain" is enterprise, mobile or ics/],
    '/api/v1/diff?from=16.1&type=techniques' => [400, qr/"type" is one of: technique, tactic/],
    '/api/v1/diff?from=16.1&section=added' => [400, qr/"section" is one of: additions/],
    '/api/v1/diff?from=16.1&format=pdf' => [400, qr/"format" is one of: json, markdown, html, layer/],
    '/api/v1/diff?from=16.1&format=layer&type=group' => [400, qr/a layer shows techniques/],
    '/api/v1/diff?from=16.1&release=16.1' => [400, qr/unknown parameter "release"/],
    '/api/v1/diff?from=%3Cscript%3E' => [404, qr/no such release \(loaded/],
);
for my $path (sort keys %err) {
    $res = $ng->get($path);
    is($res->{status}, $err{$path}[0], "$path: $err{$path}[0]");
    like(decode_json($res->{content})->{detail}, $err{$path}[1],
         '... ' . decode_json($res->{content})->{detail});
}

ok((grep { $_ eq 'diff' }
    @{ decode_json($ng->get('/api/v1/')->{content})->{endpoints} }),
   'the index lists diff');

# --- attck-worker diff prints what the API serves --------------------------

my $a16 = shared_dir() . '/attack/enterprise-attack-16.1.json';
my $a18 = shared_dir() . '/attack/enterprise-attack-18.1.json';

for my $f (qw(json markdown html layer)) {
    my $q = $f eq 'json' ? '' : "&format=$f";
    my ($rc, $out) = run_cmd('sh', '-c', worker() . " diff --format $f "
                             . "$a16 $a18 2>/dev/null");
    is($rc, 0, "CLI $f: exit 0");
    ok($out eq $ng->get("/api/v1/diff?from=16.1&to=18.1$q")->{content},
       "... the same bytes as GET diff$q");
}

my ($rc, $out) = run_cmd('sh', '-c', worker() . " diff 16.1 18.1 --type "
                         . "technique --section revocations $a18 $a16 "
                         . "2>/dev/null");
is($rc, 0, 'CLI by release numbers among bundles: exit 0');
is($out, $ng->get('/api/v1/diff?from=16.1&to=18.1&type=technique'
                  . '&section=revocations')->{content}, '... the same slice');

($rc, $out) = run_cmd(worker(), 'diff', '16.1', '17.0', $a16, $a18);
is($rc, 66, 'CLI: a release not among the bundles: 66');
like($out, qr/enterprise-attack 17\.0 is not among the bundles given/,
     '... says which');
($rc, $out) = run_cmd(worker(), 'diff', '16.1');
is($rc, 64, 'CLI: TO missing: 64');
($rc, $out) = run_cmd(worker(), 'diff', '--format', 'pdf', '16.1', '18.1');
is($rc, 64, 'CLI: unknown format: 64');

done_testing();

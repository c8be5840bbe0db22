# attck_taxii: TAXII 2.1 from the snapshot of compile --taxii.  Every
# object of every collection arrives once, byte for byte as in its bundle,
# paged across two nginx instances; limit edges, added_after at and
# around date_added, every match[] filter, next tokens across a snapshot
# swap, content negotiation, errors and hostile parameters.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Attck::Test qw(worker shared_dir run_cmd decode_json load_bundle slurp);

my $dir = File::Temp::tempdir('attck-taxii-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $A = shared_dir() . '/attack';

sub compile {
    my ($out, @files) = @_;
    my ($rc, $log) = run_cmd(worker(), 'compile', '--taxii', '-o', $out,
                             map { "$A/$_" } @files);
    is($rc, 0, "compile --taxii @files") or diag $log;
}

compile("$dir/a.snap", qw(enterprise-attack-18.1.json mobile-attack-18.1.json
                         ics-attack-18.1.json enterprise-attack-16.1.json));
# the same ICS and Mobile, another Enterprise in the first view
compile("$dir/b.snap", qw(enterprise-attack-16.1.json mobile-attack-18.1.json
                         ics-attack-18.1.json));

my $http = sub { "attck_zone attck 512m; attck_snapshot $_[0];" };
my $server = 'location /taxii2/ { attck_taxii; } location /api/ { attck_taxii; }';
my @ng = map { Attck::Test->start_nginx(workers => 1, http => $http->("$dir/a.snap"),
                                        server => $server) } 1 .. 2;

my $TYPE = 'application/taxii+json;version=2.1';

sub get {
    my ($path, %opt) = @_;
    my $ng = $opt{ng} // $ng[0];
    return $ng->get("/taxii2/$path", headers => { Accept => $TYPE, %{ $opt{headers} || {} } },
                    method => $opt{method});
}

sub get_json {
    my ($path, %opt) = @_;
    my $res = get($path, %opt);
    is($res->{status}, 200, "$path: 200") or diag $res->{content};
    is($res->{headers}{'content-type'}, $TYPE, "$path: TAXII media type");
    return decode_json($res->{content});
}

sub error_is {
    my ($path, $status, $re, %opt) = @_;
    my $res = get($path, %opt);
    is($res->{status}, $status, "$path: $status");
    my $e = eval { decode_json($res->{content}) } || {};
    is($e->{http_status}, "$status", "$path: TAXII error object");
    like("$e->{title} $e->{description}", $re, "$path: says why") if $re;
    return $res;
}

# each bundle's objects as the bytes of its file: MITRE's bundles list one
# object per 8-space indented block
my (%raw, %coll, %added);
for my $f (qw(enterprise-attack-18.1.json mobile-attack-18.1.json
              ics-attack-18.1.json enterprise-attack-16.1.json)) {
    my $text = slurp("$A/$f");
    my @raw = $text =~ /^        (\{\n.*?^        \})(?=,?\n)/msg;
    my $b = load_bundle($f);
    is(scalar @raw, scalar @{ $b->{objects} }, "$f: objects found in its text");
    my ($c) = grep { $_->{type} eq 'x-mitre-collection' } @{ $b->{objects} };
    $raw{$f} = \@raw;
    $coll{$f} = $c;
}

# discovery and API roots
my $d = get_json('');
my $base = "http://127.0.0.1:$ng[0]{port}/taxii2/";
is($d->{default}, "${base}attack/", 'discovery: default root');
is_deeply($d->{api_roots}, [map { "$base$_/" } qw(attack attack-18.1 attack-16.1)],
          'discovery: the latest root and one per release');
my $root = get_json('attack/');
is_deeply($root->{versions}, [$TYPE], 'API root: TAXII 2.1');
is(get_json('attack-16.1/')->{title}, 'MITRE ATT&CK 16.1', 'release root');
error_is('attack-17.0/', 404, qr/API root/);
error_is('nothing/', 404);

my %ids = map { $_->{id} => 1 } @{ get_json('attack/collections/')->{collections} };
is_deeply(\%ids, { map { $coll{$_}{id} => 1 } qw(enterprise-attack-18.1.json
          mobile-attack-18.1.json ics-attack-18.1.json) },
          'latest root: MITRE\'s collection ids');
is_deeply([map { $_->{id} } @{ get_json('attack-16.1/collections/')->{collections} }],
          [$coll{'enterprise-attack-16.1.json'}{id}], '16.1 root: its collection');

# a walk: pages alternate between the two instances; every object once,
# in the bundle's order, the page body exactly the objects' bytes
sub walk {
    my ($root, $f, $limit, %opt) = @_;
    my $cid = $opt{uuid} ? ($coll{$f}{id} =~ s/^x-mitre-collection--//r) : $coll{$f}{id};
    my ($next, $i, $pages, $ok) = (undef, 0, 0, 1);
    my $raw = $raw{$f};
    while (1) {
        my $q = "limit=$limit" . (defined $next ? "&next=$next" : '');
        my $res = get("$root/collections/$cid/objects/?$q", ng => $ng[$pages % 2]);
        $pages++;
        if ($res->{status} != 200) {
            fail("$f page $pages: $res->{status} $res->{content}");
            return;
        }
        my $n = $limit;
        $n = @$raw - $i if $i + $n > @$raw;
        my $more = $i + $n < @$raw;
        my $body = $res->{content};
        my ($head) = $body =~ /^(\{"more":(?:true|false)(?:,"next":"[^"]+")?,"objects":\[)/;
        $ok &&= defined $head
            && $body eq $head . join(',', @$raw[$i .. $i + $n - 1]) . ']}';
        my $j = decode_json($body);
        $ok &&= ($j->{more} ? 1 : 0) == ($more ? 1 : 0);
        $i += $n;
        last unless $j->{more};
        $next = $j->{next};
        last if $pages > 100000;
    }
    ok($ok && $i == @$raw, "$root $f limit $limit: ${\ scalar @$raw} objects "
       . "byte for byte in $pages pages");
    return $pages;
}

walk('attack', 'enterprise-attack-18.1.json', 1000);
walk('attack', 'mobile-attack-18.1.json', 1000, uuid => 1);
walk('attack-18.1', 'ics-attack-18.1.json', 10000);
walk('attack-16.1', 'enterprise-attack-16.1.json', 5000);

# MITRE's paths: "location /api/" and the root v21
{
    my $res = $ng[0]->get("/api/v21/collections/$coll{'ics-attack-18.1.json'}{id}/objects/?limit=10000",
                          headers => { Accept => $TYPE });
    is($res->{content}, '{"more":false,"objects":[' . join(',', @{ $raw{'ics-attack-18.1.json'} }) . ']}',
       '/api/v21/collections/{MITRE\'s id}/objects/: as MITRE\'s server has it');
}

# limit edges on ICS
my $ics = 'ics-attack-18.1.json';
my $icsn = @{ $raw{$ics} };
my $IC = "attack/collections/$coll{$ics}{id}";
is(walk('attack', $ics, $icsn), 1, "limit = all ($icsn): one page");
is(walk('attack', $ics, $icsn - 1), 2, 'limit = all - 1: two pages');
is(walk('attack', $ics, $icsn + 1), 1, 'limit = all + 1: one page');
walk('attack', $ics, 997);
my $p1 = get_json("$IC/objects/?limit=1");
is(scalar @{ $p1->{objects} }, 1, 'limit=1: one object');
ok($p1->{more} && $p1->{next}, 'limit=1: more, next');
my $def = get_json("$IC/objects/");
is(scalar @{ $def->{objects} }, 1000, 'default limit: 1000');
is(scalar @{ get_json("$IC/objects/?limit=10000")->{objects} }, $icsn, 'limit=10000 (the maximum)');
error_is("$IC/objects/?limit=$_", 400, qr/limit/) for (0, 10001, -1, 'abc', '1e3', '', '99999999999');

# date_added: the collection's modified; headers RFC 3339
my $res = get("$IC/objects/?limit=5");
my $da = $coll{$ics}{modified};
is($res->{headers}{'x-taxii-date-added-first'}, $da, 'X-TAXII-Date-Added-First: date_added');
is($res->{headers}{'x-taxii-date-added-last'}, $da, 'X-TAXII-Date-Added-Last: date_added');
like($res->{headers}{'x-taxii-date-added-last'},
     qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'RFC 3339');
my ($ymdhms, $ms) = $da =~ /^(.*)\.(\d{3})Z$/;
my $before = sprintf('%s.%03dZ', $ymdhms, $ms - 1);
my $after = sprintf('%s.%03dZ', $ymdhms, $ms + 1);
is_deeply(get_json("$IC/objects/?added_after=$da"), { more => JSON::PP::false() }, 'added_after = date_added: nothing')
    if eval { require JSON::PP };
is(get("$IC/objects/?added_after=$da")->{content}, '{"more":false}', 'added_after = date_added: {"more":false}');
ok(!defined get("$IC/objects/?added_after=$da")->{headers}{'x-taxii-date-added-first'}, 'no date headers on an empty page');
is(scalar @{ get_json("$IC/objects/?limit=10000&added_after=$before")->{objects} }, $icsn, 'added_after 1 ms before: all');
is(get("$IC/objects/?added_after=$after")->{content}, '{"more":false}', 'added_after 1 ms after: none');
(my $off = $da) =~ s/T14/T15/;
$off =~ s/Z$/%2B01:00/;
is(get("$IC/objects/?added_after=$off")->{content}, '{"more":false}', 'added_after with +01:00 = date_added');
is(get("$IC/objects/?added_after=${ymdhms}.1879999Z&limit=1")->{status}, 200, 'added_after 7 digits');
is(scalar @{ get_json("$IC/objects/?added_after=${ymdhms}.187999Z&limit=3")->{objects} }, 3, '1 us before: objects');
error_is("$IC/objects/?added_after=$_", 400, qr/RFC 3339/)
    for ('2025-11-13', '2025-11-13T14:00:00', '2025-11-13%2014:00:00Z', '2025-02-29T00:00:00Z',
         '2025-13-01T00:00:00Z', '2025-11-13T24:00:00Z', '2025-11-13T14:00:00.Z',
         '2025-11-13T14:00:00.1234567890Z', '2025-11-13T14:00:00+0100', 'yesterday',
         '2025-11-13T14:00:00Zjunk', '%2B2025-11-13T14:00:00Z');
is(get("$IC/objects/?added_after=2024-02-29T23:59:60Z&limit=1")->{status}, 200, 'a leap day and second');

# match[] filters, computed from the Mobile bundle
my $mob = 'mobile-attack-18.1.json';
my $MC = "attack/collections/$coll{$mob}{id}";
my @mobj = @{ load_bundle($mob)->{objects} };
my %bytype;
push @{ $bytype{ $_->{type} } }, $_ for @mobj;
for my $types (['attack-pattern'], ['malware', 'tool'], ['intrusion-set', 'campaign', 'x-mitre-tactic'],
               ['no-such-type']) {
    my @want = grep { my $t = $_->{type}; grep { $_ eq $t } @$types } @mobj;
    my $j = get_json("$MC/objects/?limit=10000&match%5Btype%5D=" . join(',', @$types));
    is_deeply([map { $_->{id} } @{ $j->{objects} || [] }], [map { $_->{id} } @want],
              "match[type]=@$types: ${\ scalar @want} objects in bundle order");
}
my @pick = @mobj[5, 100, 2000];
my $j = get_json("$MC/objects/?match[id]=" . join(',', map { $_->{id} } @pick, { id => 'malware--00000000-0000-4000-8000-000000000000' }));
is_deeply([map { $_->{id} } @{ $j->{objects} }], [map { $_->{id} } @pick], 'match[id] list: found ones, bundle order');
$j = get_json("$MC/objects/?match[id]=$pick[0]{id},$pick[0]{id}");
is(scalar @{ $j->{objects} }, 1, 'match[id] twice: once');
my $pv = $pick[1]{modified} // $pick[1]{created};
$j = get_json("$MC/objects/?match[id]=$pick[1]{id}&match[version]=$pv");
is(scalar @{ $j->{objects} }, 1, 'match[version]=its version');
is(get("$MC/objects/?match[id]=$pick[1]{id}&match[version]=2001-01-01T00:00:00Z")->{content},
   '{"more":false}', 'match[version]=another time: none');
my @at = grep { ($_->{modified} // $_->{created}) eq $pv } @mobj;
$j = get_json("$MC/objects/?limit=10000&match[version]=$pv,2001-01-01T00:00:00Z");
is(scalar @{ $j->{objects} }, scalar @at, "match[version]=time list: ${\ scalar @at} objects of that version");
for my $v ('last', 'first', 'all', 'first,last', "all,$pv") {
    is(scalar @{ get_json("$MC/objects/?limit=10000&match[version]=$v")->{objects} }, scalar @mobj,
       "match[version]=$v: every object (one version each)");
}
error_is("$MC/objects/?match[version]=newest", 400, qr/match\[version\]/);
is(scalar @{ get_json("$MC/objects/?limit=10000&match[spec_version]=2.1")->{objects} }, scalar @mobj, 'spec_version=2.1: all');
is(scalar @{ get_json("$MC/objects/?limit=10000&match[spec_version]=2.0,2.1")->{objects} }, scalar @mobj, 'spec_version=2.0,2.1: all');
is(get("$MC/objects/?match[spec_version]=2.0")->{content}, '{"more":false}', 'spec_version=2.0: none');
error_is("$MC/objects/?match[spec_version]=2.2", 400, qr/spec_version/);
# filters and paging together: next keeps the filters
{
    my @want = map { $_->{id} } @{ $bytype{'attack-pattern'} };
    my (@got, $next);
    for (1 .. 1000) {
        my $q = "limit=7&match[type]=attack-pattern" . ($next ? "&next=$next" : '');
        my $j = get_json("$MC/objects/?$q", ng => $ng[$_ % 2]);
        push @got, map { $_->{id} } @{ $j->{objects} };
        last unless $j->{more};
        $next = $j->{next};
    }
    is_deeply(\@got, \@want, 'match[type] paged by 7 across both instances');
}

# one object, its versions, the manifest
my $o = $pick[2];
is(get("$MC/objects/$o->{id}/")->{content},
   '{"more":false,"objects":[' . $raw{$mob}[2000] . ']}', 'objects/{id}/: its bytes');
is_deeply(get_json("$MC/objects/$o->{id}/versions/"),
          { more => JSON::PP::false(), versions => [$o->{modified} // $o->{created}] }, 'versions/');
error_is("$MC/objects/malware--00000000-0000-4000-8000-000000000000/", 404, qr/no such object/);
error_is("$MC/objects/malware--00000000-0000-4000-8000-000000000000/versions/", 404);
error_is("$MC/objects/$o->{id}/?match[id]=x", 400, qr/unknown parameter/);
$j = get_json("$MC/manifest/?limit=10000");
is(scalar @{ $j->{objects} }, scalar @mobj, 'manifest: every object');
is_deeply($j->{objects}[2000], { id => $o->{id}, date_added => $coll{$mob}{modified},
          version => $o->{modified} // $o->{created},
          media_type => 'application/stix+json;version=2.1' }, 'manifest entry');
$j = get_json("$MC/manifest/?limit=3&match[type]=intrusion-set");
is_deeply([map { $_->{id} } @{ $j->{objects} }], [map { $_->{id} } @{ $bytype{'intrusion-set'} }[0 .. 2]],
          'manifest: filtered, paged');
ok($j->{more} && $j->{next}, 'manifest: next');

# content negotiation, methods, HEAD, ETag
is(get('attack/', headers => { Accept => $_ })->{status}, 200, "Accept: $_")
    for ('application/taxii+json;version=2.1', 'application/taxii+json', '*/*',
         'application/*', 'text/html, application/taxii+json ; version=2.1 ; q=0.5',
         'application/TAXII+json;version=2.1');
error_is('attack/', 406, qr/Accept/, headers => { Accept => $_ })
    for ('application/json', 'application/taxii+json;version=2.0',
         'application/taxii+json;version=2.1;q=0', 'text/html', 'application/stix+json;version=2.1');
for my $m (qw(POST PUT DELETE PATCH)) {
    my $r = error_is("$MC/objects/", 405, qr/read-only/, method => $m);
    is($r->{headers}{allow}, 'GET, HEAD', "$m: Allow");
}
my $g = get("$MC/objects/?limit=2");
my $h = get("$MC/objects/?limit=2", method => 'HEAD');
is($h->{status}, 200, 'HEAD: 200');
is($h->{content} // '', '', 'HEAD: no body');
is($h->{headers}{'content-length'}, length $g->{content}, 'HEAD: the length of GET');
ok($g->{headers}{etag}, 'ETag');
is(get("$MC/objects/?limit=2", headers => { 'If-None-Match' => $g->{headers}{etag} })->{status}, 304, 'If-None-Match: 304');
is(get("$MC/objects/?limit=3", headers => { 'If-None-Match' => $g->{headers}{etag} })->{status}, 200, 'another page: 200');
my $cl = get('attack/collections/');
is(get('attack/collections/', headers => { 'If-None-Match' => $cl->{headers}{etag} })->{status}, 304, 'collections: 304');

# hostile parameters
error_is("$MC/objects/?match[id]=" . join(',', ('x') x 65), 400, qr/more than 64/);
error_is("$MC/objects/?match[type]=a,,b", 400, qr/empty/);
error_is("$MC/objects/?limit=1&limit=2", 400, qr/twice/);
error_is("$MC/objects/?evil=%22%3Cscript%3E", 400, qr/unknown parameter/);
error_is("$MC/objects/?%00=1", 400);
error_is("$MC/objects/?match[type]=%01", 400, qr/control/);
error_is("$MC/objects/?x=" . ('a' x 6500), 400, qr/longer/);
error_is("$MC/objects/?next=$_", 400, qr/token/)
    for ('x', '0123456789abcdef', '0123456789abcdef-', '0123456789ABCDEF-1',
         '0123456789abcdef-99999999999', ('f' x 300) . '-1');
my $tok = get_json("$MC/objects/?limit=1")->{next};
(my $far = $tok) =~ s/-\d+$/-999999/;
error_is("$MC/objects/?next=$far", 400, qr/token/);
error_is('attack/collections/00000000-0000-4000-8000-000000000000/', 404, qr/collection/);
error_is('attack/collections/' . ('a' x 300) . '/objects/', 404);
error_is("$MC/objects/a/b/c/", 404);
error_is("$MC/status/", 404);

# a swap: Enterprise's tokens expire with a clear error, those of the
# unchanged Mobile collection go on
my $etok = get_json("attack/collections/$coll{'enterprise-attack-18.1.json'}{id}/objects/?limit=10")->{next};
my $mtok = get_json("$MC/objects/?limit=10")->{next};
ok($ng[1]->reload(http => $http->("$dir/b.snap")), 'second instance: snapshot B');
# MITRE keeps the collection's id from release to release: now 16.1's
error_is("attack/collections/$coll{'enterprise-attack-18.1.json'}{id}/objects/?limit=10&next=$etok",
         400, qr/no longer serves/, ng => $ng[1]);
is(get("attack/collections/$coll{'enterprise-attack-18.1.json'}{id}/objects/?limit=10&next=$etok")->{status},
   200, 'the instance still on A goes on with it');
$j = get_json("$MC/objects/?limit=10&next=$mtok", ng => $ng[1]);
is_deeply([map { $_->{id} } @{ $j->{objects} }], [map { $_->{id} } @mobj[10 .. 19]],
          'an unchanged collection\'s token goes on after the swap');
is_deeply(get_json('', ng => $ng[1])->{api_roots},
          [map { "http://127.0.0.1:$ng[1]{port}/taxii2/$_/" } qw(attack attack-18.1 attack-16.1)],
          'after the swap: the roots of B');
ok((grep { $_->{title} eq 'Enterprise ATT&CK' } @{ get_json('attack-18.1/collections/', ng => $ng[1])->{collections} }),
   'B\'s first view: the newest Enterprise (16.1) beside Mobile and ICS 18.1');

# a snapshot without TAXII: 404s that say so, the API unharmed
my ($rc) = run_cmd(worker(), 'compile', '-o', "$dir/plain.snap", "$A/ics-attack-18.1.json");
ok($ng[1]->reload(http => $http->("$dir/plain.snap")), 'snapshot without --taxii');
error_is('attack/', 404, qr/API root/, ng => $ng[1]);
error_is('', 404, qr/compile --taxii/, ng => $ng[1]);
is($ng[1]->get('/taxii2/', headers => { Accept => $TYPE })->{status}, 404, 'discovery: 404');

done_testing();

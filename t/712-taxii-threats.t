# The TAXII collection of our mapped threats: ICS read from our own TAXII
# server (its groups and software become threats), mapped, published with
# --taxii and served; a report per threat related to its attack-patterns
# with x_attck_score and x_attck_method, the same ids when published
# again, and read back by ingest taxii with the same techniques.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Attck::Test qw(worker shared_dir run_cmd decode_json load_bundle);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";
my $dir = File::Temp::tempdir('attck-taxii-th-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
sub q1 { $pg->query($_[0]) }

my $ics = shared_dir() . '/attack/ics-attack-18.1.json';
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $ics);
is($rc, 0, 'ingest attack ICS') or diag $out;
($rc, $out) = run_cmd(worker(), 'compile', '--taxii', '-o', "$dir/ics.snap", $ics);
is($rc, 0, 'compile --taxii') or diag $out;

my $TYPE = 'application/taxii+json;version=2.1';
my $ng = Attck::Test->start_nginx(workers => 1,
    http => "attck_zone attck 128m; attck_snapshot $dir/ics.snap;",
    server => 'location /taxii2/ { attck_taxii; }');
my ($coll) = grep { $_->{type} eq 'x-mitre-collection' } @{ load_bundle('ics-attack-18.1.json')->{objects} };
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii',
                      'ics=' . $ng->url("/taxii2/attack/collections/$coll->{id}/"));
is($rc, 0, 'ingest taxii ICS') or diag $out;
($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map') or diag $out;

($rc, $out) = run_cmd(worker(), 'publish', '--taxii', '-o', "$dir/pub.snap");
is($rc, 0, 'publish --taxii') or diag $out;
ok($ng->reload(http => "attck_zone attck 128m; attck_snapshot $dir/pub.snap;"), 'serve it');

sub get_json {
    my ($path) = @_;
    my $res = $ng->get("/taxii2/$path", headers => { Accept => $TYPE });
    is($res->{status}, 200, "$path: 200") or diag $res->{content};
    return decode_json($res->{content});
}

my $TH = 'b9a7c2e4-5f1d-5c3a-9e8b-7d6f4a2c1e30';
my ($c) = grep { $_->{id} eq $TH } @{ get_json('attack/collections/')->{collections} };
ok($c, 'the threats collection, its id a UUID');

sub walk {
    my ($limit) = @_;
    my (@o, $next);
    for (1 .. 1000) {
        my $j = get_json("attack/collections/$TH/objects/?limit=$limit" . ($next ? "&next=$next" : ''));
        push @o, @{ $j->{objects} || [] };
        last unless $j->{more};
        $next = $j->{next};
    }
    return @o;
}
my @objs = walk(7);

# what the database says: threats with a technique of ICS
my $want = q1(q{SELECT count(DISTINCT m.threat_id) || '/' || count(*)
                FROM mapped_threat_data m
                WHERE m.technique_id IN (SELECT attack_id FROM mitre_attack_techniques)});
my ($nthreats, $nmaps) = split m{/}, $want;
ok($nthreats > 10, "$nthreats mapped threats with ICS techniques");
my @rep = grep { $_->{type} eq 'report' } @objs;
my @rel = grep { $_->{type} eq 'relationship' } @objs;
my @idn = grep { $_->{type} eq 'identity' } @objs;
is(scalar @idn, 1, 'one identity');
is(scalar @rep, $nthreats, 'a report per threat');
is(scalar @rel, $nmaps, 'a relationship per mapping');
is(scalar @objs, 1 + $nthreats + $nmaps, 'nothing else');
my %ids;
$ids{ $_->{id} }++ for @objs;
is(scalar keys %ids, scalar @objs, 'every object once, paged by 7');

# each relationship as stored
my %db = map { my ($s, $t, $sc, $m) = split /\|/; ("$s|$t" => "$sc|$m") }
         split /\n/, q1(q{SELECT t.source_id, m.technique_id, round(m.score::numeric, 4), m.method
                          FROM mapped_threat_data m JOIN threat_intelligence_data t ON t.id = m.threat_id
                          WHERE m.technique_id IN (SELECT attack_id FROM mitre_attack_techniques)});
my %ap = map { split /\|/ } split /\n/, q1('SELECT DISTINCT stix_id, attack_id FROM mitre_attack_techniques');
my %rep = map { $_->{id} => $_ } @rep;
my $bad = 0;
for my $r (@rel) {
    my $p = $rep{ $r->{source_ref} } or ++$bad and next;
    my $key = $p->{external_references}[0]{external_id} . '|' . ($ap{ $r->{target_ref} } // '?');
    my ($sc, $m) = split /\|/, $db{$key} // '|';
    $bad++ unless defined $db{$key} && abs($r->{x_attck_score} - $sc) < 1e-9
        && $r->{x_attck_method} eq $m && $r->{relationship_type} eq 'related-to'
        && $r->{created_by_ref} eq $idn[0]{id}
        && grep { $_ eq $r->{target_ref} } @{ $p->{object_refs} };
}
is($bad, 0, 'each relationship: its report, attack-pattern, x_attck_score and x_attck_method as stored');
ok(!(grep { !$_->{description} || !$_->{published} || $_->{spec_version} ne '2.1' } @rep),
   'reports: description, published, STIX 2.1');
like($rep[0]{id}, qr/^report--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'UUIDv5 ids');

# published again: the same objects, and the tokens go on
my $tok = get_json("attack/collections/$TH/objects/?limit=3")->{next};
sleep 1;
($rc, $out) = run_cmd(worker(), 'publish', '--taxii', '-o', "$dir/pub2.snap");
is($rc, 0, 'publish again') or diag $out;
ok($ng->reload(http => "attck_zone attck 128m; attck_snapshot $dir/pub2.snap;"), 'serve it');
is_deeply([walk(1000)], \@objs, 'the same objects');
is(scalar @{ get_json("attack/collections/$TH/objects/?limit=3&next=$tok")->{objects} }, 3,
   'a token of the first publish goes on');

# and read back: the same techniques for each threat
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', 'ours=' . $ng->url("/taxii2/attack/collections/$TH/"));
is($rc, 0, 'ingest taxii of our threats') or diag $out;
is(q1("SELECT count(*) FROM taxii_objects WHERE feed = 'ours'"), scalar @objs, 'every object');
my %back = map { split /\|/ } split /\n/, q1(q{SELECT source_id, array_to_string(attack_ids, ',')
    FROM threat_intelligence_data WHERE source_id LIKE 'ours:%'});
my %from;
for my $k (keys %db) {
    my ($sid, $t) = split /\|/, $k;
    my ($r) = grep { $_->{external_references}[0]{external_id} eq $sid } @rep;
    push @{ $from{"ours:$r->{id}"} }, $t;
}
is(scalar keys %back, $nthreats, 'a threat per report');
is(scalar(grep { ($back{$_} // '') ne join(',', sort @{ $from{$_} }) } keys %from), 0,
   'each with the techniques it was mapped to');

done_testing();

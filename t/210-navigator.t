# GET navigator-layer: ATT&CK Navigator layers (format 4.5) of given
# techniques, checked against the bundles.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Attck::Test qw(test_snapshot load_bundle attack_id decode_json);

my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => 'location /api/v1/ { attck_api; }',
);

sub layer {
    my ($args) = @_;
    my $res = $ng->get("/api/v1/navigator-layer?$args");
    return ($res->{status}, decode_json($res->{content}));
}

my ($st, $l) = layer('techniques=T1059.001,t1566');
is($st, 200, 'two techniques: 200');
is($l->{domain}, 'enterprise-attack', 'domain');
is_deeply($l->{versions}, { attack => '18', navigator => '5.1.0', layer => '4.5' },
          'versions: ATT&CK 18, layer format 4.5');
ok(defined $l->{name} && length $l->{name}, 'a name');
is_deeply([ map { $_->{techniqueID} } @{ $l->{techniques} } ], [ 'T1059.001', 'T1566' ],
          'the techniques, ids normalised');
for my $t (@{ $l->{techniques} }) {
    is($t->{score}, 1, "$t->{techniqueID}: score 1");
    ok($t->{enabled}, "$t->{techniqueID}: enabled");
    ok(!exists $t->{tactic}, "$t->{techniqueID}: no tactic, so every tactic");
}
is_deeply($l->{gradient}{colors}, [ '#ffffff', '#ff6666' ], 'gradient colours');
is($l->{gradient}{minValue}, 0, 'gradient min');
is($l->{gradient}{maxValue}, 1, 'gradient max');
is(ref $l->{legendItems}, 'ARRAY', 'legendItems');

($st, $l) = layer('techniques=T1059.001&release=16.1');
is($l->{versions}{attack}, '16', 'release=16.1: ATT&CK 16');

# every active Enterprise sub-technique of T1059, from the bundle
my $b = load_bundle('enterprise-attack-18.1.json');
my @ids = sort grep { /^T1059\.\d{3}$/ }
          map { attack_id($_) }
          grep { $_->{type} eq 'attack-pattern' && !$_->{revoked}
                 && !$_->{x_mitre_deprecated} } @{ $b->{objects} };
cmp_ok(scalar @ids, '>=', 10, 'T1059 has its sub-techniques');
($st, $l) = layer('techniques=' . join(',', @ids));
is($st, 200, scalar(@ids) . ' techniques: 200');
is_deeply([ map { $_->{techniqueID} } @{ $l->{techniques} } ], \@ids, 'all of them');

# many ids: a list longer than other values may be
my @many = (sort grep { defined }
            map { attack_id($_) }
            grep { $_->{type} eq 'attack-pattern' && !$_->{revoked}
                   && !$_->{x_mitre_deprecated} } @{ $b->{objects} })[0 .. 179];
($st, $l) = layer('techniques=' . join(',', @many));
is($st, 200, '180 techniques (' . length(join ',', @many) . ' bytes): 200');
is(scalar @{ $l->{techniques} }, 180, '180 entries');

($st, $l) = layer('domain=ics&techniques=T0800');
is($st, 200, 'ICS: 200');
is($l->{domain}, 'ics-attack', 'ICS domain');

my %err = (
    'techniques=T9999' => 'unknown technique',
    'techniques=T0800' => 'an ICS technique in an Enterprise layer',
    'domain=mobile&techniques=T1059.001' => 'an Enterprise technique in a Mobile layer',
    'techniques=' => 'empty list',
    'domain=ics' => 'no techniques',
    'techniques=T1059,,T1566' => 'an empty id',
    'techniques=T1059.001&domain=moon' => 'unknown domain',
    'techniques=' . join(',', ('T1059.001') x 300) => 'a list over 2048 bytes',
    'techniques=T1059&bogus=1' => 'unknown parameter',
);
for my $args (sort keys %err) {
    my $res = $ng->get("/api/v1/navigator-layer?$args");
    is($res->{status}, 400, "$err{$args}: 400");
    like(decode_json($res->{content})->{error}, qr/invalid parameter/,
         "$err{$args}: JSON error");
}
like(decode_json($ng->get('/api/v1/navigator-layer?techniques=T0800')->{content})
         ->{detail}, qr/T0800 is not a technique of enterprise-attack/,
     'the detail names the technique and the domain');

done_testing();

# GET techniques/{id}: every field of known techniques, compared with the
# STIX bundle itself.

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

my $bundle = load_bundle('enterprise-attack-18.1.json');
my (%by_stix, %by_id);
for my $o (@{ $bundle->{objects} }) {
    $by_stix{ $o->{id} } = $o;
    my $id = attack_id($o);
    $by_id{$id} = $o if $id && $o->{type} eq 'attack-pattern';
}

# relationships of the bundle, to check the related lists independently
my %rel;
for my $r (grep { $_->{type} eq 'relationship' } @{ $bundle->{objects} }) {
    push @{ $rel{ $r->{target_ref} }{ $r->{relationship_type} } },
        $by_stix{ $r->{source_ref} };
}

sub active { my $o = shift; !$o->{revoked} && !$o->{x_mitre_deprecated} }

sub expected_related {
    my ($stix, $type, $want) = @_;
    my %seen;
    return [ sort grep { !$seen{$_}++ }
             map { attack_id($_) }
             grep { $_ && active($_) && $want->($_) }
             @{ $rel{$stix}{$type} || [] } ];
}

for my $id (qw(T1059.001 T1566.001 T1003 T1548.002)) {
    my $stix = $by_id{$id};
    my $res = $ng->get("/api/v1/techniques/$id");
    is($res->{status}, 200, "$id: 200");
    like($res->{headers}{'content-type'}, qr{^application/json; charset=utf-8},
         "$id: JSON content type");
    my $t = decode_json($res->{content});

    is($t->{id}, $id, "$id: id");
    is($t->{name}, $stix->{name}, "$id: name");
    is($t->{description}, $stix->{description}, "$id: description verbatim");
    is($t->{stix_id}, $stix->{id}, "$id: stix_id");
    is_deeply($t->{domains}, $stix->{x_mitre_domains}, "$id: domains");
    is_deeply($t->{platforms}, $stix->{x_mitre_platforms}, "$id: platforms");
    is($t->{created}, $stix->{created}, "$id: created");
    is($t->{modified}, $stix->{modified}, "$id: modified");
    is($t->{version}, $stix->{x_mitre_version}, "$id: version");
    ok(!$t->{deprecated} && !$t->{revoked}, "$id: active");
    is($t->{revoked_by}, undef, "$id: not revoked");
    is($t->{url}, "https://attack.mitre.org/techniques/" . join('/', split /\./, $id),
       "$id: url");
    is(!!$t->{is_subtechnique}, !!$stix->{x_mitre_is_subtechnique},
       "$id: is_subtechnique");

    is_deeply([ sort map { $_->{shortname} } @{ $t->{tactics} } ],
              [ sort map { $_->{phase_name} } @{ $stix->{kill_chain_phases} } ],
              "$id: tactics from kill chain phases");

    is_deeply([ map { $_->{id} } @{ $t->{mitigations} } ],
              expected_related($stix->{id}, 'mitigates', sub { 1 }),
              "$id: mitigations");
    is_deeply([ map { $_->{id} } @{ $t->{groups} } ],
              expected_related($stix->{id}, 'uses',
                               sub { $_[0]{type} eq 'intrusion-set' }),
              "$id: groups");
    is_deeply([ map { $_->{id} } @{ $t->{software} } ],
              expected_related($stix->{id}, 'uses',
                               sub { $_[0]{type} =~ /^(malware|tool)$/ }),
              "$id: software");
    is_deeply([ map { $_->{id} } @{ $t->{campaigns} } ],
              expected_related($stix->{id}, 'uses',
                               sub { $_[0]{type} eq 'campaign' }),
              "$id: campaigns");
    is_deeply([ map { $_->{id} } @{ $t->{detection_strategies} } ],
              expected_related($stix->{id}, 'detects', sub { 1 }),
              "$id: detection strategies");
    is_deeply([ map { $_->{id} } @{ $t->{subtechniques} } ],
              expected_related($stix->{id}, 'subtechnique-of', sub { 1 }),
              "$id: sub-techniques");
}

# T1059.001 in particular
my $ps = decode_json($ng->get('/api/v1/techniques/t1059.001')->{content});
is($ps->{name}, 'PowerShell', 'lower-case id finds PowerShell');
is($ps->{parent}{id}, 'T1059', 'parent is T1059');
is($ps->{parent}{name}, 'Command and Scripting Interpreter', 'parent name');
is_deeply($ps->{tactics}, [ { id => 'TA0002', shortname => 'execution',
                              name => 'Execution' } ], 'tactic Execution');
ok(@{ $ps->{data_components} } > 0, 'data components through analytics');

my $parent = decode_json($ng->get('/api/v1/techniques/T1059')->{content});
ok(!$parent->{is_subtechnique}, 'T1059 is a parent');
ok((grep { $_->{id} eq 'T1059.001' } @{ $parent->{subtechniques} }),
   'T1059 lists T1059.001');

done_testing();

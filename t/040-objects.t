# The object collections and documents (tactics, groups, software,
# mitigations, campaigns, detection strategies, data components, analytics,
# assets), revoked and deprecated objects, and 16.1 against 18.1.

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

sub active { my $o = shift; !$o->{revoked} && !$o->{x_mitre_deprecated} }

# a release: its objects by STIX id, by type and ATT&CK id (an active
# object wins over an inactive one of the same id), and relationships
sub release {
    my @files = @_;
    my $r = {};
    my %seen;
    for my $o (map { @{ load_bundle($_)->{objects} } } @files) {
        next if $seen{ $o->{id} }++;
        $r->{stix}{ $o->{id} } = $o;
        if ($o->{type} eq 'relationship') {
            push @{ $r->{rel} }, $o;
            next;
        }
        my $id = attack_id($o) or next;
        my $type = $o->{type} eq 'tool' ? 'malware' : $o->{type};
        my $old = $r->{id}{$type}{$id};
        $r->{id}{$type}{$id} = $o if !$old || (active($o) && !active($old));
    }
    return $r;
}

my $new = release(qw(enterprise-attack-18.1.json mobile-attack-18.1.json
                     ics-attack-18.1.json));
my $old = release('enterprise-attack-16.1.json');

sub get_json {
    my ($path) = @_;
    my $res = $ng->get("/api/v1/$path");
    is($res->{status}, 200, "$path: 200") or return {};
    return decode_json($res->{content});
}

# ids of active objects related to $stix: $dir 'out' follows source ->
# target, 'in' target -> source
sub related {
    my ($r, $stix, $rtype, $dir, $type_re) = @_;
    my %ids;
    for my $rel (@{ $r->{rel} }) {
        next unless $rel->{relationship_type} eq $rtype;
        my ($from, $to) = $dir eq 'out' ? @$rel{qw(source_ref target_ref)}
                                        : @$rel{qw(target_ref source_ref)};
        next unless $from eq $stix;
        my $o = $r->{stix}{$to} or next;
        next unless $o->{type} =~ $type_re && active($o);
        my $id = attack_id($o) or next;
        $ids{$id} = 1;
    }
    return [ sort keys %ids ];
}

# the collections: active objects with an id, sorted by id
my %collections = ('groups' => 'intrusion-set', 'software' => 'malware',
                   'mitigations' => 'course-of-action', 'campaigns' => 'campaign',
                   'detection-strategies' => 'x-mitre-detection-strategy',
                   'data-components' => 'x-mitre-data-component',
                   'assets' => 'x-mitre-asset');
for my $c (sort keys %collections) {
    for my $rel ([ '18.1', $new ], [ '16.1', $old ]) {
        my ($name, $r) = @$rel;
        my $objs = $r->{id}{ $collections{$c} } || {};
        my @exp = map { [ $_, $objs->{$_}{name} ] }
                  sort grep { active($objs->{$_}) } keys %$objs;
        my $list = get_json("$c?release=$name");
        is($list->{total}, scalar @exp, "$c $name: total");
        is_deeply([ map { [ $_->{id}, $_->{name} ] } @{ $list->{$c} || [] } ],
                  \@exp, "$c $name: ids and names in id order");
    }
}
is(get_json('detection-strategies?release=16.1')->{total}, 0,
   'no detection strategies before v18');
my %stype = map { $_->{id} => $_->{software_type} } @{ get_json('software')->{software} };
is_deeply([ grep { $stype{$_} ne ($new->{id}{malware}{$_}{type} eq 'tool' ? 'tool' : 'malware') }
            sort keys %stype ], [], 'software_type is malware or tool as in STIX');

# tactics: enterprise matrix order, then mobile, then ics
my @order;
for my $f (qw(enterprise-attack-18.1.json mobile-attack-18.1.json ics-attack-18.1.json)) {
    my ($m) = grep { $_->{type} eq 'x-mitre-matrix' && active($_) }
              @{ load_bundle($f)->{objects} };
    push @order, map { attack_id($new->{stix}{$_}) } @{ $m->{tactic_refs} };
}
my $tactics = get_json('tactics');
is($tactics->{total}, scalar @order, 'tactics: total');
is_deeply([ map { $_->{id} } @{ $tactics->{tactics} } ], \@order,
          'tactics in matrix order, enterprise, mobile, ics');
my ($ta2) = grep { $_->{id} eq 'TA0002' } @{ $tactics->{tactics} };
is_deeply($ta2, { id => 'TA0002', shortname => 'execution', name => 'Execution',
                  domains => ['enterprise-attack'] }, 'TA0002 entry');
for my $ta (qw(TA0002 TA0041 TA0104 TA0006)) {
    my $stix = $new->{id}{'x-mitre-tactic'}{$ta};
    my $kc = { 'enterprise-attack' => 'mitre-attack',
               'mobile-attack' => 'mitre-mobile-attack',
               'ics-attack' => 'mitre-ics-attack' }->{ $stix->{x_mitre_domains}[0] };
    my @exp = sort grep { my $t = $new->{id}{'attack-pattern'}{$_};
                          active($t) && grep { $_->{kill_chain_name} eq $kc
                              && $_->{phase_name} eq $stix->{x_mitre_shortname} }
                          @{ $t->{kill_chain_phases} || [] } }
              keys %{ $new->{id}{'attack-pattern'} };
    my $doc = get_json("tactics/$ta");
    is($doc->{name}, $stix->{name}, "$ta: name");
    is($doc->{shortname}, $stix->{x_mitre_shortname}, "$ta: shortname");
    is_deeply([ sort map { $_->{id} } @{ $doc->{techniques} } ], \@exp,
              "$ta: its active techniques and sub-techniques");
}

# groups, software, mitigations, campaigns, detection strategies, assets
my %docs = (
    'groups/G0007' => [ 'intrusion-set', 'APT28',
        techniques => [ 'uses', 'out', qr/^attack-pattern$/ ],
        software   => [ 'uses', 'out', qr/^(malware|tool)$/ ],
        campaigns  => [ 'attributed-to', 'in', qr/^campaign$/ ] ],
    'software/S0002' => [ 'malware', 'Mimikatz',
        techniques => [ 'uses', 'out', qr/^attack-pattern$/ ],
        groups     => [ 'uses', 'in', qr/^intrusion-set$/ ],
        campaigns  => [ 'uses', 'in', qr/^campaign$/ ] ],
    'mitigations/M1036' => [ 'course-of-action', 'Account Use Policies',
        techniques => [ 'mitigates', 'out', qr/^attack-pattern$/ ] ],
    'assets/A0001' => [ 'x-mitre-asset', 'Workstation',
        techniques => [ 'targets', 'in', qr/^attack-pattern$/ ] ],
    'detection-strategies/DET0001' => [ 'x-mitre-detection-strategy', undef,
        techniques => [ 'detects', 'out', qr/^attack-pattern$/ ] ],
);
# a campaign attributed to a group, found in the bundle
my ($camp) = sort map { attack_id($new->{stix}{ $_->{source_ref} }) }
    grep { $_->{relationship_type} eq 'attributed-to'
           && $_->{source_ref} =~ /^campaign--/ } @{ $new->{rel} };
$docs{"campaigns/$camp"} = [ 'campaign', undef,
    groups     => [ 'attributed-to', 'out', qr/^intrusion-set$/ ],
    techniques => [ 'uses', 'out', qr/^attack-pattern$/ ],
    software   => [ 'uses', 'out', qr/^(malware|tool)$/ ] ];

for my $path (sort keys %docs) {
    my ($type, $name, %lists) = @{ $docs{$path} };
    my ($id) = $path =~ m{/(.+)};
    my $stix = $new->{id}{$type}{$id};
    my $doc = get_json($path);
    is($doc->{id}, $id, "$path: id");
    is($doc->{name}, $name, "$path: $name") if defined $name;
    is($doc->{name}, $stix->{name}, "$path: name as in STIX");
    is($doc->{stix_id}, $stix->{id}, "$path: stix_id");
    is($doc->{description}, $stix->{description}, "$path: description");
    is($doc->{modified}, $stix->{modified}, "$path: modified");
    for my $l (sort keys %lists) {
        my $exp = related($new, $stix->{id}, @{ $lists{$l} });
        is_deeply([ map { $_->{id} } @{ $doc->{$l} || [] } ], $exp,
                  "$path: $l (" . scalar(@$exp) . ')');
    }
}
my $g = get_json('groups/g0007');
is($g->{name}, 'APT28', 'lower-case group id');
# procedure text: the description of the uses relationship
my %proc;
$proc{ $_->{target_ref} }{ $_->{description} // '' } = 1
    for grep { $_->{relationship_type} eq 'uses'
               && $_->{source_ref} eq $new->{id}{'intrusion-set'}{G0007}{id} }
        @{ $new->{rel} };
my @bad = grep { !$proc{ $new->{id}{'attack-pattern'}{ $_->{id} }{id} }{ $_->{description} // '' } }
          @{ $g->{techniques} };
is(scalar @bad, 0, 'G0007 technique descriptions are the procedure texts');
is(get_json('software/S0002')->{software_type}, 'tool', 'Mimikatz is a tool');
is(get_json('software/S0017')->{name}, 'BISCUIT',
   'S0017: the active Enterprise BISCUIT, not the deprecated ICS object');
ok(!get_json('software/S0017')->{deprecated}, 'S0017 is not deprecated');
my $det = get_json('detection-strategies/DET0001');
is_deeply([ sort map { $_->{id} } @{ $det->{analytics} } ],
          [ sort map { attack_id($new->{stix}{$_}) }
            @{ $new->{id}{'x-mitre-detection-strategy'}{DET0001}{x_mitre_analytic_refs} } ],
          'DET0001: its analytics');
my $an = get_json('analytics/AN0001');
is_deeply($an->{platforms}, $new->{id}{'x-mitre-analytic'}{AN0001}{x_mitre_platforms},
          'AN0001: platforms');
is(get_json('data-components/DC0001')->{name},
   $new->{id}{'x-mitre-data-component'}{DC0001}{name}, 'DC0001: name');

# revoked and deprecated techniques are served by id
my $techs = $new->{id}{'attack-pattern'};
my ($revoked) = sort grep { $techs->{$_}{revoked} } keys %$techs;
my ($to) = map { attack_id($new->{stix}{ $_->{target_ref} }) }
    grep { $_->{relationship_type} eq 'revoked-by'
           && $_->{source_ref} eq $techs->{$revoked}{id} } @{ $new->{rel} };
my $rd = get_json("techniques/$revoked");
ok($rd->{revoked}, "$revoked: revoked");
is($rd->{revoked_by}{id}, $to, "$revoked: revoked_by $to");
is($rd->{revoked_by}{name}, $techs->{$to}{name}, "$revoked: revoked_by name");
my ($depr) = sort grep { $techs->{$_}{x_mitre_deprecated} && !$techs->{$_}{revoked} }
             keys %$techs;
my $dd = get_json("techniques/$depr");
ok($dd->{deprecated} && !$dd->{revoked}, "$depr: deprecated, not revoked");
is($dd->{revoked_by}, undef, "$depr: revoked_by null");
ok(!(grep { $_->{id} eq $revoked || $_->{id} eq $depr }
     @{ get_json('techniques?limit=1000')->{techniques} }),
   'neither is in the default list');

# 16.1 against 18.1
my ($added) = sort grep { active($techs->{$_}) && !$old->{id}{'attack-pattern'}{$_} }
              keys %$techs;
is(get_json("techniques/$added")->{id}, $added, "$added exists in 18.1");
is($ng->get("/api/v1/techniques/$added?release=16.1")->{status}, 404,
   "$added is not in 16.1");
my ($renamed) = sort grep { my $o = $old->{id}{'attack-pattern'}{$_};
                            $o && $o->{name} ne $techs->{$_}{name} } keys %$techs;
is(get_json("techniques/$renamed?release=16.1")->{name},
   $old->{id}{'attack-pattern'}{$renamed}{name}, "$renamed: 16.1 name");
is(get_json("techniques/$renamed?release=18.1")->{name}, $techs->{$renamed}{name},
   "$renamed: 18.1 name");
my $g16 = get_json('groups/G0007?release=16.1');
is_deeply([ map { $_->{id} } @{ $g16->{techniques} } ],
          related($old, $old->{id}{'intrusion-set'}{G0007}{id}, 'uses', 'out',
                  qr/^attack-pattern$/), 'G0007 techniques in 16.1');
is($ng->get('/api/v1/assets/A0001?release=16.1')->{status}, 404,
   'no ICS assets in 16.1');

# unknown ids
for my $p (qw(groups/G9999 software/S9999 mitigations/M9999 campaigns/C9999
              tactics/TA9999 detection-strategies/DET9999 data-components/DC9999
              analytics/AN9999 assets/A9999)) {
    my $res = $ng->get("/api/v1/$p");
    is($res->{status}, 404, "$p: 404");
    is(eval { decode_json($res->{content})->{error} }, 'not found',
       "$p: JSON error");
}

done_testing();

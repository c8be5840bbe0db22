# GET techniques/{id} for every technique of both releases (revoked and
# deprecated ones too): parent, tactics, revocation and every related list
# equal to what the bundles' relationships say.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::XS ();
use Attck::Test qw(test_snapshot load_bundle attack_id decode_json);

my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => 'location /api/v1/ { attck_api; }',
);

sub active { my $o = shift; !$o->{revoked} && !$o->{x_mitre_deprecated} }

my $canon = JSON::XS->new->canonical;

my %kill_chain = ('mitre-attack' => 'enterprise-attack',
                  'mitre-mobile-attack' => 'mobile-attack',
                  'mitre-ics-attack' => 'ics-attack');

sub check_release {
    my ($release, @files) = @_;
    my (%stix, %in, %out, %tactic, %tech, %rank);
    for my $o (map { @{ load_bundle($_)->{objects} } } @files) {
        next if $stix{ $o->{id} };
        $stix{ $o->{id} } = $o;
        if ($o->{type} eq 'relationship') {
            push @{ $in{ $o->{target_ref} }{ $o->{relationship_type} } }, $o;
            push @{ $out{ $o->{source_ref} }{ $o->{relationship_type} } }, $o;
        } elsif ($o->{type} eq 'x-mitre-tactic' && active($o)) {
            $tactic{"$o->{x_mitre_domains}[0]/$o->{x_mitre_shortname}"} = attack_id($o);
        } elsif ($o->{type} eq 'attack-pattern' && attack_id($o)) {
            $tech{ attack_id($o) } = $o;
        } elsif ($o->{type} eq 'x-mitre-matrix' && active($o)) {
            push @{ $rank{_order} }, @{ $o->{tactic_refs} };
        }
    }
    # tactics are listed in matrix order
    my $i = 0;
    $rank{ attack_id($stix{$_}) } = $i++ for @{ $rank{_order} };
    my $ok_obj = sub { my $o = shift; $o && active($o) && attack_id($o) };
    # ids of active objects at the other end of $stix's relationships
    my $ends = sub {
        my ($stix, $dir, $type, $re) = @_;
        my $index = $dir eq 'in' ? \%in : \%out;
        my $end = $dir eq 'in' ? 'source_ref' : 'target_ref';
        my %ids = map { attack_id($_) => 1 } grep { $ok_obj->($_) && $_->{type} =~ $re }
                  map { $stix{ $_->{$end} } } @{ $index->{$stix}{$type} || [] };
        return [ sort keys %ids ];
    };

    my (%failed, $n);
    for my $id (sort keys %tech) {
        my $t = $tech{$id};
        my $res = $ng->get("/api/v1/techniques/$id?release=$release");
        if ($res->{status} != 200) { push @{ $failed{status} }, $id; next }
        my $d = decode_json($res->{content});
        $n++;
        my %dc;
        for my $ds (grep { $ok_obj->($_) } map { $stix{ $_->{source_ref} } }
                    @{ $in{ $t->{id} }{detects} || [] }) {
            for my $an (grep { $_ && active($_) }
                        map { $stix{$_} } @{ $ds->{x_mitre_analytic_refs} || [] }) {
                $dc{ attack_id($_) } = 1 for grep { $ok_obj->($_) }
                    map { $stix{ $_->{x_mitre_data_component_ref} } }
                    @{ $an->{x_mitre_log_source_references} || [] };
            }
        }
        my ($parent) = map { attack_id($stix{ $_->{target_ref} }) }
                       @{ $out{ $t->{id} }{'subtechnique-of'} || [] };
        my ($revoker) = map { attack_id($stix{ $_->{target_ref} }) }
                        @{ $out{ $t->{id} }{'revoked-by'} || [] };
        my %exp = (
            name => $t->{name},
            revoked => $t->{revoked} ? 1 : 0,
            deprecated => $t->{x_mitre_deprecated} ? 1 : 0,
            revoked_by => $t->{revoked} ? $revoker : undef,
            parent => $t->{x_mitre_is_subtechnique} ? $parent : undef,
            tactics => [ sort { $rank{$a} <=> $rank{$b} } grep { defined } map {
                $tactic{ ($kill_chain{ $_->{kill_chain_name} } // '') . "/$_->{phase_name}" }
            } @{ $t->{kill_chain_phases} || [] } ],
            subtechniques => $ends->($t->{id}, 'in', 'subtechnique-of', qr/^attack-pattern$/),
            mitigations => $ends->($t->{id}, 'in', 'mitigates', qr/^course-of-action$/),
            groups => $ends->($t->{id}, 'in', 'uses', qr/^intrusion-set$/),
            software => $ends->($t->{id}, 'in', 'uses', qr/^(malware|tool)$/),
            campaigns => $ends->($t->{id}, 'in', 'uses', qr/^campaign$/),
            detection_strategies => $ends->($t->{id}, 'in', 'detects',
                                            qr/^x-mitre-detection-strategy$/),
            data_components => [ sort keys %dc ],
            assets => $ends->($t->{id}, 'out', 'targets', qr/^x-mitre-asset$/),
        );
        my %got = (
            name => $d->{name},
            revoked => $d->{revoked} ? 1 : 0,
            deprecated => $d->{deprecated} ? 1 : 0,
            revoked_by => $d->{revoked_by} && $d->{revoked_by}{id},
            parent => $d->{parent} && $d->{parent}{id},
            tactics => [ map { $_->{id} } @{ $d->{tactics} || [] } ],
            map { my $k = $_; ($k => [ map { $_->{id} } @{ $d->{$k} || [] } ]) }
                qw(subtechniques mitigations groups software campaigns
                   detection_strategies data_components assets),
        );
        for my $k (sort keys %exp) {
            push @{ $failed{$k} }, $id
                unless $canon->encode([ $got{$k} ]) eq $canon->encode([ $exp{$k} ]);
        }
    }
    is($n, scalar keys %tech, "$release: every technique served (" . scalar(keys %tech) . ')');
    for my $k (qw(status name revoked deprecated revoked_by parent tactics subtechniques
                  mitigations groups software campaigns detection_strategies
                  data_components assets)) {
        is_deeply($failed{$k} || [], [], "$release: $k of every technique")
            or diag "first: $failed{$k}[0]";
    }
}

check_release('18.1', qw(enterprise-attack-18.1.json mobile-attack-18.1.json
                         ics-attack-18.1.json));
check_release('16.1', 'enterprise-attack-16.1.json');

done_testing();

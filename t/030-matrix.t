# GET matrix?domain=...: every domain's matrix, for both releases, equal
# to the matrix computed from the bundle itself.

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

my %kill_chain = (enterprise => 'mitre-attack', mobile => 'mitre-mobile-attack',
                  ics => 'mitre-ics-attack');

# the matrix as the bundle describes it
sub expected_matrix {
    my ($file, $domain) = @_;
    my $objs = load_bundle($file)->{objects};
    my %stix = map { $_->{id} => $_ } @$objs;
    my @matrices = grep { $_->{type} eq 'x-mitre-matrix' && active($_) } @$objs;
    die "$file: not one active matrix" unless @matrices == 1;
    my ($collection) = grep { $_->{type} eq 'x-mitre-collection' } @$objs;

    my @techs = grep { $_->{type} eq 'attack-pattern' && active($_)
                       && attack_id($_) } @$objs;
    my %subs_of;
    for my $r (grep { $_->{type} eq 'relationship'
                      && $_->{relationship_type} eq 'subtechnique-of' } @$objs) {
        my ($sub, $parent) = @stix{ $r->{source_ref}, $r->{target_ref} };
        push @{ $subs_of{ $parent->{id} } }, $sub
            if $sub && $parent && active($sub) && attack_id($sub);
    }
    my $has = sub {
        my ($t, $phase) = @_;
        grep { $_->{kill_chain_name} eq $kill_chain{$domain}
               && $_->{phase_name} eq $phase } @{ $t->{kill_chain_phases} || [] };
    };

    my @tactics;
    for my $ta (map { $stix{$_} } @{ $matrices[0]{tactic_refs} }) {
        my $phase = $ta->{x_mitre_shortname};
        my @parents = sort { $a->{name} cmp $b->{name} }
            grep { !$_->{x_mitre_is_subtechnique} && $has->($_, $phase) } @techs;
        push @tactics, {
            id => attack_id($ta), shortname => $phase, name => $ta->{name},
            techniques => [ map {
                my $p = $_;
                { id => attack_id($p), name => $p->{name},
                  subtechniques => [
                      sort { $a->{id} cmp $b->{id} }
                      map { { id => attack_id($_), name => $_->{name} } }
                      grep { $has->($_, $phase) } @{ $subs_of{ $p->{id} } || [] } ] }
            } @parents ],
        };
    }
    return { domain => "$domain-attack", name => $matrices[0]{name},
             release => $collection->{x_mitre_version}, tactics => \@tactics };
}

sub get_matrix {
    my ($query) = @_;
    my $res = $ng->get("/api/v1/matrix$query");
    is($res->{status}, 200, "matrix$query: 200") or return {};
    my $m = decode_json($res->{content});
    # sub-technique order within a parent is not specified: compare sorted
    for my $ta (@{ $m->{tactics} || [] }) {
        for my $t (@{ $ta->{techniques} || [] }) {
            $t->{subtechniques} = [ sort { $a->{id} cmp $b->{id} }
                                    @{ $t->{subtechniques} || [] } ];
        }
    }
    return $m;
}

sub compare {
    my ($got, $exp, $label) = @_;
    is($got->{domain}, $exp->{domain}, "$label: domain");
    is($got->{name}, $exp->{name}, "$label: matrix name");
    is($got->{release}, $exp->{release}, "$label: release");
    is_deeply([ map { $_->{id} } @{ $got->{tactics} } ],
              [ map { $_->{id} } @{ $exp->{tactics} } ],
              "$label: tactics in matrix order");
    for my $i (0 .. $#{ $exp->{tactics} }) {
        my ($g, $e) = ($got->{tactics}[$i] || {}, $exp->{tactics}[$i]);
        is($g->{shortname}, $e->{shortname}, "$label $e->{id}: shortname");
        is($g->{name}, $e->{name}, "$label $e->{id}: name");
        is_deeply([ map { $_->{id} } @{ $g->{techniques} } ],
                  [ map { $_->{id} } @{ $e->{techniques} } ],
                  "$label $e->{id}: techniques sorted by name");
        is_deeply($g->{techniques}, $e->{techniques},
                  "$label $e->{id}: techniques with their sub-techniques");
    }
}

my $ent = expected_matrix('enterprise-attack-18.1.json', 'enterprise');
compare(get_matrix(''), $ent, 'default (enterprise)');
compare(get_matrix('?domain=enterprise'), $ent, 'enterprise');
compare(get_matrix('?domain=enterprise-attack&release=18.1'), $ent,
        'enterprise-attack, 18.1');
compare(get_matrix('?domain=mobile'),
        expected_matrix('mobile-attack-18.1.json', 'mobile'), 'mobile');
compare(get_matrix('?domain=ics&release=latest'),
        expected_matrix('ics-attack-18.1.json', 'ics'), 'ics');
compare(get_matrix('?release=16.1'),
        expected_matrix('enterprise-attack-16.1.json', 'enterprise'),
        'enterprise 16.1');

# well-known facts of the Enterprise matrix
my $m = get_matrix('?domain=enterprise');
is($m->{tactics}[0]{id}, 'TA0043', 'Enterprise starts with Reconnaissance');
is($m->{tactics}[-1]{id}, 'TA0040', 'Enterprise ends with Impact');
my ($exec) = grep { $_->{id} eq 'TA0002' } @{ $m->{tactics} };
my ($csi) = grep { $_->{id} eq 'T1059' } @{ $exec->{techniques} };
ok($csi, 'Execution holds Command and Scripting Interpreter');
ok((grep { $_->{id} eq 'T1059.001' && $_->{name} eq 'PowerShell' }
    @{ $csi->{subtechniques} }), 'T1059 holds PowerShell');
my $n_parents = 0;
$n_parents += @{ $_->{techniques} } for @{ $m->{tactics} };
ok($n_parents >= 216, 'every active Enterprise technique appears somewhere');

# the mobile bundle holds a deprecated matrix: only the active one is used
my $mob = get_matrix('?domain=MOBILE');
is(scalar @{ $mob->{tactics} }, 12, 'Mobile: the 12 tactics of the active matrix');

# domains that are not in a release, and bad values
my $res = $ng->get('/api/v1/matrix?domain=mobile&release=16.1');
is($res->{status}, 404, 'mobile in 16.1: 404');
is($res->{headers}{'content-type'}, 'application/json; charset=utf-8',
   '404 is JSON');
for my $q ('domain=pre-attack', 'domain=', 'tactic=TA0002', 'domain=ics&domain=ics') {
    is($ng->get("/api/v1/matrix?$q")->{status}, 400, "matrix?$q: 400");
}
is($ng->get('/api/v1/matrix?release=15.0')->{status}, 404, 'release 15.0: 404');

done_testing();

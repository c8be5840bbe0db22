# GET techniques?...: filters, totals and paging, every figure computed
# independently from the STIX bundles.

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

my %kill_chain = ('mitre-attack' => 'enterprise-attack',
                  'mitre-mobile-attack' => 'mobile-attack',
                  'mitre-ics-attack' => 'ics-attack');

# every technique of a set of bundles, keyed by ATT&CK id, with the
# tactic ids it belongs to (kill chain phase -> tactic of that domain)
sub techniques_of {
    my @files = @_;
    my (%tech, %tactic_by_phase, @all);
    for my $f (@files) {
        my $objs = load_bundle($f)->{objects};
        push @all, @$objs;
        for my $o (grep { $_->{type} eq 'x-mitre-tactic' && active($_) } @$objs) {
            my $domain = $o->{x_mitre_domains}[0];
            $tactic_by_phase{"$domain/$o->{x_mitre_shortname}"} = attack_id($o);
        }
    }
    for my $o (grep { $_->{type} eq 'attack-pattern' } @all) {
        my $id = attack_id($o) or next;
        my @tactics = grep { defined }
            map { $tactic_by_phase{ ($kill_chain{ $_->{kill_chain_name} } // '')
                                    . "/$_->{phase_name}" } }
            @{ $o->{kill_chain_phases} || [] };
        $tech{$id} = { id => $id, active => active($o) ? 1 : 0,
                       sub => $o->{x_mitre_is_subtechnique} ? 1 : 0,
                       domains => $o->{x_mitre_domains} || [],
                       platforms => $o->{x_mitre_platforms} || [],
                       tactics => \@tactics, name => $o->{name} };
    }
    return \%tech;
}

my $latest = techniques_of(qw(enterprise-attack-18.1.json
                              mobile-attack-18.1.json ics-attack-18.1.json));
my $old = techniques_of('enterprise-attack-16.1.json');

sub list {
    my ($query) = @_;
    my $res = $ng->get("/api/v1/techniques?$query");
    die "techniques?$query: $res->{status} $res->{content}\n"
        unless $res->{status} == 200;
    return decode_json($res->{content});
}

sub expected_ids {
    my ($set, $want) = @_;
    return [ sort map { $_->{id} } grep { $want->($_) } values %$set ];
}

sub check {
    my ($query, $set, $want, $label) = @_;
    my $got = list("$query&limit=1000");
    my @ids = map { $_->{id} } @{ $got->{techniques} };
    push @ids, map { $_->{id} } @{ list("$query&limit=1000&offset=1000")
                                   ->{techniques} } if $got->{total} > 1000;
    my $exp = expected_ids($set, $want);
    is($got->{total}, scalar @$exp, "$label: total");
    is_deeply(\@ids, $exp, "$label: ids in id order");
}

# defaults: sub-techniques in, revoked and deprecated out
check('release=latest', $latest, sub { $_[0]{active} }, 'default list');
check('subtechniques=false', $latest,
      sub { $_[0]{active} && !$_[0]{sub} }, 'without sub-techniques');
check('subtechniques=true&include_revoked=false', $latest,
      sub { $_[0]{active} }, 'explicit defaults');
check('include_revoked=true', $latest, sub { 1 }, 'include_revoked');
check('include_revoked=true&subtechniques=false', $latest,
      sub { !$_[0]{sub} }, 'include_revoked, parents only');

# domains
for my $d (qw(enterprise mobile ics)) {
    my $in = sub { $_[0]{active} && grep { $_ eq "$d-attack" } @{ $_[0]{domains} } };
    check("domain=$d", $latest, $in, "domain=$d");
    is(list("domain=$d-attack&limit=1")->{total},
       scalar @{ expected_ids($latest, $in) }, "domain=$d-attack is the same");
}
is(list('domain=ICS&limit=1')->{total}, list('domain=ics&limit=1')->{total},
   'domain is case-insensitive');

# per-tactic counts of the Enterprise matrix, by tactic id and shortname
my @objs = @{ load_bundle('enterprise-attack-18.1.json')->{objects} };
my %stix = map { $_->{id} => $_ } @objs;
my ($matrix) = grep { $_->{type} eq 'x-mitre-matrix' && active($_) } @objs;
my @ent_tactics = map { $stix{$_} } @{ $matrix->{tactic_refs} };
is(scalar @ent_tactics, 14, 'Enterprise matrix has 14 tactics');
for my $ta (@ent_tactics) {
    my $ta_id = attack_id($ta);
    my $short = $ta->{x_mitre_shortname};
    my $has = sub { my $t = shift;
                    $t->{active} && grep { $_ eq $ta_id } @{ $t->{tactics} } };
    my $n = @{ expected_ids($latest, $has) };
    ok($n > 0, "$ta_id has techniques in the bundle");
    is(list("tactic=$ta_id&limit=1")->{total}, $n, "tactic=$ta_id: $n");
    is(list('tactic=' . lc($ta_id) . '&domain=enterprise&limit=1')->{total},
       $n, "tactic=" . lc($ta_id) . " (lower case) with domain=enterprise");
    is(list("tactic=$short&domain=enterprise&limit=1")->{total}, $n,
       "tactic=$short&domain=enterprise");
    # a shortname names that tactic in every domain
    my %ids = map { $_ => 1 } grep { defined }
        map { attack_id($_) } grep { $_->{x_mitre_shortname} eq $short }
        grep { $_->{type} eq 'x-mitre-tactic' && active($_) }
        map { @{ load_bundle($_)->{objects} } }
        qw(enterprise-attack-18.1.json mobile-attack-18.1.json ics-attack-18.1.json);
    my $all = sub { my $t = shift;
                    $t->{active} && grep { $ids{$_} } @{ $t->{tactics} } };
    is(list('tactic=' . uc($short) . '&limit=1')->{total},
       scalar @{ expected_ids($latest, $all) },
       "tactic=" . uc($short) . ": every domain");
}
check('tactic=TA0005&subtechniques=false', $latest,
      sub { $_[0]{active} && !$_[0]{sub}
            && grep { $_ eq 'TA0005' } @{ $_[0]{tactics} } },
      'Defense Evasion parents');

# platforms, case-insensitive, across every domain
for my $p (qw(Windows linux ANDROID None iaas)) {
    check("platform=$p", $latest,
          sub { $_[0]{active} && grep { lc $_ eq lc $p } @{ $_[0]{platforms} } },
          "platform=$p");
}
check('platform=macOS&tactic=TA0002&subtechniques=false', $latest,
      sub { $_[0]{active} && !$_[0]{sub}
            && (grep { $_ eq 'macOS' } @{ $_[0]{platforms} })
            && grep { $_ eq 'TA0002' } @{ $_[0]{tactics} } },
      'platform, tactic and parents combined');

# release 16.1: Enterprise only
check('release=16.1&subtechniques=false', $old,
      sub { $_[0]{active} && !$_[0]{sub} }, '16.1 parents');
is(list('release=16.1&subtechniques=false&limit=1')->{total}, 203,
   '16.1 has the 203 techniques of ATT&CK v16');
check('release=16.1', $old, sub { $_[0]{active} }, '16.1 with sub-techniques');
check('release=16.1&domain=mobile', $old, sub { 0 }, '16.1 has no Mobile');

# paging: pages of 97 put together are the whole list
my $full = list('limit=1000');
my @paged;
for (my $off = 0; ; $off += 97) {
    my $page = list("limit=97&offset=$off");
    is($page->{offset}, $off, "offset $off echoed") if $off < 200;
    is($page->{limit}, 97, 'limit echoed') if $off == 0;
    is($page->{total}, $full->{total}, 'total does not depend on paging')
        if $off == 97;
    last unless @{ $page->{techniques} };
    push @paged, @{ $page->{techniques} };
}
is_deeply(\@paged, $full->{techniques}, 'pages put together = full list');
my $default = list('');
is($default->{limit}, 100, 'default limit 100');
is($default->{offset}, 0, 'default offset 0');
is(scalar @{ $default->{techniques} }, 100, '100 techniques by default');
my $past = list("offset=$full->{total}");
is_deeply($past->{techniques}, [], 'offset at the end: empty page');
is($past->{total}, $full->{total}, 'offset at the end: total still given');
my $last = list('offset=' . ($full->{total} - 3));
is(scalar @{ $last->{techniques} }, 3, 'last page holds the remainder');

# a summary of the list
my ($ps) = grep { $_->{id} eq 'T1059.001' } @{ $full->{techniques} };
is_deeply($ps, { type => 'technique', id => 'T1059.001', name => 'PowerShell',
                 domains => ['enterprise-attack'], tactics => ['TA0002'],
                 platforms => $latest->{'T1059.001'}{platforms},
                 is_subtechnique => JSON::XS::true, parent => 'T1059',
                 deprecated => JSON::XS::false, revoked => JSON::XS::false,
                 url => 'https://attack.mitre.org/techniques/T1059/001' },
          'T1059.001 summary');
my ($t1059) = grep { $_->{id} eq 'T1059' } @{ $full->{techniques} };
is($t1059->{parent}, undef, 'a parent has parent null');
my ($rev) = sort grep { !$latest->{$_}{active} } keys %$latest;
my ($rs) = grep { $_->{id} eq $rev }
    @{ list('include_revoked=true&limit=1000')->{techniques} };
ok($rs && ($rs->{revoked} || $rs->{deprecated}),
   "$rev is flagged revoked or deprecated in the list");

# bad parameters
for my $q ('tactic=TA9999', 'tactic=', 'platform=Amiga', 'domain=space',
           'subtechniques=maybe', 'include_revoked=2', 'limit=0',
           'limit=1001', 'limit=-1', 'limit=ten', 'offset=x', 'offset=-5',
           'limit=', 'offset=1.5') {
    my $res = $ng->get("/api/v1/techniques?$q");
    is($res->{status}, 400, "$q: 400");
    my $err = eval { decode_json($res->{content}) } || {};
    ok($err->{error} && $err->{detail}, "$q: JSON error and detail");
}
is(list('limit=1000')->{limit}, 1000, 'limit=1000 is allowed');

done_testing();

package Attck::Diff;

# The changelog between two ATT&CK bundles, computed here from the STIX
# alone (README, "Changes between releases"), to check what the worker
# compiles and the module serves.

use strict;
use warnings;

use Exporter 'import';
use Attck::Test qw(attack_id);

our @EXPORT_OK = qw(changelog model tactics @TYPES @SECTIONS);

our @TYPES = qw(technique tactic group software mitigation campaign
                data-component detection-strategy analytic asset);
our @SECTIONS = qw(additions major_version_changes minor_version_changes
                   other_version_changes patches revocations deprecations
                   deletions);

my %KIND = ('attack-pattern' => 'technique', 'x-mitre-tactic' => 'tactic',
            'intrusion-set' => 'group', 'malware' => 'software',
            'tool' => 'software', 'course-of-action' => 'mitigation',
            'campaign' => 'campaign',
            'x-mitre-data-component' => 'data-component',
            'x-mitre-detection-strategy' => 'detection-strategy',
            'x-mitre-analytic' => 'analytic', 'x-mitre-asset' => 'asset',
            'x-mitre-matrix' => 'matrix');

my %PASSIVE = (uses => 'used_by', mitigates => 'mitigated_by',
               detects => 'detected_by', 'attributed-to' => 'attributed_by',
               targets => 'targeted_by');

sub active { !$_[0]{revoked} && !$_[0]{x_mitre_deprecated} }

# objects by STIX id, relationships by category, parents, tactics
sub model {
    my ($bundle) = @_;
    my %m = (obj => {}, rels => {}, parent => {}, revoked_by => {});
    for my $o (@{ $bundle->{objects} }) {
        $m{obj}{ $o->{id} } = $o if $KIND{ $o->{type} };
    }
    my %seen;
    for my $r (grep { $_->{type} eq 'relationship' } @{ $bundle->{objects} }) {
        next if $seen{ $r->{id} }++ || $r->{revoked}
             || $r->{x_mitre_deprecated};
        my ($s, $d) = @{ $m{obj} }{ $r->{source_ref}, $r->{target_ref} };
        my $type = $r->{relationship_type};
        next unless $s && $d && defined $type;
        if ($type eq 'subtechnique-of') {
            $m{parent}{ $s->{id} } = $d;
            next;
        }
        if ($type eq 'revoked-by') {
            $m{revoked_by}{ $s->{id} } = $d;
            next;
        }
        next if $s->{id} eq $d->{id};
        (my $out = $type) =~ tr/-/_/;
        (my $in = $PASSIVE{$type} // "${type}_by") =~ tr/-/_/;
        $m{rels}{ $s->{id} }{$out}{ attack_id($d) } = 1 if attack_id($d);
        $m{rels}{ $d->{id} }{$in}{ attack_id($s) } = 1 if attack_id($s);
    }
    # a kill chain phase -> the tactic's id, through the domain's matrix
    for my $mx (grep { $_->{type} eq 'x-mitre-matrix' && active($_) }
                values %{ $m{obj} }) {
        for my $ref (@{ $mx->{tactic_refs} || [] }) {
            my $t = $m{obj}{$ref} or next;
            $m{phase}{ $t->{x_mitre_shortname} } = attack_id($t);
            push @{ $m{order} }, attack_id($t);
        }
    }
    return \%m;
}

sub tactics {
    my ($m, $o) = @_;
    my %have = map { ($m->{phase}{ $_->{phase_name} } // '') => 1 }
               @{ $o->{kill_chain_phases} || [] };
    return [ grep { $have{$_} } @{ $m->{order} } ];
}

# what is only in $new, what only in $old (array refs of strings)
sub set_changes {
    my ($old, $new) = @_;
    my %o = map { $_ => 1 } @$old;
    my %n = map { $_ => 1 } @$new;
    return ([ grep { !$o{$_} } @$new ], [ grep { !$n{$_} } @$old ]);
}

sub fields {
    my ($ma, $a, $mb, $b) = @_;
    my (@changed, %detail);
    push @changed, 'name' if ($a->{name} // '') ne ($b->{name} // '');
    push @changed, 'description'
        if ($a->{description} // '') ne ($b->{description} // '');
    if ($b->{type} eq 'attack-pattern') {
        my ($add, $rem) = set_changes(tactics($ma, $a), tactics($mb, $b));
        if (@$add || @$rem) {
            push @changed, 'tactics';
            $detail{tactics} = { added => $add, removed => $rem };
        }
        ($add, $rem) = set_changes($a->{x_mitre_platforms} || [],
                                   $b->{x_mitre_platforms} || []);
        if (@$add || @$rem) {
            push @changed, 'platforms';
            $detail{platforms} = { added => $add, removed => $rem };
        }
        my ($pa, $pb) = map { $_ ? attack_id($_) : undef }
                        $ma->{parent}{ $a->{id} }, $mb->{parent}{ $b->{id} };
        if (($pa // '') ne ($pb // '')) {
            push @changed, 'parent';
            $detail{parent} = { old => $pa, new => $pb };
        }
    }
    my ($ra, $rb) = ($ma->{rels}{ $a->{id} } || {}, $mb->{rels}{ $b->{id} } || {});
    my %rels;
    for my $cat (keys %$ra, keys %$rb) {
        my ($add, $rem) = set_changes([ sort keys %{ $ra->{$cat} || {} } ],
                                      [ sort keys %{ $rb->{$cat} || {} } ]);
        $rels{$cat} = { added => $add, removed => $rem } if @$add || @$rem;
    }
    push @changed, 'detection'
        if ($a->{x_mitre_detection} // '') ne ($b->{x_mitre_detection} // '')
           || $rels{detected_by};
    if (%rels) {
        push @changed, 'relationships';
        $detail{relationships} = \%rels;
    }
    return (\@changed, \%detail);
}

sub version { ($_[0] // '') =~ /^(\d+)(?:\.(\d+))?$/ ? ($1, $2 // 0) : () }

# {type}{section} => [ { id, revoked_by, changed, detail }, ... ] by id
sub changelog {
    my ($old_bundle, $new_bundle) = @_;
    my ($ma, $mb) = (model($old_bundle), model($new_bundle));
    my %out = map { my $t = $_; ($t => { map { ($_ => []) } @SECTIONS }) }
              @TYPES;
    my $add = sub {
        my ($o, $section, %e) = @_;
        push @{ $out{ $KIND{ $o->{type} } }{$section} },
            { id => attack_id($o), %e };
    };
    for my $b (values %{ $mb->{obj} }) {
        next unless attack_id($b) && $KIND{ $b->{type} } ne 'matrix';
        my $a = $ma->{obj}{ $b->{id} };
        if (!$a) {
            $add->($b, 'additions') if active($b);
            next;
        }
        if ($b->{revoked} && !$a->{revoked}) {
            my $by = $mb->{revoked_by}{ $b->{id} };
            $add->($b, 'revocations',
                   revoked_by => $by ? attack_id($by) : undef,
                   tactics => $by ? tactics($mb, $by) : []);
            next;
        }
        if ($b->{x_mitre_deprecated} && !$a->{x_mitre_deprecated}
            && !$b->{revoked}) {
            $add->($b, 'deprecations');
            next;
        }
        next unless active($b);
        my ($changed, $detail) = fields($ma, $a, $mb, $b);
        my ($va, $vb) = ($a->{x_mitre_version}, $b->{x_mitre_version});
        my $section;
        if (($va // '') eq ($vb // '')) {
            next if ($a->{modified} // '') eq ($b->{modified} // '')
                 && !@$changed;
            $section = 'patches';
        } else {
            my @x = version($va);
            my @y = version($vb);
            $section = !@x || !@y ? 'other_version_changes'
                     : $y[0] == $x[0] + 1 && $y[1] == 0
                       ? 'major_version_changes'
                     : $y[0] == $x[0] && $y[1] == $x[1] + 1
                       ? 'minor_version_changes'
                     : 'other_version_changes';
        }
        $add->($b, $section, changed => $changed, detail => $detail);
    }
    for my $a (values %{ $ma->{obj} }) {
        next unless attack_id($a) && $KIND{ $a->{type} } ne 'matrix';
        $add->($a, 'deletions') unless $mb->{obj}{ $a->{id} };
    }
    for my $t (@TYPES) {
        for my $s (@SECTIONS) {
            $out{$t}{$s} = [ sort { $a->{id} cmp $b->{id} } @{ $out{$t}{$s} } ];
        }
    }
    return \%out;
}

1;

#!/usr/bin/perl
#
# A small bundle cut from an ATT&CK bundle, a seed for fuzz_compile:
# the collection (without its contents list), the matrix and every
# tactic, a few active techniques and one revoked or deprecated one, up
# to two objects of each other kind that are related to them, and the
# relationships among all these.  Descriptions are cut short.
#
#   perl fuzz/slice.pl ics-attack-18.1.json > ics-slice.json

use strict;
use warnings;
use JSON::XS;

my $TECHNIQUES = 6;
my $PER_KIND = 2;
my $DESCRIPTION = 160;

local $/;
my $bundle = decode_json(<>);
my @all = @{ $bundle->{objects} };

sub old { $_[0]{revoked} || $_[0]{x_mitre_deprecated} }

my @techs = grep { $_->{type} eq 'attack-pattern' && !old($_) } @all;
my @old = grep { $_->{type} eq 'attack-pattern' && old($_) } @all;
my @picked = (@techs[0 .. $TECHNIQUES - 1], @old ? $old[0] : ());
my %tech = map { $_->{id} => 1 } @picked;

my @rels = grep { $_->{type} eq 'relationship' && $tech{ $_->{target_ref} } }
           @all;
my %source = map { $_->{source_ref} => 1 } @rels;

my %keep = %tech;
my @others;

for my $kind ('intrusion-set', 'malware', 'tool', 'course-of-action',
              'campaign', 'x-mitre-asset', 'x-mitre-detection-strategy')
{
    my @of = grep { $_->{type} eq $kind && $source{ $_->{id} } } @all;
    splice(@of, $PER_KIND) if @of > $PER_KIND;
    push @others, @of;
    $keep{ $_->{id} } = 1 for @of;
}

@rels = grep { $keep{ $_->{source_ref} } } @rels;

my @head;

for my $o (@all) {
    if ($o->{type} eq 'x-mitre-collection') {
        delete $o->{x_mitre_contents};
        push @head, $o;

    } elsif ($o->{type} =~ /^(identity|marking-definition|x-mitre-matrix
                             |x-mitre-tactic)$/x)
    {
        push @head, $o;
    }
}

my @objects = (@head, @picked, @others, @rels);

for my $o (@objects) {
    $o->{description} = substr($o->{description}, 0, $DESCRIPTION)
        if defined $o->{description};
}

$bundle->{objects} = \@objects;

print JSON::XS->new->canonical->encode($bundle);

# The mapper and names: a group's name or a malware's is not a behaviour.
# "HIDDEN COBRA" (an alias of Lazarus Group) once mapped to T1564.001
# Hidden Files from the word "hidden" alone.  train learns ATT&CK's own
# group and malware names and aliases as examples of no technique; this
# checks, with the model make trains (ATTCK_TEST_MODEL), that the
# recorded pulse titled so no longer gets T1564.*, that names alone map
# to nothing, and that text with real behaviour still maps: procedure
# examples of T1564.* that say "hidden", and the recorded pulse that
# describes spearphishing with attachments.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(worker run_cmd recorded_pulses load_bundle attack_id);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";

my $dir = File::Temp->newdir;
my $json = JSON::XS->new->utf8->canonical;
my $bundle = 'enterprise-attack-18.1.json';

# the score map stores at by default (README, "map")
my $map_threshold = 0.5;

sub classify {
    my ($texts) = @_;
    open(my $in, '>', "$dir/in.jsonl") or die;
    print $in $json->encode({ id => $_, text => $texts->[$_] }), "\n"
        for 0 .. $#$texts;
    close $in;
    my $rc = system(worker() . " classify --model $model --top 10 "
                    . "< $dir/in.jsonl > $dir/out.jsonl 2> $dir/err");
    is($rc >> 8, 0, 'classify exits 0');
    open(my $out, '<', "$dir/out.jsonl") or die;
    my %by = map { my $j = $json->decode($_); ($j->{id} => $j->{techniques}) }
             <$out>;
    return [ map { $by{$_} } 0 .. $#$texts ];
}

# a threat's text as map reads it (attck_threat_text in sql/007)
sub threat_text {
    my ($p) = @_;
    return $p->{name} . ".\n" . ($p->{description} // '') . "\n"
           . join(', ', @{ $p->{tags} || [] });
}

# --- the pulse titled HIDDEN COBRA ------------------------------------------

my @pulses = recorded_pulses();
my ($cobra) = grep { ($_->{description} // '') =~ /HIDDEN COBRA/ } @pulses;
ok($cobra, 'the recorded pulse about HIDDEN COBRA is there');

my $b = load_bundle($bundle);
my ($lazarus) = grep { $_->{type} eq 'intrusion-set'
                       && grep { $_ eq 'HIDDEN COBRA' } @{ $_->{aliases} || [] } }
                @{ $b->{objects} };
ok($lazarus, 'HIDDEN COBRA is an alias of ' . ($lazarus ? $lazarus->{name}
                                                        : 'a group'));

my $hits = classify([ threat_text($cobra) ])->[0];
my @t1564 = grep { $_->{id} =~ /^T1564/ } @$hits;
ok(!grep({ $_->{score} >= $map_threshold / 5 } @t1564),
   'HIDDEN COBRA: no T1564.* at a fifth of map\'s threshold or above ('
   . join(', ', map { "$_->{id} $_->{score}" } @t1564) . ')')
    or diag explain $hits;
ok(!grep({ $_->{score} >= $map_threshold } @$hits),
   'HIDDEN COBRA: nothing the pulse would be mapped to');

# --- every group and malware name alone -------------------------------------

my (@names, %seen);
for my $o (@{ $b->{objects} }) {
    next if $o->{revoked} || $o->{x_mitre_deprecated};
    my @n = $o->{type} eq 'intrusion-set' ? ($o->{name}, @{ $o->{aliases} || [] })
          : $o->{type} eq 'malware' ? ($o->{name}, @{ $o->{x_mitre_aliases} || [] })
          : ();
    push @names, grep { !$seen{$_}++ } @n;
}
ok(@names > 1000, scalar(@names) . ' names and aliases of groups and malware');

my $mapped = grep { @$_ && $_->[0]{score} >= $map_threshold }
             @{ classify(\@names) };
ok($mapped <= @names / 100, "$mapped of " . scalar(@names)
   . ' names alone would be mapped to a technique (at most 1%)');

# --- real behaviour still maps ----------------------------------------------

my ($rc, $out) = run_cmd(worker(), 'examples',
                         Attck::Test::shared_dir() . "/attack/$bundle");
is($rc, 0, 'examples exits 0');
my @hidden = grep { $_->{kind} eq 'procedure'
                    && $_->{techniques}[0] =~ /^T1564/
                    && $_->{text} =~ /\bhidden\b/i }
             map { $json->decode($_) } grep { /^\{/ } split /\n/, $out;
ok(@hidden > 20, scalar(@hidden) . ' procedure examples of T1564.* say '
   . '"hidden"');

my $found = 0;
my $res = classify([ map { $_->{text} } @hidden ]);
for my $i (0 .. $#hidden) {
    my $top = $res->[$i][0];
    $found++ if $top && $top->{id} =~ /^T1564/
                && $top->{score} >= $map_threshold;
}
ok($found >= 0.95 * @hidden, "$found of " . scalar(@hidden)
   . ' still get a T1564.* technique first, mapped (at least 95%)');

# the pulse that tells of "spear phishing containing malicious
# attachments": Spearphishing Attachment, by the technique's own name
my ($attach) = grep { attack_id($_) && attack_id($_) eq 'T1566.001' }
               @{ $b->{objects} };
my ($dragon) = grep { threat_text($_) =~ /spear phishing containing malicious attachments/i }
               @pulses;
ok($dragon, 'a recorded pulse tells of spear phishing with attachments');
my ($sp) = grep { $_->{id} eq 'T1566.001' }
           @{ classify([ threat_text($dragon) ])->[0] };
ok($sp && $sp->{score} >= $map_threshold,
   "that pulse maps to T1566.001 $attach->{name}"
   . ($sp ? " ($sp->{score})" : ''));

done_testing();

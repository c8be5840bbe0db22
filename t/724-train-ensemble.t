# train writes the average of two linear models (README, "train"): the
# previous method's (technique texts whole, every other technique's
# examples negatives) and the current one's (sentences of technique texts
# as examples, the family rule, positives weighing twice), mixed half and
# half, the average pruned at 0.05.  ATTCK_TRAIN_MIX_TRY (an experiment's
# knob, not a setting) gives the previous method's part: at 1 the model
# is that part alone, at 0 the current method alone, so the model of 0.5
# is read here beside both (as attck_model_format.h lays the files out)
# and must be their average, class by class and weight by weight.  The
# ICS bundle keeps the three trainings short.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Attck::Test qw(worker shared_dir run_cmd);

my $dir = File::Temp->newdir;
my $bundle = shared_dir() . '/attack/ics-attack-18.1.json';
my $prune = 0.05;

my %model;

for my $mix ('0.5', '1', '0') {
    local $ENV{ATTCK_TRAIN_MIX_TRY} = $mix;
    my ($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/$mix.model",
                             '--stix', $bundle);
    is($rc, 0, "train with the previous method's part at $mix exits 0")
        or diag $log;
    $model{$mix} = read_model("$dir/$mix.model");
}

my ($half, $prev, $cur) = @model{'0.5', '1', '0'};

is_deeply($half->{terms}, $prev->{terms}, 'the same terms as the previous '
          . 'method\'s part');
is_deeply($half->{terms}, $cur->{terms}, 'the same terms as the current '
          . 'method\'s part');
is_deeply($half->{class}, $cur->{class}, 'the same techniques');
cmp_ok(scalar @{ $half->{class} }, '>', 50, 'ICS techniques: '
       . scalar @{ $half->{class} });

# biases: the average, or absent (-1e30) where a part has no example

my ($bad, $absent) = (0, 0);
for my $c (0 .. $#{ $half->{class} }) {
    my ($h, $p, $q) = map { $_->{bias}[$c] } $half, $prev, $cur;
    if ($p < -1e29 || $q < -1e29) {
        $absent++;
        $bad++ unless $h < -1e29;
        next;
    }
    $bad++ unless close_to($h, ($p + $q) / 2);
}
is($bad, 0, 'every bias is the average of the parts\' biases');

# weights: both parts kept it (over 0.05): exactly their average; one
# part did: the other's is under 0.05, so within 0.025 of half the one;
# neither: the average is under 0.05 and pruned

my ($both, $one, $wrong, $missing, $pruned) = (0, 0, 0, 0, 0);
my %keys = map { $_ => 1 } keys %{ $half->{w} }, keys %{ $prev->{w} },
                           keys %{ $cur->{w} };
for my $k (keys %keys) {
    my ($h, $p, $q) = map { $_->{w}{$k} } $half, $prev, $cur;

    if (defined $p && defined $q) {
        my $avg = ($p + $q) / 2;
        if (defined $h) {
            $both++;
            $wrong++ unless close_to($h, $avg);
        } elsif (abs($avg) >= $prune * 1.0001) {
            $missing++;
        } else {
            $pruned++;
        }
        next;
    }

    if (defined $p || defined $q) {
        my $known = (defined $p ? $p : $q) / 2;
        if (defined $h) {
            $one++;
            $wrong++ unless abs($h - $known) <= $prune / 2 + 1e-6;
        }
        next;
    }

    $wrong++;       # in the average only: one part must be over 0.05
}

cmp_ok($both, '>', 1000, "weights both parts have: $both");
cmp_ok($one, '>', 100, "weights one part has: $one");
is($wrong, 0, 'every weight is the average of the parts\' (within what '
   . 'pruning a part leaves out)');
is($missing, 0, 'no average of 0.05 or more is left out');
cmp_ok(scalar keys %{ $half->{w} }, '<', scalar(keys %{ $prev->{w} })
       + scalar(keys %{ $cur->{w} }), 'the average has fewer weights than '
       . 'its parts together');
note("averages pruned: $pruned, classes absent: $absent");

# the knob is a number from 0 to 1, or train refuses to start

for my $bad ('abc', '1.5', '-0.1') {
    local $ENV{ATTCK_TRAIN_MIX_TRY} = $bad;
    my ($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/bad.model",
                             '--stix', $bundle);
    is($rc, 64, "ATTCK_TRAIN_MIX_TRY=$bad: exit 64");
    like($log, qr/ATTCK_TRAIN_MIX_TRY: not a number from 0 to 1/,
         'one line says why');
    ok(!-e "$dir/bad.model", 'no model written');
}

done_testing();


sub close_to {
    my ($a, $b) = @_;
    return abs($a - $b) <= 1e-6 + 1e-6 * abs($b);
}


# the model file: terms, class ids and biases, weights by "term class"

sub read_model {
    my ($path) = @_;
    open(my $mf, '<:raw', $path) or die "$path: $!";
    my $m = do { local $/; <$mf> };
    close $mf;

    die "$path: not a model" unless substr($m, 0, 8) eq 'ATTCKMAP';
    my (undef, undef, $size, $nterms, $nclasses, $npostings, $nslots,
        $strings) = unpack('V8', substr($m, 8, 32));
    my $hdr = 40 + 32 + 32 + 72 + 4 * 4;
    my $off_terms = $hdr;
    my $off_starts = $off_terms + 8 * $nterms;
    my $off_post = $off_starts + 4 * ($nterms + 1);
    my $off_cls = $off_post + 8 * $npostings;
    my $off_str = $off_cls + 16 * $nclasses + 4 * $nslots;
    die "$path: sections do not add up" unless $off_str + $strings == $size;

    my (@terms, @class, @bias, %w);
    for my $i (0 .. $nterms - 1) {
        my $o = unpack('V', substr($m, $off_terms + 4 * $i, 4));
        push @terms, unpack('Z*', substr($m, $off_str + $o));
    }
    for my $c (0 .. $nclasses - 1) {
        my ($id, $b) = unpack('Z12f<', substr($m, $off_cls + 16 * $c, 16));
        push @class, $id;
        push @bias, $b;
    }
    for my $i (0 .. $nterms - 1) {
        my ($from, $to) = unpack('V2', substr($m, $off_starts + 4 * $i, 8));
        for my $j ($from .. $to - 1) {
            my ($c, $x) = unpack('Vf<', substr($m, $off_post + 8 * $j, 8));
            $w{"$terms[$i] $class[$c]"} = $x;
        }
    }

    return { terms => \@terms, class => \@class, bias => \@bias,
             w => \%w };
}

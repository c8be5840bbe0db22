# train and the technique hierarchy: a text of a sub-technique is not a
# negative for its parent, nor a parent's text for its sub-techniques
# (README, "train").  A made-up word given only in labeled examples of
# T1059.001 (and another only in examples of T1059) is a term of the
# model; the model file is read here as classify reads it
# (attck_model_format.h): the labeled technique weighs the word up, some
# technique of another family weighs it down (the examples were its
# negatives), and the family's other member has no weight on it at all,
# since the examples were never in its problem (with the rule before,
# T1059 and three of its sub-techniques had weights on them: the labeled
# texts are worded like T1059's own examples so that they are in its
# working set).  The rule is the current method's: the model train writes
# averages that method's model with the previous method's, where the
# family are negatives (t/724), so the weights are read from a model of
# the current method alone (ATTCK_TRAIN_MIX_TRY=0, the previous method's
# part 0).  Also: with the average, as train writes it, the sub-technique
# is ranked first on such a text, and training stays deterministic.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(worker shared_dir run_cmd);

my $dir = File::Temp->newdir;
my $bundle = shared_dir() . '/attack/enterprise-attack-18.1.json';
my $json = JSON::XS->new->utf8->canonical;

my %word = (sub => 'flurblexa', parent => 'zorblaxit');
my @sub_texts = (
    "The $word{sub} toolkit used PowerShell to run scripts and commands on "
    . 'the host.',
    "Scripts were interpreted by $word{sub} through PowerShell on the "
    . 'command line.',
    "The $word{sub} operators executed commands and scripts through "
    . 'PowerShell.',
    "Encoded PowerShell commands launched by $word{sub} ran the script.",
);
my @parent_texts = (
    "The $word{parent} toolkit used command interpreters to run scripts "
    . 'on the host.',
    "Scripts were interpreted by $word{parent} through the command line.",
    "The $word{parent} operators executed commands and scripts through an "
    . 'interpreter.',
);

open(my $lf, '>', "$dir/labeled.jsonl") or die;
print $lf $json->encode({ text => $_, techniques => ['T1059.001'] }), "\n"
    for @sub_texts;
print $lf $json->encode({ text => $_, techniques => ['T1059'] }), "\n"
    for @parent_texts;
close $lf;

my ($rc, $log);
{
    local $ENV{ATTCK_TRAIN_MIX_TRY} = '0';
    ($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/a.model", '--stix',
                          $bundle, '--labeled', "$dir/labeled.jsonl");
}
is($rc, 0, 'train of the current method alone exits 0') or diag $log;
like($log, qr/labeled\.jsonl: 7 labeled examples, 0 refused/,
     'the seven labeled examples are read');

# --- the model file, as attck_model_format.h lays it out ---------------------

open(my $mf, '<:raw', "$dir/a.model") or die;
my $m = do { local $/; <$mf> };
close $mf;

is(substr($m, 0, 8), 'ATTCKMAP', 'a model file');
my ($version, $crc, $size, $nterms, $nclasses, $npostings, $nslots,
    $strings) = unpack('V8', substr($m, 8, 32));
my $hdr = 40 + 32 + 32 + 72 + 4 * 4;
is($size, length $m, 'its size is the header\'s');

my $off_terms = $hdr;
my $off_starts = $off_terms + 8 * $nterms;
my $off_post = $off_starts + 4 * ($nterms + 1);
my $off_cls = $off_post + 8 * $npostings;
my $off_str = $off_cls + 16 * $nclasses + 4 * $nslots;
is($off_str + $strings, $size, 'the sections add up to the file');

my @class = map { unpack('Z12', substr($m, $off_cls + 16 * $_, 12)) }
            0 .. $nclasses - 1;
my %term_id;
for my $i (0 .. $nterms - 1) {
    my $o = unpack('V', substr($m, $off_terms + 4 * $i, 4));
    my $t = unpack('Z*', substr($m, $off_str + $o));
    $term_id{$t} = $i if $t eq $word{sub} || $t eq $word{parent};
}

# technique id => weight of the term
sub weights {
    my ($term) = @_;
    my $id = $term_id{$term};
    return undef unless defined $id;
    my ($from, $to) = unpack('V2', substr($m, $off_starts + 4 * $id, 8));
    my %w;
    for my $j ($from .. $to - 1) {
        my ($c, $w) = unpack('Vf<', substr($m, $off_post + 8 * $j, 8));
        $w{ $class[$c] } = $w;
    }
    return \%w;
}

my $ws = weights($word{sub});
ok($ws, "'$word{sub}' (labeled T1059.001 only) is a term");
ok(($ws->{'T1059.001'} // 0) > 0, 'T1059.001 weighs it up')
    or diag explain $ws;
ok(!exists $ws->{T1059}, 'its parent T1059 has no weight on it: a text of '
   . 'a sub-technique is not a negative for the parent')
    or diag "T1059: $ws->{T1059}";
my @down = grep { $_ !~ /^T1059(\.|$)/ && $ws->{$_} < 0 } keys %$ws;
ok(@down, 'techniques of other families weigh it down (their negatives): '
   . scalar(@down));

my $wp = weights($word{parent});
ok($wp, "'$word{parent}' (labeled T1059 only) is a term");
ok(($wp->{T1059} // 0) > 0, 'T1059 weighs it up') or diag explain $wp;
my @subs = grep { /^T1059\./ } keys %$wp;
is_deeply(\@subs, [], 'no sub-technique of T1059 has a weight on it: the '
          . 'parent\'s text is not their negative')
    or diag explain { map { $_ => $wp->{$_} } @subs };
ok((grep { $_ !~ /^T1059(\.|$)/ && $wp->{$_} < 0 } keys %$wp),
   'techniques of other families weigh it down');

# --- and classify ranks the sub-technique first on such a text ---------------

($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/b.model", '--stix',
                      $bundle, '--labeled', "$dir/labeled.jsonl");
is($rc, 0, 'train (the average) exits 0') or diag $log;

open(my $in, '>', "$dir/in.jsonl") or die;
print $in $json->encode({ id => 1, text => "The $word{sub} loader ran "
                                          . 'PowerShell.' }), "\n";
close $in;
$rc = system(worker() . " classify --model $dir/b.model --top 3 "
             . "< $dir/in.jsonl > $dir/out.jsonl 2> $dir/err");
is($rc >> 8, 0, 'classify exits 0');
open(my $out, '<', "$dir/out.jsonl") or die;
my $r = $json->decode(scalar <$out>);
is($r->{techniques}[0]{id}, 'T1059.001', 'T1059.001 first');

($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/c.model", '--stix',
                      $bundle, '--labeled', "$dir/labeled.jsonl");
is($rc, 0, 'second training exits 0');
is(system('cmp', '-s', "$dir/b.model", "$dir/c.model"), 0,
   'same input, same model bytes');

done_testing();

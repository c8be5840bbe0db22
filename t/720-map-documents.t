# attck-worker classify on whole documents: a report is split into
# sentences, each technique names the sentences that support it by byte
# offsets that point at exactly their text, and messy or hostile text
# (IOCs, paths, command lines, bullets, control bytes, multi-byte
# characters, very long runs) neither crashes nor misplaces an offset.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Encode ();
use JSON::XS ();
use Attck::Test qw(worker shared_dir run_cmd load_bundle);

my $model = $ENV{ATTCK_TEST_MODEL} || Attck::Test::build_dir()
                                      . '/test/enterprise.model';
plan skip_all => "no test model at $model" unless -f $model;

my $dir = File::Temp->newdir;
my $json = JSON::XS->new->utf8->canonical;

sub classify {
    my ($lines, @opt) = @_;
    open(my $in, '>', "$dir/in.jsonl") or die;
    print $in map { $json->encode($_) . "\n" } @$lines;
    close $in;
    my $rc = system(worker() . " classify --model $model @opt "
                    . "< $dir/in.jsonl > $dir/out.jsonl 2> $dir/err");
    open(my $out, '<', "$dir/out.jsonl") or die;
    return ($rc >> 8, [ map { $json->decode($_) } <$out> ]);
}

# every supporting sentence is the text at its byte offsets
sub offsets_ok {
    my ($text, $res, $name) = @_;
    my $bytes = Encode::encode('UTF-8', $text);
    my ($n, $bad) = (0, 0);
    for my $t (@{ $res->{techniques} }) {
        for my $s (@{ $t->{sentences} || [] }) {
            $n++;
            my $want = Encode::decode('UTF-8',
                substr($bytes, $s->{start}, $s->{end} - $s->{start}));
            $bad++ if $want ne $s->{text} || $s->{start} >= $s->{end};
        }
    }
    is($bad, 0, "$name: $n supporting sentences at their offsets");
    return $n;
}

# a report: procedure examples of one group, as a paragraph, bullets and
# lines, with IOCs between them
my $bundle = load_bundle('enterprise-attack-18.1.json');
my %name = map { $_->{id} => $_ } @{ $bundle->{objects} };
my %by_group;
for my $o (@{ $bundle->{objects} }) {
    next unless $o->{type} eq 'relationship'
        && $o->{relationship_type} eq 'uses'
        && $o->{source_ref} =~ /^intrusion-set--/
        && $o->{target_ref} =~ /^attack-pattern--/
        && !$o->{revoked} && $o->{description};
    my $t = $name{ $o->{target_ref} } or next;
    my ($ext) = grep { $_->{source_name} eq 'mitre-attack' }
                @{ $t->{external_references} };
    (my $d = $o->{description}) =~ s/\s*\(Citation:[^)]*\)//g;
    push @{ $by_group{ $o->{source_ref} } },
        { text => $d, id => $ext->{external_id} };
}
my ($group) = sort { @{ $by_group{$b} } <=> @{ $by_group{$a} }
                     || $a cmp $b } keys %by_group;
my @procs = @{ $by_group{$group} }[0 .. 11];

my $report = "Threat report \x{2014} \x{201c}Operation X\x{201d}\n\n"
    . join(' ', map { $_->{text} } @procs[0 .. 3]) . "\n\n"
    . "Indicators:\n- 10.20.30.40\n- hxxp://evil[.]example/a.php\n"
    . "- C:\\Users\\Public\\svchost.exe\n- cmd.exe /c whoami /all\n\n"
    . join("\n", map { "\x{2022} $_->{text}" } @procs[4 .. 7]) . "\n"
    . join("\n", map { ($_ + 1) . ". $procs[$_ + 8]{text}" } 0 .. 3) . "\n";

my ($rc, $res) = classify([ { id => 'report', text => $report } ]);
is($rc, 0, 'classify exits 0 on a report');
my $r = $res->[0];
ok(@{ $r->{techniques} } > 0, 'a report maps to techniques');
ok(offsets_ok($report, $r, 'report') > 0, 'and names supporting sentences');

my %found = map { $_->{id} => 1 } @{ $r->{techniques} };
my %want = map { $_->{id} => 1 } @procs;
my $hit = grep { $found{$_} } keys %want;
ok($hit >= 3, "report: $hit of the techniques its procedures name are in "
              . 'its top 10');

# the best technique's first sentence is one of the procedure examples
my $top = $r->{techniques}[0];
ok((grep { index($_->{text}, $top->{sentences}[0]{text}) >= 0
           || index($top->{sentences}[0]{text}, $_->{text}) >= 0 } @procs),
   'the best supporting sentence is a procedure example')
    or diag explain $top;

# the IOC lines are sentences of their own, not glued to their neighbours
ok(!(grep { $_->{text} =~ /whoami.*Users|Indicators:.*10\.20/s }
     map { @{ $_->{sentences} || [] } } @{ $r->{techniques} }),
   'bullet lines are sentences of their own');

# scores of a document are calibrated scores
ok(!(grep { $_->{score} < 0 || $_->{score} > 1 } @{ $r->{techniques} }),
   'document scores in [0,1]');

# one sentence: no "sentences" (the text is the sentence), as before
($rc, $res) = classify([ { id => 1, text => $procs[0]{text} =~ s/\.\s.*//sr } ]);
ok(!(grep { exists $_->{sentences} } @{ $res->[0]{techniques} }),
   'a single sentence lists no sentences');

# hostile text: control bytes, NULs, lone punctuation, a long run without
# a space, bullets alone, CR LF, a sentence per byte pair
my @hostile = (
    "\x{0}\x{1}\x{2} cmd.exe /c \x{7f}\x{0}. Then PowerShell.\n\n\x{0}",
    ". . . ! ? \n\n- \n* \n\x{2022} \n1. ",
    'a' x 5000 . ' powershell -enc ' . 'b' x 3000,
    join('', map { "A$_. " } 1 .. 2000),
    "Line one:\r\nline two with schtasks /create.\r\n\r\nLast line",
    "\x{202e}\x{200b}mimikatz\x{2028}lsass\x{2029}\x{feff}dump.",
    join("\n", ('- rundll32.exe a.dll,Start') x 300),
);

($rc, $res) = classify([ map { { id => $_, text => $hostile[$_] } }
                         0 .. $#hostile ]);
is($rc, 0, 'classify exits 0 on hostile text');
is(scalar @$res, scalar @hostile, 'every hostile text answered');
for my $i (0 .. $#hostile) {
    ok(exists $res->[$i]{techniques}, "hostile $i: an answer");
    offsets_ok($hostile[$i], $res->[$i], "hostile $i");
}

# supporting sentences of many documents: groups' procedures per group
my @docs = map { my $g = $_; { id => $g, text => join("\n",
                   map { $_->{text} } @{ $by_group{$g} }) } }
           (sort keys %by_group)[0 .. 39];
($rc, $res) = classify(\@docs);
is($rc, 0, 'classify exits 0 on 40 group documents');
my $bad = 0;
for my $i (0 .. $#docs) {
    my $bytes = Encode::encode('UTF-8', $docs[$i]{text});
    for my $t (@{ $res->[$i]{techniques} }) {
        for my $s (@{ $t->{sentences} || [] }) {
            $bad++ if Encode::decode('UTF-8', substr($bytes, $s->{start},
                          $s->{end} - $s->{start})) ne $s->{text};
        }
    }
}
is($bad, 0, 'offsets of every supporting sentence of 40 documents');

done_testing;

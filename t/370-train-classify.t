# attck-worker train and classify, end to end on the real Enterprise
# release: clear analyst sentences map where they should, ids written in
# the text are always found, bad lines get an error object, training is
# deterministic, and a damaged model is refused.

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

# a user's own labeled examples, one of them malformed
open(my $lf, '>', "$dir/labeled.jsonl") or die;
print $lf $json->encode({ text => 'operators pivoted through the jump host '
                                  . 'over ssh tunnels', techniques => ['T1572'] }), "\n";
print $lf $json->encode({ text => 'they tunnelled rdp over ssh to the '
                                  . 'jump host', techniques => ['T1572',
                                                                'T1021.001'] }), "\n";
print $lf "not json\n";
print $lf $json->encode({ text => 'x', techniques => ['bogus'] }), "\n";
close $lf;

my ($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/a.model", '--stix',
                         $bundle, '--labeled', "$dir/labeled.jsonl");
is($rc, 0, 'train exits 0') or diag $log;
like($log, qr/691 technique texts, 16017 procedure examples/,
     'trained on every technique text and procedure example');
like($log, qr/labeled\.jsonl: 3 labeled examples, 2 refused/,
     'labeled file: three labels used (one line has two), two refused');
like($log, qr/wrote .*a\.model: \d+ examples \(\d+ of them sentences of technique texts\), 691 techniques/,
     'model covers every technique');
my ($all, $sent) = $log =~ /wrote .*a\.model: (\d+) examples \((\d+) of them/;
my ($names) = $log =~ /(\d+) names of groups and malware/;
ok($names, "names of groups and malware as examples of no technique: $names");
is($all - $sent - $names, 16711, 'the technique texts, procedure examples '
                        . 'and labels, and each sentence of a technique text '
                        . 'and each name besides');
ok($sent > 691, "$sent sentences of technique texts");
ok(-s "$dir/a.model" < 50 * 1024 * 1024, 'model under 50 MB');

($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/b.model", '--stix',
                      $bundle, '--labeled', "$dir/labeled.jsonl");
is($rc, 0, 'second training exits 0');
is(system('cmp', '-s', "$dir/a.model", "$dir/b.model"), 0,
   'same input, same model bytes');

sub classify {
    my ($lines, @opt) = @_;
    open(my $in, '>', "$dir/in.jsonl") or die;
    print $in map { ref $_ ? $json->encode($_) . "\n" : "$_\n" } @$lines;
    close $in;
    my $rc = system(worker() . " classify --model $dir/a.model @opt "
                    . "< $dir/in.jsonl > $dir/out.jsonl 2> $dir/err");
    open(my $out, '<', "$dir/out.jsonl") or die;
    return ($rc >> 8, [ map { $json->decode($_) } <$out> ]);
}

my @sentences = (
    { id => 'ps', text => 'The attacker ran powershell.exe -EncodedCommand '
                        . 'with a base64 encoded script.', want => 'T1059.001' },
    { id => 'phish', text => 'The victim received a spearphishing email with '
                           . 'a malicious Word document attached.',
      want => 'T1566.001' },
    { id => 'lsass', text => 'The actor dumped credentials from LSASS '
                           . 'process memory with Mimikatz.', want => 'T1003.001' },
    { id => 'run', text => 'Persistence was set through a Run key in the '
                         . 'registry.', want => 'T1547.001' },
    { id => 'task', text => 'A scheduled task was created with schtasks to '
                          . 'run the backdoor daily.', want => 'T1053.005' },
);

my ($crc, $res) = classify([ map { { id => $_->{id}, text => $_->{text} } }
                             @sentences ], '--top', 3);
is($crc, 0, 'classify exits 0');
is(scalar @$res, scalar @sentences, 'one line out per line in');

for my $i (0 .. $#sentences) {
    my $s = $sentences[$i];
    my $r = $res->[$i];
    is($r->{id}, $s->{id}, "line $i keeps its id");
    my @ids = map { $_->{id} } @{ $r->{techniques} };
    ok(scalar(@ids) <= 3, "$s->{id}: at most --top 3");
    ok((grep { $_ eq $s->{want} } @ids), "$s->{id}: $s->{want} in the top 3")
        or diag "got @ids for: $s->{text}";
    my @scores = map { $_->{score} } @{ $r->{techniques} };
    ok(!(grep { $_ < 0 || $_ > 1 } @scores), "$s->{id}: scores in [0,1]");
    is_deeply(\@scores, [ sort { $b <=> $a } @scores ],
              "$s->{id}: best first");
    ok(!(grep { !@{ $_->{evidence} } } @{ $r->{techniques} }[0]),
       "$s->{id}: the best has evidence");
}

# ids written in the text, edge cases, and bad lines
($crc, $res) = classify([
    { id => 7, text => 'see T1021.001 and t1105 for details; part T1000' },
    { id => 8, text => '' },
    'not json at all',
    { id => 9, text => 12 },
    { id => 10, text => "\x{0}" x 3 },
    { id => { nested => 1 }, text => 'zzzqqq xxyyzz qqwwee' },
], '--top', 5);
is($crc, 0, 'bad lines do not stop classify');
is(scalar @$res, 6, 'every line answered');
is_deeply([ map { [ $_->{id}, $_->{score}, $_->{method} ] }
            @{ $res->[0]{techniques} }[0, 1] ],
          [ [ 'T1021.001', 1, 'explicit' ], [ 'T1105', 1, 'explicit' ] ],
          'explicit ids first, score 1');
ok(!(grep { $_->{id} eq 'T1105' && $_->{method} eq 'model' }
     @{ $res->[0]{techniques} }), 'an explicit id is not repeated');
ok(!(grep { $_->{id} eq 'T1000' } @{ $res->[0]{techniques} }),
   'an id no technique has (a part number) is not one');
is_deeply($res->[1], { id => 8, techniques => [] },
          'empty text, empty list');
ok($res->[2]{error} && !defined $res->[2]{id}, 'not JSON: error object');
is($res->[3]{id}, 9, 'text not a string: error keeps the id');
ok($res->[3]{error}, '... and says what is wrong');
ok(exists $res->[4]{techniques}, 'NUL-only text: an answer, no crash');
is_deeply($res->[5], { id => { nested => 1 }, techniques => [] },
          'nothing known: empty list, id passed through');

# a threshold means "at least this score"
($crc, $res) = classify([ { id => 1, text => $sentences[1]{text} } ],
                        '--threshold', 0.5);
ok(!(grep { $_->{score} < 0.5 } @{ $res->[0]{techniques} }),
   'threshold drops lower scores');

# damaged or missing models, bad options
open(my $mf, '<:raw', "$dir/a.model") or die;
my $data = do { local $/; <$mf> };
close $mf;
substr($data, length($data) / 2, 1) ^= "\x01";
open($mf, '>:raw', "$dir/bad.model") or die;
print $mf $data;
close $mf;

($rc, $log) = run_cmd(worker(), 'classify', '--model', "$dir/bad.model");
is($rc, 65, 'a damaged model exits 65');
like($log, qr/checksum/, 'and says why');
($rc, $log) = run_cmd(worker(), 'classify', '--model', "$dir/none.model");
is($rc, 66, 'a missing model exits 66');
($rc, $log) = run_cmd(worker(), 'classify', '--model', "$dir/a.model",
                      '--top', '0');
is($rc, 64, '--top 0 exits 64');
{
    local $ENV{ATTCK_SOURCES};
    delete $ENV{ATTCK_SOURCES};
    ($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/c.model");
    is($rc, 64, 'train without sources exits 64');
    ok(!-e "$dir/c.model", 'and writes nothing');
}

done_testing;

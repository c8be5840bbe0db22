# attck-worker examples: ATT&CK's own labeled sentences as JSON Lines.
# Counts come from the bundle itself: one line per active technique, one
# per procedure example (an active "uses" relationship with a description
# from an active group, software or campaign to an active technique).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(worker shared_dir load_bundle attack_id run_cmd);

my $name = 'enterprise-attack-18.1.json';
my $bundle = load_bundle($name);
my $path = shared_dir() . "/attack/$name";
my $dir = File::Temp->newdir;

sub active { !$_[0]{revoked} && !$_[0]{x_mitre_deprecated} }

my %by_id = map { $_->{id} => $_ } @{ $bundle->{objects} };
my %technique;      # ATT&CK id -> object
my %procedure;      # "text\0technique\0source" -> count

for my $o (@{ $bundle->{objects} }) {
    next unless $o->{type} eq 'attack-pattern' && active($o);
    my $id = attack_id($o) or next;
    $technique{$id} = $o;
}

for my $r (@{ $bundle->{objects} }) {
    next unless $r->{type} eq 'relationship'
        && ($r->{relationship_type} // '') eq 'uses'
        && active($r) && length($r->{description} // '');
    my ($s, $t) = @by_id{ $r->{source_ref}, $r->{target_ref} };
    next unless $s && $t && $t->{type} eq 'attack-pattern' && active($t)
        && $s->{type} =~ /^(?:intrusion-set|malware|tool|campaign)$/
        && active($s);
    my ($sid, $tid) = (attack_id($s), attack_id($t));
    next unless defined $sid && defined $tid;
    $procedure{"$tid\0$sid"}++;
}

my $out = "$dir/examples.jsonl";
is(system(worker() . " examples $path > $out 2> $dir/err"), 0,
   'examples exits 0');

my $json = JSON::XS->new->utf8;
my (%def, %proc, @bad);
open(my $fh, '<', $out) or die "$out: $!";
while (my $line = <$fh>) {
    my $e = eval { $json->decode($line) };
    if (!$e || ref $e->{techniques} ne 'ARRAY' || @{ $e->{techniques} } != 1
        || !length($e->{text} // ''))
    {
        push @bad, $line;
        next;
    }
    my $tid = $e->{techniques}[0];
    push @bad, "unknown technique $tid" unless $technique{$tid};
    push @bad, "not clean: $e->{text}"
        if $e->{text} =~ /\(Citation:|\]\(|\s\s|^\s|\s$/;
    if ($e->{kind} eq 'definition') {
        $def{$tid}++;
        push @bad, "definition of $tid names $e->{source}"
            unless $e->{source} eq $tid;
        push @bad, "definition of $tid does not start with its name"
            unless index($e->{text}, $technique{$tid}{name}) == 0;
    } elsif ($e->{kind} eq 'procedure') {
        $proc{"$tid\0$e->{source}"}++;
    } else {
        push @bad, "kind $e->{kind}";
    }
}
close $fh;

is_deeply(\@bad, [], 'every line is a clean, single-label example')
    or diag explain [ @bad[0 .. ($#bad < 4 ? $#bad : 4)] ];
is(scalar(keys %def), scalar(keys %technique),
   'one definition per active technique (' . scalar(keys %technique) . ')');
is_deeply(\%proc, \%procedure,
          'procedure examples per technique and source match the bundle');

my $nproc = 0;
$nproc += $_ for values %procedure;
open($fh, '<', "$dir/err") or die;
my $log = do { local $/; <$fh> };
like($log, qr/\Q${\ scalar(keys %technique)} technique texts, $nproc procedure examples\E/,
     "summary counts $nproc procedure examples");

# a known procedure, its link and citation cleaned away
my ($known) = grep {
    $_->{type} eq 'relationship' && active($_)
        && ($_->{description} // '') =~ /^\[[^\]]+\]\([^)]+\).*\(Citation:/s
        && ($by_id{ $_->{target_ref} }{type} // '') eq 'attack-pattern'
        && active($by_id{ $_->{target_ref} })
        && ($by_id{ $_->{source_ref} }{type} // '') eq 'intrusion-set'
        && active($by_id{ $_->{source_ref} })
} @{ $bundle->{objects} };
ok($known, 'the bundle has a linked and cited procedure example');
my $group = $by_id{ $known->{source_ref} };
my $lines = do { open(my $f, '<', $out) or die; local $/; <$f> };
my $text = $known->{description};
# as the worker cleans: citations dropped, "[name](url)" keeps its name
$text =~ s/(\(Citation:[^)]*\)|\]\([^)]*\)|\[)/substr($1, 0, 1) eq '(' ? '' : ' '/ge;
$text =~ s/\s+/ /g;
$text =~ s/^ | $//g;
my $want = JSON::XS->new->ascii->encode({ text => $text }) =~ s/^\{"text":(.*)\}$/$1/r;
like($lines, qr/\Q{"text":$want,"techniques":["\E/,
     "$group->{name}'s example reads: $text");

# failures: one line and a clear exit code, nothing on stdout
my ($rc, $msg) = run_cmd(worker(), 'examples', "$dir/missing.json");
is($rc, 66, 'a missing bundle exits 66');
like($msg, qr/examples: .*missing\.json/, 'and names it');

open(my $bad, '>', "$dir/bad.json") or die;
print $bad '{"type": "bundle", "objects": [';
close $bad;
($rc, $msg) = run_cmd(worker(), 'examples', "$dir/bad.json");
is($rc, 65, 'a truncated bundle exits 65');

{
    local $ENV{ATTCK_SOURCES};
    delete $ENV{ATTCK_SOURCES};
    ($rc, $msg) = run_cmd(worker(), 'examples');
    is($rc, 64, 'no sources exits 64');
    like($msg, qr/no sources given/, 'and says so');
}

done_testing;

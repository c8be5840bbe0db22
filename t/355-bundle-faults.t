# Bundles with missing or mistyped fields: every field the compiler reads
# is checked when a bundle is read, so compile refuses a broken one with
# 65 and one line naming the object, ingest attack refuses the same ones
# before anything is stored, and publish goes on working with the last
# good data.  What the compiler does without (a tactic_refs entry that is
# no tactic, a parent that is no technique) compiles, and is stored.
# Never a crash (exit >= 128).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use JSON::XS ();
use Attck::Test qw(worker run_cmd shared_dir slurp spew attack_id
                   decode_json);

my $dir = File::Temp->newdir;
my $ics = shared_dir() . '/attack/ics-attack-18.1.json';
my $repro = shared_dir() . '/repro/repro_tactic_noextid.json';
my $JSON = JSON::XS->new->utf8->canonical;

# a fresh copy of the ICS bundle, to break
sub bundle { decode_json(slurp($ics)) }

sub first_of {
    my ($b, $type, $test) = @_;
    for my $o (@{ $b->{objects} }) {
        next unless $o->{type} eq $type && !$o->{revoked}
                    && !$o->{x_mitre_deprecated};
        return $o if !$test || $test->($o);
    }
    die "no $type in the bundle";
}

# the messages of a worker's error lines, unescaped
sub errors {
    map { s/^.*? msg="(.*)"$/$1/r =~ s/\\(.)/$1/gr }
    grep { /level=error/ } split /\n/, $_[0];
}

# --- the reproducer ------------------------------------------------------

my ($tactic) = grep { $_->{type} eq 'x-mitre-tactic' && !defined attack_id($_) }
               @{ decode_json(slurp($repro))->{objects} };
ok($tactic, "the reproducer has a tactic without an ATT&CK id: $tactic->{id}");

my ($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/repro.snap", $repro);
is($rc, 65, 'compile: the reproducer is refused with 65 (was 139)');
my @err = errors($out);
is(scalar @err, 1, '... one error line') or diag $out;
like($err[0] // '', qr/\Q$tactic->{id}\E: no ATT&CK id/,
     '... naming the tactic and what it lacks');
ok(!-e "$dir/repro.snap", '... no snapshot written');

# --- variants of a real bundle -------------------------------------------

# [ label, how to break the bundle (returns the STIX id named), refused by ]
my @variants = (
    [ 'technique without an ATT&CK id', sub {
          my $t = first_of($_[0], 'attack-pattern');
          $t->{external_references} = [ grep {
              ($_->{source_name} // '') !~ /^mitre-/ }
              @{ $t->{external_references} } ];
          $t->{id} }, qr/no ATT&CK id/ ],
    [ 'technique whose ATT&CK id is not plain', sub {
          my $t = first_of($_[0], 'attack-pattern');
          $_->{external_id} .= '/../x' for grep {
              ($_->{source_name} // '') =~ /^mitre-/ }
              @{ $t->{external_references} };
          $t->{id} }, qr/ATT&CK id ".*" is not plain/ ],
    [ 'tactic without a shortname', sub {
          my $t = first_of($_[0], 'x-mitre-tactic');
          delete $t->{x_mitre_shortname};
          $t->{id} }, qr/no "x_mitre_shortname"/ ],
    [ 'group whose name is a number', sub {
          my $g = first_of($_[0], 'intrusion-set');
          $g->{name} = 42;
          $g->{id} }, qr/"name" is not a string/ ],
    [ 'tactic whose name is an object', sub {
          my $t = first_of($_[0], 'x-mitre-tactic');
          $t->{name} = { en => $t->{name} };
          $t->{id} }, qr/"name" is not a string/ ],
    [ 'x_mitre_domains a string', sub {
          my $t = first_of($_[0], 'attack-pattern');
          $t->{x_mitre_domains} = 'ics-attack';
          $t->{id} }, qr/"x_mitre_domains" is not an array of strings/ ],
    [ 'x_mitre_platforms holding a number', sub {
          my $t = first_of($_[0], 'attack-pattern');
          push @{ $t->{x_mitre_platforms} }, 7;
          $t->{id} }, qr/"x_mitre_platforms" is not an array of strings/ ],
    [ 'kill_chain_phases an object', sub {
          my $t = first_of($_[0], 'attack-pattern');
          $t->{kill_chain_phases} = $t->{kill_chain_phases}[0];
          $t->{id} }, qr/"kill_chain_phases" is not an array of objects/ ],
    [ 'kill_chain_phases holding a string', sub {
          my $t = first_of($_[0], 'attack-pattern');
          $t->{kill_chain_phases} = [ 'ics:initial-access' ];
          $t->{id} }, qr/"kill_chain_phases" is not an array of objects/ ],
    [ 'a kill chain phase without phase_name', sub {
          my $t = first_of($_[0], 'attack-pattern');
          delete $t->{kill_chain_phases}[0]{phase_name};
          $t->{id} }, qr/no "phase_name" in kill_chain_phases\[0\]/ ],
    [ 'a kill chain phase whose name is a number', sub {
          my $t = first_of($_[0], 'attack-pattern');
          $t->{kill_chain_phases}[0]{kill_chain_name} = 1;
          $t->{id} },
      qr/"kill_chain_name" of kill_chain_phases\[0\] is not a string/ ],
    [ 'revoked "yes"', sub {
          my $t = first_of($_[0], 'attack-pattern');
          $t->{revoked} = 'yes';
          $t->{id} }, qr/"revoked" is not true or false/ ],
    [ 'relationship without source_ref', sub {
          my $r = first_of($_[0], 'relationship');
          delete $r->{source_ref};
          $r->{id} }, qr/no "source_ref"/ ],
    [ 'tactic_refs holding a number', sub {
          my $m = first_of($_[0], 'x-mitre-matrix');
          push @{ $m->{tactic_refs} }, 5;
          $m->{id} }, qr/"tactic_refs" is not an array of strings/ ],
    # done without: compiled, and stored
    [ 'tactic_refs naming a technique', sub {
          my $m = first_of($_[0], 'x-mitre-matrix');
          push @{ $m->{tactic_refs} }, first_of($_[0], 'attack-pattern')->{id};
          undef } ],
    [ 'subtechnique-of a group', sub {
          my $b = $_[0];
          push @{ $b->{objects} }, {
              type => 'relationship', spec_version => '2.1',
              id => 'relationship--00000000-0000-4000-8000-000000000355',
              created => '2025-01-01T00:00:00.000Z',
              modified => '2025-01-01T00:00:00.000Z',
              relationship_type => 'subtechnique-of',
              source_ref => first_of($b, 'attack-pattern')->{id},
              target_ref => first_of($b, 'intrusion-set')->{id} };
          undef } ],
    [ 'data component without an ATT&CK id', sub {
          my $d = first_of($_[0], 'x-mitre-data-component');
          $d->{external_references} = [];
          undef } ],
    [ 'technique without a name', sub {
          delete first_of($_[0], 'attack-pattern')->{name};
          undef } ],
);

for my $v (@variants) {
    my ($label, $break, $why) = @$v;
    my $b = bundle();
    my $named = $break->($b);
    my $file = "$dir/" . ($label =~ s/\W+/-/gr) . '.json';
    spew($file, $JSON->encode($b));
    $v->[3] = $file;
    $v->[4] = $named;

    ($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/v.snap", $file);
    cmp_ok($rc, '<', 128, "compile, $label: no crash");
    if ($why) {
        is($rc, 65, "compile, $label: refused with 65") or diag $out;
        my @e = errors($out);
        is(scalar @e, 1, '... one error line') or diag $out;
        like($e[0] // '', qr/\Q$file\E: $named: $why/,
             '... naming the object and the field');
    } else {
        is($rc, 0, "compile, $label: compiled") or diag $out;
    }
    unlink "$dir/v.snap";
}

# --- ingest refuses the same, and publish keeps working --------------------

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_REDIS_URL ATTCK_SOURCES);
sub q1 { $pg->query($_[0]) }

($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $ics);
is($rc, 0, 'ingest the ICS bundle') or diag $out;
($rc, $out) = run_cmd(worker(), 'publish', '-o', "$dir/good.snap");
is($rc, 0, 'publish') or diag $out;

# what is stored, row by row
my $state = q{SELECT string_agg(r.domain || ' ' || r.version || ' '
                  || r.sha256 || ' ' || r.objects, ',')
              || ' ' || (SELECT count(*) FROM attack_tactics)
              || ' ' || (SELECT count(*) FROM mitre_attack_techniques)
              || ' ' || (SELECT count(*) FROM attack_relationships)
              FROM attack_releases r};
my $good = q1($state);
my $objects = scalar @{ bundle()->{objects} };
like($good, qr/^ics-attack 18\.1 [0-9a-f]{64} $objects /,
     "the release is stored, $objects objects");

sub refused_by_ingest {
    my ($label, $file, $named, $why) = @_;
    my ($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $file);
    is($rc, 65, "ingest, $label: refused with 65") or diag $out;
    my @e = errors($out);
    is(scalar @e, 1, '... one error line') or diag $out;
    like($e[0] // '', qr/ingest attack: $named: $why/,
         '... naming the object and the field');
    is(q1($state), $good, '... nothing stored: the last good release intact');
    is(q1(q{SELECT status FROM ingestion_runs ORDER BY id DESC LIMIT 1}),
       'failed', '... the run recorded as failed');
}

refused_by_ingest('the reproducer', $repro, $tactic->{id},
                  qr/no ATT&CK id/);
like(q1(q{SELECT error FROM ingestion_runs ORDER BY id DESC LIMIT 1}),
     qr/\Q$tactic->{id}\E: no ATT&CK id/, '... the run says why');

for my $v (grep { $_->[2] } @variants) {
    refused_by_ingest(@$v[0, 3, 4, 2]);
}

($rc, $out) = run_cmd(worker(), 'publish', '-o', "$dir/after.snap");
is($rc, 0, 'publish after the refused ingests: 0 (was 139)') or diag $out;
is(slurp("$dir/after.snap"), slurp("$dir/good.snap"),
   '... the same snapshot as before them');

# what compile does without, ingest stores and publish compiles
for my $v (grep { !$_->[2] } @variants) {
    ($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $v->[3]);
    is($rc, 0, "ingest, $v->[0]: stored") or diag $out;
    ($rc, $out) = run_cmd(worker(), 'publish', '-o', "$dir/v.snap");
    is($rc, 0, "... and published") or diag $out;
}

# a release stored before these checks existed: publish refuses it with a
# line naming the object, never a crash
{
    my $id = q1(q{SELECT stix_id FROM attack_tactics LIMIT 1});
    q1(qq{UPDATE attack_tactics SET raw = raw - 'external_references'
          WHERE stix_id = '$id'});
    ($rc, $out) = run_cmd(worker(), 'publish', '-o', "$dir/poisoned.snap");
    is($rc, 65, 'publish of a broken stored release: 65') or diag $out;
    my @e = errors($out);
    is(scalar @e, 1, '... one error line') or diag $out;
    like($e[0] // '', qr/\Q$id\E: no ATT&CK id/, '... naming the tactic');
    ok(!-e "$dir/poisoned.snap", '... no snapshot written');
}

done_testing;

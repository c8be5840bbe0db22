# GET status: the snapshot's identity and the counts of every release,
# computed independently from the bundles and the snapshot file.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Compress::Zlib ();
use File::Temp ();
use POSIX ();
use Attck::Test qw(test_snapshot load_bundle attack_id decode_json worker
                   run_cmd shared_dir);

sub active { my $o = shift; !$o->{revoked} && !$o->{x_mitre_deprecated} }

my %kind = ('intrusion-set' => 'groups', 'malware' => 'software',
            'tool' => 'software', 'course-of-action' => 'mitigations',
            'campaign' => 'campaigns', 'x-mitre-tactic' => 'tactics',
            'x-mitre-detection-strategy' => 'detection_strategies',
            'x-mitre-analytic' => 'analytics',
            'x-mitre-data-component' => 'data_components',
            'x-mitre-asset' => 'assets');

# counts of a release: active objects with an ATT&CK id, one per id
sub counts {
    my @files = @_;
    my (%ids, %rels);
    for my $o (map { @{ load_bundle($_)->{objects} } } @files) {
        if ($o->{type} eq 'relationship') { $rels{ $o->{id} } = 1; next }
        my $kind = $o->{type} eq 'attack-pattern'
            ? ($o->{x_mitre_is_subtechnique} ? 'subtechniques' : 'techniques')
            : $kind{ $o->{type} } or next;
        my $id = attack_id($o) or next;
        $ids{$kind}{$id} = 1 if active($o);
    }
    my %c = map { $_ => scalar keys %{ $ids{$_} || {} } }
            'techniques', 'subtechniques', values %kind;
    $c{relationships} = keys %rels;
    return \%c;
}

sub domains {
    return [ sort { $a->{domain} cmp $b->{domain} } map {
        my $objs = load_bundle($_)->{objects};
        my ($c) = grep { $_->{type} eq 'x-mitre-collection' } @$objs;
        my ($m) = grep { $_->{type} eq 'x-mitre-matrix' && active($_) } @$objs;
        { domain => attack_id($m), name => $c->{name},
          version => $c->{x_mitre_version}, modified => $c->{modified} }
    } @_ ];
}

sub file_facts {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or die "$path: $!";
    local $/;
    my $data = <$fh>;
    my ($version, $created) = unpack('x8 V x12 Q<', $data);
    return { size => length $data, version => $version,
             checksum => sprintf('%08x', Compress::Zlib::crc32(
                substr($data, 0, 32) . "\0" x 4 . substr($data, 36))),
             compiled => POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $created) };
}

sub check_status {
    my ($ng, $snap, $releases, $label) = @_;
    my $res = $ng->get('/api/v1/status');
    is($res->{status}, 200, "$label: 200");
    ok($res->{headers}{etag}, "$label: ETag");
    my $s = decode_json($res->{content});
    my $f = file_facts($snap);
    is($s->{generation}, 1, "$label: generation 1 after start");
    like($s->{loaded}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "$label: loaded is RFC 3339");
    my $now = POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + 1));
    my $then = POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time - 120));
    ok($s->{loaded} le $now && $s->{loaded} ge $then, "$label: loaded just now");
    is($s->{size}, $f->{size}, "$label: size of the file");
    is($s->{format_version}, $f->{version}, "$label: format version of the file");
    is($s->{format_version}, 1, "$label: format version 1");
    is($s->{compiled}, $f->{compiled}, "$label: compiled = header time");
    is($s->{checksum}, $f->{checksum}, "$label: checksum = CRC-32 of the file, its own field as zero");
    is($s->{default_release}, $releases->[0][0], "$label: default release");
    is_deeply([ map { $_->{release} } @{ $s->{releases} } ],
              [ map { $_->[0] } @$releases ], "$label: releases, default first");
    for my $i (0 .. $#$releases) {
        my ($name, @files) = @{ $releases->[$i] };
        my $r = $s->{releases}[$i] || {};
        is_deeply([ sort { $a->{domain} cmp $b->{domain} } @{ $r->{domains} || [] } ],
                  domains(@files), "$label $name: domains");
        my $exp = counts(@files);
        for my $k (sort keys %$exp) {
            is($r->{counts}{$k}, $exp->{$k}, "$label $name: $k = $exp->{$k}");
        }
        is_deeply([ sort keys %{ $r->{counts} || {} } ], [ sort keys %$exp ],
                  "$label $name: no other counts");
    }
    return $s;
}

my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => 'location /api/v1/ { attck_api; }',
);
my $s = check_status($ng, test_snapshot(),
    [ [ '18.1', qw(enterprise-attack-18.1.json mobile-attack-18.1.json
                   ics-attack-18.1.json) ],
      [ '16.1', 'enterprise-attack-16.1.json' ] ], 'all');

# well-known figures of the README, as a cross-check of counts()
is($s->{releases}[1]{counts}{techniques}, 203, '16.1: 203 techniques');
is($s->{releases}[1]{counts}{subtechniques}, 453, '16.1: 453 sub-techniques');

# the same answer twice (a pure read), and release parameter handling
my $again = decode_json($ng->get('/api/v1/status')->{content});
is_deeply($again, $s, 'status is stable');
is($ng->get('/api/v1/status?release=18.1')->{status}, 200,
   'status takes release=18.1 like every endpoint');
is($ng->get('/api/v1/status?release=latest')->{status}, 200,
   'status takes release=latest');
is($ng->get('/api/v1/status?release=17.0')->{status}, 404,
   'status with an unknown release: 404');
is($ng->get('/api/v1/status?verbose=1')->{status}, 400, 'unknown parameter: 400');

# another snapshot: ICS only, compiled here, served by a second server
my $dir = File::Temp::tempdir('attck-status-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/ics.snap",
                         shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'ICS snapshot compiled') or diag $out;
my $ics = Attck::Test->start_nginx(
    http   => "attck_zone ics 16m; attck_snapshot $dir/ics.snap;",
    server => 'location /api/v1/ { attck_api; }',
);
check_status($ics, "$dir/ics.snap", [ [ '18.1', 'ics-attack-18.1.json' ] ], 'ics');

done_testing();

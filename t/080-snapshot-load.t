# Loading snapshots: nginx -t refuses missing, corrupt, truncated and
# oversized ones; a reload to a bad snapshot keeps the old one serving; a
# reload to a good one serves it as a new generation.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Copy ();
use File::Temp ();
use File::Spec ();
use Time::HiRes ();
use Attck::Test qw(test_snapshot decode_json worker run_cmd shared_dir slurp
                   spew);

my $dir = File::Temp::tempdir('attck-load-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $server = 'location /api/v1/ { attck_api; }';

my ($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/ics.snap",
                         shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'ICS-only snapshot compiled') or diag $out;



# a copy of the ICS snapshot with one byte changed
sub flipped {
    my ($name, $offset) = @_;
    my $data = slurp("$dir/ics.snap");
    $offset += length $data if $offset < 0;
    substr($data, $offset, 1) = chr(ord(substr($data, $offset, 1)) ^ 0x01);
    spew("$dir/$name", $data);
    return "$dir/$name";
}

my $ics = slurp("$dir/ics.snap");
spew("$dir/truncated.snap", substr($ics, 0, length($ics) - 1000));
spew("$dir/short.snap", substr($ics, 0, 20));
spew("$dir/padded.snap", $ics . "\0" x 16);
spew("$dir/empty.snap", '');
File::Copy::copy(shared_dir() . '/attack/ics-attack-18.1.json', "$dir/bundle.snap")
    or die $!;

my @refused = (
    [ "$dir/missing.snap", qr/cannot be opened/, 'missing file' ],
    [ $dir, qr/attck snapshot/, 'a directory' ],
    [ "$dir/empty.snap", qr/too short/, 'empty file' ],
    [ "$dir/short.snap", qr/too short/, 'file of 20 bytes' ],
    [ "$dir/truncated.snap", qr/truncated/, 'truncated by 1000 bytes' ],
    [ "$dir/padded.snap", qr/truncated or padded/, '16 bytes appended' ],
    [ "$dir/bundle.snap", qr/not an attck snapshot/, 'a STIX bundle' ],
    [ flipped('magic.snap', 0), qr/bad magic/, 'flipped byte in the magic' ],
    [ flipped('mid.snap', int(length($ics) / 2)), qr/checksum mismatch/,
      'flipped byte in the middle' ],
    [ flipped('last.snap', -1), qr/checksum mismatch/, 'flipped last byte' ],
    [ flipped('first.snap', 64), qr/checksum mismatch/,
      'flipped first byte after the header' ],
    # the header says where the status document is: a flipped bit there
    # must not go unnoticed either
    [ flipped('status-off.snap', 48), qr/attck snapshot/,
      'flipped byte in the header (status offset)' ],
    [ flipped('status-len.snap', 52), qr/attck snapshot/,
      'flipped byte in the header (status length)' ],
);
for my $case (@refused) {
    my ($snap, $why, $label) = @$case;
    my ($rc, $out) = Attck::Test->test_nginx_conf(
        http => "attck_zone attck 16m; attck_snapshot $snap;", server => $server);
    isnt($rc, 0, "nginx -t refuses: $label");
    like($out, qr/\[emerg\].*\Q$snap\E/, "$label: [emerg] names the file");
    like($out, $why, "$label: says why");
    is(Attck::Test->start_nginx(http => "attck_zone attck 16m; attck_snapshot $snap;",
                                server => $server, allow_fail => 1),
       undef, "$label: start_nginx fails") if $label =~ /missing|middle/;
}

# a zone too small for the snapshot, and bad zone sizes
($rc, $out) = Attck::Test->test_nginx_conf(
    http => 'attck_zone attck 8m; attck_snapshot ' . test_snapshot() . ';',
    server => $server);
isnt($rc, 0, 'nginx -t refuses a snapshot larger than the zone');
like($out, qr/too large for zone "attck"/, 'says the zone is too small');
for my $size (qw(100k abc 0)) {
    ($rc, $out) = Attck::Test->test_nginx_conf(
        http => "attck_zone attck $size; attck_snapshot $dir/ics.snap;",
        server => $server);
    isnt($rc, 0, "nginx -t refuses zone size $size");
}
($rc, $out) = Attck::Test->test_nginx_conf(
    http => "attck_zone attck 4m; attck_snapshot $dir/ics.snap;", server => $server);
is($rc, 0, 'the ICS snapshot fits a 4 MB zone') or diag $out;

# reloads -------------------------------------------------------------------

my $all = test_snapshot();
my $ng = Attck::Test->start_nginx(
    http => "attck_zone attck 128m; attck_snapshot $all;", server => $server);

sub snapshot_state {
    my $status = decode_json($ng->get('/api/v1/status')->{content});
    my $ps = $ng->get('/api/v1/techniques/T1059.001');
    return { generation => $status->{generation}, checksum => $status->{checksum},
             releases => [ map { $_->{release} } @{ $status->{releases} } ],
             ps => $ps->{status} . ' ' . $ps->{content},
             ics => $ng->get('/api/v1/techniques/T0800')->{status},
             total => decode_json($ng->get('/api/v1/techniques?limit=1')
                                  ->{content})->{total} };
}

my $first = snapshot_state();
is($first->{generation}, 1, 'generation 1 at start');
like($first->{ps}, qr/^200 .*"name":"PowerShell"/, 'serves PowerShell');

for my $bad ([ "$dir/mid.snap", 'corrupt' ], [ "$dir/truncated.snap", 'truncated' ],
             [ "$dir/missing.snap", 'missing' ]) {
    my ($snap, $label) = @$bad;
    my $before = length $ng->error_log;
    is($ng->reload(http => "attck_zone attck 128m; attck_snapshot $snap;"), 0,
       "reload to a $label snapshot is refused");
    like(substr($ng->error_log, $before), qr/\[emerg\].*\Q$snap\E/,
         "$label: the error log names the file");
    for (1 .. 4) {   # both workers
        is_deeply(snapshot_state(), $first, "$label: old data still served ($_)");
    }
}

my %etag = map { $_ => $ng->get($_)->{headers}{etag} }
           '/api/v1/techniques?domain=ics&limit=5', '/api/v1/status';
my $before = length $ng->error_log;
is($ng->reload(http => "attck_zone attck 128m; attck_snapshot $dir/ics.snap;"), 1,
   'reload to the ICS-only snapshot');
for my $path (sort keys %etag) {
    is($ng->get($path, headers => { 'If-None-Match' => $etag{$path} })->{status}, 200,
       "$path: the ETag of the old snapshot does not match");
}
like(substr($ng->error_log, $before), qr/is generation 2/, 'logged as generation 2');
my $ics_count = grep { $_->{type} eq 'attack-pattern'
                       && !$_->{revoked} && !$_->{x_mitre_deprecated} }
                @{ Attck::Test::load_bundle('ics-attack-18.1.json')->{objects} };
for (1 .. 4) {
    my $s = snapshot_state();
    is($s->{generation}, 2, "new snapshot: generation 2 ($_)");
    is_deeply($s->{releases}, ['18.1'], "new snapshot: one release ($_)");
    like($s->{ps}, qr/^404 /, "new snapshot: no PowerShell ($_)");
    is($s->{ics}, 200, "new snapshot: ICS technique T0800 ($_)");
    is($s->{total}, $ics_count, "new snapshot: $ics_count techniques ($_)");
}
isnt(snapshot_state()->{checksum}, $first->{checksum}, 'another checksum');
Time::HiRes::sleep(0.3);
unlike($ng->error_log, qr/exited on signal/, 'no worker crashed in the reloads');
$before = length $ng->error_log;
is($ng->get('/api/v1/techniques/T0800?release=16.1')->{status}, 404,
   'release 16.1 is gone');
Time::HiRes::sleep(0.3);
unlike(substr($ng->error_log, $before), qr/exited on signal/,
       'asking for the release that is gone crashes no worker');

is($ng->reload(http => "attck_zone attck 128m; attck_snapshot $dir/last.snap;"), 0,
   'reload to a corrupt snapshot refused again');
is(snapshot_state()->{generation}, 2, 'still generation 2');

is($ng->reload(http => "attck_zone attck 128m; attck_snapshot $all;"), 1,
   'reload back to the full snapshot');
my $back = snapshot_state();
is($back->{generation}, 3, 'generation 3');
is($back->{ps}, $first->{ps}, 'PowerShell served again, identical');
is($back->{checksum}, $first->{checksum}, 'checksum of the full snapshot');

is($ng->reload(http => "attck_zone attck 128m; attck_snapshot $all;"), 1,
   'reload with the same snapshot');
is(snapshot_state()->{generation}, 3, 'an unchanged snapshot keeps its generation');

# a relative path is taken from the configuration directory
my $rel = File::Spec->abs2rel("$dir/ics.snap", "$ng->{dir}/conf");
is($ng->reload(http => "attck_zone attck 128m; attck_snapshot $rel;"), 1,
   "reload with the relative path $rel");
is(snapshot_state()->{generation}, 4, 'generation 4');
is(snapshot_state()->{ics}, 200, 'serves the ICS snapshot');

# a zone without a snapshot: 503 until a reload brings one
($rc, $out) = Attck::Test->test_nginx_conf(http => '', server => $server);
isnt($rc, 0, 'attck_api without attck_zone: nginx -t fails');
like($out, qr/attck_zone/, 'and says attck_zone is needed');
my $empty = Attck::Test->start_nginx(http => 'attck_zone attck 16m;', server => $server);
my $res = $empty->get('/api/v1/techniques/T0800');
is($res->{status}, 503, 'no snapshot loaded: 503');
is(eval { decode_json($res->{content})->{error} }, 'unavailable', '503 is a JSON error');
is($empty->reload(http => "attck_zone attck 16m; attck_snapshot $dir/ics.snap;"), 1,
   'reload adding a snapshot');
is($empty->get('/api/v1/techniques/T0800')->{status}, 200, 'now served');

done_testing();

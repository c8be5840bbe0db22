# POST {api}/map in nginx: the same bytes as "attck-worker classify" for
# thousands of texts (procedure examples and whole groups' reports), as
# text/plain or JSON; 405/413/400/415/503 answered in JSON; a malformed
# model is refused at reload while the last good one serves; a new model
# swaps in under load without a failed request.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use HTTP::Tiny;
use JSON::XS ();
use Time::HiRes ();
use POSIX ();
use Attck::Test qw(worker shared_dir run_cmd test_snapshot load_bundle
                   slurp spew);

my $model = $ENV{ATTCK_TEST_MODEL} || Attck::Test::build_dir()
                                      . '/test/enterprise.model';
plan skip_all => "no test model at $model" unless -f $model;

my $dir = File::Temp->newdir;
my $json = JSON::XS->new->utf8->canonical;

# a second, different model: ICS is small and trains in seconds
my ($rc, $log) = run_cmd(worker(), 'train', '-o', "$dir/ics.model", '--stix',
                         shared_dir() . '/attack/ics-attack-18.1.json');
is($rc, 0, 'an ICS model to swap to') or diag $log;

system('cp', $model, "$dir/current.model") == 0 or die;

sub http_conf {
    my ($m) = @_;
    return "attck_zone attck 128m; attck_snapshot " . test_snapshot()
           . "; attck_model $m;";
}

my $server = 'location /api/v1/ { attck_api; attck_map_max_body 64k; }'
           . ' location /small/ { attck_api; attck_map_max_body 100; }';

my $ng = Attck::Test->start_nginx(workers => 2,
                                  http => http_conf("$dir/current.model"),
                                  server => $server);
my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 1);
my $url = $ng->url('/api/v1/map');

sub post {
    my ($body, $type, $path) = @_;
    return $http->request('POST', $path ? $ng->url($path) : $url,
                          { headers => { 'content-type' => $type
                                         // 'application/json' },
                            content => $body });
}

# --- the module and the worker agree, byte for byte ---------------------

my $bundle = load_bundle('enterprise-attack-18.1.json');
my (@texts, %by_group);
for my $o (@{ $bundle->{objects} }) {
    next unless $o->{type} eq 'relationship'
        && $o->{relationship_type} eq 'uses'
        && ($o->{target_ref} // '') =~ /^attack-pattern--/
        && !$o->{revoked} && $o->{description};
    push @texts, $o->{description};
    push @{ $by_group{ $o->{source_ref} } }, $o->{description}
        if $o->{source_ref} =~ /^intrusion-set--/;
}
@texts = @texts[0 .. 2999];

# whole documents too: each group's procedures, as one report
my @docs = map { join("\n", @{ $by_group{$_} }) } sort keys %by_group;
@docs = grep { length($_) < 60000 } @docs;
push @texts, @docs[0 .. 49];

open(my $in, '>', "$dir/in.jsonl") or die;
print $in $json->encode({ id => $_, text => $texts[$_] }), "\n"
    for 0 .. $#texts;
close $in;
$rc = system(worker() . " classify --model $model < $dir/in.jsonl "
             . "> $dir/out.jsonl 2> $dir/err");
is($rc, 0, 'worker classify exits 0');
open(my $out, '<', "$dir/out.jsonl") or die;
chomp(my @want = <$out>);
is(scalar @want, scalar @texts, 'one line a text');

my ($same, $diff, $sentences) = (0, 0, 0);
for my $i (0 .. $#texts) {
    my $r = post($json->encode({ id => $i, text => $texts[$i] }));
    if ($r->{status} == 200 && $r->{content} eq $want[$i]) {
        $same++;
        $sentences++ if $r->{content} =~ /"sentences"/;
    } else {
        diag "text $i: $r->{status}\n$r->{content}\n$want[$i]"
            if $diff++ < 3;
    }
}
is($same, scalar @texts, scalar(@texts) . ' texts: the same bytes from '
                         . 'nginx and the worker');
ok($sentences >= 50, "$sentences answers name supporting sentences");

# text/plain: the text itself, id null
my $r = post($texts[0], 'text/plain; charset=utf-8');
(my $plain = $want[0]) =~ s/^\{"id":0,/{"id":null,/;
is($r->{content}, $plain, 'text/plain: the same techniques, id null');
is($r->{headers}{'content-type'}, 'application/json; charset=utf-8',
   'answered in JSON');

$r = post($json->encode({ text => $texts[1] }) , 'application/json',
          '/api/v1/map?top=2');
is(scalar @{ $json->decode($r->{content})->{techniques} }, 2, 'top=2');

# --- errors ---------------------------------------------------------------

sub error_is {
    my ($r, $status, $name) = @_;
    is($r->{status}, $status, "$name: $status");
    my $e = eval { $json->decode($r->{content}) };
    ok($e && $e->{error} && $e->{detail}, "$name: a JSON error")
        or diag $r->{content};
}

error_is($http->request('GET', $url), 405, 'GET map');
is($http->request('GET', $url)->{headers}{allow}, 'POST', 'Allow: POST');
error_is(post('x' x 70000, 'text/plain'), 413, 'over attck_map_max_body');
error_is(post('x' x 101, 'text/plain', '/small/map'), 413,
         'over a location\'s attck_map_max_body');
is(post('x' x 100, 'text/plain', '/small/map')->{status}, 200,
   'at the limit: answered');
error_is(post("caf\xe9 \xff\xfe", 'text/plain'), 400, 'not UTF-8');
error_is(post('{"text": 12}'), 400, 'text not a string');
error_is(post('{"text": "a"'), 400, 'not JSON');
error_is(post('["text"]'), 400, 'not an object');
error_is(post('text', 'image/png'), 415, 'another media type');
error_is(post('{"text": "a"}', 'application/json', '/api/v1/map?top=0'),
         400, 'top=0');

# chunked, over the limit: read, then refused
my $chunks = 0;
$r = $http->request('POST', $url,
                    { headers => { 'content-type' => 'text/plain' },
                      content => sub { $chunks++ < 9 ? 'y' x 8192 : undef } });
error_is($r, 413, 'chunked over the limit');

# --- a malformed model is refused; the last good one serves --------------

my $good = slurp($model);
my $bad = $good;
substr($bad, length($bad) / 2, 1) ^= "\x40";
spew("$dir/bad.model", $bad);

my ($trc, $tout) = Attck::Test->test_nginx_conf(
    http => http_conf("$dir/bad.model"), server => $server);
isnt($trc, 0, 'nginx -t refuses a damaged model');
like($tout, qr/attck_model .*checksum/, '... naming the checksum');

spew("$dir/short.model", substr($good, 0, 1000));
($trc, $tout) = Attck::Test->test_nginx_conf(
    http => http_conf("$dir/short.model"), server => $server);
like($tout, qr/truncated/, 'a cut model is refused as truncated');

ok(!$ng->reload(http => http_conf("$dir/bad.model")),
   'a reload with a damaged model fails');
$r = post($json->encode({ id => 0, text => $texts[0] }));
is($r->{content}, $want[0], 'the last good model still answers');

# --- swap under load ----------------------------------------------------------

# a client posting without a pause while nginx reloads to the ICS model
my $pid = fork() // die;
if (!$pid) {
    my $h = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
    my ($ok, $fail) = (0, 0);
    my $until = Time::HiRes::time() + 6;
    while (Time::HiRes::time() < $until) {
        my $x = $h->request('POST', $url,
                            { headers => { 'content-type' => 'text/plain' },
                              content => 'The actor modified PLC logic '
                                         . 'and used PowerShell.' });
        $x->{status} == 200 ? $ok++ : $fail++;
    }
    spew("$dir/load", "$ok $fail");
    POSIX::_exit(0);        # not the harness's END: nginx is the parent's
}

Time::HiRes::sleep(1);
ok($ng->reload(http => http_conf("$dir/ics.model")),
   'reload to the ICS model');
Time::HiRes::sleep(1);
ok($ng->reload(http => http_conf("$dir/current.model")),
   'and back, still under load');
Time::HiRes::sleep(1);
ok($ng->reload(http => http_conf("$dir/ics.model")), 'and to ICS again');
waitpid($pid, 0);
my ($ok, $fail) = split ' ', slurp("$dir/load");
ok($ok > 20, "$ok requests answered during three reloads");
is($fail, 0, 'none failed');

$r = post($json->encode({ id => 1, text => 'modify the controller logic' }));
my @ids = map { $_->{id} } @{ $json->decode($r->{content})->{techniques} };
ok(@ids && !(grep { !/^T0\d{3}/ } @ids), 'the ICS model answers now')
    or diag "@ids";

# the worker with the ICS model agrees as well
open($in, '>', "$dir/one.jsonl") or die;
print $in $json->encode({ id => 1, text => 'modify the controller logic' }),
          "\n";
close $in;
system(worker() . " classify --model $dir/ics.model < $dir/one.jsonl "
       . "> $dir/one.out 2> $dir/err");
chomp(my $line = slurp("$dir/one.out"));
is($r->{content}, $line, 'and the ICS worker gives the same bytes');

like($ng->error_log, qr/attck_model ".*ics\.model": \d+ bytes/,
     'the log names the model loaded');

$ng->stop;

done_testing;

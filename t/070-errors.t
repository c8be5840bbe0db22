# Hostile and odd requests: ids, paths, query strings, methods, HEAD,
# ETag / If-None-Match, and the shape of every error.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes ();
use POSIX ();
use Attck::Test qw(test_snapshot decode_json);

my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => 'location /api/v1/ { attck_api; }',
);

# the error log grown since $before holds no alert and no crashed worker
sub log_clean {
    my ($before, $label) = @_;
    Time::HiRes::sleep(0.02);
    my $log = substr($ng->error_log, $before);
    unlike($log, qr/\[alert\].*|exited on signal \d+/,
           "$label: no alert or crashed worker in the error log");
}

# a raw request (Connection: close), answered as one string
sub raw {
    my ($request) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $ng->{port}) or die $!;
    print $sock $request;
    local $/;
    my $answer = <$sock> // '';
    close $sock;
    return $answer;
}

# a JSON error answer: status, content type, {"error","detail"} only
sub error_is {
    my ($path, $status, $label, %opt) = @_;
    my $before = length $ng->error_log;
    my $res = $ng->get($path, %opt);
    log_clean($before, $label);
    is($res->{status}, $status, "$label: $status");
    is($res->{headers}{'content-type'}, 'application/json; charset=utf-8',
       "$label: JSON");
    my $e = eval { decode_json($res->{content}) } || {};
    is_deeply([ sort keys %$e ], [qw(detail error)], "$label: error and detail");
    return $res;
}

# ids
error_is('/api/v1/techniques/T' . ('1' x 24), 400, 'id of 25 characters');
error_is('/api/v1/techniques/' . ('A' x 2000), 400, 'id of 2000 characters');
error_is('/api/v1/techniques/' . ('T' . '1' x 23), 404, 'id of 24 characters');
error_is('/api/v1/techniques/T9999', 404, 'unknown technique');
error_is('/api/v1/techniques/T1059.999', 404, 'unknown sub-technique');
error_is('/api/v1/techniques/x-y', 404, 'letters and a dash');
for my $id ('T1059%20x', 'T1059;id', "T1059'", 'T1059%22', '%3Cscript%3E',
            'T1059%5C', 'T1059%C3%A9', 'T1059*', 'T1059%0A') {
    my $res = error_is("/api/v1/techniques/$id", 400, "id $id");
    unlike($res->{content}, qr/<script>/, "id $id: not echoed raw");
}
is($ng->get('/api/v1/techniques/T1059%00')->{status}, 400, 'NUL in the path: 400');
is($ng->get('/api/v1/groups/%00G0007')->{status}, 400, 'NUL first: 400');

# paths leaving the location
for my $path ('/api/v1/techniques/../../../etc/passwd',
              '/api/v1/techniques/..%2F..%2F..%2Fetc%2Fpasswd',
              '/api/v1/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
              '/api/v1/../../../../../../etc/passwd') {
    my $res = $ng->get($path);
    isnt($res->{status}, 200, "$path: not served");
    unlike($res->{content}, qr/root:/, "$path: no file content");
}
error_is('/api/v1/nothing', 404, 'unknown endpoint');
error_is('/api/v1/nothing/T1059', 404, 'unknown endpoint with an id');
error_is('/api/v1/status/1', 404, 'status has no ids');
error_is('/api/v1/search/powershell', 404, 'search has no ids');
# a path below an id is no endpoint (nginx decodes %2F to a slash)
for my $path ('T1059.001/extra', 'T1059%2Fx') {
    my $res = error_is("/api/v1/techniques/$path", 404, "path $path below an id");
    unlike($res->{content}, qr/extra|T1059/, "path $path: not echoed");
}

# every collection lists its active objects, analytics too
{
    my $bundles = [ map { Attck::Test::load_bundle($_) }
                    qw(enterprise-attack-18.1.json mobile-attack-18.1.json
                       ics-attack-18.1.json) ];
    my %want;
    for my $b (@$bundles) {
        for my $o (@{ $b->{objects} }) {
            next unless $o->{type} eq 'x-mitre-analytic';
            next if $o->{revoked} || $o->{x_mitre_deprecated};
            my $id = Attck::Test::attack_id($o) or next;
            $want{$id} = 1;
        }
    }
    my $res = $ng->get('/api/v1/analytics');
    is($res->{status}, 200, 'analytics list');
    my $list = Attck::Test::decode_json($res->{content});
    is($list->{total}, scalar keys %want, 'analytics list: every active analytic');
    is_deeply([ map { $_->{id} } @{ $list->{analytics} } ], [ sort keys %want ],
              'analytics list: by id');
}
error_is('/api/v1/TECHNIQUES/T1059', 404, 'endpoint names are lower case');

# query strings
error_is('/api/v1/techniques?bogus=1', 400, 'unknown parameter');
error_is('/api/v1/techniques?Limit=1', 400, 'parameter names are case-sensitive');
error_is('/api/v1/techniques?limit=1&limit=1', 400, 'duplicated parameter');
error_is('/api/v1/techniques?tactic=TA0002&domain=enterprise&tactic=TA0003', 400,
         'duplicated parameter among others');
error_is('/api/v1/techniques/T1059?limit=1', 400, 'list parameter on a document');
error_is('/api/v1/groups?limit=5', 400, 'limit on a collection');
error_is('/api/v1/techniques/T1059?release=17.0', 404, 'unknown release');
error_is('/api/v1/groups?release=', 404, 'empty release');
error_is('/api/v1/techniques?platform=Windows%00', 400, 'NUL in a value');
error_is('/api/v1/techniques?platform=Win%0Adows', 400, 'newline in a value');
error_is('/api/v1/techniques?tactic=%FF%FE', 400, 'binary tactic');
error_is('/api/v1/techniques?platform=' . ('w' x 300), 400, 'value of 300 bytes');
error_is('/api/v1/techniques?' . join('&', map { "x$_=1" } 1 .. 900), 400,
         'query string of 5 KB');
my $huge = $ng->get('/api/v1/techniques?platform=' . ('A' x 10240));
ok($huge->{status} == 400 || $huge->{status} == 414,
   "query string of 10 KB: refused ($huge->{status})");
is($ng->get('/api/v1/techniques?limit=1&&&')->{status}, 200,
   'empty pairs are ignored');
is($ng->get('/api/v1/techniques/T1059?release=16.1')->{status}, 200,
   'release on a document');

# the root
my $root = $ng->get('/api/v1/');
is($root->{status}, 200, 'root: 200');
ok((grep { $_ eq 'techniques/{id}' } @{ decode_json($root->{content})->{endpoints} }),
   'root lists the endpoints');
ok($root->{headers}{etag}, 'root: ETag like every 200');
error_is('/api/v1/?bogus=1', 400, 'root with an unknown parameter');
error_is('/api/v1/?release=17.0', 404, 'root with an unknown release');

# methods
for my $m (qw(POST PUT DELETE PATCH OPTIONS)) {
    my $res = error_is('/api/v1/techniques/T1059', 405, $m,
                       method => $m, content => '{"x":1}');
    is($res->{headers}{allow}, 'GET, HEAD', "$m: Allow header");
}
my $post = error_is('/api/v1/search?q=x', 405, 'POST with a large body',
                    method => 'POST', content => 'x' x 100000);

# HEAD: the headers of GET, no body
for my $path ('/api/v1/techniques/T1059.001', '/api/v1/techniques?limit=3',
              '/api/v1/search?q=powershell', '/api/v1/matrix?domain=ics',
              '/api/v1/groups') {
    my $get = $ng->get($path);
    my $head = $ng->get($path, method => 'HEAD');
    is($head->{status}, 200, "HEAD $path: 200");
    my $raw = raw("HEAD $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    like($raw, qr/\r\n\r\n\z/, "HEAD $path: nothing after the headers");
    is($head->{headers}{'content-length'}, length $get->{content},
       "HEAD $path: Content-Length of GET");
    is($head->{headers}{etag}, $get->{headers}{etag}, "HEAD $path: ETag of GET");
}
is($ng->get('/api/v1/techniques/T9999', method => 'HEAD')->{status}, 404,
   'HEAD of an unknown id: 404');

# ETag and If-None-Match
my %etags;
for my $path ('/api/v1/techniques/T1059.001', '/api/v1/techniques/T1059',
              '/api/v1/techniques?limit=3', '/api/v1/techniques?limit=4',
              '/api/v1/search?q=powershell', '/api/v1/status',
              '/api/v1/matrix?domain=ics', '/api/v1/groups/G0007?release=16.1',
              '/api/v1/groups/G0007') {
    my $res = $ng->get($path);
    my $etag = $res->{headers}{etag};
    like($etag // '', qr/^"[^"]+"$/, "$path: quoted ETag");
    $etags{ $etag // '' } //= $path;
    my $nm = $ng->get($path, headers => { 'If-None-Match' => $etag });
    is($nm->{status}, 304, "$path: 304 with its ETag");
    my $raw = raw("GET $path HTTP/1.1\r\nHost: x\r\nIf-None-Match: $etag\r\n"
                  . "Connection: close\r\n\r\n");
    like($raw, qr{^HTTP/1\.1 304 .*\r\n\r\n\z}s, "$path: 304 has no body");
    is($ng->get($path, headers => { 'If-None-Match' => '"other"' })->{status}, 200,
       "$path: 200 with another ETag");
}
is(scalar keys %etags, 9, 'different answers have different ETags');
is($ng->get('/api/v1/techniques/t1059.001')->{headers}{etag},
   $ng->get('/api/v1/techniques/T1059.001')->{headers}{etag},
   'same document, same ETag');

# a raw request with a broken request line does not hurt the server
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ng->{port});
print $sock "GET /api/v1/techniques/\x01\xff HTTP/1.1\r\nHost: x\r\n\r\n";
my $line = <$sock> // '';
like($line, qr{^HTTP/1\.1 (400|404)}, 'control bytes in the path: refused');
close $sock;

# keep-alive: the request after an error on the same connection is answered
for my $bad ('/api/v1/groups?bogus=1', '/api/v1/techniques?limit=0',
             '/api/v1/techniques/T1059?release=17.0', '/api/v1/techniques/T9999',
             '/api/v1/techniques/' . ('x' x 30)) {
    my $before = length $ng->error_log;
    my $answer = raw("GET $bad HTTP/1.1\r\nHost: x\r\n\r\n"
                     . "GET /api/v1/techniques/T1059.001 HTTP/1.1\r\nHost: x\r\n"
                     . "Connection: close\r\n\r\n");
    my @status;
    while ($answer =~ s{\AHTTP/1\.1 (\d{3})[^\r]*\r\n(.*?)\r\n\r\n}{}s) {
        push @status, $1;
        my ($len) = $2 =~ /^Content-Length: (\d+)/mi;
        substr($answer, 0, $len // 0, '') if $status[-1] ne '304';
    }
    is(scalar @status, 2, "$bad, then a good request: two answers");
    is($status[1], 200, "$bad, then a good request: the second is 200");
    is($answer, '', "$bad, then a good request: nothing else sent");
    Time::HiRes::sleep(0.2);
    unlike(substr($ng->error_log, $before), qr/exited on signal \d+/,
           "$bad: no worker crashed");
}

# many concurrent clients, every answer complete
my @pids;
for my $n (1 .. 6) {
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        my $bad = 0;
        for (1 .. 40) {
            my $res = $ng->get('/api/v1/techniques?limit=1000');
            $bad++ unless $res->{status} == 200
                          && eval { decode_json($res->{content})->{total} };
        }
        POSIX::_exit($bad ? 1 : 0);
    }
    push @pids, $pid;
}
my $failed = 0;
for (@pids) { waitpid($_, 0); $failed++ if $? }
is($failed, 0, '240 concurrent list requests all complete');
is($ng->get('/api/v1/status')->{status}, 200, 'server still up');
unlike($ng->error_log, qr/\[(alert|crit|emerg)\]|signal \d+/, 'no crash in the error log');

done_testing();

# attck-worker ingest taxii: our own TAXII server walked by our own client
# (every ICS object once, its threats with the techniques its relationships
# name, the cursor from X-TAXII-Date-Added-Last), and a stand-in feed with
# faults: 429 with Retry-After, 5xx, a truncated page, an expired token,
# an endless more:true, a header that is not RFC 3339; credentials from
# the environment or a private file, never in a log line.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use IO::Socket::INET;
use JSON::XS ();
use Attck::Test qw(worker shared_dir run_cmd decode_json free_port load_bundle slurp spew);

my $dir = File::Temp::tempdir('attck-taxii-in-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

# --- our server, our client ------------------------------------------------

my $ics = 'ics-attack-18.1.json';
($rc, $out) = run_cmd(worker(), 'compile', '--taxii', '-o', "$dir/ics.snap",
                      shared_dir() . "/attack/$ics");
is($rc, 0, 'compile --taxii ICS') or diag $out;
my $ng = Attck::Test->start_nginx(workers => 1,
    http => "attck_zone attck 64m; attck_snapshot $dir/ics.snap;",
    server => 'location /taxii2/ { attck_taxii; }');
my $b = load_bundle($ics);
my @objs = @{ $b->{objects} };
my ($coll) = grep { $_->{type} eq 'x-mitre-collection' } @objs;
my $feed = "ics=" . $ng->url("/taxii2/attack/collections/$coll->{id}/");

($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', $feed);
is($rc, 0, 'ingest taxii from attck_taxii') or diag $out;
is($pg->query("SELECT count(*) FROM taxii_objects WHERE feed = 'ics'"), scalar @objs,
   "every ICS object stored (${\ scalar @objs})");
is($pg->query("SELECT count(*) FROM taxii_objects o WHERE feed = 'ics' AND NOT EXISTS "
              . "(SELECT 1 FROM taxii_objects p WHERE p.stix_id = o.stix_id AND p.feed <> 'ics')"),
   scalar @objs, 'each once');
is($pg->query("SELECT added_after FROM taxii_feed_state WHERE feed = 'ics'"), $coll->{modified},
   'cursor: X-TAXII-Date-Added-Last (date_added of ICS 18.1)');

# the threats and the techniques their relationships name, from the bundle
my %tid;
for my $o (@objs) {
    next unless $o->{type} eq 'attack-pattern';
    for my $r (@{ $o->{external_references} || [] }) {
        $tid{ $o->{id} } = $r->{external_id} if ($r->{source_name} // '') =~ /^mitre-(ics-|mobile-)?attack$/
            && ($r->{external_id} // '') =~ /^T\d{4}(\.\d{3})?$/;
    }
}
my %want;
for my $o (@objs) {
    next unless $o->{type} =~ /^(report|intrusion-set|malware|campaign|indicator)$/
        && length($o->{description} // '') && !$o->{revoked};
    $want{ $o->{id} } = {};
}
for my $r (grep { $_->{type} eq 'relationship' && !$_->{revoked} } @objs) {
    next unless $want{ $r->{source_ref} } && $tid{ $r->{target_ref} };
    $want{ $r->{source_ref} }{ $tid{ $r->{target_ref} } } = 1;
}
my %got = map { my ($id, $ids) = split /\|/; ($id => $ids // '') }
          split /\n/, $pg->query("SELECT source_id, array_to_string(attack_ids, ',') "
                                 . "FROM threat_intelligence_data WHERE source = 'taxii'");
is(scalar keys %got, scalar keys %want, "threats of source taxii: ${\ scalar keys %want}");
my $bad = grep { ($got{"ics:$_"} // 'missing') ne join(',', sort keys %{ $want{$_} }) } keys %want;
is($bad, 0, 'each with the ATT&CK ids its relationships name');
ok((grep { length } values %got) > 10, 'most with techniques');

($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', $feed);
is($rc, 0, 'second run') or diag $out;
like($out, qr/fetched=0\b/, 'added_after from the cursor: nothing new') or diag $out;
is($pg->query("SELECT count(*) FROM taxii_objects WHERE feed = 'ics'"), scalar @objs, 'still once each');

# ingest all reads the feeds of ATTCK_TAXII_FEEDS too
{
    local $ENV{ATTCK_TAXII_FEEDS} = $feed =~ s/^ics=/icsall=/r;
    local $ENV{ATTCK_SOURCES} = '';
    local $ENV{ATTCK_OTX_KEY} = '';
    local $ENV{ATTCK_VT_KEY} = '';
    ($rc, $out) = run_cmd(worker(), 'ingest', 'all');
    is($rc, 0, 'ingest all') or diag $out;
    is($pg->query("SELECT count(*) FROM taxii_objects WHERE feed = 'icsall'"), scalar @objs,
       'with the feed of ATTCK_TAXII_FEEDS');
}

# ATT&CK itself from a TAXII server, where a bundle URL would stand
my $src = 'taxii+' . $ng->url("/taxii2/attack/collections/$coll->{id}/");
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $src);
is($rc, 0, 'ingest attack taxii+URL') or diag $out;
is($pg->query("SELECT domain || ' ' || version || ' ' || objects FROM attack_releases"),
   "ics-attack 18.1 " . scalar @objs, 'the release, every object');
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $src);
like($out, qr/status=unchanged/, 'again: unchanged') or diag $out;
($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/from-taxii.snap", $src);
is($rc, 0, 'compile taxii+URL') or diag $out;
like($out, qr/ics-attack 18\.1, ${\ scalar @objs} objects/, 'compiled from every object');
($rc, $out) = run_cmd(worker(), 'compile', '-o', "$dir/x.snap",
                      'taxii+' . $ng->url('/taxii2/attack/collections/00000000-0000-4000-8000-000000000000/'));
isnt($rc, 0, 'an unknown collection: refused');

# --- a stand-in feed with faults --------------------------------------------

my $J = JSON::XS->new->canonical;
my @stix = (
    { type => 'attack-pattern', spec_version => '2.1', id => 'attack-pattern--11111111-1111-4111-8111-111111111111',
      name => 'Phishing', created => '2020-01-01T00:00:00Z', modified => '2020-01-01T00:00:00Z',
      external_references => [{ source_name => 'mitre-attack', external_id => 'T1566' }] },
    { type => 'attack-pattern', spec_version => '2.1', id => 'attack-pattern--22222222-2222-4222-8222-222222222222',
      name => 'PowerShell', created => '2020-01-01T00:00:00Z', modified => '2020-01-01T00:00:00Z',
      external_references => [{ source_name => 'mitre-attack', external_id => 'T1059.001' }] },
    { type => 'report', spec_version => '2.1', id => 'report--33333333-3333-4333-8333-333333333333',
      name => 'Spring campaign', description => 'Spear-phishing mails with PowerShell droppers.',
      published => '2026-03-01T00:00:00Z', labels => ['threat-report'],
      created => '2026-03-01T00:00:00Z', modified => '2026-03-01T00:00:00Z',
      object_refs => ['attack-pattern--11111111-1111-4111-8111-111111111111'] },
    { type => 'intrusion-set', spec_version => '2.1', id => 'intrusion-set--44444444-4444-4444-8444-444444444444',
      name => 'Group X', description => 'A group that runs PowerShell.',
      created => '2026-03-01T00:00:00Z', modified => '2026-03-02T00:00:00Z' },
    { type => 'relationship', spec_version => '2.1', id => 'relationship--55555555-5555-4555-8555-555555555555',
      relationship_type => 'uses', source_ref => 'intrusion-set--44444444-4444-4444-8444-444444444444',
      target_ref => 'attack-pattern--22222222-2222-4222-8222-222222222222',
      created => '2026-03-02T00:00:00Z', modified => '2026-03-02T00:00:00Z' },
    { type => 'malware', spec_version => '2.1', id => 'malware--66666666-6666-4666-8666-666666666666',
      name => 'No description', is_family => JSON::XS::true,
      created => '2026-03-01T00:00:00Z', modified => '2026-03-01T00:00:00Z' },
);

sub envelope { my ($more, $next, @o) = @_; $J->encode({ more => $more ? JSON::XS::true : JSON::XS::false,
    ($next ? (next => $next) : ()), (@o ? (objects => \@o) : ()) }) }

sub resp {
    my ($status, $body, %h) = @_;
    my $len = delete $h{_length} // length $body;
    my $head = "HTTP/1.1 $status X\r\nContent-Type: application/taxii+json;version=2.1\r\n"
             . "Content-Length: $len\r\nConnection: close\r\n";
    $head .= "$_: $h{$_}\r\n" for sort keys %h;
    return "$head\r\n$body";
}

# serves the responses in turn (the last one again and again), logs each
# request's line and Authorization
sub start_feed {
    my (@resp) = @_;
    my $sock = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Proto => 'tcp', ReuseAddr => 1) or die $!;
    my $log = "$dir/feed.log";
    spew($log, '');
    my $pid = fork() // die;
    if (!$pid) {
        my $i = 0;
        while (my $c = $sock->accept) {
            my ($line, $auth) = ('', '');
            while (my $l = <$c>) {
                $line ||= $l;
                $auth = $1 if $l =~ /^Authorization:\s*(.*?)\r?$/i;
                last if $l =~ /^\r?$/;
            }
            $line =~ s/\r?\n$//;
            open(my $fh, '>>', $log); print $fh "$line\t$auth\n"; close $fh;
            print $c $resp[$i < @resp ? $i : $#resp];
            $i++;
            close $c;
        }
        exit 0;
    }
    my $port = $sock->sockport;
    close $sock;
    return { pid => $pid, url => "http://127.0.0.1:$port/taxii2/root/collections/c1/", log => $log };
}
sub stop_feed { kill 'KILL', $_[0]{pid}; waitpid($_[0]{pid}, 0) }
sub requests { [ map { [split /\t/] } split /\n/, slurp($_[0]{log}) ] }

my $last = '2026-03-02T00:00:00.000Z';
my %H = ('X-TAXII-Date-Added-First' => '2026-03-01T00:00:00.000Z', 'X-TAXII-Date-Added-Last' => $last);

# two pages, a 429 with Retry-After between them; Bearer from the environment
$ENV{ATTCK_TAXII_TOKEN_STANDIN} = 'secret-token-1';
my $f = start_feed(resp(200, envelope(1, 'tok-1', @stix[0 .. 2]), %H),
                   resp(429, '{"title":"slow down"}', 'Retry-After' => 1),
                   resp(200, envelope(0, undef, @stix[3 .. 5]), %H));
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', "standin=$f->{url}");
is($rc, 0, 'two pages, a 429 waited out') or diag $out;
my $req = requests($f);
stop_feed($f);
is(scalar @$req, 3, 'three requests');
like($req->[0][0], qr{^GET /taxii2/root/collections/c1/objects/\?limit=1000 HTTP}, 'first page: no added_after');
like($req->[1][0], qr{&next=tok-1 }, 'then next');
is($req->[2][0], $req->[1][0], 'the same request after the 429');
is($req->[0][1], 'Bearer secret-token-1', 'Bearer token sent');
unlike($out, qr/secret-token/, 'the token is not logged');
is($pg->query("SELECT added_after FROM taxii_feed_state WHERE feed = 'standin'"), $last, 'cursor');
is($pg->query("SELECT source_id || '=' || array_to_string(attack_ids, ',') FROM threat_intelligence_data "
              . "WHERE source = 'taxii' AND source_id LIKE 'standin:%' ORDER BY source_id"),
   "standin:intrusion-set--44444444-4444-4444-8444-444444444444=T1059.001\n"
   . "standin:report--33333333-3333-4333-8333-333333333333=T1566",
   'a report (object_refs) and an intrusion-set (uses): explicit techniques; no description: no threat');
unlike($pg->query("SELECT string_agg(raw::text, '') FROM taxii_objects")
       . $pg->query("SELECT string_agg(url, '') FROM taxii_feed_state")
       . $pg->query("SELECT string_agg(source || coalesce(error, ''), '') FROM ingestion_runs"),
       qr/secret-token/, 'no token in the database');

# the next run sends added_after = the cursor; Basic from a private file
delete $ENV{ATTCK_TAXII_TOKEN_STANDIN};
spew("$dir/auth", "# feeds\nstandin basic alice:pa55word\n");
chmod 0644, "$dir/auth";
$ENV{ATTCK_TAXII_AUTH_FILE} = "$dir/auth";
$f = start_feed(resp(200, envelope(0, undef)));
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', "standin=$f->{url}");
is($rc, 64, 'a credentials file others may read: 64');
like($out, qr/chmod 600/, 'says so');
chmod 0600, "$dir/auth";
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', "standin=$f->{url}");
is($rc, 0, 'an empty page') or diag $out;
$req = requests($f);
stop_feed($f);
like($req->[-1][0], qr{added_after=2026-03-02T00%3A00%3A00\.000Z}, 'added_after from the last run');
is($req->[-1][1], 'Basic ' . MIME::Base64::encode_base64('alice:pa55word', ''), 'Basic from the file')
    if eval { require MIME::Base64 };
unlike($out, qr/pa55word|YWxpY2U6/, 'the password is not logged');
is($pg->query("SELECT added_after FROM taxii_feed_state WHERE feed = 'standin'"), $last, 'cursor kept on an empty page');

# faults: each leaves the cursor and the threats as they were
my $threats = $pg->query("SELECT count(*) || '/' || max(updated_at) FROM threat_intelligence_data");
for my $case (
    [ '5xx', 69, qr/HTTP 503/, resp(503, 'down') ],
    [ 'expired token (401)', 69, qr/HTTP 401/, resp(200, envelope(1, 'tok-1', @stix[0 .. 1]), %H), resp(401, '{"title":"expired"}') ],
    [ 'a truncated page', 69, qr/transfer|partial|closed/i, resp(200, substr(envelope(0, undef, @stix), 0, 200), %H, _length => 5000) ],
    [ 'not JSON', 65, qr/TAXII envelope/, resp(200, substr(envelope(0, undef, @stix), 0, 200), %H) ],
    [ 'endless more:true (the same next)', 65, qr/next token is the one just used/, resp(200, envelope(1, 'again', $stix[0]), %H) ],
    [ 'more:true without next', 65, qr/true without \\?"next/, resp(200, envelope(1, undef, $stix[0]), %H) ],
) {
    my ($name, $want, $re, @r) = @$case;
    $f = start_feed(@r);
    ($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', "standin=$f->{url}");
    stop_feed($f);
    is($rc, $want, "$name: exit $want");
    like($out, $re, "$name: says why");
    unlike($out, qr/pa55word|YWxpY2U6/, "$name: no credentials in the log");
    is($pg->query("SELECT added_after FROM taxii_feed_state WHERE feed = 'standin'"), $last, "$name: cursor kept");
    is($pg->query("SELECT count(*) || '/' || max(updated_at) FROM threat_intelligence_data"), $threats,
       "$name: threats unchanged");
}

# X-TAXII-Date-Added-Last parsed strictly: MITRE's form moves nothing
$f = start_feed(resp(200, envelope(0, undef, $stix[0]), 'X-TAXII-Date-Added-Last' => '2026-04-01 00:00:00.000000+00:00'));
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', "standin=$f->{url}");
stop_feed($f);
is($rc, 0, 'a header that is not RFC 3339: the run goes through');
like($out, qr/not an RFC 3339 time/, 'with a warning');
is($pg->query("SELECT added_after FROM taxii_feed_state WHERE feed = 'standin'"), $last, 'and the cursor stays');
$f = start_feed(resp(200, envelope(0, undef, $stix[0]), 'X-TAXII-Date-Added-Last' => '2026-04-01T02:00:00.5+02:00'));
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', "standin=$f->{url}");
stop_feed($f);
is($pg->query("SELECT added_after FROM taxii_feed_state WHERE feed = 'standin'"), '2026-04-01T00:00:00.500Z',
   'an offset time: the cursor in UTC');

# usage
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii', 'nourl');
is($rc, 64, 'a feed without URL: 64');
delete $ENV{ATTCK_TAXII_FEEDS};
($rc, $out) = run_cmd(worker(), 'ingest', 'taxii');
is($rc, 64, 'no feeds: 64');

done_testing();

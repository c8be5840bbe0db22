# attck-worker export: the mapped threats sent to a stand-in SIEM (a real
# nginx logging what it takes) as Splunk HEC events, an Elasticsearch
# _bulk body or NDJSON; only new and changed threats on the next run; a
# run cut short resumes after the last accepted batch; HTTP errors, 429,
# a refused token, refused documents and a redirect are clear failures
# that record nothing; the token is never printed.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes ();
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses
                   procedure_pulses attack_id load_bundle);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";

my $pg = Attck::Test->start_postgres;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
delete $ENV{$_} for qw(ATTCK_CONFIG ATTCK_EXPORT_URL ATTCK_EXPORT_FORMAT
                       ATTCK_EXPORT_BATCH ATTCK_EXPORT_MIN_SCORE);
$ENV{ATTCK_EXPORT_TOKEN} = 'tok-s3cret';
$ENV{ATTCK_FETCH_BACKOFF_MS} = 10;
sub q1 { $pg->query($_[0]) }

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                      shared_dir() . '/attack/enterprise-attack-18.1.json');
is($rc, 0, 'ingest enterprise 18.1') or diag $out;
Attck::Test->start_otx(recorded_pulses(), procedure_pulses(40));
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest otx') or diag $out;
($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map') or diag $out;

# a hostile threat, mapped by hand
my $hostile = qq{"><script>alert(1)</script> \x{e9}t\x{e9} \\ \t end};
{
    my $t = $hostile;
    utf8::encode($t);
    $t =~ s/'/''/g;
    q1("INSERT INTO threat_intelligence_data (source, source_id, title,"
       . " content_sha256, last_seen) VALUES ('otx', 'hostile-1', E'"
       . join('', map { sprintf('\\x%02x', ord) } split //, $t)
       . "', 'x', '2026-01-02T03:04:05Z')");
    q1("INSERT INTO mapped_threat_data (threat_id, technique_id, score,"
       . " method, content_sha256) SELECT id, 'T1059.001', 0.75, 'model', 'x'"
       . " FROM threat_intelligence_data WHERE source_id = 'hostile-1'");
}

my $mapped = q1('SELECT count(DISTINCT threat_id) FROM mapped_threat_data');
cmp_ok($mapped, '>', 10, "threats with techniques to export: $mapped");
my $all = q1('SELECT count(*) FROM threat_intelligence_data');
cmp_ok($all, '>', $mapped, "... of $all threats (others have none)");

my $siem = Attck::Test->start_siem;
my $base = "http://127.0.0.1:$siem->{port}";
sub received { grep { $_->{uri} eq $_[0] } $siem->received }

# the techniques, scores and title of each threat, as the database has them
my %want;
for my $row (split /\n/, q1(
        "SELECT t.source || ':' || t.source_id, m.technique_id, m.score"
        . " FROM mapped_threat_data m JOIN threat_intelligence_data t"
        . " ON t.id = m.threat_id")) {
    my ($id, $tid, $score) = split /\|/, $row;
    $want{$id}{$tid} = $score;
}
is(scalar keys %want, $mapped, 'one expected document per mapped threat');

# names come from the release
my %name;
for my $o (@{ load_bundle('enterprise-attack-18.1.json')->{objects} }) {
    next unless $o->{type} eq 'attack-pattern' && !$o->{revoked};
    $name{attack_id($o)} = $o->{name};
}

# --- Splunk HEC ----------------------------------------------------------

($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/hec",
                      '--batch', 7);
is($rc, 0, 'export to HEC exits 0') or diag $out;
like($out, qr/sent=$mapped requests=\d+/, "... sent=$mapped");
unlike($out, qr/tok-s3cret/, '... never printing the token');

my @req = received('/hec');
is(scalar @req, int(($mapped + 6) / 7), 'batches of 7: one request each');
is((grep { $_->{auth} eq 'Splunk tok-s3cret' } @req), scalar @req,
   '... each with "Authorization: Splunk TOKEN"');
is((grep { $_->{type} eq 'application/json' } @req), scalar @req,
   '... and Content-Type application/json');

my (%got, $bad_names, $bad_scores);
for my $r (@req) {
    for my $line (split /\n/, $r->{body}) {
        my $ev = decode_json($line);
        my $doc = $ev->{event};
        $got{$doc->{id}}++;
        is($ev->{sourcetype}, 'attck:threat', 'sourcetype attck:threat')
            if keys %got == 1;
        my %t = map { $_->{id} => $_ } @{ $doc->{techniques} };
        $bad_scores++ unless join(',', sort keys %t)
            eq join(',', sort keys %{ $want{$doc->{id}} || {} });
        for my $tid (keys %t) {
            $bad_scores++ if abs($t{$tid}{score} - $want{$doc->{id}}{$tid}) > 1e-6;
            $bad_names++ if $name{$tid} && $t{$tid}{name} ne $name{$tid};
        }
        if ($doc->{id} eq 'otx:hostile-1') {
            is($doc->{title}, $hostile, 'a hostile title arrives exactly');
            is($ev->{time}, 1767323045, '... the event time is its last_seen');
            is($doc->{techniques}[0]{name}, $name{'T1059.001'},
               '... its technique named as in the release');
        }
    }
}
is(scalar keys %got, $mapped, 'every mapped threat sent');
is((grep { $_ != 1 } values %got), 0, '... each once');
ok(!$bad_scores, 'techniques and scores equal the database\'s');
ok(!$bad_names, 'technique names equal the STIX bundle\'s');
is(q1("SELECT status || ' ' || sent || ' ' || requests FROM export_runs"),
   "done $mapped " . scalar(@req), 'export_runs records the run');

# the next run sends nothing; a changed mapping is sent again
($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/hec");
is($rc, 0, 'a second export exits 0');
like($out, qr/sent=0 .*nothing new/, '... sending nothing');
is(scalar(received('/hec')), scalar @req, '... no request made');

my ($tid_changed, $thr) = split /\|/, q1(
    "SELECT technique_id, threat_id FROM mapped_threat_data"
    . " WHERE method = 'model' ORDER BY threat_id LIMIT 1");
q1("UPDATE mapped_threat_data SET score = 0.987 WHERE threat_id = $thr"
   . " AND technique_id = '$tid_changed'");
# and a threat loses every technique: the SIEM hears that too
my $emptied = q1("SELECT max(threat_id) FROM mapped_threat_data"
                 . " WHERE threat_id <> $thr");
q1("DELETE FROM mapped_threat_data WHERE threat_id = $emptied");

($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/hec");
is($rc, 0, 'export after two changes') or diag $out;
like($out, qr/sent=2 /, '... sends the two changed threats');
my ($last) = (received('/hec'))[-1];
my %docs = map { my $e = decode_json($_)->{event}; $e->{id} => $e }
           split /\n/, $last->{body};
my ($changed) = grep { grep { $_->{id} eq $tid_changed
                              && abs($_->{score} - 0.987) < 1e-6 }
                       @{ $_->{techniques} } } values %docs;
ok($changed, '... one with its new score');
ok((grep { !@{ $_->{techniques} } } values %docs),
   '... one with no techniques left');
my $hec_requests = received('/hec');

# --- a receiver that fails part way: the next run resumes ---------------

($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/flaky/x",
                      '--batch', 5);
is($rc, 69, 'a receiver failing after three batches: exit 69');
like($out, qr/HTTP 503.*sent=15 before it/, '... saying how far it got');
is(q1("SELECT count(*) FROM export_state WHERE target LIKE '%flaky%'"), 15,
   '... the three accepted batches recorded');
is(q1("SELECT status FROM export_runs ORDER BY id DESC LIMIT 1"), 'failed',
   '... and the run recorded as failed');
ok($siem->siem_steady, 'the receiver recovers');
($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/flaky/x",
                      '--batch', 5);
is($rc, 0, 'the next run exits 0') or diag $out;
my %flaky;
$flaky{ decode_json($_)->{event}{id} }++
    for map { split /\n/, $_->{body} }
        grep { $_->{status} eq '200' } received('/flaky/x');
my $now_mapped = q1('SELECT count(DISTINCT threat_id) FROM mapped_threat_data');
is(scalar keys %flaky, $now_mapped, '... every threat arrived');
is((grep { $_ != 1 } values %flaky), 0, '... none twice');

# --- Elasticsearch _bulk and NDJSON ---------------------------------------

($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/_bulk",
                      '--format', 'elastic');
is($rc, 0, 'export to _bulk exits 0') or diag $out;
@req = received('/_bulk');
is($req[0]{auth}, 'ApiKey tok-s3cret', '... "Authorization: ApiKey TOKEN"');
is($req[0]{type}, 'application/x-ndjson', '... as NDJSON');
my @lines = split /\n/, join('', map { $_->{body} } @req);
is(scalar @lines, 2 * $now_mapped, '... an action and a document each');
my $ids_ok = 1;
for (my $i = 0; $i < @lines; $i += 2) {
    $ids_ok = 0 unless decode_json($lines[$i])->{index}{_id}
                       eq decode_json($lines[$i + 1])->{id};
}
ok($ids_ok, '... each action naming its document\'s id');

($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/refused/_bulk",
                      '--format', 'elastic');
is($rc, 69, 'documents refused by _bulk: exit 69');
like($out, qr/1 of 2 documents refused, the first: failed to parse/,
     '... with the first reason');
is(q1("SELECT count(*) FROM export_state WHERE target LIKE '%refused%'"), 0,
   '... and nothing recorded as sent');

{
    local $ENV{ATTCK_EXPORT_FORMAT} = 'ndjson';
    local $ENV{ATTCK_EXPORT_URL} = "$base/hook";
    ($rc, $out) = run_cmd(worker(), 'export');
    is($rc, 0, 'export to a webhook (settings from the environment)');
    @req = received('/hook');
    is($req[0]{auth}, 'Bearer tok-s3cret', '... "Authorization: Bearer"');
    is(scalar(split /\n/, join('', map { $_->{body} } @req)), $now_mapped,
       '... one document a line');
}

# --- failures ------------------------------------------------------------

{
    local $ENV{ATTCK_FETCH_RETRIES} = 2;
    ($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/e503");
    is($rc, 69, 'HTTP 503: exit 69');
    like($out, qr/e503: HTTP 503/, '... naming it');
    is(scalar(received('/e503')), 3, '... after two retries');

    local $ENV{ATTCK_FETCH_RETRIES} = 1;
    my $t0 = Time::HiRes::time();
    ($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/e429");
    is($rc, 69, 'HTTP 429: exit 69');
    is(scalar(received('/e429')), 2, '... retried once');
    cmp_ok(Time::HiRes::time() - $t0, '>=', 1, '... after its Retry-After');

    ($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/e401");
    is($rc, 69, 'HTTP 401: exit 69');
    like($out, qr/refused the token: check ATTCK_EXPORT_TOKEN/,
         '... saying the token was refused');
    is(scalar(received('/e401')), 1, '... not retried');
    unlike($out, qr/tok-s3cret/, '... never printing it');

    ($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/redirect");
    is($rc, 69, 'a redirect: exit 69');
    like($out, qr/redirect: not followed/, '... not followed with the token');
    is(scalar(received('/hec')), $hec_requests,
       '... nothing reached where it led');
}
is(q1("SELECT count(*) FROM export_state WHERE target ~ 'e503|e429|e401"
      . "|redirect'"), 0, 'failed targets: nothing recorded as sent');

($rc, $out) = run_cmd(worker(), 'export');
is($rc, 64, 'no URL: exit 64');
like($out, qr/nowhere to export/, '... saying so');
($rc, $out) = run_cmd(worker(), 'export', '--url', 'ftp://x/y');
is($rc, 64, 'not http(s): exit 64');
($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/hec",
                      '--format', 'syslog');
is($rc, 64, 'an unknown format: exit 64');
like($out, qr/unknown format \\?"syslog/, '... named');
{
    local $ENV{ATTCK_EXPORT_TOKEN} = "a\r\nX-Evil: 1";
    ($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/hec");
    is($rc, 64, 'a token with a line break: exit 64');
}

$pg->stop;
($rc, $out) = run_cmd(worker(), 'export', '--url', "$base/hec");
is($rc, 75, 'the database away: exit 75');

done_testing;

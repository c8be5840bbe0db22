# attck-worker report: under each technique's threats, the sentences of
# the threat's text that support the mapping, as map stored them, in
# JSON, CSV, HTML and PDF.  Threats generated from ATT&CK's procedure
# examples and mapped by the test model give real sentences; one threat's
# mapping carries hostile ones (markup, a formula, control characters, a
# bidirectional override, a very long one).  Each format is checked
# against mapped_threat_data.sentences in SQL.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Encode ();
use JSON::PP ();
use Attck::Test qw(worker shared_dir run_cmd decode_json slurp);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";
ok(-x '/usr/bin/pdftotext', 'pdftotext is installed (poppler-utils)');

my $pg = Attck::Test->start_postgres;
my $tmp = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
delete $ENV{ATTCK_CONFIG};
delete $ENV{"ATTCK_REPORTS_$_"} for qw(DIR FORMATS PERIOD DOMAIN TOP KEEP);
sub q1 { $pg->query($_[0]) }

my $bundle_path = shared_dir() . '/attack/enterprise-attack-18.1.json';
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $bundle_path);
is($rc, 0, 'ingest attack') or diag $out;
($rc, $out) = run_cmd(worker(), 'generate', '--seed', '742', '--count', '150',
                      '--days', '30', '--end', '2026-11-30', $bundle_path);
is($rc, 0, 'generate 150 threats') or diag $out;
($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map them with the test model') or diag $out;
my $with = q1(q{SELECT count(*) FROM mapped_threat_data
                 WHERE jsonb_array_length(sentences) > 0});
cmp_ok($with, '>', 20, "map stored supporting sentences ($with mappings)");

# a threat of its own period whose mapping rests on hostile sentences
my $long = 'A long sentence that goes on ' x 30 . 'TAILMARK.';
my @hostile = (
    q{<script>alert("x")</script> & <img src=x onerror=alert(1)> ran.},
    $long,
    qq{=HYPERLINK("http://evil.example/"), said "the loader", bell\x07and}
    . qq{\ttab\nand line \x{202e}reversed\x{202c} text.},
);
my $hostile_json = JSON::PP->new->canonical->ascii->encode(
    [ map { { start => 0, end => 1, text => $_ } } @hostile ]);
q1(qq{INSERT INTO threat_intelligence_data (source, source_id, title,
        description, last_seen, content_sha256)
     VALUES ('otx', 'hostile-742', 'Hostile sentences', 'x',
             timestamptz '2020-01-01 12:00+00', 'x')});
q1(qq{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        evidence, sentences, content_sha256)
     SELECT id, 'T1059.001', 0.9, 'model', '[]', \$h\$$hostile_json\$h\$,
            'x'
       FROM threat_intelligence_data WHERE source_id = 'hostile-742'});

# what SQL says: technique and threat -> the texts of its sentences
my %want;
my $rows = decode_json(
    q1(q{SELECT coalesce(json_agg(json_build_object(
                 'k', m.technique_id || ' ' || t.source_id,
                 's', (SELECT coalesce(json_agg(e->>'text' ORDER BY o), '[]')
                         FROM jsonb_array_elements(m.sentences)
                              WITH ORDINALITY AS x(e, o)))), '[]')
           FROM mapped_threat_data m
           JOIN threat_intelligence_data t ON t.id = m.threat_id}));
$want{ $_->{k} } = [ @{ $_->{s} }[0 .. ($#{ $_->{s} } < 2 ? $#{ $_->{s} } : 2)] ]
    for @$rows;

sub written {
    my ($o) = @_;
    my %f;
    while ($o =~ /report: wrote (\S+?)\.(html|pdf|csv|layer\.json|json) \(/g) {
        $f{ $2 eq 'layer.json' ? 'navigator' : $2 } = "$1.$2";
    }
    return \%f;
}

sub parse_csv {
    my ($text) = @_;
    my (@rows, @row);
    pos($text) = 0;
    while (pos($text) < length $text) {
        my $cell;
        if ($text =~ /\G"((?:[^"]|"")*)"/gc) {
            ($cell = $1) =~ s/""/"/g;
        } else {
            $text =~ /\G([^,"\r\n]*)/gc;
            $cell = $1;
        }
        push @row, $cell;
        if ($text =~ /\G,/gc) { next }
        $text =~ /\G\r\n/gc or die "CSV: no CRLF at byte " . pos($text) . "\n";
        push @rows, [ @row ];
        @row = ();
    }
    return @rows;
}

# as the formats write text: control characters (C0, C1) become spaces
sub spaced { my ($s) = @_; $s =~ s/[\x00-\x1f\x7f\x80-\x9f]/ /g; $s }

sub unescape_html {
    my ($s) = @_;
    $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&quot;/"/g;
    $s =~ s/&#39;/'/g; $s =~ s/&amp;/&/g;
    return $s;
}

for my $case ([ 'generated', '2026-10-01', '2026-12-01' ],
              [ 'hostile', '2020-01-01', '2020-01-02' ]) {
    my ($name, $since, $until) = @$case;
    ($rc, $out) = run_cmd(worker(), 'report', '--since', $since, '--until',
                          $until, '--dir', "$tmp/$name", '--top', '1000',
                          '--format', 'json,csv,html,pdf');
    is($rc, 0, "$name: report") or do { diag $out; next };
    my $files = written($out);

    # JSON: every listed threat's sentences, as SQL has them
    my $json = decode_json(slurp($files->{json}));
    my (%got, $n);
    for my $t (@{ $json->{techniques} }) {
        for my $th (@{ $t->{top_threats} }) {
            $got{"$t->{id} $th->{source_id}"} = $th->{sentences};
            $n += @{ $th->{sentences} };
        }
    }
    ok(scalar(keys %got), "$name: JSON lists " . scalar(keys %got)
       . " mapped threats, $n supporting sentences");
    is_deeply(\%got, { map { $_ => $want{$_} } keys %got },
              "$name: JSON: each threat's sentences as in SQL, best first");

    # CSV: threat_N_sentence_M, control characters as spaces, formulas
    # kept text
    my @csv = parse_csv(Encode::decode('UTF-8', slurp($files->{csv}),
                                       Encode::FB_CROAK));
    my $head = shift @csv;
    my %col = map { $head->[$_] => $_ } 0 .. $#$head;
    ok(exists $col{threat_1_sentence_1} && exists $col{threat_5_sentence_3},
       "$name: CSV has threat_N_sentence_M columns");
    my (%cgot, %cwant);
    for my $r (grep { $_->[ $col{section} ] eq 'technique' } @csv) {
        for my $k (1 .. 5) {
            my $sid = $r->[ $col{"threat_${k}_source_id"} ];
            next if $sid eq '';
            my $key = "$r->[ $col{technique_id} ] $sid";
            $cgot{$key} = [ grep { $_ ne '' }
                            map { $r->[ $col{"threat_${k}_sentence_$_"} ] }
                            1 .. 3 ];
            $cwant{$key} = [ map { my $s = spaced($_);
                                   $s =~ /^[=+\-\@]/ ? "'$s" : $s }
                             @{ $want{$key} } ];
        }
    }
    ok(scalar(keys %cgot), "$name: CSV: " . scalar(keys %cgot)
       . ' threats in the threat columns');
    is_deeply(\%cgot, \%cwant, "$name: CSV: their sentences as in SQL");

    # HTML: escaped, as quotations under each threat, technique by
    # technique in rank order
    my $html = Encode::decode('UTF-8', slurp($files->{html}));
    my (@hgot, @hwant);
    for my $ol ($html =~ m{<ol class="threats">\n(.*?)</ol>}gs) {
        push @hgot, [ map { [ map { unescape_html($_) =~ s/[\t\n]/ /gr }
                              m{<q><bdi>(.*?)</bdi></q>}gs ] }
                      $ol =~ m{<li>(.*?)</li>\n}gs ];
    }
    for my $t (@{ $json->{techniques} }) {
        push @hwant, [ map { [ map { spaced($_) } @{ $want{"$t->{id} "
                                                          . $_->{source_id}} } ] }
                       @{ $t->{top_threats} } ];
    }
    is_deeply(\@hgot, \@hwant, "$name: HTML: the sentences under each "
              . 'threat, as in SQL');

    # PDF: a line each, cut to fit
    my ($prc, $text) = run_cmd('pdftotext', '-enc', 'UTF-8', $files->{pdf},
                               '-');
    is($prc, 0, "$name: pdftotext reads the PDF");
    $text = Encode::decode('UTF-8', $text);
    (my $flat = $text) =~ s/\s+/ /g;
    my @all = map { @{ $want{$_} } } sort keys %got;
    my @missing = grep { index($flat, $_) < 0 }
                  map { substr(spaced($_), 0, 24) =~ s/\s+/ /gr =~ s/ $//r }
                  @all;
    is_deeply(\@missing, [], "$name: PDF: each of the " . scalar(@all)
              . ' sentences begins a line');

    next if $name ne 'hostile';
    unlike($html, qr/<script>|<img /, 'hostile: no markup from the sentences');
    like($html, qr/&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/,
         '... it is text');
    like($flat, qr/\x{201c}A long sentence that goes on.*?\x{2026}/,
         'hostile: PDF: the long sentence cut with an ellipsis');
    unlike($text, qr/TAILMARK/, '... to fit its line');
    like($flat, qr/HYPERLINK/, '... the formula is text there');
}

done_testing;

# attck-worker report: the threat-landscape report of a period in HTML,
# PDF, CSV, JSON and as a Navigator layer, written to the reports
# directory and recorded in the reports table.  Its figures are checked
# against the database and the STIX bundle, never against typed numbers;
# hostile titles stay text in every format; bad settings, a directory
# that cannot be written and a database that is gone are clear exits;
# retention removes only files the table knows.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Digest::SHA qw(sha256_hex);
use Encode ();
use List::Util qw(min);
use POSIX qw(strftime);
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses
                   attack_id load_bundle slurp spew);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";

my $pg = Attck::Test->start_postgres;
my $tmp = File::Temp->newdir;
$ENV{ATTCK_DATABASE_URL} = $pg->url;
delete $ENV{ATTCK_CONFIG};
delete $ENV{"ATTCK_REPORTS_$_"} for qw(DIR FORMATS PERIOD DOMAIN TOP KEEP);
sub q1 { $pg->query($_[0]) }
sub rows { map { [ split /\|/, $_, -1 ] } grep { length } split /\n/, q1($_[0]) }

# a string as an SQL expression: dollar-quoted, control characters by chr()
sub sql_text {
    return join ' || ', map { /^[\x00-\x1f]$/ ? 'chr(' . ord($_) . ')'
                                             : "\$h\$$_\$h\$" }
                        grep { length } split /([\x00-\x1f])/, $_[0];
}

# the files a run wrote, by format, from its log lines
sub written {
    my ($out) = @_;
    my %f;
    my $ext = qr/html|pdf|csv|layer\.json|json/;
    while ($out =~ /report: wrote (\S+?)\.($ext) \(\d+ bytes\)/g) {
        my $format = $2 eq 'layer.json' ? 'navigator' : $2;
        $f{$format} = { path => "$1.$2" };
    }
    return \%f;
}

# the names in a directory, sorted; the name of a path
sub names_in {
    opendir(my $dh, $_[0]) or die "$_[0]: $!";
    return [ sort grep { !/^\./ } readdir $dh ];
}
sub base { (split m{/}, $_[0])[-1] }

# "18.1" > "16.1" > "9.0", as numbers
sub version_cmp {
    my @a = split /\./, $_[0];
    my @b = split /\./, $_[1];
    while (@a || @b) {
        my $c = (shift(@a) // -1) <=> (shift(@b) // -1);
        return $c if $c;
    }
    return 0;
}

# RFC 4180, strictly: quoted or plain cells, CRLF after every record
sub parse_csv {
    my ($text) = @_;
    my (@rows, @row);
    pos($text) = 0;
    while (pos($text) < length $text) {
        my $cell;
        if ($text =~ /\G"((?:[^"]|"")*)"/gc) {
            ($cell = $1) =~ s/""/"/g;
        } elsif ($text =~ /\G([^,"\r\n]*)/gc) {
            $cell = $1;
        }
        push @row, $cell;
        next if $text =~ /\G,/gc;
        die "CSV: no CRLF at byte " . pos($text) . "\n"
            unless $text =~ /\G\r\n/gc;
        push @rows, [ @row ];
        @row = ();
    }
    return @rows;
}

my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;

($rc, $out) = run_cmd(worker(), 'report', '--dir', "$tmp/none");
is($rc, 66, 'no release in the database: exit 66');
like($out, qr/\Qno enterprise-attack release in the database (run \E
                \Qattck-worker ingest attack)\E/x,
     '... saying which and what to run');

# 16.1 after 18.1: the newest release is the higher version, not the last
my %version;
for my $f ('enterprise-attack-18.1.json', 'enterprise-attack-16.1.json') {
    ($rc, $out) = run_cmd(worker(), 'ingest', 'attack',
                          shared_dir() . "/attack/$f");
    is($rc, 0, "ingest $f") or diag $out;
    my ($c) = grep { $_->{type} eq 'x-mitre-collection' }
              @{ load_bundle($f)->{objects} };
    $version{$f} = $c->{x_mitre_version};
}
my ($newest_file) = sort { version_cmp($version{$b}, $version{$a}) }
                    keys %version;
my $newest = $version{$newest_file};
(my $major = $newest) =~ s/\..*//;

# the default of --top, as the README documents it
my ($default_top) = slurp("$FindBin::Bin/../README.md")
    =~ /techniques in the top table \((\d+)\)/
    or die "README: no default for ATTCK_REPORTS_TOP\n";
Attck::Test->start_otx(recorded_pulses());
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest otx') or diag $out;
($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map') or diag $out;

# what the bundle says: active techniques, their names and phases, and
# the matrix's tactics in order
my $bundle = load_bundle($newest_file);
my (%name, %phases, %in_phase, %tactic_by_ref, @matrix);
for my $o (@{ $bundle->{objects} }) {
    next if $o->{revoked} || $o->{x_mitre_deprecated};
    if ($o->{type} eq 'attack-pattern') {
        my $id = attack_id($o) // next;
        $name{$id} = $o->{name};
        for my $p (@{ $o->{kill_chain_phases} || [] }) {
            next unless $p->{kill_chain_name} eq 'mitre-attack';
            push @{ $phases{$id} }, $p->{phase_name};
            $in_phase{ $p->{phase_name} }++;
        }
    } elsif ($o->{type} eq 'x-mitre-tactic') {
        $tactic_by_ref{ $o->{id} } = $o;
    } elsif ($o->{type} eq 'x-mitre-matrix') {
        @matrix = @{ $o->{tactic_refs} };
    }
}
my @tactic_order = map { $tactic_by_ref{$_}{x_mitre_shortname} } @matrix;

# hostile threats, one from each angle, mapped to a technique nobody else
# maps to; and a mapping to an id that is in no release
my %mapped = map { $_ => 1 }
    split /\n/, q1('SELECT DISTINCT technique_id FROM mapped_threat_data');
my ($lonely) = grep { !$mapped{$_} } sort keys %name;
my $xss = q{<script>alert(1)</script> "quotes" & 'apostrophes'};
my $formula = q{=HYPERLINK("http://evil.example/","click")};
my $ctrl = "Bell\x07 and escape\x1b[31m in a title";
my $long = 'A long title ' . ('that goes on ' x 30) . 'TAILMARK';
my @hostile;
for my $t ([ 'h-1', $xss, 1 ], [ 'h-2', $formula, 0.9 ],
           [ 'h-3', $ctrl, 0.8 ], [ 'h-4', $long, 0.7 ]) {
    my $id = q1(qq{INSERT INTO threat_intelligence_data (source, source_id,
        title, description, last_seen, content_sha256)
        VALUES ('virustotal', '$t->[0]', @{[ sql_text($t->[1]) ]}, 'x',
                now() - interval '1 day', 'x') RETURNING id});
    ($id) = $id =~ /^(\d+)/;
    push @hostile, $id;
    q1(qq{INSERT INTO mapped_threat_data (threat_id, technique_id, score,
          method, content_sha256) VALUES ($id, '$lonely', $t->[2],
          'analyst', 'x')});
}
q1(qq{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
      content_sha256) VALUES ($hostile[0], 'T9999', 0.5, 'model', 'x')});

# many more threats, over the last 40 days: technique n of a pool is
# mapped by the threats whose number it divides, so the counts fall
# from 40 to 1 with ties among them
my @pool = (grep { $_ ne $lonely } sort keys %name)[0 .. 39];
q1(q{INSERT INTO threat_intelligence_data (source, source_id, title,
        last_seen, content_sha256)
     SELECT CASE WHEN k % 3 = 0 THEN 'virustotal' ELSE 'otx' END,
            'synthetic-' || k, 'Synthetic threat ' || k,
            now() - k * interval '1 day' + interval '1 hour', 'x'
       FROM generate_series(1, 40) k});
q1(qq{INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
        content_sha256)
      SELECT t.id, p.tid, 0.3 + (k % 7) / 10.0,
             CASE WHEN k % 4 = 0 THEN 'explicit' ELSE 'model' END, 'x'
        FROM generate_series(1, 40) k
        JOIN threat_intelligence_data t ON t.source_id = 'synthetic-' || k,
             unnest(ARRAY[@{[ join ',', map { "'$_'" } @pool ]}])
             WITH ORDINALITY p(tid, n)
       WHERE k % n = 0
      ON CONFLICT DO NOTHING});

# the report of everything since 2000
my $dir = "$tmp/reports/a";
$ENV{ATTCK_REPORTS_DIR} = $dir;
($rc, $out) = run_cmd(worker(), 'report', '--since', '2000-01-01');
is($rc, 0, 'report exits 0') or diag $out;
my $files = written($out);
is_deeply([ sort keys %$files ], [ sort qw(html pdf csv json navigator) ],
          'one file per format, each logged with its size');
like($out, qr/report: threat-landscape 2000-01-01T00:00:00Z\.\.\S+Z: \d+ threats/,
     '... and a summary line');
for my $f (values %$files) {
    like($f->{path}, qr{^\Q$dir\E/threat-landscape-\d{8}T\d{6}Z
                        \.(html|pdf|csv|json|layer\.json)$}x,
         "$f->{path}: named by kind and time, in the directory");
}

# the reports table: a row per file, bytes and hash of the file
my @rows = rows(q{SELECT format, path, bytes, sha256, kind,
    parameters->>'since', parameters->>'release', parameters->>'domain',
    parameters->>'top', parameters->'source' FROM reports ORDER BY id});
is(scalar @rows, scalar keys %$files, 'reports: a row per file');
for my $r (@rows) {
    my $data = slurp($r->[1]);
    is($r->[1], $files->{ $r->[0] }{path}, "$r->[0]: the row names the file");
    is($r->[2], -s $r->[1], '... its size');
    is($r->[3], sha256_hex($data), '... its SHA-256');
    is(join(' ', @$r[4 .. 9]),
       "threat-landscape 2000-01-01T00:00:00Z $newest enterprise-attack "
       . "$default_top null",
       '... kind and parameters (the newest release, every source)');
}

# the figures, from the database
my $period = q{coalesce(t.last_seen, t.first_seen, t.updated_at)
               >= '2000-01-01' AND coalesce(t.last_seen, t.first_seen,
               t.updated_at) < now()};
my %count = map { $_->[0] => $_->[1] } rows(qq{SELECT m.technique_id,
    count(*) FROM mapped_threat_data m JOIN threat_intelligence_data t
    ON t.id = m.threat_id WHERE $period GROUP BY 1});
my %max = map { $_->[0] => $_->[1] } rows(qq{SELECT m.technique_id,
    max(m.score) FROM mapped_threat_data m JOIN threat_intelligence_data t
    ON t.id = m.threat_id WHERE $period GROUP BY 1});
my %best = map { $_ => sprintf('%.3f', $max{$_}) } keys %max;
my @seen = grep { $name{$_} } keys %count;
my @outside = sort grep { !$name{$_} } keys %count;
my %tactic_threats;
for my $r (rows(qq{SELECT m.threat_id, m.technique_id FROM mapped_threat_data m
               JOIN threat_intelligence_data t ON t.id = m.threat_id
               WHERE $period})) {
    $tactic_threats{$_}{ $r->[0] } = 1 for @{ $phases{ $r->[1] } || [] };
}
my %tactic_seen;
for my $id (@seen) {
    $tactic_seen{$_}++ for @{ $phases{$id} || [] };
}
ok(@seen > 40 && @outside, 'the data holds techniques of the release and '
   . 'ids outside it') or diag "seen @seen, outside @outside";
# the ranking: most threats, then the best score, then the id
my @ranked = sort { $count{$b} <=> $count{$a} || $max{$b} <=> $max{$a}
                    || $a cmp $b } @seen;

# JSON
my $json = decode_json(slurp($files->{json}{path}));
my $s = $json->{summary};
is($s->{threats}, q1("SELECT count(*) FROM threat_intelligence_data t "
                     . "WHERE $period"), 'JSON: threats in the period');
is($s->{mapped_threats}, q1("SELECT count(*) FROM threat_intelligence_data t "
   . "WHERE $period AND EXISTS (SELECT 1 FROM mapped_threat_data m "
   . "WHERE m.threat_id = t.id)"), '... threats with a mapping');
is($s->{techniques_seen}, scalar @seen, '... techniques seen');
for my $src (qw(otx virustotal)) {
    is($s->{threats_by_source}{$src},
       q1("SELECT count(*) FROM threat_intelligence_data t "
          . "WHERE $period AND source = '$src'"), "... threats from $src");
}
is_deeply([ sort @{ $s->{not_in_release}{ids} } ], \@outside,
          "... ids not in release $newest, apart");
is($s->{not_in_release}{release}, $newest, '... naming the release');
is($json->{parameters}{release}, $newest, '... the newest release');
is_deeply([ map { $_->{shortname} } @{ $json->{tactics} } ], \@tactic_order,
          'tactics in the order of the matrix');
is_deeply({ map { $_->{shortname} => $_->{techniques} } @{ $json->{tactics} } },
          { map { $_ => $in_phase{$_} // 0 } @tactic_order },
          '... techniques in each: the active ones of the bundle');
is_deeply({ map { $_->{shortname} => $_->{techniques_seen} }
            @{ $json->{tactics} } },
          { map { $_ => $tactic_seen{$_} // 0 } @tactic_order },
          '... techniques seen in each');
is_deeply({ map { $_->{shortname} => $_->{threats} } @{ $json->{tactics} } },
          { map { $_ => scalar keys %{ $tactic_threats{$_} || {} } }
            @tactic_order },
          '... threats mapped to each');
is_deeply({ map { $_->{id} => $_->{threats} } @{ $json->{techniques} } },
          { map { $_ => $count{$_} } @seen },
          'JSON: every technique seen, with its threat count');
is_deeply([ map { $_->{id} } @{ $json->{techniques} } ], \@ranked,
          '... ranked by threats, best score, id');
is_deeply([ map { $_->{rank} } @{ $json->{techniques} } ], [ 1 .. @ranked ],
          '... with their ranks');
my ($lone) = grep { $_->{id} eq $lonely } @{ $json->{techniques} };
is_deeply([ map { $_->{title} } @{ $lone->{top_threats} } ],
          [ $xss, $formula, $ctrl, $long ],
          "$lonely: its threats, best score first, titles exact");
is_deeply([ @{ $lone->{tactics} } ],
          [ grep { my $t = $_; grep { $_ eq $t } @{ $phases{$lonely} } }
            @tactic_order ],
          '... its tactics in matrix order');
is($lone->{methods}{analyst}, scalar @hostile, '... all by an analyst');
is($lone->{threats_by_source}{virustotal}, scalar @hostile,
   '... all from virustotal');

# CSV: every technique seen, its count and name from the database and bundle
my $csv_bytes = slurp($files->{csv}{path});
my $csv = Encode::decode('UTF-8', $csv_bytes, Encode::FB_CROAK);
my @csv = eval { parse_csv($csv) };
is($@, '', 'CSV: RFC 4180 with CRLF line ends');
my $head = shift @csv;
is_deeply([ @$head[0 .. 4] ], [ qw(rank technique_id name tactics threats) ],
          '... a header row');
my %col;
@col{@$head} = 0 .. $#$head;
# the charts' series follow the techniques, told apart by the column
# section (t/741 checks them): here the technique rows
is_deeply([ @$head[-2, -1] ], [ qw(section key) ], '... section and key last');
my @series_rows = grep { $_->[ $col{section} ] ne 'technique' } @csv;
@csv = grep { $_->[ $col{section} ] eq 'technique' } @csv;
is_deeply([ map { $_->[ $col{key} ] } @csv ],
          [ map { $_->[ $col{technique_id} ] } @csv ],
          '... a technique row\'s key is its id');
is(scalar @csv, scalar @seen,
   "... a row per technique seen, not only the top $default_top");
is_deeply({ map { $_->[ $col{technique_id} ] => $_->[ $col{threats} ] } @csv },
          { map { $_ => $count{$_} } @seen },
          '... each with the count of the database');
is_deeply({ map { $_->[ $col{technique_id} ] => $_->[ $col{name} ] } @csv },
          { map { $_ => $name{$_} } @seen }, '... and the name of the bundle');
is_deeply({ map { $_->[ $col{technique_id} ] => $_->[ $col{best_score} ] } @csv },
          { map { $_ => $best{$_} } @seen }, '... and its best score');
my ($lrow) = grep { $_->[ $col{technique_id} ] eq $lonely } @csv;
is($lrow->[ $col{threat_2_title} ], "'$formula",
   'a title beginning with = is prefixed with \' (formula injection)');
is($lrow->[ $col{threat_1_title} ], $xss, '... others are left exact');
is(scalar(grep { /^[=+\-@\t\r]/ } map { @$_ } @csv, @series_rows), 0,
   '... no cell begins with = + - @ TAB or CR');
(my $ctrl_spaced = $ctrl) =~ s/[\x00-\x1f\x7f]/ /g;
is($lrow->[ $col{threat_3_title} ], $ctrl_spaced,
   '... control characters became spaces');
is(scalar(grep { /[\x00-\x1f\x7f]/ } map { @$_ } @csv, @series_rows), 0,
   '... in every cell');
is_deeply([ map { $_->[ $col{technique_id} ] } @csv ], \@ranked,
          '... ranked as the JSON');

my $top_id = $ranked[0];
is($json->{techniques}[0]{name}, $name{$top_id},
   "the top technique ($top_id) named as in the bundle");

# Navigator layer
my $layer = decode_json(slurp($files->{navigator}{path}));
is($layer->{domain}, 'enterprise-attack', 'layer: domain');
is_deeply($layer->{versions}, { attack => $major, navigator => '5.1.0',
                                layer => '4.5' },
          "... versions (ATT&CK $major, the newest release's major)");
is_deeply({ map { $_->{techniqueID} => $_->{score} } @{ $layer->{techniques} } },
          { map { $_ => $count{$_} } @seen },
          '... a technique per one seen, scored by its threats');
is($layer->{gradient}{maxValue}, $count{$top_id}, '... gradient up to the most');
is($layer->{gradient}{minValue}, 0, '... from 0');
like($layer->{name}, qr/2000-01-01T00:00:00Z/, '... the period in its name');

# HTML
my $html = slurp($files->{html}{path});
my $csp = q{<meta http-equiv="Content-Security-Policy" content="}
          . q{default-src 'none'; style-src 'unsafe-inline'">};
ok(index($html, $csp) >= 0, 'HTML: a CSP that forbids scripts and fetches');
my $escaped = '&lt;script&gt;alert(1)&lt;/script&gt; &quot;quotes&quot; '
              . '&amp; &#39;apostrophes&#39;';
ok(index($html, "<bdi>$escaped</bdi>") >= 0,
   '... the hostile title escaped, isolated for bidirectional text');
unlike($html, qr/<script/i, '... no raw <script');
unlike($html, qr/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/,
       '... no control character');
like($html, qr/Bell  and escape \[31m in a title/, '... they became spaces');
like($html, qr/goes on TAILMARK/, '... long titles whole');
unlike($html, qr/\b(?:src|href)\s*=|<link|\@import|url\(/i, '... nothing fetched');
is(scalar(() = $html =~ /<svg\b/g), 6, '... six inline SVG charts: over time, '
   . 'types, the map, countries ranked, tactics, techniques');
like($html, qr/<td>\Q$top_id\E<\/td><td>\Q$name{$top_id}\E<\/td>/,
     '... the top technique in the table');
my $listed = min($default_top, scalar @seen);
is(scalar(() = $html =~ /<tr class="threats">/g), $listed,
   "... the top $listed of " . scalar(@seen) . ' techniques');

# PDF
my $pdf = $files->{pdf}{path};
is(substr(slurp($pdf), 0, 5), '%PDF-', 'PDF: a PDF');
my ($prc, $text) = run_cmd('pdftotext', '-enc', 'UTF-8', $pdf, '-');
is($prc, 0, '... pdftotext reads it');
like($text, qr/Threat landscape/, '... the title');
like($text, qr/\Q$name{$top_id}\E/, "... the top technique's name");
like($text, qr/\Q$tactic_by_ref{$matrix[0]}{name}\E/, '... the tactics chart');
like($text, qr/Bell\s+and\s+escape/, '... a title with control characters');
like($text, qr/A long title that goes on that goes on.*\xe2\x80\xa6/,
     '... a long title cut with an ellipsis');
unlike($text, qr/TAILMARK/, '... to fit its column');
my ($pages1) = (run_cmd('pdfinfo', $pdf))[1] =~ /^Pages:\s+(\d+)/m;

# more techniques, more pages
($rc, $out) = run_cmd(worker(), 'report', '--since', '2000-01-01',
                      '--format', 'pdf,json', '--top', '1000',
                      '--dir', "$tmp/reports/b");
is($rc, 0, '--format pdf,json --top 1000') or diag $out;
my $wide = written($out);
is_deeply([ sort keys %$wide ], [ 'json', 'pdf' ], '... only those formats');
my ($pages2) = (run_cmd('pdfinfo', $wide->{pdf}{path}))[1] =~ /^Pages:\s+(\d+)/m;
cmp_ok($pages2, '>', $pages1,
       "... the table runs over more pages ($pages2 > $pages1)");
($prc, $text) = run_cmd('pdftotext', '-enc', 'UTF-8', $wide->{pdf}{path}, '-');
my $last = $json->{techniques}[-1];
like($text, qr/^\Q$last->{rank}\E\s+\Q$last->{id}\E(?![.\d])/m,
     "... down to the last technique ($last->{rank}, $last->{id})");

# the default period is the last 30 days: only the hostile threats
($rc, $out) = run_cmd(worker(), 'report', '--format', 'json',
                      '--dir', "$tmp/reports/c");
is($rc, 0, 'the default period') or diag $out;
$json = decode_json(slurp(written($out)->{json}{path}));
is($json->{summary}{threats},
   q1(q{SELECT count(*) FROM threat_intelligence_data t WHERE coalesce(
        t.last_seen, t.first_seen, t.updated_at) >= now() - interval '30 days'}),
   '... counts the threats of the last 30 days');

# --source otx: the virustotal threats are left out
($rc, $out) = run_cmd(worker(), 'report', '--since', '2000-01-01',
                      '--source', 'otx', '--format', 'json,html',
                      '--dir', "$tmp/reports/d");
is($rc, 0, '--source otx') or diag $out;
$json = decode_json(slurp(written($out)->{json}{path}));
is($json->{summary}{threats},
   q1("SELECT count(*) FROM threat_intelligence_data t WHERE $period "
      . "AND source = 'otx'"), '... only OTX threats');
is($json->{summary}{threats_by_source}{virustotal}, 0, '... none from VirusTotal');
unlike(slurp(written($out)->{html}{path}), qr/alert\(1\)/,
       '... the VirusTotal titles are not in it');

# --until and --since in relative units: the threats of the window
my $until_t = time - 2 * 86400;
my $until = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $until_t);
my %unit = (s => 'seconds', m => 'minutes', h => 'hours', w => 'weeks');
for my $since ('129600s', '2880m', '100h', '2w') {
    my ($n, $u) = $since =~ /^(\d+)(\w)$/;
    ($rc, $out) = run_cmd(worker(), 'report', '--since', $since, '--until',
                          $until, '--format', 'json',
                          '--dir', "$tmp/reports/units-$since");
    is($rc, 0, "--since $since --until $until") or diag $out;
    $json = decode_json(slurp(written($out)->{json}{path}));
    is($json->{summary}{threats},
       q1(qq{SELECT count(*) FROM threat_intelligence_data t
             WHERE coalesce(t.last_seen, t.first_seen, t.updated_at)
                   >= '$until'::timestamptz - interval '$n $unit{$u}'
               AND coalesce(t.last_seen, t.first_seen, t.updated_at)
                   < '$until'}),
       "... the threats of the $n $unit{$u} before it");
    is($json->{parameters}{until}, $until, '... which ends the period');
}

# an ISO 8601 offset: the same instant, in UTC
my $until_east = strftime('%Y-%m-%dT%H:%M:%S+02:00', gmtime($until_t + 7200));
($rc, $out) = run_cmd(worker(), 'report', '--since', '2w', '--until',
                      $until_east, '--format', 'json',
                      '--dir', "$tmp/reports/offset");
is($rc, 0, "--until $until_east") or diag $out;
my $east = decode_json(slurp(written($out)->{json}{path}));
is($east->{parameters}{until}, $until, "... is $until");
is($east->{summary}{threats}, $json->{summary}{threats},
   '... and reports what the UTC time does');

# a period in the future: nothing in it, still a report
($rc, $out) = run_cmd(worker(), 'report', '--since', '2099-01-01',
                      '--until', '2099-02-01', '--dir', "$tmp/reports/e");
is($rc, 0, 'a period in the future: exit 0') or diag $out;
my $future = written($out);
is(scalar keys %$future, scalar keys %$files, '... every file written');
$json = decode_json(slurp($future->{json}{path}));
is($json->{summary}{threats}, 0, '... zero threats');
is(scalar @{ $json->{techniques} }, 0, '... no technique');
is(scalar(grep { /,technique,/ } split /\r\n/, slurp($future->{csv}{path})), 0,
   '... the CSV has no technique row');

# bad settings: one line naming the setting, nothing written
for my $case ([ [ '--format', 'bogus' ], {},
                qr/--format: unknown format \\"bogus/ ],
              [ [], { ATTCK_REPORTS_FORMATS => 'html,bogus' },
                qr/ATTCK_REPORTS_FORMATS: unknown format \\"bogus/ ],
              [ [ '--top', '0' ], {}, qr/--top takes a number from 1 to 1000/ ],
              [ [], { ATTCK_REPORTS_TOP => 'x' }, qr/ATTCK_REPORTS_TOP/ ],
              [ [], { ATTCK_REPORTS_KEEP => '-1' }, qr/ATTCK_REPORTS_KEEP/ ],
              [ [ '--since', 'yesterday' ], {}, qr/--since takes a period/ ],
              [ [], { ATTCK_REPORTS_PERIOD => '2025-02-30' },
                qr/ATTCK_REPORTS_PERIOD takes a period/ ],
              [ [ '--until', '30d' ], {}, qr/--until takes an ISO 8601/ ],
              [ [ '--since', '2030-01-01', '--until', '2020-01-01' ], {},
                qr/--since must be before --until/ ],
              [ [ '--until', '2020-01-01' ],
                { ATTCK_REPORTS_PERIOD => '2020-01-01' },
                qr/ATTCK_REPORTS_PERIOD must be before --until/ ],
              [ [ '--since', '2099-01-01' ], {},
                qr/--since must be before --until/ ],
              [ [ '--source', 'misp' ], {}, qr/--source takes otx or virustotal/ ],
              [ [ '--domain', 'pre-attack' ], {},
                qr/--domain takes enterprise-attack/ ],
              [ [ '--bogus' ], {}, qr/unknown option --bogus/ ]) {
    my ($args, $env, $re) = @$case;
    local @ENV{ keys %$env } = values %$env;
    local $ENV{ATTCK_REPORTS_DIR} = "$tmp/reports/bad";
    ($rc, $out) = run_cmd(worker(), 'report', @$args);
    is($rc, 64, "@$args @{[ %$env ]}: exit 64");
    like($out, $re, '... naming the setting');
    is(scalar(() = $out =~ /\n/g), 1, '... in one line');
}
ok(!-e "$tmp/reports/bad", 'bad settings create nothing');

# the reports table holds paths as text: a directory's must be UTF-8
my $latin1 = "$tmp/reports/caf\xe9";
for my $case ([ [ '--dir', $latin1 ], {}, '--dir' ],
              [ [], { ATTCK_REPORTS_DIR => $latin1 }, 'ATTCK_REPORTS_DIR' ]) {
    my ($args, $env, $name) = @$case;
    local @ENV{ keys %$env } = values %$env;
    ($rc, $out) = run_cmd(worker(), 'report', @$args);
    is($rc, 64, "$name not valid UTF-8: exit 64");
    like($out, qr/\Q$name\E is not valid UTF-8/, '... naming it');
}
ok(!-e $latin1, '... and nothing is created');
{
    local $ENV{ATTCK_REPORTS_DIR};
    delete $ENV{ATTCK_REPORTS_DIR};
    ($rc, $out) = run_cmd(worker(), 'report');
    is($rc, 64, 'no directory: exit 64');
    like($out, qr/\Qno reports directory: set reports.dir, \E
                  \QATTCK_REPORTS_DIR or --dir\E/x,
         '... saying how to set one');
}
($rc, $out) = run_cmd(worker(), 'report', '--domain', 'ics-attack',
                      '--dir', "$tmp/reports/ics");
is($rc, 66, 'a domain without a release: exit 66');
like($out, qr/no ics-attack release in the database/, '... naming it');

# a directory that cannot be made or written: 73
my $recorded = q1('SELECT count(*) FROM reports');
spew("$tmp/plain", "a file\n");
($rc, $out) = run_cmd(worker(), 'report', '--dir', "$tmp/plain/sub");
is($rc, 73, 'a directory under a file: exit 73');
like($out, qr/cannot create the reports directory/, '... saying so');
($rc, $out) = run_cmd(worker(), 'report', '--dir', "$tmp/plain");
is($rc, 73, 'a file as the directory: exit 73');
is(q1('SELECT count(*) FROM reports'), $recorded,
   '... no row for a report that failed');

# rows that cannot be recorded: no row, and the files written are removed
q1(q{CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
     $$BEGIN RAISE EXCEPTION 'refused by the test'; END$$;
     CREATE TRIGGER refuse BEFORE INSERT ON reports FOR EACH ROW
     WHEN (NEW.format = 'csv') EXECUTE FUNCTION refuse()});
($rc, $out) = run_cmd(worker(), 'report', '--dir', "$tmp/reports/refused");
is($rc, 70, 'a row the database refuses: exit 70');
like($out, qr/cannot record the reports: .*refused by the test/,
     '... saying why');
is_deeply(names_in("$tmp/reports/refused"), [],
          '... the files written removed');
is(q1('SELECT count(*) FROM reports'), $recorded, '... and no row left');
q1('DROP TRIGGER refuse ON reports; DROP FUNCTION refuse()');

# retention: the newest file per format stays; older rows lose the path;
# files the table does not know stay
my $kdir = "$tmp/reports/keep";
mkdir $kdir;
my $unknown = "$kdir/threat-landscape-19990101T000000Z.html";
spew($unknown, "an analyst's copy\n");
{
    local $ENV{ATTCK_REPORTS_KEEP} = 1;
    local $ENV{ATTCK_REPORTS_DIR} = $kdir;
    ($rc, $out) = run_cmd(worker(), 'report');
    is($rc, 0, 'ATTCK_REPORTS_KEEP=1, first run') or diag $out;
    my $first = written($out);
    ($rc, $out) = run_cmd(worker(), 'report');
    is($rc, 0, '... second run') or diag $out;
    my $second = written($out);
    isnt($second->{html}{path}, $first->{html}{path}, '... other names');
    is_deeply(names_in($kdir),
              [ sort(base($unknown), map { base($_->{path}) }
                                     values %$second) ],
              '... one file per format is left, and the unknown file');
    like($out, qr/removed \Q$first->{pdf}{path}\E/, '... removals logged');
    is(q1(qq{SELECT count(*) FROM reports WHERE path LIKE '$kdir/%'}),
       scalar keys %$second, '... the rows of the files left name them');
    is(q1(qq{SELECT count(*) FROM reports WHERE path IS NULL}),
       scalar keys %$first, '... the first run\'s rows have no path');
    is(q1(qq{SELECT string_agg(format, ' ' ORDER BY format) FROM reports
             WHERE path IS NULL}), join(' ', sort keys %$first),
       '... one of each format');

    # files that are no longer what their rows recorded stay: a link in
    # place of one, another file of another size in place of another
    my $target = "$tmp/linked.html";
    spew($target, slurp($second->{html}{path}));
    unlink $second->{html}{path} or die;
    symlink($target, $second->{html}{path}) or die "symlink: $!";
    spew($second->{csv}{path}, "not the report\r\n");
    ($rc, $out) = run_cmd(worker(), 'report');
    is($rc, 0, '... third run') or diag $out;
    my $third = written($out);
    ok(-l $second->{html}{path} && -f $target,
       '... a link in place of a report stays, and what it points to');
    is(slurp($second->{csv}{path}), "not the report\r\n",
       '... a file of another size in place of a report stays');
    like($out, qr/left \Q$second->{csv}{path}\E: not the file/,
         '... saying so');
    ok(!-e $second->{pdf}{path}, '... the reports that are what was '
       . 'recorded go');
    is(q1(qq{SELECT count(*) FROM reports WHERE path IS NOT NULL
             AND path IN ('$second->{html}{path}', '$second->{csv}{path}')}),
       0, '... their rows have no path: they name no report any more');
    ok(-e $unknown, '... the unknown file stays');

    # an old row that names a kept row's file does not take it along
    q1(qq{INSERT INTO reports (kind, format, path, bytes, created_at)
          VALUES ('threat-landscape', 'pdf', '$third->{pdf}{path}',
                  @{[ -s $third->{pdf}{path} ]}, now() - interval '1 year')});
    local $ENV{ATTCK_REPORTS_KEEP} = 2;
    ($rc, $out) = run_cmd(worker(), 'report', '--format', 'pdf');
    is($rc, 0, 'ATTCK_REPORTS_KEEP=2, an old row naming a kept file')
        or diag $out;
    ok(-e $third->{pdf}{path}, '... the kept file stays');
    is(q1(qq{SELECT count(*) FROM reports WHERE path =
             '$third->{pdf}{path}'}), 1, '... named by its own row only');
}
ok(-e $files->{html}{path}, 'reports of other directories stay');

# the database is gone: 75, and nothing is left behind
$pg->stop;
($rc, $out) = run_cmd(worker(), 'report', '--dir', "$tmp/reports/down");
is($rc, 75, 'PostgreSQL stopped: exit 75');
opendir(my $dh, "$tmp/reports/down");
is(scalar(grep { !/^\./ } readdir $dh), 0, '... no file written');

done_testing;

# attck-worker report: the charts of the period (threats over time by
# source, threat types, targeted countries, the ATT&CK matrix heatmap) in
# HTML, PDF, CSV and JSON, on the recorded OTX pulses and a generated
# store.  Every figure is checked against SQL on the same database; the
# step follows the period's length (day, week, month); hostile types and
# countries stay text; the PDF is rendered with pdftoppm and is not blank;
# the HTML opens in Chromium without a console error and fetches nothing.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path ();
use File::Temp ();
use IO::Socket::INET;
use Encode ();
use Time::Local qw(timegm);
use POSIX qw(strftime);
use Attck::Test qw(worker shared_dir run_cmd decode_json recorded_pulses
                   load_bundle attack_id slurp spew build_dir);

my $model = $ENV{ATTCK_TEST_MODEL}
    or die "ATTCK_TEST_MODEL: run through make test\n";
my $chromium = '/usr/bin/chromium';
ok(-x $chromium, 'Debian\'s chromium is installed (make test-deps)');
ok(-x '/usr/bin/pdftoppm', 'pdftoppm is installed (poppler-utils)');

my $pg = Attck::Test->start_postgres;
my $tmp = File::Temp->newdir;
my $artefacts = build_dir() . '/test/artefacts';
File::Path::make_path($artefacts);
$ENV{ATTCK_DATABASE_URL} = $pg->url;
delete $ENV{ATTCK_CONFIG};
delete $ENV{"ATTCK_REPORTS_$_"} for qw(DIR FORMATS PERIOD DOMAIN TOP KEEP);
sub q1 { $pg->query($_[0]) }
sub rows { map { [ split /\|/, $_, -1 ] } grep { length } split /\n/, q1($_[0]) }

my $bundle_file = 'enterprise-attack-18.1.json';
my $bundle_path = shared_dir() . "/attack/$bundle_file";
my ($rc, $out) = run_cmd(worker(), 'migrate');
is($rc, 0, 'migrate') or diag $out;
($rc, $out) = run_cmd(worker(), 'ingest', 'attack', $bundle_path);
is($rc, 0, 'ingest attack') or diag $out;

# the recorded pulses, mapped; a generated store of a year, mapped
Attck::Test->start_otx(recorded_pulses());
($rc, $out) = run_cmd(worker(), 'ingest', 'otx');
is($rc, 0, 'ingest the recorded OTX pulses') or diag $out;
($rc, $out) = run_cmd(worker(), 'map', '--model', $model);
is($rc, 0, 'map') or diag $out;
($rc, $out) = run_cmd(worker(), 'generate', '--seed', '41', '--count', '800',
                      '--days', '365', '--end', '2026-11-30', '--mapped',
                      $bundle_path);
is($rc, 0, 'generate 800 threats over 365 days') or diag $out;

# hostile labels: a type and countries that are markup, a formula, and
# a bidirectional override
my $xss_type = '<img src=x onerror=alert(1)>';
my $xss_country = q{"'><script>alert(2)</script>};
my $formula = '=HYPERLINK("http://evil.example/")';
q1(q{INSERT INTO threat_intelligence_data (source, source_id, title,
        threat_type, countries, last_seen, content_sha256)
     VALUES ('virustotal', 'hostile-1', 'Hostile labels',
             $h$<img src=x onerror=alert(1)>$h$,
             ARRAY[$h$"'><script>alert(2)</script>$h$,
                   $h$=HYPERLINK("http://evil.example/")$h$, 'DE'],
             timestamptz '2026-11-20 12:00+00', 'x')});

# what the bundle says: a technique's tactics (shortnames)
my %phases;
for my $o (@{ load_bundle($bundle_file)->{objects} }) {
    next if $o->{type} ne 'attack-pattern' || $o->{revoked}
            || $o->{x_mitre_deprecated};
    my $id = attack_id($o) // next;
    $phases{$id} = { map { $_->{phase_name} => 1 }
                     grep { $_->{kill_chain_name} eq 'mitre-attack' }
                     @{ $o->{kill_chain_phases} || [] } };
}

# RFC 4180 CSV, as t/470 reads it
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

sub written {
    my ($o) = @_;
    my %f;
    while ($o =~ /report: wrote (\S+?)\.(html|pdf|csv|layer\.json|json) \(/g) {
        $f{ $2 eq 'layer.json' ? 'navigator' : $2 } = "$1.$2";
    }
    return \%f;
}

sub unescape_html {
    my ($s) = @_;
    $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&quot;/"/g;
    $s =~ s/&#39;/'/g; $s =~ s/&amp;/&/g;
    return $s;
}

# the first day of each step from since to until (excluded), as the
# report must list them: weeks begin on Monday
sub steps {
    my ($since, $until, $step) = @_;
    my ($y, $m, $d) = split /-/, $since;
    my $t = timegm(0, 0, 0, $d, $m - 1, $y);
    my ($uy, $um, $ud) = split /-/, $until;
    my $end = timegm(0, 0, 0, $ud, $um - 1, $uy);
    if ($step eq 'week') {
        my $wday = (gmtime $t)[6];
        $t -= (($wday + 6) % 7) * 86400;
    } elsif ($step eq 'month') {
        $t = timegm(0, 0, 0, 1, $m - 1, $y);
    }
    my @s;
    while ($t < $end) {
        push @s, strftime('%Y-%m-%d', gmtime $t);
        if ($step eq 'month') {
            my @g = gmtime $t;
            my ($ny, $nm) = $g[4] == 11 ? ($g[5] + 1901, 0)
                                        : ($g[5] + 1900, $g[4] + 1);
            $t = timegm(0, 0, 0, 1, $nm, $ny);
        } else {
            $t += ($step eq 'week' ? 7 : 1) * 86400;
        }
    }
    return @s;
}

my $seen = 'coalesce(t.last_seen, t.first_seen, t.updated_at)';

sub chromium {
    my (@args) = @_;
    return run_cmd($chromium, '--headless', '--no-sandbox', '--disable-gpu',
                   '--disable-background-networking', '--disable-component-update',
                   '--disable-sync', '--no-first-run', '--disable-quic',
                   "--user-data-dir=$tmp/profile", '--enable-logging=stderr',
                   '--v=0', @args);
}

my %want_step = (61 => 'day', 365 => 'week', 9831 => 'month');

for my $period ([ '2026-10-01', '2026-12-01', 'day' ],
                [ '2025-12-01', '2026-12-01', 'week' ],
                [ '2000-01-01', '2026-12-01', 'month' ],
                [ '2025-12-01', '2026-12-01', 'week', 'virustotal' ]) {
    my ($since, $until, $step, $source) = @$period;
    my $name = "$since to $until" . ($source ? ", $source only" : '');
    my $tag = $step . ($source ? "-$source" : '');
    my $in = "$seen >= timestamptz '$since' AND $seen < timestamptz '$until'"
             . ($source ? " AND t.source = '$source'" : '');

    ($rc, $out) = run_cmd(worker(), 'report', '--since', $since, '--until',
                          $until, '--dir', "$tmp/r-$tag",
                          $source ? ('--source', $source) : ());
    is($rc, 0, "$name: report") or do { diag $out; next };
    my $files = written($out);
    my $json = decode_json(slurp($files->{json}));
    my $s = $json->{series};

    # over time
    is($s->{step}, $step, "$name: per $step");
    my @steps = steps($since, $until, $step);
    is_deeply([ map { $_->{start} } @{ $s->{over_time} } ], \@steps,
              "$name: every $step of the period, " . scalar(@steps)
              . ' of them, empty ones too');
    my %sql_time;
    for my $r (rows(qq{SELECT to_char(date_trunc('$step', $seen AT TIME ZONE
                                      'UTC'), 'YYYY-MM-DD'), t.source, count(*)
                         FROM threat_intelligence_data t WHERE $in
                        GROUP BY 1, 2})) {
        $sql_time{"$r->[0] $r->[1]"} = $r->[2];
    }
    my %json_time;
    for my $p (@{ $s->{over_time} }) {
        for my $src (qw(otx virustotal)) {
            $json_time{"$p->{start} $src"} = $p->{$src} if $p->{$src};
        }
    }
    is_deeply(\%json_time, \%sql_time,
              "$name: threats per $step and source as SQL counts them ("
              . scalar(keys %sql_time) . ' non-empty points)');
    my $total = 0;
    $total += $_ for values %sql_time;
    is($total, $json->{summary}{threats}, "$name: adding up to the summary's "
                                          . "$total threats");

    # types and countries
    my @sql_types = map { [ $_->[0] eq '' ? undef : $_->[0], $_->[1] ] }
        rows(qq{SELECT coalesce(btrim(t.threat_type), ''), count(*)
                  FROM threat_intelligence_data t WHERE $in
                 GROUP BY 1 ORDER BY 2 DESC, 1});
    is_deeply([ map { [ $_->{type}, $_->{threats} ] } @{ $s->{threat_types} } ],
              \@sql_types, "$name: threat types as SQL counts them ("
              . scalar(@sql_types) . ')');
    my %sql_countries = map { $_->[0] => $_->[1] }
        rows(qq{SELECT btrim(c), count(DISTINCT t.id)
                  FROM threat_intelligence_data t, unnest(t.countries) c
                 WHERE $in AND btrim(c) <> '' GROUP BY 1});
    is_deeply({ map { $_->{country} => $_->{threats} } @{ $s->{countries} } },
              \%sql_countries, "$name: countries as SQL counts them ("
              . scalar(keys %sql_countries) . ')');
    my @ranked = map { $_->{threats} } @{ $s->{countries} };
    is_deeply(\@ranked, [ sort { $b <=> $a } @ranked ], "$name: most first");

    # the matrix: each tactic's techniques seen, with their threats
    my %sql_tech = map { $_->[0] => $_->[1] }
        rows(qq{SELECT m.technique_id, count(*) FROM mapped_threat_data m
                  JOIN threat_intelligence_data t ON t.id = m.threat_id
                 WHERE $in GROUP BY 1});
    my (%want_matrix, %got_matrix);
    for my $id (keys %sql_tech) {
        next unless $phases{$id};
        $want_matrix{"$_ $id"} = $sql_tech{$id} for keys %{ $phases{$id} };
    }
    for my $tac (@{ $s->{matrix} }) {
        $got_matrix{"$tac->{tactic} $_->{id}"} = $_->{threats}
            for @{ $tac->{techniques} };
    }
    is_deeply(\%got_matrix, \%want_matrix,
              "$name: the matrix's cells as SQL and the bundle say ("
              . scalar(keys %want_matrix) . ' cells)');

    # CSV: the same series
    my @csv = parse_csv(Encode::decode('UTF-8', slurp($files->{csv})));
    my $head = shift @csv;
    my %col;
    @col{@$head} = 0 .. $#$head;
    my %sec;
    push @{ $sec{ $_->[ $col{section} ] } }, $_ for @csv;
    is_deeply([ map { [ $_->[ $col{key} ], $_->[ $col{threats_otx} ],
                        $_->[ $col{threats_virustotal} ] ] }
                @{ $sec{over_time} || [] } ],
              [ map { [ $_->{start}, $_->{otx}, $_->{virustotal} ] }
                @{ $s->{over_time} } ], "$name: CSV over time as JSON");
    is_deeply([ map { [ $_->[ $col{key} ], $_->[ $col{threats} ] ] }
                @{ $sec{threat_type} || [] } ],
              [ map { [ $_->{type} // '', $_->{threats} ] }
                @{ $s->{threat_types} } ], "$name: CSV threat types as JSON");
    is_deeply([ map { [ $_->[ $col{key} ] =~ s/^'(?=[=+\-@])//r,
                        $_->[ $col{threats} ] ] } @{ $sec{country} || [] } ],
              [ map { [ $_->{country}, $_->{threats} ] } @{ $s->{countries} } ],
              "$name: CSV countries as JSON (a formula guarded by ')");

    # HTML: each point and bar carries its figure; the map adds up codes
    # and names of one country
    my $html = slurp($files->{html});
    my %html_time;
    $html_time{"$1 $2"} = $3
        while $html =~ /<circle [^>]*><title>(\S+) (otx|virustotal): (\d+)<\/title>/g;
    is_deeply(\%html_time, \%sql_time, "$name: HTML points as SQL");
    my ($types_svg) = $html =~ /(<svg[^>]*id="chart-types".*?<\/svg>)/s;
    my @html_types;
    while ($types_svg =~ /<rect[^>]*><title>(.*?): (\d+)<\/title>/g) {
        my ($k, $n) = ($1, $2);
        push @html_types, [ $k eq '(none)' ? undef
                            : unescape_html($k =~ s/^<bdi>|<\/bdi>$//gr), $n ];
    }
    is_deeply(\@html_types, \@sql_types, "$name: HTML type bars as SQL");
    my %html_cells;
    $html_cells{$1} = $2
        while $html =~ /<div class="hm" data-id="([^"]+)" data-threats="(\d+)"/g;
    is_deeply(\%html_cells, { map { (split / /)[1] => $want_matrix{$_} }
                              keys %want_matrix },
              "$name: HTML heatmap cells as SQL");
    for my $c ([ 'United States of America', 'US', 'USA', 'United States' ],
               [ 'Germany', 'DE', 'DEU' ]) {
        my ($map_name, @keys) = @$c;
        my $want = 0;
        for my $k (keys %sql_countries) {
            $want += $sql_countries{$k} if grep { lc $k eq lc $_ } $map_name, @keys;
        }
        my ($got) = $html =~ /data-threats="(\d+)"[^>]*><title>\Q$map_name\E: /;
        is($got, $want, "$name: the map's $map_name adds up its codes and "
                        . "names ($want)");
    }
    if ($step eq 'day') {
        ok(index($html, '&lt;img src=x onerror=alert(1)&gt;') >= 0,
           "$name: the hostile type, escaped");
        ok(index($html, '&quot;&#39;&gt;&lt;script&gt;alert(2)&lt;/script&gt;') >= 0,
           "$name: the hostile country, escaped");
    }
    unlike($html, qr/<img|<script/i, "$name: no markup from the feeds");
    unlike($html, qr/<[a-z][^>]*\s(?:src|href)\s*=|<link|\@import|url\(/i,
           "$name: nothing to fetch");

    # PDF: rendered, not blank, with the charts' headings and the top type
    my $pdf = $files->{pdf};
    ($rc, $out) = run_cmd('pdftoppm', '-gray', '-r', '40', $pdf, "$tmp/p-$tag");
    is($rc, 0, "$name: pdftoppm renders the PDF") or diag $out;
    my @pages = sort glob("$tmp/p-$tag-*.pgm");
    ok(@pages >= 2, "$name: " . scalar(@pages) . ' pages');
    my $blank = 0;
    for my $pg (@pages) {
        my $img = slurp($pg);
        my ($w, $h, $px) = $img =~ /^P5\s+(\d+)\s+(\d+)\s+\d+\s(.*)$/s;
        my $dark = () = $px =~ /[\x00-\xe0]/g;
        $blank++ if $dark < 0.002 * $w * $h;
    }
    is($blank, 0, "$name: no page is blank");
    ($rc, $out) = run_cmd('pdftotext', '-layout', $pdf, '-');
    for my $heading ("Threats over time (per $step)", 'Threat types',
                     'Targeted countries', 'ATT&CK matrix of the period') {
        ok(index($out, $heading) >= 0, "$name: PDF: $heading");
    }
    my ($top_type) = grep { defined } map { $_->[0] } @sql_types;
    ok(index($out, $top_type) >= 0, "$name: PDF names the top type ($top_type)");
    run_cmd('pdftoppm', '-png', '-r', '60', '-f', '1', '-l', '2', $pdf,
            "$artefacts/741-report-$tag");

    next unless $step eq 'week' && !$source;

    # the HTML in Chromium: no console error, nothing fetched, a screenshot
    # kept.  Every request Chromium makes goes to a recording proxy: its
    # own (updates, time, accounts at Google) are set apart, the page's
    # would be anything else.  A control page, the report's CSP and one
    # image, shows that the checks see a fetch and its console error.
    my $proxy = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Proto => 'tcp') or die $!;
    my $log = "$tmp/proxy.log";
    my $pid = fork // die;
    if (!$pid) {
        open(my $lf, '>>', $log) or die;
        $lf->autoflush(1);
        while (my $c = $proxy->accept) {
            my $line = <$c> // '';
            print $lf $line;
            close $c;
        }
        exit 0;
    }
    my @net = ('--proxy-server=127.0.0.1:' . $proxy->sockport,
               '--proxy-bypass-list=<-loopback>');
    sub page_requests {
        return grep { !m{^\S+ (?:https?://)?[\w.-]*(?:google\.com|googleapis\.com|gstatic\.com)[:/ ]} }
               grep { length } split /\r?\n/, (-e $log ? slurp($log) : '');
    }

    spew("$tmp/control.html", '<!doctype html><html><head><meta http-equiv='
         . '"Content-Security-Policy" content="default-src \'none\'; '
         . 'style-src \'unsafe-inline\'"></head><body><img '
         . 'src="http://192.0.2.1/x.png"></body></html>');
    ($rc, $out) = chromium(@net, '--dump-dom', "file://$tmp/control.html");
    like($out, qr/CONSOLE.*Content Security Policy/,
         'control: a fetch under the CSP shows as a console error');
    spew("$tmp/nocsp.html", '<!doctype html><html><body><img '
         . 'src="http://192.0.2.1/x.png"></body></html>');
    chromium(@net, '--dump-dom', "file://$tmp/nocsp.html");
    ok(scalar(grep { /192\.0\.2\.1/ } page_requests()),
       'control: without it, the proxy sees the fetch');
    truncate($log, 0);

    ($rc, $out) = chromium(@net, '--window-size=1280,2400',
                           "--screenshot=$artefacts/741-report.png",
                           "file://$files->{html}");
    ok(-s "$artefacts/741-report.png", 'HTML: a screenshot in '
                                       . 'build/test/artefacts/741-report.png');
    my @console = grep { /CONSOLE|Refused to|Content Security Policy|Uncaught/i }
                  split /\n/, $out;
    is_deeply(\@console, [], 'HTML: no console message, no CSP violation');
    spew("$tmp/blank.html", '<!doctype html><html><body></body></html>');
    chromium('--window-size=1280,2400', "--screenshot=$tmp/blank.png",
             "file://$tmp/blank.html");
    cmp_ok(-s "$artefacts/741-report.png", '>', 10 * (-s "$tmp/blank.png"),
           'HTML: the screenshot shows far more than a blank page');
    ($rc, $out) = chromium(@net, '--dump-dom', "file://$files->{html}");
    like($out, qr/<svg[^>]*id="chart-map"/, 'HTML: the map is in the DOM');
    is(scalar(() = $out =~ /<path class="country"/g),
       scalar(() = $html =~ /<path class="country"/g),
       'HTML: every country of the map made it into the DOM');
    is_deeply([ page_requests() ], [], 'HTML: the page fetched nothing');
    kill 'TERM', $pid;
    waitpid($pid, 0);
}

done_testing();

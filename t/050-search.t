# GET search?q=...: ranking of exact names and ids, result shape, limits,
# releases, and the validation of q.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Attck::Test qw(test_snapshot load_bundle attack_id decode_json);

my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => 'location /api/v1/ { attck_api; }',
);

sub active { my $o = shift; !$o->{revoked} && !$o->{x_mitre_deprecated} }

sub uri_escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

sub search {
    my ($query) = @_;
    my $res = $ng->get("/api/v1/search?$query");
    is($res->{status}, 200, "search?$query: 200") or return { results => [] };
    return decode_json($res->{content});
}

# active objects of the searchable kinds, by ATT&CK id
my %type_of = ('attack-pattern' => 'technique', 'intrusion-set' => 'group',
               'malware' => 'software', 'tool' => 'software',
               'course-of-action' => 'mitigation', 'campaign' => 'campaign',
               'x-mitre-tactic' => 'tactic');
my (%active, %name_count);
for my $f (qw(enterprise-attack-18.1.json mobile-attack-18.1.json ics-attack-18.1.json)) {
    for my $o (@{ load_bundle($f)->{objects} }) {
        my $type = $type_of{ $o->{type} } or next;
        my $id = attack_id($o) or next;
        next unless active($o) && !$active{$id};
        $active{$id} = { type => $type, name => $o->{name} };
        $name_count{ lc $o->{name} }++;
    }
}
my %old_ids = map { (attack_id($_) // '') => 1 }
              @{ load_bundle('enterprise-attack-16.1.json')->{objects} };

# the well-known one
my $ps = search('q=powershell');
is($ps->{results}[0]{id}, 'T1059.001', 'powershell: T1059.001 first');
is($ps->{results}[0]{name}, 'PowerShell', 'named PowerShell');
is($ps->{results}[0]{type}, 'technique', 'a technique');
is($ps->{results}[0]{parent}, 'T1059', 'with its summary (parent)');
is_deeply($ps->{results}[0]{tactics}, ['TA0002'], 'and tactics');
is($ps->{query}, 'powershell', 'query echoed');
is($ps->{limit}, 20, 'default limit 20');
ok($ps->{total} >= @{ $ps->{results} }, 'total counts every match');
ok(@{ $ps->{results} } == 20 || $ps->{total} == @{ $ps->{results} },
   'a full page unless fewer matches');
is_deeply([ map { $_->{id} } @{ search('q=POWERSHELL')->{results} } ],
          [ map { $_->{id} } @{ $ps->{results} } ], 'case-insensitive');

# every result: an active object, with its type and name, best first
my $ok = 1;
my $prev = 1e9;
for my $r (@{ search('q=credential%20dumping&limit=100')->{results} }) {
    my $o = $active{ $r->{id} };
    $ok = 0 unless $o && $o->{type} eq $r->{type} && $o->{name} eq $r->{name}
                   && $r->{score} <= $prev && $r->{score} > 0;
    $prev = $r->{score};
}
ok($ok, 'results are active objects with the right type and name, scores descending');

# an exact name ranks an object with that name first: one per kind,
# picked from the bundles (names unique across domains)
my %picked;
for my $id (sort keys %active) {
    my $o = $active{$id};
    next if $name_count{ lc $o->{name} } > 1 || $picked{ $o->{type} }++ >= 4;
    my $r = search('q=' . uri_escape($o->{name}) . '&limit=3');
    is($r->{results}[0]{id}, $id, "\"$o->{name}\" finds $id first");
}
for my $name ('Valid Accounts', 'Spearphishing Attachment', 'Execution') {
    my $r = search('q=' . uri_escape(lc $name));
    is(lc $r->{results}[0]{name}, lc $name, "\"$name\" (several objects): one of them first");
}
is(search('q=Scheduled%20Task%2FJob')->{results}[0]{name}, 'Scheduled Task/Job',
   'a name with a slash');

# an exact ATT&CK id ranks that object first
for my $id (qw(T1059 T1003 G0007 S0002 M1036 TA0002 T1059.001)) {
    is(search("q=$id")->{results}[0]{id}, $id, "q=$id: $id first");
}
is(search('q=t1059.001')->{results}[0]{id}, 'T1059.001', 'lower-case id');

# limits
is(scalar @{ search('q=data&limit=100')->{results} }, 100, 'limit=100');
is(scalar @{ search('q=data&limit=7')->{results} }, 7, 'limit=7');
is(search('q=data&limit=7')->{limit}, 7, 'limit echoed');
my $none = search('q=zzqxjvwk');
is($none->{total}, 0, 'no match: total 0');
is_deeply($none->{results}, [], 'no match: empty results');

# releases
my ($added) = grep { $active{$_}{type} eq 'group' && !$old_ids{$_}
                     && $name_count{ lc $active{$_}{name} } == 1 } sort keys %active;
my $q = 'q=' . uri_escape($active{$added}{name});
is(search($q)->{results}[0]{id}, $added, "$added found in 18.1");
ok(!(grep { $_->{id} eq $added } @{ search("$q&release=16.1&limit=100")->{results} }),
   "$added is not found in 16.1");
ok(!(grep { ($_->{domains}[0] // '') ne 'enterprise-attack' }
     @{ search('q=execution&limit=100&release=16.1')->{results} }),
   '16.1 results are Enterprise only');
ok((grep { ($_->{domains}[0] // '') eq 'mobile-attack' }
    @{ search('q=execution&limit=100')->{results} }),
   '18.1 results include Mobile');
is($ng->get('/api/v1/search?q=x&release=9.0')->{status}, 404, 'unknown release: 404');

# the query is echoed exactly, JSON-escaped
for my $text ("say \"hi\" \\ /", "caf\x{e9} \x{1f600}", "tab\tless") {
    my $bytes = $text;
    utf8::encode($bytes);
    my $res = $ng->get('/api/v1/search?q=' . uri_escape($bytes));
    if ($text =~ /\t/) {
        is($res->{status}, 400, 'a control character in q: 400');
        next;
    }
    is($res->{status}, 200, 'q with quotes, backslash, non-ASCII: 200');
    is(decode_json($res->{content})->{query}, $text, 'echoed exactly');
}

# validation of q
my %bad = ('' => 'no q', 'q=' => 'empty q', 'q=%FF' => 'byte FF',
           'q=%C3' => 'truncated sequence', 'q=%C0%AF' => 'overlong 2 bytes',
           'q=%E0%80%AF' => 'overlong 3 bytes',
           'q=%ED%A0%80' => 'UTF-16 surrogate D800',
           'q=%ED%BF%BF' => 'UTF-16 surrogate DFFF',
           'q=%F4%90%80%80' => 'above U+10FFFF', 'q=a%00b' => 'NUL',
           'q=%C3%C3' => 'lead byte where a continuation belongs',
           'q=%F8%90%80%80' => 'lead byte F8', 'q=%FF' => 'byte FF',
           'q=a%80' => 'lone continuation byte',
           'q=' . ('a' x 257) => '257 bytes',
           'q=' . ('%C3%A9' x 128) . 'a' => '257 bytes of UTF-8',
           'q=x&q=y' => 'q twice', 'q=x&limit=0' => 'limit 0',
           'q=x&limit=101' => 'limit 101', 'q=x&limit=many' => 'limit not a number',
           'q=x&offset=1' => 'offset is not a search parameter',
           'q=x&tactic=TA0002' => 'tactic is not a search parameter');
for my $query (sort keys %bad) {
    my $res = $ng->get("/api/v1/search?$query");
    is($res->{status}, 400, "$bad{$query}: 400");
    ok(eval { decode_json($res->{content})->{error} }, "$bad{$query}: JSON error");
}
is($ng->get('/api/v1/search?q=' . ('a' x 256))->{status}, 200, '256 bytes: 200');
is($ng->get('/api/v1/search?q=' . ('%C3%A9' x 128))->{status}, 200,
   '256 bytes of UTF-8: 200');

done_testing();

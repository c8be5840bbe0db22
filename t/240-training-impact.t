# GET mitre-training-impact: the training definitions' technique keys that
# a newer release revoked, deprecated, moved to another tactic or removed,
# with stand-in training services whose keys are chosen here from the two
# Enterprise bundles; hostile titles; and the matrix legend's notice.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::XS ();
use Attck::Test qw(test_snapshot load_bundle attack_id decode_json);
use Attck::Diff qw(changelog model tactics);

my $m18 = model(load_bundle('enterprise-attack-18.1.json'));

# a revoked technique, with a tactic its replacement has too

my $want = changelog(load_bundle('enterprise-attack-16.1.json'),
                     load_bundle('enterprise-attack-18.1.json'));
my ($rev) = @{ $want->{technique}{revocations} };
ok($rev && $rev->{revoked_by}, "$rev->{id} is revoked by $rev->{revoked_by}");
my $rev_tactic = $rev->{tactics}[0];
my $rev_key = "$rev_tactic.$rev->{id}";

# a deprecated technique (already in 16.1: still deprecated in 18.1)

my ($dep) = sort { attack_id($a) cmp attack_id($b) }
            grep { $_->{type} eq 'attack-pattern' && $_->{x_mitre_deprecated}
                   && !$_->{revoked} && @{ tactics($m18, $_) } }
            values %{ $m18->{obj} };
my $dep_key = tactics($m18, $dep)->[0] . '.' . attack_id($dep);

# an active technique under a tactic it does not have: moved

my ($ps) = grep { (attack_id($_) // '') eq 'T1059.001' && !$_->{revoked} }
           values %{ $m18->{obj} };
my @ps_tactics = @{ tactics($m18, $ps) };
my ($other) = grep { my $t = $_; !grep { $_ eq $t } @ps_tactics }
              qw(TA0040 TA0011 TA0010);
my $moved_key = "$other.T1059.001";
my $fine_key = "$ps_tactics[0].T1059.001";
my $gone_key = 'TA0002.T1999';
ok(!grep({ (attack_id($_) // '') eq 'T1999' } values %{ $m18->{obj} }),
   'T1999 is no technique of 18.1');

my $hostile = q{<img src=x onerror=alert(1)> & "quoted" 'title'};
my $defs = JSON::XS->new->canonical->encode([
    { id => 21, title => $hostile, played => JSON::XS::true,
      mitre_techniques => [ $rev_key, $fine_key, $dep_key, 'bogus key' ] },
    { id => 22, title => 'All fine', played => JSON::XS::true,
      mitre_techniques => [ $fine_key ] },
    { id => 23, title => 'Moved and gone', played => JSON::XS::false,
      mitre_techniques => [ $moved_key, $gone_key ] },
]);
(my $defs_conf = $defs) =~ s/(['\\])/\\$1/g;
my $fine = qq([{"id":"x1","title":"Only fine","mitre_techniques":["$fine_key"]}]);

my $cr = '/mitre-technique-service/api/v1';
my $ng = Attck::Test->start_nginx(
    http   => 'attck_zone attck 256m; attck_snapshot ' . test_snapshot() . ';',
    server => <<"EOF",
        location $cr/ {
            attck_cyberrange;
            attck_cyberrange_training linear /_t/linear;
        }
        location /fine/ {
            attck_cyberrange;
            attck_cyberrange_training adaptive /_t/fine;
        }
        location = /_t/linear {
            internal;
            default_type application/json;
            return 200 '$defs_conf';
        }
        location = /_t/fine {
            internal;
            default_type application/json;
            return 200 '$fine';
        }
EOF
);

my %auth = (headers => { Authorization => 'Bearer caller-token' });

my $res = $ng->get("$cr/mitre-training-impact?from=16.1&to=18.1", %auth);
is($res->{status}, 200, 'impact 16.1 -> 18.1: 200');
like($res->{headers}{'content-type'}, qr{^application/json}, '... JSON');
my $imp = decode_json($res->{content});
is($imp->{from}, '16.1', '... from');
is($imp->{to}, '18.1', '... to');
is($imp->{overlay}, 'complete', '... every training service answered');
is($imp->{definitions}, 3, '... three definitions read');
is_deeply([ map { $_->{id} } @{ $imp->{affected} } ], [21, 23],
          '... two affected, the fine one not listed');

my ($d21) = grep { $_->{id} eq 21 } @{ $imp->{affected} };
is($d21->{title}, $hostile, 'the hostile title arrives intact as JSON');
is($d21->{source}, 'linear', '... from the linear service');
my %k21 = map { $_->{key} => $_ } @{ $d21->{keys} };
is_deeply([ sort keys %k21 ], [ sort $rev_key, $dep_key ],
          'definition 21: the revoked and the deprecated key');
is($k21{$rev_key}{status}, 'revoked', "$rev_key: revoked");
is($k21{$rev_key}{replaced_by}, $rev->{revoked_by},
   "... replaced by $rev->{revoked_by}");
is_deeply($k21{$rev_key}{replacement_keys},
          [ "$rev_tactic.$rev->{revoked_by}" ],
          "... the key now: $rev_tactic.$rev->{revoked_by}");
is($k21{$rev_key}{status_in_from}, 'active', '... it was active in 16.1');
is($k21{$dep_key}{status}, 'deprecated', "$dep_key: deprecated");
is($k21{$dep_key}{technique}, attack_id($dep), '... the technique named');

my ($d23) = grep { $_->{id} eq 23 } @{ $imp->{affected} };
my %k23 = map { $_->{key} => $_ } @{ $d23->{keys} };
is($k23{$moved_key}{status}, 'moved', "$moved_key: moved");
is_deeply($k23{$moved_key}{replacement_keys},
          [ map { "$_.T1059.001" } @ps_tactics ],
          '... to the tactics it has: ' . join(' ', @ps_tactics));
is($k23{$gone_key}{status}, 'removed', "$gone_key: removed");

# without from: only the newer release, nothing said about the older

$res = $ng->get("$cr/mitre-training-impact", %auth);
is($res->{status}, 200, 'without from or to: 200');
$imp = decode_json($res->{content});
is($imp->{to}, '18.1', '... to the newest release');
is($imp->{from}, undef, '... from none');
ok(!exists $imp->{affected}[0]{keys}[0]{status_in_from},
   '... no older state');

# errors, in the old service's shape

$res = $ng->get("$cr/mitre-training-impact?from=16.1");
is($res->{status}, 400, 'no Authorization: 400');
like(decode_json($res->{content})->{detail}, qr/Authentication token/,
     '... as the matrix says it');
$res = $ng->get("$cr/mitre-training-impact?from=17.0", %auth);
is($res->{status}, 404, 'from=17.0: 404');
like(decode_json($res->{content})->{detail}, qr/\(loaded: 16\.1 18\.1\)/,
     '... listing the loaded releases');
$res = $ng->get("$cr/mitre-training-impact?to=%3Cb%3E", %auth);
is($res->{status}, 404, 'to=<b>: 404');
unlike($res->{content}, qr/<b>/, '... not echoed');

# the matrix's legend: a notice with a link, titles escaped

$res = $ng->get("$cr/mitre-matrix-visualisation?played=false", %auth);
is($res->{status}, 200, 'matrix: 200');
my $html = $res->{content};
my ($notice) = $html =~ m{(<div class="attck-notice attck-impact">.*?</div>)}s;
ok($notice, 'the legend has the impact notice');
like($notice, qr/^<div[^>]*>2 training definitions use techniques that ATT&amp;CK 18\.1 revoked/,
     '... two definitions');
like($notice, qr{<a href="\Q$cr\E/mitre-training-impact\?from=16\.1&amp;to=18\.1">},
     '... with a link to the impact');
like($notice, qr/&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;quoted&quot; &#39;title&#39; \(21\)/,
     '... the hostile title escaped');
unlike($html, qr/<img/i, '... and nowhere raw');
like($notice, qr/Moved and gone \(23\)/, '... the other one named');
unlike($notice, qr/All fine/, '... not the fine one');

$res = $ng->get('/fine/mitre-matrix-visualisation', %auth);
is($res->{status}, 200, 'matrix of fine definitions: 200');
unlike($res->{content}, qr/attck-impact/, '... no notice');

done_testing();

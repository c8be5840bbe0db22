# The threat facets (threats/stats) computed by PostgreSQL from the tables,
# the way the module computes them from the threat index: what t/700-*.t
# check the module's answers against.  Filters as the API takes them.

package Attck::Facets;

use strict;
use warnings;
use Exporter 'import';
use Attck::Test qw(decode_json);

our @EXPORT_OK = qw(sql_facets sql_page gen_threats);

sub _list { [ split /,/, $_[0] ] }

sub _arr {
    my ($pg, @v) = @_;
    return 'ARRAY[' . join(',', map { _lit($_) } @v) . ']::text[]';
}

sub _lit {
    my ($s) = @_;
    $s =~ s/'/''/g;
    return "'$s'";
}

sub _time {
    my ($v) = @_;
    return length($v) == 10 ? _lit("${v}T00:00:00Z") . '::timestamptz'
                            : _lit($v) . '::timestamptz';
}

my %DOMAIN = (enterprise => 'enterprise-attack', mobile => 'mobile-attack',
              ics => 'ics-attack');

# the WHERE of threats (alias t) and the predicate of mappings (alias m)
sub _where {
    my (%f) = @_;
    my (@t, @m);
    my $seen = 'coalesce(t.last_seen, t.first_seen, t.updated_at)';
    push @t, "$seen >= " . _time($f{since}) if defined $f{since};
    push @t, "$seen < " . _time($f{until}) if defined $f{until};
    push @t, 't.source = ANY(' . _arr(undef, @{ _list($f{source}) }) . ')'
        if defined $f{source};
    push @t, 't.threat_type = ANY(' . _arr(undef, @{ _list($f{type}) }) . ')'
        if defined $f{type};
    push @t, 't.countries && ' . _arr(undef, map { uc } @{ _list($f{country}) })
        if defined $f{country};
    push @t, 't.tags && ' . _arr(undef, @{ _list($f{tag}) })
        if defined $f{tag};
    if (defined $f{technique}) {
        my @ids = map { uc } @{ _list($f{technique}) };
        my @parents = grep { !/\./ } @ids;
        push @m, '(m.technique_id = ANY(' . _arr(undef, @ids) . ')'
                 . (@parents ? " OR split_part(m.technique_id, '.', 1) = ANY("
                               . _arr(undef, @parents) . ')' : '') . ')';
    }
    if (defined $f{tactic}) {
        my @v = @{ _list($f{tactic}) };
        push @m, 'EXISTS (SELECT 1 FROM mitre_attack_techniques x'
                 . ' JOIN attack_tactics a ON a.release_id = x.release_id'
                 . '  AND a.shortname = ANY(x.tactics)'
                 . ' WHERE x.attack_id = m.technique_id AND (a.shortname = ANY('
                 . _arr(undef, @v) . ') OR a.attack_id = ANY('
                 . _arr(undef, map { uc } @v) . ')))';
    }
    push @m, 'm.method = ANY(' . _arr(undef, @{ _list($f{method}) }) . ')'
        if defined $f{method};
    push @m, "m.score >= $f{min_score}" if defined $f{min_score};
    if (defined $f{domain}) {
        push @m, 'EXISTS (SELECT 1 FROM mitre_attack_techniques x'
                 . ' JOIN attack_releases r ON r.id = x.release_id'
                 . ' WHERE x.attack_id = m.technique_id AND r.domain = ANY('
                 . _arr(undef, map { $DOMAIN{$_} } @{ _list($f{domain}) })
                 . '))';
    }
    my $mp = @m ? join(' AND ', @m) : 'true';
    push @t, "EXISTS (SELECT 1 FROM mapped_threat_data m WHERE m.threat_id "
             . "= t.id AND $mp)" if @m;
    return ((@t ? join(' AND ', @t) : 'true'), $mp);
}

sub _json {
    my ($pg, $sql) = @_;
    return decode_json($pg->query("SELECT coalesce(json_agg(x), '[]') "
                                  . "FROM ($sql) x"));
}

# the facets of filters %f as threats/stats answers them (no timeline)
sub sql_facets {
    my ($pg, %f) = @_;
    my ($tw, $mp) = _where(%f);
    my $matched = "SELECT t.* FROM threat_intelligence_data t WHERE $tw";
    my %r;
    $r{total} = 0 + $pg->query("SELECT count(*) FROM ($matched) t");
    my $techs = _json($pg, qq{
        SELECT m.technique_id AS id, count(*)::int AS count,
               round(max(m.score)::numeric, 4)::float8 AS best,
               round(avg(m.score)::numeric, 4)::float8 AS mean
          FROM ($matched) t JOIN mapped_threat_data m ON m.threat_id = t.id
         WHERE $mp GROUP BY 1 ORDER BY 2 DESC, m.technique_id COLLATE "C"});
    my $incl = _json($pg, qq{
        SELECT split_part(m.technique_id, '.', 1) AS id,
               count(DISTINCT t.id)::int AS n
          FROM ($matched) t JOIN mapped_threat_data m ON m.threat_id = t.id
         WHERE $mp GROUP BY 1});
    my %incl = map { $_->{id} => $_->{n} } @$incl;
    for (@$techs) {
        $_->{count_incl_subs} = $incl{ $_->{id} } unless $_->{id} =~ /\./;
    }
    $r{techniques} = $techs;
    $r{parents} = \%incl;
    $r{tactics} = _json($pg, qq{
        SELECT a.attack_id AS id, count(DISTINCT t.id)::int AS count
          FROM ($matched) t JOIN mapped_threat_data m ON m.threat_id = t.id
          JOIN (SELECT DISTINCT x.attack_id AS tid, a.attack_id
                  FROM mitre_attack_techniques x
                  JOIN attack_tactics a ON a.release_id = x.release_id
                   AND a.shortname = ANY(x.tactics)) a ON a.tid = m.technique_id
         WHERE $mp GROUP BY 1 ORDER BY 2 DESC, 1});
    $r{sources} = _json($pg, qq{SELECT source AS name, count(*)::int AS count
        FROM ($matched) t GROUP BY 1 ORDER BY 2 DESC, 1});
    $r{types} = _json($pg, qq{SELECT threat_type AS name,
        count(*)::int AS count FROM ($matched) t WHERE threat_type IS NOT NULL
        GROUP BY 1 ORDER BY 2 DESC, threat_type COLLATE "C"});
    for ([countries => 'countries', 'code', 0], [tags => 'tags', 'name', 25],
         [malware => 'malware_families', 'name', 25]) {
        my ($k, $col, $key, $top) = @$_;
        $r{$k} = _json($pg, qq{SELECT v AS $key, count(DISTINCT t.id)::int
            AS count FROM ($matched) t, unnest(t.$col) v GROUP BY 1
            ORDER BY 2 DESC, v COLLATE "C"} . ($top ? " LIMIT $top" : ''));
    }
    $r{by_day} = _json($pg, qq{
        SELECT to_char(coalesce(t.last_seen, t.first_seen, t.updated_at)
                       AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS t,
               count(*)::int AS count
          FROM ($matched) t GROUP BY 1 ORDER BY 1});
    return \%r;
}

# the ids of a page of threats? in order
sub sql_page {
    my ($pg, $limit, $offset, %f) = @_;
    my ($tw) = _where(%f);
    my $ids = $pg->query(qq{SELECT string_agg(id::text, ',' ORDER BY
        coalesce(last_seen, first_seen, updated_at) DESC, id DESC)
        FROM (SELECT t.* FROM threat_intelligence_data t WHERE $tw
              ORDER BY coalesce(t.last_seen, t.first_seen, t.updated_at)
                       DESC, t.id DESC LIMIT $limit OFFSET $offset) t});
    return [ map { 0 + $_ } grep { length } split /,/, $ids ];
}

# n synthetic threats and their mappings, deterministic from seed, when
# build/attck-gen-threats is not there: sources, types, countries, tags,
# malware families and three years of dates; techniques by a power law
# over the techniques stored
sub gen_threats {
    my ($pg, $n, $seed) = @_;
    my $h = "((g::bigint * 2654435761 + $seed * 97 + k * 40503) % 1000003)"
            . '::float8 / 1000003';
    $pg->query(qq{
        INSERT INTO threat_intelligence_data (source, source_id, title,
            description, threat_type, countries, first_seen, last_seen, tags,
            malware_families, content_sha256)
        SELECT CASE WHEN g % 4 = 0 THEN 'virustotal' ELSE 'otx' END,
               'gen-$seed-' || g, 'Generated threat ' || g, 'generated',
               (ARRAY['ransomware', 'apt', 'botnet', 'phishing', 'stealer',
                      NULL])[1 + (g * 7) % 6],
               CASE WHEN g % 9 = 0 THEN '{}'::text[]
                    WHEN g % 5 = 0 THEN ARRAY[(ARRAY['DE','US','FR','GB','CN',
                       'RU','JP','BR'])[1 + (g * 13) % 8], 'US']
                    ELSE ARRAY[(ARRAY['DE','US','FR','GB','CN','RU','JP',
                       'BR'])[1 + (g * 13) % 8]] END,
               timestamptz '2023-06-01T00:00:00Z'
                   + ((g::bigint * 2654435761) % (3 * 365 * 86400)) * interval '1 second',
               CASE WHEN g % 50 = 0 THEN NULL
                    ELSE timestamptz '2023-06-01T00:00:00Z'
                   + ((g::bigint * 2654435761) % (3 * 365 * 86400) + (g % 30) * 86400)
                     * interval '1 second' END,
               ARRAY['tag' || (g % 37), 'tag' || (g % 11)],
               CASE WHEN g % 3 = 0 THEN ARRAY['family' || (g % 29)]
                    ELSE '{}'::text[] END,
               md5(g::text)
          FROM generate_series(1, $n) g});
    $pg->query(qq{
        CREATE TEMP TABLE gt AS
        SELECT attack_id, row_number() OVER (ORDER BY md5(attack_id))::int rn
          FROM (SELECT DISTINCT attack_id FROM mitre_attack_techniques
                 WHERE NOT revoked AND NOT deprecated
                   AND attack_id IS NOT NULL) d;
        CREATE INDEX ON gt (rn);
        INSERT INTO mapped_threat_data (threat_id, technique_id, score,
            method, confirmed, content_sha256)
        SELECT DISTINCT ON (t.id, r.attack_id) t.id, r.attack_id,
               round(((g * 31 + k * 17) % 101)::numeric / 100, 2)::real,
               (ARRAY['explicit', 'model', 'analyst'])[1 + (g * k) % 3],
               (g + k) % 2 = 0, t.content_sha256
          FROM (SELECT id, row_number() OVER (ORDER BY id) g,
                       content_sha256
                  FROM threat_intelligence_data
                 WHERE source_id LIKE 'gen-$seed-%') t,
               generate_series(1, 1 + (t.g % 5)::int) k,
               gt r
         WHERE r.rn = 1 + floor((SELECT count(*) FROM gt)
                                * power(($h), 3))::int
        ON CONFLICT DO NOTHING});
}

1;

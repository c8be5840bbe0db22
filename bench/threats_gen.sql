-- bench/threats.sh without build/attck-gen-threats: :n synthetic threats
-- with about five mappings each, deterministic: OTX three in four, the
-- rest VirusTotal; types, countries, tags and malware families; last seen
-- spread over the three years to 2026-11-30; techniques by a power law
-- over the Enterprise techniques stored.

INSERT INTO threat_intelligence_data (source, source_id, title,
    description, threat_type, countries, first_seen, last_seen, tags,
    malware_families, content_sha256)
SELECT CASE WHEN g % 4 = 0 THEN 'virustotal' ELSE 'otx' END,
       'bench-' || g, 'Synthetic threat ' || g, 'generated for the benchmark',
       (ARRAY['ransomware', 'apt', 'botnet', 'phishing', 'stealer',
              NULL])[1 + (g * 7) % 6],
       CASE WHEN g % 9 = 0 THEN '{}'::text[]
            WHEN g % 5 = 0 THEN ARRAY[(ARRAY['DE','US','FR','GB','CN','RU',
                'JP','BR','IN','KR'])[1 + (g * 13) % 10], 'US']
            ELSE ARRAY[(ARRAY['DE','US','FR','GB','CN','RU','JP','BR','IN',
                'KR'])[1 + (g * 13) % 10]] END,
       timestamptz '2023-12-01T00:00:00Z'
           + ((g::bigint * 2654435761) % (1095 * 86400)) * interval '1 second',
       timestamptz '2023-12-01T00:00:00Z'
           + ((g::bigint * 2654435761) % (1095 * 86400)) * interval '1 second',
       ARRAY['tag' || (g % 97), 'tag' || (g % 13)],
       CASE WHEN g % 3 = 0 THEN ARRAY['family' || (g % 61)]
            ELSE '{}'::text[] END,
       md5(g::text)
  FROM generate_series(1, :n) g;

CREATE TEMP TABLE gt AS
SELECT attack_id, row_number() OVER (ORDER BY md5(attack_id))::int rn
  FROM (SELECT DISTINCT attack_id FROM mitre_attack_techniques
         WHERE NOT revoked AND NOT deprecated AND attack_id IS NOT NULL) d;
CREATE INDEX ON gt (rn);

INSERT INTO mapped_threat_data (threat_id, technique_id, score, method,
    confirmed, content_sha256)
SELECT DISTINCT ON (t.id, r.attack_id) t.id, r.attack_id,
       round(((t.id * 31 + k * 17) % 101)::numeric / 100, 2)::real,
       (ARRAY['explicit', 'model', 'analyst'])[1 + (t.id * k) % 3],
       (t.id + k) % 2 = 0, t.content_sha256
  FROM threat_intelligence_data t,
       generate_series(1, 1 + (t.id % 9)::int) k,
       gt r
 WHERE r.rn = 1 + floor((SELECT count(*) FROM gt)
              * power(((t.id * 2654435761 + k * 40503) % 1000003)::float8
                      / 1000003, 3))::int
ON CONFLICT DO NOTHING;

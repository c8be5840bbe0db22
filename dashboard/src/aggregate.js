// The facets of threats/stats computed in the page from threat documents:
// used while the module has no threats/stats (a store small enough to be
// read whole), with the contract's meaning of every filter.

const DAY = 86400000;

export function threatTime(t) {
    return Date.parse(t.last_seen || t.first_seen || t.updated_at || 0);
}

function list(v) {
    return v ? String(v).split(',').filter((x) => x !== '') : null;
}

function dayStart(ms) {
    return ms - (((ms % DAY) + DAY) % DAY);
}

export function bucketStart(ms, interval) {
    const d = new Date(dayStart(ms));
    if (interval === 'week') {
        return d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY;
    }
    if (interval === 'month') {
        return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    return d.getTime();
}

function nextBucket(ms, interval) {
    if (interval === 'week') {
        return ms + 7 * DAY;
    }
    if (interval === 'month') {
        const d = new Date(ms);
        return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    return ms + DAY;
}

export function autoInterval(from, to) {
    const days = (to - from) / DAY;
    return days <= 92 ? 'day' : days <= 731 ? 'week' : 'month';
}

// does a mapping pass the technique, tactic and method filters
function mappingFilter(f, mx) {
    const techs = list(f.technique);
    const tactics = list(f.tactic);
    const method = f.method;
    return (m) => {
        const id = String(m.id || '').toUpperCase();
        if (techs && !techs.some((t) => id === t.toUpperCase()
                                 || (!t.includes('.')
                                     && id.startsWith(t.toUpperCase() + '.')))) {
            return false;
        }
        if (tactics) {
            const ts = mx.tacticsOf(id);
            if (!ts.some((x) => tactics.some((t) => t === x.id
                                             || t === x.shortname))) {
                return false;
            }
        }
        return !method || m.method === method;
    };
}

export function matches(t, f, mx) {
    const ms = threatTime(t);
    if (f.since && ms < Date.parse(f.since)) {
        return false;
    }
    if (f.until && ms >= Date.parse(f.until)) {
        return false;
    }
    const src = list(f.source), typ = list(f.type), cc = list(f.country),
        tag = list(f.tag);
    if (src && !src.includes(t.source)) {
        return false;
    }
    if (typ && !typ.includes(t.threat_type)) {
        return false;
    }
    if (cc && !(t.countries || []).some((c) => cc.includes(c))) {
        return false;
    }
    if (tag && !(t.tags || []).some((c) => tag.includes(c))) {
        return false;
    }
    if (f.technique || f.tactic || f.method || f.min_score) {
        const pass = mappingFilter(f, mx);
        const min = Number(f.min_score || 0);
        return (t.techniques || []).some((m) => pass(m) && m.score >= min);
    }
    return true;
}

function counted(map, limit) {
    const out = [...map].map(([name, count]) => ({name, count}))
        .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
    return limit ? out.slice(0, limit) : out;
}

function bump(map, k) {
    map.set(k, (map.get(k) || 0) + 1);
}

export function aggregate(docs, f, mx, generation) {
    const hit = docs.filter((t) => matches(t, f, mx));
    // with a mapping filter the technique and tactic facets count only
    // the mappings that pass it, as threats/stats does
    const byMap = f.technique || f.tactic || f.method || f.min_score;
    const mpass = mappingFilter(f, mx), min = Number(f.min_score || 0);
    const passes = (m) => !byMap || (mpass(m) && m.score >= min);
    const tech = new Map(), tac = new Map(), src = new Map(), typ = new Map(),
        cc = new Map(), tag = new Map(), mal = new Map();
    let lo = Infinity, hi = -Infinity;

    for (const t of hit) {
        const ms = threatTime(t);
        lo = Math.min(lo, ms);
        hi = Math.max(hi, ms);
        bump(src, t.source);
        if (t.threat_type) {
            bump(typ, t.threat_type);
        }
        for (const c of new Set(t.countries || [])) {
            bump(cc, c);
        }
        for (const c of new Set(t.tags || [])) {
            bump(tag, c);
        }
        for (const c of new Set(t.malware_families || [])) {
            bump(mal, c);
        }
        const seenTac = new Set(), seenParent = new Set();
        for (const m of (t.techniques || []).filter(passes)) {
            const e = tech.get(m.id) || {id: m.id, count: 0, best: 0, sum: 0,
                                         count_incl_subs: 0};
            e.count++;
            e.sum += m.score;
            e.best = Math.max(e.best, m.score);
            tech.set(m.id, e);
            seenParent.add(m.id.split('.')[0]);
            for (const x of mx.tacticsOf(m.id)) {
                seenTac.add(x.id);
            }
        }
        for (const p of seenParent) {
            const e = tech.get(p) || {id: p, count: 0, best: 0, sum: 0,
                                      count_incl_subs: 0};
            e.count_incl_subs++;
            tech.set(p, e);
        }
        for (const x of seenTac) {
            bump(tac, x);
        }
    }

    const since = f.since ? Date.parse(f.since) : (hit.length ? lo : 0);
    const until = f.until ? Date.parse(f.until)
        : (hit.length ? dayStart(hi) + DAY : 0);
    const interval = f.interval || autoInterval(since, until);
    const buckets = new Map();
    if (hit.length || f.since) {
        for (let b = bucketStart(since, interval); b < until;
             b = nextBucket(b, interval)) {
            buckets.set(b, {t: new Date(b).toISOString().slice(0, 10),
                            count: 0, by_source: {}});
        }
    }
    for (const t of hit) {
        const b = buckets.get(bucketStart(threatTime(t), interval));
        if (b) {
            b.count++;
            b.by_source[t.source] = (b.by_source[t.source] || 0) + 1;
        }
    }

    return {
        generation,
        filters: Object.assign({}, f, {interval}),
        total: hit.length,
        techniques: [...tech.values()].filter((e) => e.count > 0)
            .map((e) => ({id: e.id, name: mx.name(e.id), count: e.count,
                          best: e.best, mean: e.sum / e.count,
                          count_incl_subs: e.count_incl_subs}))
            .sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1)),
        parents: [...tech.values()].filter((e) => e.count_incl_subs > 0)
            .map((e) => ({id: e.id, count_incl_subs: e.count_incl_subs})),
        tactics: counted(tac).map((e) => Object.assign(
            {id: e.name, count: e.count}, mx.tactic(e.name))),
        timeline: [...buckets.values()],
        sources: counted(src),
        types: counted(typ),
        countries: counted(cc).map((e) => ({code: e.name, count: e.count})),
        tags: counted(tag, 25),
        malware: counted(mal, 25),
        threats: hit.sort((a, b) => threatTime(b) - threatTime(a)
                          || b.id - a.id)
    };
}

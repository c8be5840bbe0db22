// The view's state lives in the URL's query: a view is a bookmark, and
// back/forward walk through the filters an analyst applied.

// the API's filters (threats/stats and threats), then the page's own keys
export const FILTERS = ['since', 'until', 'source', 'type', 'country',
    'technique', 'tactic', 'tag', 'min_score', 'method', 'interval'];
const PAGE = ['period', 'domain', 'value', 'sort', 'hide', 'offset',
    'threat'];

export function read(search) {
    const q = new URLSearchParams(search);
    const s = {};

    for (const k of FILTERS.concat(PAGE)) {
        const v = q.get(k);
        if (v !== null && v !== '') {
            s[k] = v;
        }
    }
    return s;
}

export function write(s) {
    const q = new URLSearchParams();

    for (const k of FILTERS.concat(PAGE)) {
        if (s[k] !== undefined && s[k] !== '' && s[k] !== null) {
            q.set(k, s[k]);
        }
    }
    const t = q.toString();
    return t ? '?' + t : location.pathname;
}

// the API's query for the filters of a state (a preset period becomes
// since, relative to today in UTC)
export function apiFilters(s, today) {
    const f = {};

    for (const k of FILTERS) {
        if (s[k] !== undefined) {
            f[k] = s[k];
        }
    }
    const m = /^(\d+)d$/.exec(s.period || '');
    if (m) {
        const d = new Date(today.getTime() - (Number(m[1]) - 1) * 86400000);
        f.since = d.toISOString().slice(0, 10);
        delete f.until;
    }
    return f;
}

export function filtered(s) {
    return FILTERS.some((k) => k !== 'interval' && s[k] !== undefined)
        || !!s.period;
}

// Where the widgets' numbers come from: the facets of threats/stats and a
// page of threats?, for one set of filters, asked together.  The last few
// answers are kept for a short while: back/forward and the matrix's own
// options (domain, shading, sort) ask for a view just seen, and get it
// without a round trip.

const KEEP = 8;
const FRESH_MS = 30000;

export function makeData(api) {
    const seen = new Map();

    async function fetchView(f, offset, limit) {
        const [s, list] = await Promise.all([
            api.get('threats/stats', f),
            // the list takes the filters but not the timeline's interval
            api.get('threats', Object.assign({limit, offset}, f,
                                             {interval: undefined}))
        ]);
        s.page = list.threats;
        return s;
    }

    function view(f, offset, limit) {
        const key = JSON.stringify([f, offset, limit]);
        const hit = seen.get(key);
        if (hit && performance.now() - hit.at < FRESH_MS) {
            return hit.p;
        }
        const p = fetchView(f, offset, limit);
        seen.delete(key);
        seen.set(key, {p, at: performance.now()});
        if (seen.size > KEEP) {
            seen.delete(seen.keys().next().value);
        }
        // a failure is not kept: the next render asks again
        p.catch(() => seen.delete(key));
        return p;
    }

    return {view};
}

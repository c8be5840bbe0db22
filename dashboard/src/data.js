// Where the widgets' numbers come from: the module's threats/stats facets
// when it has them, else the threat documents read whole and counted in
// the page (aggregate.js), for stores of up to CLIENT_MAX threats.

import {ApiError} from './api.js';
import {aggregate} from './aggregate.js';

const CLIENT_MAX = 5000;
const PARALLEL = 8;

export function makeData(api, mx) {
    let mode = null;
    let docs = null, docsGen = null;

    async function allDocs(generation) {
        if (docs && docsGen === generation) {
            return docs;
        }
        const ids = [];
        for (let off = 0; off < CLIENT_MAX; off += 1000) {
            const page = await api.get('threats', {limit: 1000,
                                                   offset: off});
            ids.push(...page.threats.map((t) => t.id));
            if (off + 1000 >= page.total) {
                break;
            }
        }
        const out = new Array(ids.length);
        let next = 0;
        async function one() {
            while (next < ids.length) {
                const i = next++;
                out[i] = await api.get('threats/' + ids[i]);
            }
        }
        await Promise.all(Array.from({length: PARALLEL}, one));
        docs = out;
        docsGen = generation;
        return docs;
    }

    async function clientView(f, offset, limit) {
        const st = await api.get('status');
        const gen = st.published && st.published.generation;
        if (!gen) {
            throw new ApiError(503, {error: 'unavailable',
                                     detail: 'no threat data published'});
        }
        const s = aggregate(await allDocs(gen), f, mx, gen);
        s.page = s.threats.slice(offset, offset + limit);
        delete s.threats;
        s.mode = 'client';
        return s;
    }

    // the facets and one page of the list, for one set of filters
    async function view(f, offset, limit) {
        if (mode === 'client') {
            return clientView(f, offset, limit);
        }
        let s;
        try {
            const got = await Promise.all([
                api.get('threats/stats', f),
                api.get('threats', Object.assign({limit, offset}, f,
                                                 {interval: undefined}))
            ]);
            s = got[0];
            s.list = got[1];
        } catch (e) {
            // a module without threats/stats takes "stats" for a bad id
            if (mode === null && e instanceof ApiError && e.status === 400
                && e.body && e.body.error === 'invalid id')
            {
                mode = 'client';
                return clientView(f, offset, limit);
            }
            throw e;
        }
        mode = 'server';
        s.page = s.list.threats;
        s.mode = 'server';
        return s;
    }

    return {view, mode: () => mode};
}

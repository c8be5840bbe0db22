// Where the widgets' numbers come from: the facets of threats/stats and a
// page of threats?, for one set of filters, asked together.

export function makeData(api) {
    async function view(f, offset, limit) {
        const [s, list] = await Promise.all([
            api.get('threats/stats', f),
            // the list takes the filters but not the timeline's interval
            api.get('threats', Object.assign({limit, offset}, f,
                                             {interval: undefined}))
        ]);
        s.page = list.threats;
        return s;
    }

    return {view};
}

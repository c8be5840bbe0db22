// The ATT&CK matrices of the three domains, from the module's matrix
// endpoint: the heatmap's layout, technique names and each technique's
// tactics (for the tactic facet and filter).

export const DOMAINS = ['enterprise', 'mobile', 'ics'];

export async function loadMatrices(api) {
    const byDomain = {};
    const tactics = new Map(), names = new Map(), tacticOf = new Map();

    const got = await Promise.all(DOMAINS.map((d) =>
        api.get('matrix', {domain: d}).catch(() => null)));

    got.forEach((m, i) => {
        if (!m) {
            return;
        }
        byDomain[DOMAINS[i]] = m;
        for (const ta of m.tactics) {
            const tx = {id: ta.id, shortname: ta.shortname, name: ta.name,
                        domain: DOMAINS[i]};
            tactics.set(ta.id, tx);
            for (const te of ta.techniques) {
                names.set(te.id, te.name);
                const l = tacticOf.get(te.id) || [];
                l.push(tx);
                tacticOf.set(te.id, l);
                for (const s of te.subtechniques || []) {
                    names.set(s.id, te.name + ': ' + s.name);
                    const sl = tacticOf.get(s.id) || [];
                    sl.push(tx);
                    tacticOf.set(s.id, sl);
                }
            }
        }
    });

    return {
        byDomain,
        name: (id) => names.get(id) || id,
        tacticsOf: (id) => tacticOf.get(id) || [],
        tactic: (id) => tactics.get(id) || {id, shortname: id, name: id},
        tacticByName: (s) => [...tactics.values()].find(
            (t) => t.id === s || t.shortname === s)
    };
}

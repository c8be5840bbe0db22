// The ATT&CK matrix as a heatmap: one column per tactic, a cell per
// technique shaded by its threat count (or best score), sub-techniques
// behind a toggle with their own counts.  Cells are buttons: a click or
// Enter narrows the filters to the technique.

const STOPS = [[255, 255, 255], [253, 224, 197], [245, 158, 91],
               [217, 72, 15], [127, 29, 0]];

export function shade(x) {
    const p = Math.max(0, Math.min(1, x)) * (STOPS.length - 1);
    const i = Math.min(Math.floor(p), STOPS.length - 2), f = p - i;
    const c = STOPS[i].map((v, k) => Math.round(v + (STOPS[i + 1][k] - v) * f));
    return {css: `rgb(${c[0]},${c[1]},${c[2]})`,
            dark: 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 140};
}

function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) {
        e.className = cls;
    }
    if (text !== undefined) {
        e.textContent = text;
    }
    return e;
}

export function renderMatrix(box, legend, m, stats, opt, onPick) {
    box.replaceChildren();
    legend.replaceChildren();
    box.setAttribute('aria-busy', 'false');
    if (!m) {
        box.append(el('p', null, 'This domain is not in the snapshot.'));
        return;
    }

    const own = new Map(), incl = new Map();
    for (const t of stats.techniques) {
        own.set(t.id, t);
        if (t.count_incl_subs !== undefined) {
            incl.set(t.id, t.count_incl_subs);
        }
    }
    const byBest = opt.value === 'best';
    const value = (id) => {
        const t = own.get(id);
        return byBest ? (t ? t.best : 0) : (t ? t.count : 0);
    };
    // a parent's cell: threats mapped to it or to any of its subs
    const parentValue = (te) => {
        if (byBest) {
            return Math.max(value(te.id), ...(te.subtechniques || [])
                .map((s) => value(s.id)));
        }
        if (incl.has(te.id)) {
            return incl.get(te.id);
        }
        return value(te.id) + (te.subtechniques || [])
            .reduce((a, s) => a + value(s.id), 0);
    };

    let max = 0;
    const cols = m.tactics.map((ta) => {
        const techs = ta.techniques.map((te) => ({te, v: parentValue(te)}));
        techs.forEach((x) => { max = Math.max(max, x.v); });
        return {ta, techs, total: techs.reduce((a, x) => a + x.v, 0)};
    });
    if (byBest) {
        max = 1;
    }
    if (opt.sort) {
        cols.sort((a, b) => b.total - a.total);
        cols.forEach((c) => c.techs.sort((a, b) => b.v - a.v));
    }

    legend.append(el('span', null, byBest ? 'best score 0' : '0'),
                  el('span', 'bar'),
                  el('span', null, byBest ? '1' : String(max)),
                  el('span', null, byBest ? '' : 'threats'));

    const fmt = (v) => byBest ? v.toFixed(2) : String(v);
    const cell = (id, name, v, extra) => {
        const b = el('button', 't');
        b.type = 'button';
        b.dataset.technique = id;
        b.dataset.value = String(v);
        const s = shade(max ? v / max : 0);
        b.style.background = s.css;
        if (s.dark) {
            b.classList.add('dark');
        }
        b.append(el('span', null, name + ' '), el('span', 'n', fmt(v)));
        b.title = `${id} ${name}: ${fmt(v)}${extra || ''}`;
        b.setAttribute('aria-label', b.title);
        b.addEventListener('click', () => onPick(id));
        return b;
    };

    const frag = document.createDocumentFragment();
    for (const c of cols) {
        const visible = c.techs.filter((x) => !opt.hide || x.v > 0);
        if (opt.hide && visible.length === 0) {
            continue;
        }
        const col = el('div', 'col');
        col.dataset.tactic = c.ta.id;
        const head = el('div', 'tactic', c.ta.name);
        head.append(el('span', 'n', `${visible.length} techniques`));
        col.append(head);
        for (const {te, v} of visible) {
            const wrap = el('div');
            const row = el('div', 'cell');
            row.append(cell(te.id, te.name, v));
            const subs = (te.subtechniques || []).map((s) => ({s,
                v: value(s.id)})).filter((x) => !opt.hide || x.v > 0);
            if (subs.length) {
                const x = el('button', 'x', '+' + subs.length);
                x.type = 'button';
                x.setAttribute('aria-expanded', 'false');
                x.setAttribute('aria-label',
                               `show ${subs.length} sub-techniques of ${te.name}`);
                const list = el('div', 'subs');
                list.hidden = true;
                if (opt.sort) {
                    subs.sort((a, b) => b.v - a.v);
                }
                // made when first opened: half the matrix's elements
                // are sub-techniques, and most stay closed
                x.addEventListener('click', () => {
                    if (!list.firstChild) {
                        for (const {s, v: sv} of subs) {
                            list.append(cell(s.id, s.name, sv));
                        }
                    }
                    list.hidden = !list.hidden;
                    x.setAttribute('aria-expanded', String(!list.hidden));
                    x.textContent = (list.hidden ? '+' : '\u2212')
                        + subs.length;
                });
                row.append(x);
                wrap.append(row, list);
            } else {
                wrap.append(row);
            }
            col.append(wrap);
        }
        frag.append(col);
    }
    box.append(frag);
}

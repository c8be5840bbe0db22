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

// The matrix's elements are made once per layout (domain, sort, hide) and
// then repainted in place: a filter changes the numbers, not the several
// hundred cells, so rebuilding them (and their listeners) was most of a
// repaint.  Sorting and hiding depend on the numbers, so they rebuild.
let built = null;

function values(stats, byBest) {
    const own = new Map();
    const incl = new Map(Object.entries(stats.parents || {}));
    for (const t of stats.techniques) {
        own.set(t.id, t);
    }
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
        // the index counts each threat once, however many subs it has
        return incl.get(te.id) || 0;
    };
    return {value, parentValue};
}

function paint(b, v, max, byBest) {
    const fmt = byBest ? v.toFixed(2) : String(v);
    const s = shade(max ? v / max : 0);
    b.dataset.value = String(v);
    b.style.background = s.css;
    b.classList.toggle('dark', s.dark);
    b.lastChild.textContent = fmt;
    b.title = `${b.dataset.technique} ${b.dataset.name}: ${fmt}`;
    b.setAttribute('aria-label', b.title);
}

function paintLegend(legend, max, byBest) {
    legend.replaceChildren(el('span', null, byBest ? 'best score 0' : '0'),
                           el('span', 'bar'),
                           el('span', null, byBest ? '1' : String(max)),
                           el('span', null, byBest ? '' : 'threats'));
}

export function renderMatrix(box, legend, m, stats, opt, onPick) {
    box.setAttribute('aria-busy', 'false');
    if (!m) {
        built = null;
        box.replaceChildren(el('p', null,
                               'This domain is not in the snapshot.'));
        legend.replaceChildren();
        return;
    }
    const byBest = opt.value === 'best';
    const {value, parentValue} = values(stats, byBest);

    let max = 0;
    const cols = m.tactics.map((ta) => {
        const techs = ta.techniques.map((te) => ({te, v: parentValue(te)}));
        techs.forEach((x) => { max = Math.max(max, x.v); });
        return {ta, techs, total: techs.reduce((a, x) => a + x.v, 0)};
    });
    if (byBest) {
        max = 1;
    }
    paintLegend(legend, max, byBest);

    // the same layout as on screen: repaint the cells there
    if (built && built.box === box && built.m === m && !opt.sort && !opt.hide
        && !built.sort && !built.hide) {
        built.byBest = byBest;
        built.max = max;
        built.value = value;
        for (const c of cols) {
            for (const {te, v} of c.techs) {
                for (const b of built.cells.get(te.id) || []) {
                    paint(b, v, max, byBest);
                }
            }
        }
        for (const [id, bs] of built.subCells) {
            for (const b of bs) {
                paint(b, value(id), max, byBest);
            }
        }
        return;
    }

    if (opt.sort) {
        cols.sort((a, b) => b.total - a.total);
        cols.forEach((c) => c.techs.sort((a, b) => b.v - a.v));
    }
    const my = {box, m, sort: opt.sort, hide: opt.hide, byBest, max, value,
                cells: new Map(), subCells: new Map()};
    built = my;

    const cell = (id, name, v, into) => {
        const b = el('button', 't');
        b.type = 'button';
        b.dataset.technique = id;
        b.dataset.name = name;
        b.append(el('span', null, name + ' '), el('span', 'n'));
        paint(b, v, my.max, my.byBest);
        b.addEventListener('click', () => onPick(id));
        const l = into.get(id) || [];
        l.push(b);
        into.set(id, l);
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
            row.append(cell(te.id, te.name, v, my.cells));
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
                // are sub-techniques, and most stay closed; opened later,
                // they take the numbers on screen then
                x.addEventListener('click', () => {
                    if (!list.firstChild) {
                        for (const {s} of subs) {
                            list.append(cell(s.id, s.name, my.value(s.id),
                                             my.subCells));
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
    box.replaceChildren(frag);
}

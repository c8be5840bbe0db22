// The threat list and a threat's detail, every value set as text (titles
// and descriptions come from outside: never markup), and the triage of a
// threat's techniques, each with the sentences of the threat's text that
// support it.

import {renderSentences} from './sentences.js';

function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) {
        e.textContent = String(text);
    }
    if (cls) {
        e.className = cls;
    }
    return e;
}

const day = (s) => (s ? String(s).slice(0, 10) : '');

export function renderList(tbody, threats, onOpen) {
    tbody.replaceChildren();
    for (const t of threats) {
        const tr = el('tr');
        tr.dataset.id = String(t.id);
        const title = el('button', t.title || '(untitled)', 'link');
        title.type = 'button';
        title.addEventListener('click', () => onOpen(t.id));
        const td = el('td');
        td.append(title);
        const techs = (t.techniques || []).map((m) => m.id);
        tr.append(td, el('td', t.source), el('td', t.threat_type),
                  el('td', (t.countries || []).join(', ')),
                  el('td', day(t.first_seen)), el('td', day(t.last_seen)),
                  el('td', techs.length ? techs.slice(0, 6).join(', ')
                     + (techs.length > 6 ? ` +${techs.length - 6}` : '')
                     : ''));
        tbody.append(tr);
    }
}

export function renderDetail(box, t, mx, onVerdict) {
    box.querySelector('#h-detail').textContent = t.title || '(untitled)';
    const meta = box.querySelector('#d-meta');
    meta.replaceChildren();
    const rows = [['Id', t.id], ['Source', `${t.source} ${t.source_id || ''}`],
        ['Type', t.threat_type], ['Countries', (t.countries || []).join(', ')],
        ['Tags', (t.tags || []).join(', ')],
        ['Malware', (t.malware_families || []).join(', ')],
        ['First seen', t.first_seen], ['Last seen', t.last_seen]];
    for (const [k, v] of rows) {
        meta.append(el('dt', k), el('dd', v === undefined ? '' : v));
    }
    box.querySelector('#d-desc').textContent = t.description || '';
    const tbody = box.querySelector('#d-techniques tbody');
    tbody.replaceChildren();
    for (const m of t.techniques || []) {
        const tr = el('tr');
        tr.dataset.technique = m.id;
        const ev = Array.isArray(m.evidence) ? m.evidence.join(' \u2026 ')
            : (m.evidence ? JSON.stringify(m.evidence) : '');
        const tri = el('td');
        for (const v of ['confirm', 'reject']) {
            const b = el('button', v);
            b.type = 'button';
            b.dataset.verdict = v;
            b.setAttribute('aria-label', `${v} ${m.id}`);
            b.addEventListener('click', () => onVerdict(m.id, v));
            tri.append(b, ' ');
        }
        tr.append(el('td', `${m.id} ${mx.name(m.id)}`),
                  el('td', Number(m.score).toFixed(2)),
                  el('td', m.method + (m.confirmed ? ' (confirmed)' : '')),
                  el('td', ev, 'evidence'), tri);
        tbody.append(tr);

        // the sentences under it, a row of their own
        const ul = renderSentences(m);
        if (ul) {
            const str = el('tr', undefined, 'sentences');
            str.dataset.for = m.id;
            const td = el('td');
            td.colSpan = 5;
            td.append(ul);
            str.append(td);
            tbody.append(str);
        }
    }
    if (!(t.techniques || []).length) {
        const tr = el('tr');
        const td = el('td', 'No technique mapped yet.');
        td.colSpan = 5;
        tr.append(td);
        tbody.append(tr);
    }
}

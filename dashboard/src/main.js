// attck's dashboard: one set of filters, kept in the URL, drives every
// widget; widgets narrow the filters when clicked (drill-down).

import './app.css';
import {makeApi, ApiError} from './api.js';
import * as state from './state.js';
import {loadMatrices} from './matrices.js';
import {makeData} from './data.js';
import {renderMatrix} from './matrix.js';
import {renderTimeline, renderTypes, renderMap, countryName} from './charts.js';
import {renderList, renderDetail} from './list.js';
import {layer, csv, download} from './export.js';

const PAGE = 50;
const $ = (id) => document.getElementById(id);

let api, data, mx, release = '';
let st = {};
let last = null;
let lastLook = '';
let seq = 0;

function status(text, error) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('error', !!error);
}

function explain(e) {
    if (!(e instanceof ApiError)) {
        return 'The page failed: ' + e.message;
    }
    switch (e.status) {
    case 503:
        return 'No threat data yet (' + e.message + '). The worker publishes '
            + 'it: set ATTCK_OTX_KEY and/or ATTCK_VT_KEY and run '
            + '"attck-worker run" (or try "make demo"). Retrying in 10 s.';
    case 504:
        return 'The server\'s Redis did not answer in time. Retrying in 10 s.';
    case 400:
        return 'A filter is not valid: ' + e.message;
    case 0:
        return 'The server cannot be reached. Retrying in 10 s.';
    default:
        return `The server answered ${e.status}: ${e.message}`;
    }
}

function go(next, replace) {
    st = next;
    const url = state.write(st);
    if (replace) {
        history.replaceState(null, '', url);
    } else {
        history.pushState(null, '', url);
    }
    fillForm();
    render();
}

function narrow(changes) {
    const next = Object.assign({}, st, changes);
    delete next.offset;
    go(next);
}

function fillForm() {
    $('f-period').value = st.period || (st.since || st.until ? 'custom' : '');
    $('f-since').value = (st.since || '').slice(0, 10);
    $('f-until').value = (st.until || '').slice(0, 10);
    $('f-source').value = st.source || '';
    $('f-type').value = st.type || '';
    $('f-country').value = st.country || '';
    $('f-technique').value = st.technique || st.tactic || '';
    $('f-min-score').value = st.min_score || '';
    $('f-method').value = st.method || '';
    $('f-tag').hidden = !st.tag;
    $('f-tag').textContent = st.tag ? `tag: ${st.tag} \u00d7` : '';
    $('f-tag').setAttribute('aria-label', `remove the filter tag ${st.tag}`);
    $('m-domain').value = st.domain || 'enterprise';
    $('m-value').value = st.value || 'count';
    $('t-interval').value = st.interval || '';
    $('m-sort').checked = st.sort === '1';
    $('m-hide').checked = st.hide === '1';
}

async function techniqueOrTactic(v) {
    v = v.trim();
    if (!v) {
        return {};
    }
    if (/^T\d{4}(\.\d{3})?$/i.test(v)) {
        return {technique: v.toUpperCase()};
    }
    if (/^TA\d{4}$/i.test(v)) {
        return {tactic: v.toUpperCase()};
    }
    const ta = mx.tacticByName(v.toLowerCase().replace(/ /g, '-'));
    if (ta) {
        return {tactic: ta.id};
    }
    const r = await api.get('search', {q: v, limit: 20});
    const hit = r.results.find((x) => x.type === 'technique'
                               || x.type === 'tactic');
    if (!hit) {
        throw new Error(`no technique or tactic matches "${v}"`);
    }
    return hit.type === 'tactic' ? {tactic: hit.id} : {technique: hit.id};
}

async function fromForm(ev) {
    ev.preventDefault();
    // a tag comes from the top tags (the form has no field of its own)
    const next = {domain: st.domain, value: st.value, sort: st.sort,
                  hide: st.hide, interval: st.interval, tag: st.tag};
    const period = $('f-period').value;
    if (period && period !== 'custom') {
        next.period = period;
    } else {
        next.since = $('f-since').value || undefined;
        next.until = $('f-until').value || undefined;
    }
    next.source = $('f-source').value || undefined;
    next.type = $('f-type').value.trim() || undefined;
    next.country = $('f-country').value.trim().toUpperCase() || undefined;
    next.min_score = $('f-min-score').value || undefined;
    next.method = $('f-method').value || undefined;
    try {
        Object.assign(next, await techniqueOrTactic($('f-technique').value));
    } catch (e) {
        status(e.message, true);
        return;
    }
    go(next);
}

function ranked(ol, items, label, onPick) {
    ol.replaceChildren();
    for (const x of items) {
        const li = document.createElement('li');
        // no filter of its own (malware families): text, not a button
        const b = document.createElement(onPick ? 'button' : 'span');
        if (onPick) {
            b.type = 'button';
            b.className = 'link';
            b.addEventListener('click', () => onPick(x));
        }
        b.textContent = label(x);
        const n = document.createElement('span');
        n.className = 'n';
        n.textContent = String(x.count);
        li.append(b, n);
        li.dataset.key = x.id || x.code || x.name;
        li.dataset.count = String(x.count);
        ol.append(li);
    }
}

function dayAfter(t, interval) {
    const d = new Date(t + 'T00:00:00Z');
    if (interval === 'week') {
        d.setUTCDate(d.getUTCDate() + 7);
    } else if (interval === 'month') {
        d.setUTCMonth(d.getUTCMonth() + 1);
    } else {
        d.setUTCDate(d.getUTCDate() + 1);
    }
    return d.toISOString().slice(0, 10);
}

async function render() {
    const my = ++seq;
    const f = state.apiFilters(st, new Date());
    const offset = Number(st.offset || 0);
    const t0 = performance.now();
    document.body.dataset.ready = '0';
    $('matrix').setAttribute('aria-busy', 'true');
    status('Loading\u2026');
    let s;
    try {
        s = await data.view(f, offset, PAGE);
    } catch (e) {
        if (my !== seq) {
            return;
        }
        last = null;
        status(explain(e), true);
        $('empty').textContent = explain(e);
        $('empty').hidden = false;
        document.body.dataset.ready = 'error';
        document.body.dataset.error = String(e.status || 0);
        if ([0, 503, 504].includes(e.status)) {
            setTimeout(() => { if (my === seq) render(); }, 10000);
        }
        return;
    }
    if (my !== seq) {
        return;
    }
    // a view answered from data's cache is the same object: the widgets
    // that show only it are already right
    const fresh = s !== last;
    const domain = st.domain || 'enterprise';
    const look = [domain, st.value, st.sort, st.hide].join();
    last = s;
    const tm = {api: Math.round(performance.now() - t0)};
    let tp = performance.now();
    const lap = (k) => {
        const now = performance.now();
        tm[k] = Math.round(now - tp);
        tp = now;
    };
    if (fresh || look !== lastLook) {
        renderMatrix($('matrix'), $('legend'), mx.byDomain[domain], s,
                     {value: st.value, sort: st.sort === '1',
                      hide: st.hide === '1'},
                     (id) => narrow({technique: id, tactic: undefined}));
        lastLook = look;
    }
    $('matrix').setAttribute('aria-busy', 'false');
    lap('matrix');
    if (fresh) {
        widgets(s, offset, lap);
    }
    await renderThreat();
    if (my !== seq) {
        return;
    }
    // where the time went, for bench/dashboard.sh
    document.body.dataset.timing = JSON.stringify(tm);
    status(`${s.total} threats \u00b7 generation ${s.generation}`);
    document.body.dataset.ready = '1';
}

// every widget but the matrix: charts, ranked lists, the threat list
function widgets(s, offset, lap) {
    renderTimeline($('timeline'), s, (t, interval) =>
        narrow({since: t, until: dayAfter(t, interval), period: undefined}));
    lap('timeline');
    renderTypes($('types'), s, (t) => narrow({type: t}));
    lap('types');
    renderMap($('map'), s, (c) => narrow({country: c}));
    lap('map');
    ranked($('countries'), s.countries.slice(0, 30),
           (x) => `${countryName.get(x.code) || x.code} (${x.code})`,
           (x) => narrow({country: x.code}));
    ranked($('top-techniques'), s.techniques.slice(0, 10),
           (x) => `${x.id} ${mx.name(x.id)}`,
           (x) => narrow({technique: x.id, tactic: undefined}));
    ranked($('top-tactics'), s.tactics.slice(0, 10),
           (x) => `${x.name || x.id}`,
           (x) => narrow({tactic: x.id, technique: undefined}));
    ranked($('top-tags'), s.tags.slice(0, 10), (x) => x.name,
           (x) => narrow({tag: x.name}));
    ranked($('top-malware'), s.malware.slice(0, 10), (x) => x.name, null);
    $('types-list').replaceChildren(...s.types.map((t) => {
        const o = document.createElement('option');
        o.value = t.name;
        return o;
    }));
    renderList($('threats').querySelector('tbody'), s.page,
               (id) => go(Object.assign({}, st, {threat: String(id)})));
    $('total').textContent = `(${s.total})`;
    $('total').dataset.total = String(s.total);
    $('p-info').textContent = s.total ? `${offset + 1}\u2013`
        + `${Math.min(offset + PAGE, s.total)} of ${s.total}` : '';
    $('p-prev').disabled = offset === 0;
    $('p-next').disabled = offset + PAGE >= s.total;

    const empty = $('empty');
    empty.hidden = s.total > 0;
    if (s.total === 0) {
        empty.textContent = state.filtered(st)
            ? 'No threat matches these filters. Widen the period or press '
              + 'Clear.'
            : 'No threats yet. Set ATTCK_OTX_KEY (AlienVault OTX) and/or '
              + 'ATTCK_VT_KEY (VirusTotal) for attck-worker and run '
              + '"attck-worker run"; or look around with "make demo".';
    }
    lap('lists');
}

async function renderThreat() {
    const box = $('detail');
    if (!st.threat) {
        box.hidden = true;
        return;
    }
    try {
        const t = await api.get('threats/' + encodeURIComponent(st.threat));
        renderDetail(box, t, mx, verdict);
        $('d-triage-msg').textContent = '';
        box.hidden = false;
        box.focus();
    } catch (e) {
        box.hidden = true;
        status(explain(e), true);
    }
}

async function verdict(technique, v) {
    const msg = $('d-triage-msg');
    msg.textContent = 'Sending\u2026';
    try {
        await api.post(`threats/${encodeURIComponent(st.threat)}/verdicts`,
                       {technique, verdict: v});
        msg.textContent = `Recorded: ${v} ${technique}. It shows after the `
            + 'worker\'s next map and publish.';
        msg.dataset.result = 'accepted';
    } catch (e) {
        msg.dataset.result = String(e.status);
        msg.textContent = [403, 404, 405].includes(e.status)
            ? 'Triage is not enabled here, or you may not use it ('
              + e.status + ').'
            : 'Not recorded: ' + e.message;
    }
}

let searchTimer = null;
function autocomplete() {
    clearTimeout(searchTimer);
    const v = this.value.trim();
    if (v.length < 2 || /^T(A)?\d{4}/i.test(v)) {
        return;
    }
    searchTimer = setTimeout(async () => {
        try {
            const r = await api.get('search', {q: v, limit: 15});
            $('search-list').replaceChildren(...r.results
                .filter((x) => x.type === 'technique' || x.type === 'tactic')
                .map((x) => {
                    const o = document.createElement('option');
                    o.value = x.id;
                    o.label = x.name;
                    return o;
                }));
        } catch (e) {
            /* the list stays as it was */
        }
    }, 200);
}

function wire() {
    $('filters').addEventListener('submit', fromForm);
    $('f-clear').addEventListener('click', () => go({domain: st.domain}));
    $('f-tag').addEventListener('click', () => narrow({tag: undefined}));
    $('f-period').addEventListener('change', () => {
        if ($('f-period').value !== 'custom') {
            $('filters').requestSubmit();
        }
    });
    $('f-technique').addEventListener('input', autocomplete);
    $('d-add-id').addEventListener('input', autocomplete);
    for (const [id, key] of [['m-domain', 'domain'], ['m-value', 'value'],
                             ['t-interval', 'interval']]) {
        $(id).addEventListener('change', () =>
            go(Object.assign({}, st, {[key]: $(id).value || undefined}),
               true));
    }
    for (const [id, key] of [['m-sort', 'sort'], ['m-hide', 'hide']]) {
        $(id).addEventListener('change', () =>
            go(Object.assign({}, st, {[key]: $(id).checked ? '1'
                                                       : undefined}), true));
    }
    $('p-prev').addEventListener('click', () => go(Object.assign({}, st,
        {offset: String(Math.max(0, Number(st.offset || 0) - PAGE))})));
    $('p-next').addEventListener('click', () => go(Object.assign({}, st,
        {offset: String(Number(st.offset || 0) + PAGE)})));
    $('d-close').addEventListener('click', () =>
        go(Object.assign({}, st, {threat: undefined})));
    $('d-add').addEventListener('submit', (ev) => {
        ev.preventDefault();
        verdict($('d-add-id').value.trim().toUpperCase(), 'add');
    });
    $('x-layer').addEventListener('click', () => {
        if (last) {
            const d = st.domain || 'enterprise';
            download(`attck-${d}-layer.json`, 'application/json',
                     JSON.stringify(layer(last, d, release,
                                          'attck dashboard ' + state.write(st),
                                          mx), null, 1));
        }
    });
    $('x-csv').addEventListener('click', () => {
        if (last) {
            download('attck-techniques.csv', 'text/csv', csv(last, mx));
        }
    });
    window.addEventListener('popstate', () => {
        st = state.read(location.search);
        fillForm();
        render();
    });
}

async function start() {
    let base = document.body.dataset.api || 'api/v1/';
    try {
        const r = await fetch(new URL('config.json', location.href));
        if (r.ok) {
            const cfg = await r.json();
            if (cfg.api) {
                base = cfg.api;
            }
            $('synthetic').hidden = !cfg.synthetic;
            document.body.dataset.synthetic = cfg.synthetic ? '1' : '0';
        }
    } catch (e) {
        /* no config.json: the defaults */
    }
    api = makeApi(new URL(base, location.href).href);
    st = state.read(location.search);
    wire();
    fillForm();
    status('Loading the ATT&CK matrices\u2026');
    // the view's numbers are asked for at once, beside the status and the
    // matrices (render finds the answer in data's cache)
    data = makeData(api);
    data.view(state.apiFilters(st, new Date()), Number(st.offset || 0), PAGE)
        .catch(() => {});
    const matrices = loadMatrices(api);
    try {
        const s = await api.get('status');
        release = s.default_release || '';
    } catch (e) {
        status(explain(e), true);
        document.body.dataset.ready = 'error';
        setTimeout(start, 10000);
        return;
    }
    mx = await matrices;
    render();
}

start();

// A mapping's supporting sentences (the threat document's "sentences":
// [{start, end, text}], best first), with the evidence terms marked.
// The sentences come from the threat's text, from outside: they are only
// ever text nodes, the marks elements made here around slices of them.

// a term's words: evidence terms are words, compounds ("cmd.exe") and
// word pairs ("scheduled task"), lowercase
function words(evidence) {
    const out = new Set();

    for (const term of Array.isArray(evidence) ? evidence : []) {
        for (const w of String(term).toLowerCase().split(/\s+/)) {
            if (w.length > 1) {
                out.add(w);
            }
        }
    }
    return [...out];
}

const inWord = (c) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

// [start, end) of each occurrence of a word standing on its own, merged
export function ranges(text, evidence) {
    const lower = text.toLowerCase();
    const found = [];

    // toLowerCase() keeps the length for all but a few characters: marks
    // go only where both agree
    if (lower.length !== text.length) {
        return found;
    }
    for (const w of words(evidence)) {
        for (let i = lower.indexOf(w); i >= 0; i = lower.indexOf(w, i + 1)) {
            if (!inWord(lower[i - 1]) && !inWord(lower[i + w.length])) {
                found.push([i, i + w.length]);
            }
        }
    }
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);

    const merged = [];
    for (const r of found) {
        const last = merged[merged.length - 1];
        if (last && r[0] <= last[1]) {
            last[1] = Math.max(last[1], r[1]);
        } else {
            merged.push(r.slice());
        }
    }
    return merged;
}

// one sentence as a <q>: text nodes, the evidence in <mark>
export function sentence(text, evidence) {
    const q = document.createElement('q');
    let at = 0;

    for (const [s, e] of ranges(text, evidence)) {
        q.append(document.createTextNode(text.slice(at, s)));
        const m = document.createElement('mark');
        m.textContent = text.slice(s, e);
        q.append(m);
        at = e;
    }
    q.append(document.createTextNode(text.slice(at)));
    return q;
}

// the list of a mapping's sentences, or null when it has none
export function renderSentences(m) {
    const list = (Array.isArray(m.sentences) ? m.sentences : [])
        .filter((s) => s && typeof s.text === 'string' && s.text !== '');

    if (!list.length) {
        return null;
    }
    const ul = document.createElement('ul');
    ul.className = 'sentences';
    ul.setAttribute('aria-label', `Sentences supporting ${m.id}`);
    for (const s of list) {
        const li = document.createElement('li');
        li.append(sentence(s.text, m.evidence));
        ul.append(li);
    }
    return ul;
}

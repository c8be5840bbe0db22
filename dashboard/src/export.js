// The current view as a file: an ATT&CK Navigator layer (format 4.5) of
// the technique counts, or CSV of the technique counts.

const DOMAIN = {enterprise: 'enterprise-attack', mobile: 'mobile-attack',
                ics: 'ics-attack'};

export function layer(stats, domain, release, title, mx) {
    const max = stats.techniques.reduce((a, t) => Math.max(a, t.count), 0);
    return {
        name: title,
        versions: {attack: String(release || '').split('.')[0] || '18',
                   navigator: '5.1.0', layer: '4.5'},
        domain: DOMAIN[domain] || 'enterprise-attack',
        description: 'threat counts per technique, from the attck dashboard',
        sorting: 3,
        hideDisabled: false,
        gradient: {colors: ['#ffffff', '#f59e5b', '#7f1d00'], minValue: 0,
                   maxValue: Math.max(1, max)},
        techniques: stats.techniques
            .filter((t) => mx.tacticsOf(t.id).some((x) => x.domain === domain))
            .map((t) => ({techniqueID: t.id, score: t.count,
                          comment: `${t.count} threats, best score `
                              + `${Number(t.best).toFixed(2)}`,
                          enabled: true, showSubtechniques: false})),
        legendItems: [],
        metadata: Object.entries(stats.filters || {}).map(
            ([name, value]) => ({name, value: String(value)}))
    };
}

function cell(v) {
    const s = String(v === undefined || v === null ? '' : v);
    // a leading = + - @ would be a formula to a spreadsheet
    const safe = /^[=+\-@\t\r]/.test(s) ? "'" + s : s;
    return /[",\n\r]/.test(safe) ? '"' + safe.replace(/"/g, '""') + '"' : safe;
}

export function csv(stats, mx) {
    const rows = [['technique', 'name', 'threats', 'best_score',
                   'mean_score']];
    for (const t of stats.techniques) {
        rows.push([t.id, mx.name(t.id), t.count, t.best, t.mean]);
    }
    return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function download(name, type, text) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], {type}));
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

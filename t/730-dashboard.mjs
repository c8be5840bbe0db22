// Drives the dashboard in headless Debian chromium (playwright-core) for
// t/730-dashboard.t: node t/730-dashboard.mjs URL ARTEFACTS-DIR.  Prints
// one JSON object of what the page showed; the .t file checks it against
// SQL.  Nothing is asserted here.

import {createRequire} from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(path.resolve('dashboard/package.json'));
const {chromium} = require('playwright-core');

const [base, art] = process.argv.slice(2);
const origin = new URL(base).origin;
const out = {requests: [], foreign: [], console: [], dialogs: [],
             pageErrors: []};

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run',
           '--disable-background-networking', '--disable-sync',
           '--disable-component-update', '--disable-default-apps']
});
const ctx = await browser.newContext({viewport: {width: 1280, height: 900},
                                      acceptDownloads: true});
const page = await ctx.newPage();

page.on('request', (r) => {
    out.requests.push(r.url());
    if (!r.url().startsWith(origin + '/') && !r.url().startsWith('blob:')
        && !r.url().startsWith('data:')) {
        out.foreign.push(r.url());
    }
});
page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
        out.console.push(`${m.type()}: ${m.text()}`);
    }
});
page.on('pageerror', (e) => out.pageErrors.push(e.message));
page.on('dialog', async (d) => {
    out.dialogs.push(d.message());
    await d.dismiss();
});

async function ready() {
    await page.waitForFunction(() => document.body.dataset.ready === '1'
                               || document.body.dataset.ready === 'error',
                               null, {timeout: 30000});
    return page.evaluate(() => document.body.dataset.ready);
}

async function settle(action) {
    await page.evaluate(() => { document.body.dataset.ready = 'x'; });
    await action();
    return ready();
}

// what the widgets show
async function snapshot() {
    return page.evaluate(() => {
        const ranked = (id) => [...document.querySelectorAll(`#${id} li`)]
            .map((li) => [li.dataset.key, Number(li.dataset.count)]);
        const cells = {};
        for (const b of document.querySelectorAll('#matrix button.t')) {
            cells[b.dataset.technique] = Number(b.dataset.value);
        }
        return {
            url: location.search,
            total: Number(document.getElementById('total').dataset.total),
            rows: document.querySelectorAll('#threats tbody tr').length,
            titles: [...document.querySelectorAll('#threats tbody tr')]
                .map((tr) => tr.querySelector('td').textContent),
            timeline: Number(document.getElementById('timeline')
                             .dataset.total),
            points: Number(document.getElementById('timeline')
                           .dataset.points),
            types: Number(document.getElementById('types').dataset.total),
            typeCount: Number(document.getElementById('types').dataset.count),
            countries: ranked('countries'),
            techniques: ranked('top-techniques'),
            tactics: ranked('top-tactics'),
            tags: ranked('top-tags'),
            malware: ranked('top-malware'),
            cells,
            columns: document.querySelectorAll('#matrix .col').length,
            synthetic: !document.getElementById('synthetic').hidden,
            empty: document.getElementById('empty').hidden ? ''
                : document.getElementById('empty').textContent,
            status: document.getElementById('status').textContent,
            form: {type: document.getElementById('f-type').value,
                   country: document.getElementById('f-country').value,
                   technique: document.getElementById('f-technique').value}
        };
    });
}

async function shot(name) {
    await page.screenshot({path: path.join(art, name), fullPage: true});
}

async function bandClick(id, axis, index, count) {
    await page.locator('#' + id).scrollIntoViewIfNeeded();
    const box = await page.locator('#' + id).boundingBox();
    // the grids of charts.js: timeline left 40 right 12 top 30 bottom 24;
    // types left 110 right 12 top 8 bottom 24 (categories top down)
    if (axis === 'x') {
        const w = box.width - 52;
        await page.mouse.click(box.x + 40 + (index + 0.5) * w / count,
                               box.y + 30 + (box.height - 54) / 2);
    } else {
        const h = box.height - 32;
        await page.mouse.click(box.x + 110 + 4,
                               box.y + 8 + (index + 0.5) * h / count);
    }
}

try {
    if (process.argv[4] === 'errors') {
        // only what the page says when the API fails
        await page.goto(base);
        out.first = await ready();
        out.error = undefined;
        out.shown = await page.evaluate(() => [document.body.dataset.error,
            document.getElementById('status').textContent,
            !document.getElementById('synthetic').hidden]);
        await shot(process.argv[5]);
        throw null;
    }
    await page.goto(base);
    out.first = await ready();
    out.default = await snapshot();
    await shot('730-default-1280.png');

    // the matrix: sub-techniques open with their counts; keyboard drill
    const top = out.default.techniques[0][0];
    out.topTechnique = top;
    const parent = top.split('.')[0];
    const toggle = page.locator(`#matrix button.t[data-technique="${parent}"]`)
        .first().locator('xpath=following-sibling::button');
    if (top.includes('.') && await toggle.count()) {
        await toggle.first().click();
        out.subVisible = await page.locator(
            `#matrix button.t[data-technique="${top}"]`).first().isVisible();
    }
    await page.locator(`#matrix button.t[data-technique="${top}"]`).first()
        .focus();
    await settle(() => page.keyboard.press('Enter'));
    out.byCell = await snapshot();
    await shot('730-technique.png');

    // back and forward
    await settle(() => page.goBack());
    out.back = await snapshot();
    await settle(() => page.goForward());
    out.forward = await snapshot();
    await settle(() => page.goBack());

    // a country on the map (the choropleth): a point inside its shape
    // that is its own on screen (no neighbour or enclave on top), clicked
    const mc = out.default.countries[1][0];
    out.mapCountry = mc;
    await page.locator('#map').scrollIntoViewIfNeeded();
    const at = await page.evaluate((code) => {
        const p = document.querySelector(`#map path[data-code="${code}"]`);
        if (!p) {
            return null;
        }
        const b = p.getBBox(), m = p.getScreenCTM();
        for (let i = 1; i < 24; i++) {
            for (let j = 1; j < 24; j++) {
                const pt = new DOMPoint(b.x + b.width * i / 24,
                                        b.y + b.height * j / 24);
                const s = pt.matrixTransform(m);
                if (p.isPointInFill(pt)
                    && document.elementFromPoint(s.x, s.y) === p) {
                    return [s.x, s.y];
                }
            }
        }
        return null;
    }, mc);
    if (at) {
        await settle(() => page.mouse.click(at[0], at[1]));
        out.byMap = await snapshot();
        await shot('730-map-country.png');
        await settle(() => page.goBack());
    }

    // the ranked list of countries
    const cc = out.default.countries[0][0];
    out.country = cc;
    await settle(() => page.locator(`#countries li[data-key="${cc}"] button`)
        .click());
    out.byCountry = await snapshot();

    // the type bar on top (the commonest type of this view)
    await settle(() => bandClick('types', 'y', 0, out.byCountry.typeCount));
    out.byType = await snapshot();
    await shot('730-country-type.png');

    // the URL round-trips: the same view loaded fresh
    const url = page.url();
    await page.goto('about:blank');
    await page.goto(url);
    await ready();
    out.reloaded = await snapshot();

    // the filter form: min score and method, then clear
    await page.goto(base);
    await ready();
    await page.fill('#f-min-score', '0.9');
    await page.selectOption('#f-method', 'explicit');
    await settle(() => page.click('#filters button[type=submit]'));
    out.byScore = await snapshot();
    await settle(() => page.click('#f-clear'));
    out.cleared = await snapshot();

    // a day (or week) of the timeline
    const n = out.cleared.points;
    await settle(() => bandClick('timeline', 'x', n - 1, n));
    out.byDay = await snapshot();
    await settle(() => page.selectOption('#t-interval', 'day'));
    out.daily = await snapshot();

    // a tag from the top tags, then removed again
    await page.goto(base);
    await ready();
    out.tag = out.default.tags[0][0];
    await settle(() => page.locator('#top-tags li button').first().click());
    out.byTag = await snapshot();
    out.tagShown = await page.textContent('#f-tag');
    await settle(() => page.click('#f-tag'));
    out.untagged = await snapshot();

    // a tactic by name through the form (search autocomplete)
    await page.goto(base);
    await ready();
    await page.fill('#f-technique', 'execution');
    await settle(() => page.click('#filters button[type=submit]'));
    out.byTactic = await snapshot();

    // hostile titles are text
    await page.goto(base + '?source=otx&type=pulse&since=2026-11-20&until=2026-11-21');
    await ready();
    out.otx = await snapshot();
    const evil = page.locator('#threats tbody tr button',
                              {hasText: '<img src=x onerror=alert(1)>'});
    out.evilRows = await evil.count();
    if (out.evilRows) {
        await settle(() => evil.first().click());
        await page.waitForSelector('#detail:not([hidden])');
        out.detailTitle = await page.textContent('#h-detail');
        out.detailTechniques = await page.locator(
            '#d-techniques tbody tr[data-technique]').count();
        await shot('730-detail.png');
    }
    out.injected = await page.evaluate(() =>
        document.querySelectorAll('img[src="x"], #threats script, '
                                  + '#detail script').length);

    // triage from the detail: confirm its first technique, add one
    if (out.detailTechniques) {
        await page.locator('#d-techniques tbody tr[data-technique] '
                           + 'button[data-verdict=confirm]').first().click();
        await page.waitForFunction(() => document.getElementById(
            'd-triage-msg').dataset.result);
        out.confirm = await page.evaluate(() => [document.getElementById(
            'd-triage-msg').dataset.result, document.querySelector(
            '#d-techniques tbody tr[data-technique]').dataset.technique]);
    }
    await page.evaluate(() => {
        delete document.getElementById('d-triage-msg').dataset.result;
    });
    await page.fill('#d-add-id', 'T1059.001');
    await page.click('#d-add button[type=submit]');
    await page.waitForFunction(() => document.getElementById(
        'd-triage-msg').dataset.result);
    out.add = await page.evaluate(() => document.getElementById(
        'd-triage-msg').dataset.result);
    out.threatUrl = page.url();

    // exports of the default view
    await page.goto(base);
    await ready();
    for (const [id, key] of [['#x-layer', 'layer'], ['#x-csv', 'csv']]) {
        const [dl] = await Promise.all([page.waitForEvent('download'),
                                        page.click(id)]);
        out[key] = fs.readFileSync(await dl.path(), 'utf8');
    }

    // options of the matrix: domain, hide unused, sort
    await settle(() => page.selectOption('#m-domain', 'ics'));
    out.ics = await snapshot();
    await settle(() => page.selectOption('#m-domain', 'enterprise'));
    await settle(() => page.check('#m-hide'));
    out.hidden = await snapshot();
    await settle(() => page.check('#m-sort'));
    out.sortedFirst = await page.evaluate(() => document.querySelector(
        '#matrix .col').dataset.tactic);
    await shot('730-hide-sort.png');

    // a phone's width
    await page.setViewportSize({width: 390, height: 844});
    await page.goto(base);
    await ready();
    out.phoneOverflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - window.innerWidth);
    await shot('730-phone-390.png');

    // contrast of body text on cards (WCAG ratio)
    out.contrast = await page.evaluate(() => {
        const rgb = (s) => s.match(/\d+/g).slice(0, 3).map(Number);
        const lum = (c) => {
            const [r, g, b] = c.map((v) => {
                v /= 255;
                return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const ratio = (a, b) => {
            const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p);
            return (x + 0.05) / (y + 0.05);
        };
        const pairs = [['.card h2', '.card'], ['.ranked .n', '.card'],
                       ['.threats td', '.card'], ['.status', '.top'],
                       ['.filters label', '.filters']];
        return Math.min(...pairs.map(([fg, bg]) => {
            const f = document.querySelector(fg), b = document.querySelector(bg);
            return f && b ? ratio(getComputedStyle(f).color,
                                  getComputedStyle(b).backgroundColor) : 21;
        }));
    });
} catch (e) {
    if (e !== null) {
        out.error = String(e && e.stack || e);
    }
}

await browser.close();
process.stdout.write(JSON.stringify(out) + '\n');

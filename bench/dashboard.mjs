// The dashboard in headless chromium: time from navigation until every
// widget shows data (body[data-ready=1]), and from a filter's click until
// the widgets are repainted, ROUNDS times each in a fresh browser context
// (nothing cached).  usage: node bench/dashboard.mjs URL ROUNDS

import {createRequire} from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve('dashboard/package.json'));
const {chromium} = require('playwright-core');
const [url, rounds] = [process.argv[2], Number(process.argv[3] || 5)];

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu']
});
const ready = (page) => page.waitForFunction(
    () => document.body.dataset.ready === '1', null, {timeout: 60000});
const load = [], repaint = [], parts = [];

// where a round's time went: the page's own record (data-timing) and,
// for the first view, when each request started and how long it took
// (ms from navigation), to tell waiting from working
const where = (page, what) => page.evaluate((what) => {
    const r = {what, timing: JSON.parse(document.body.dataset.timing
                                        || '{}')};
    const c = window.benchClick;
    if (what === 'repaint' && c && c.t0) {
        r.clickToReady = Math.round(c.ready - c.t0);
        r.clickToPainted = c.painted ? Math.round(c.painted - c.t0) : null;
    }
    if (what === 'load') {
        const n = performance.getEntriesByType('navigation')[0];
        r.dom = Math.round(n.domContentLoadedEventEnd);
        r.requests = performance.getEntriesByType('resource').map((e) =>
            `${e.name.replace(/^.*\/(api\/v1\/)?/, '').slice(0, 28)} `
            + `@${Math.round(e.startTime)}+${Math.round(e.duration)}`);
    }
    return r;
}, what);

for (let i = 0; i < rounds; i++) {
    const ctx = await browser.newContext({viewport: {width: 1280,
                                                     height: 900}});
    const page = await ctx.newPage();
    let t = Date.now();
    await page.goto(url);
    await ready(page);
    load.push(Date.now() - t);
    parts.push(await where(page, 'load'));
    // a filter: the top technique of the list, then the top country
    for (const sel of ['#top-techniques li button', '#countries li button']) {
        await page.evaluate(() => {
            document.body.dataset.ready = 'x';
            // the page's own clock: from the click's event to data-ready,
            // and to the frame after it (painted), without the driver's
            // own latency
            window.benchClick = {};
            document.addEventListener('click', () => {
                window.benchClick.t0 = performance.now();
            }, {capture: true, once: true});
            const o = new MutationObserver(() => {
                if (document.body.dataset.ready === '1') {
                    o.disconnect();
                    window.benchClick.ready = performance.now();
                    requestAnimationFrame(() => setTimeout(() => {
                        window.benchClick.painted = performance.now();
                    }));
                }
            });
            o.observe(document.body, {attributes: true});
        });
        t = Date.now();
        await page.locator(sel).first().click();
        await ready(page);
        repaint.push(Date.now() - t);
        parts.push(await where(page, 'repaint'));
    }
    await ctx.close();
}
await browser.close();

const median = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`default view, all widgets: median ${median(load)} ms `
            + `(${load.join(' ')})`);
console.log(`filter repaint: median ${median(repaint)} ms `
            + `(${repaint.join(' ')})`);
if (process.env.BENCH_VERBOSE) {
    for (const p of parts) {
        console.log(JSON.stringify(p));
    }
}

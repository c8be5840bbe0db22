// Drives the dashboard in headless Debian chromium (playwright-core) for
// t/732-dashboard-sentences.t: node t/732-dashboard-sentences.mjs URL
// ARTEFACTS-DIR THREAT-ID...  Opens each threat's detail and prints one
// JSON object of the supporting sentences it shows under each technique
// (their text, their marks, what elements they are made of); the .t file
// checks it against SQL.  Nothing is asserted here.

import {createRequire} from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve('dashboard/package.json'));
const {chromium} = require('playwright-core');

const [base, art, ...ids] = process.argv.slice(2);
const origin = new URL(base).origin;
const out = {threats: {}, foreign: [], console: [], dialogs: [],
             pageErrors: []};

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run',
           '--disable-background-networking', '--disable-sync',
           '--disable-component-update', '--disable-default-apps']
});
const ctx = await browser.newContext({viewport: {width: 1280, height: 900}});
const page = await ctx.newPage();

page.on('request', (r) => {
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

try {
    for (const id of ids) {
        await page.goto(base + '?threat=' + encodeURIComponent(id));
        await page.waitForFunction(() => document.body.dataset.ready === '1'
                                   || document.body.dataset.ready === 'error',
                                   null, {timeout: 30000});
        await page.waitForSelector('#detail:not([hidden])', {timeout: 15000});
        out.threats[id] = await page.evaluate(() => {
            const techniques = [...document.querySelectorAll(
                '#d-techniques tbody tr[data-technique]')]
                .map((tr) => tr.dataset.technique);
            const sentences = {};
            const marks = {};
            // every node under a sentence: text, or a mark holding text
            let foreignNodes = 0;
            for (const tr of document.querySelectorAll(
                '#d-techniques tbody tr.sentences')) {
                const qs = [...tr.querySelectorAll('ul.sentences > li > q')];
                sentences[tr.dataset.for] = qs.map((q) => q.textContent);
                marks[tr.dataset.for] = [...tr.querySelectorAll('q > mark')]
                    .map((m) => m.textContent);
                for (const q of qs) {
                    for (const n of q.childNodes) {
                        if (!(n.nodeType === Node.TEXT_NODE
                              || (n.nodeName === 'MARK'
                                  && n.childNodes.length === 1
                                  && n.firstChild.nodeType
                                     === Node.TEXT_NODE))) {
                            foreignNodes++;
                        }
                    }
                }
            }
            return {
                title: document.getElementById('h-detail').textContent,
                techniques, sentences, marks, foreignNodes,
                injected: document.querySelectorAll(
                    '#detail script, #detail img, #detail b, '
                    + '#detail iframe').length
            };
        });
        await page.locator('#detail').screenshot(
            {path: path.join(art, `732-detail-${id}.png`)});
    }
} catch (e) {
    out.error = String(e && e.stack || e);
}

await browser.close();
process.stdout.write(JSON.stringify(out) + '\n');

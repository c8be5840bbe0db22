// Builds the dashboard into static files: node build.mjs OUTDIR.
// Natural Earth's countries (world-atlas, 110m) get ISO 3166-1 alpha-2
// codes from Debian's iso-codes, the codes the threats carry.

import {build} from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
const iso = JSON.parse(fs.readFileSync(
    process.env.ISO_CODES || '/usr/share/iso-codes/json/iso_3166-1.json'));
const alpha2 = new Map(iso['3166-1'].map((c) => [c.numeric, c]));
const world = JSON.parse(fs.readFileSync(
    'node_modules/world-atlas/countries-110m.json'));

delete world.objects.land;
for (const g of world.objects.countries.geometries) {
    const c = alpha2.get(g.id);
    // Kosovo, northern Cyprus, Somaliland: no ISO numeric code
    g.properties = {code: c ? c.alpha_2 : (g.properties.name === 'Kosovo'
                                           ? 'XK' : g.properties.name),
                    name: c ? (c.common_name || c.name) : g.properties.name};
}
fs.mkdirSync('build-data', {recursive: true});
fs.writeFileSync('build-data/world.json', JSON.stringify(world));

fs.mkdirSync(out, {recursive: true});
await build({
    entryPoints: {app: 'src/main.js'},
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    outdir: out,
    legalComments: 'linked',
    logLevel: 'warning'
});
for (const f of ['index.html', 'favicon.svg']) {
    fs.copyFileSync(f, path.join(out, f));
}
// what the page is told about its server; make demo writes its own
fs.writeFileSync(path.join(out, 'config.json'),
                 JSON.stringify({synthetic: false}) + '\n');

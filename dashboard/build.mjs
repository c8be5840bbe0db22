// Builds the dashboard into static files: node build.mjs OUTDIR.
// Natural Earth's countries (world-atlas, 110m) get ISO 3166-1 alpha-2
// codes from Debian's iso-codes, the codes the threats carry.

import {build} from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import {feature} from 'topojson-client';

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

// The map is drawn as SVG paths made here, once: the page then only
// colours them (a filter repaints ~180 fills instead of re-laying out
// the geometry).  Equirectangular, longitude scaled by 0.75 (about
// cos 40 degrees); Antarctica is no target; a ring across the
// antimeridian (Russia, Fiji) is drawn east of it, not as a band across
// the map.
const geo = feature(world, world.objects.countries);
const S = 4;
let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
const countries = geo.features.filter((f) => f.properties.code !== 'AQ')
    .map((f) => {
        const polys = f.geometry.type === 'Polygon'
            ? [f.geometry.coordinates] : f.geometry.coordinates;
        const d = polys.flat().map((ring) => {
            const lons = ring.map((c) => c[0]);
            const wrap = Math.max(...lons) - Math.min(...lons) > 180;
            return 'M' + ring.map(([lon, lat]) => {
                const x = Math.round((wrap && lon < 0 ? lon + 360 : lon)
                                     * 0.75 * S * 10) / 10;
                const y = Math.round(-lat * S * 10) / 10;
                x0 = Math.min(x0, x);
                x1 = Math.max(x1, x);
                y0 = Math.min(y0, y);
                y1 = Math.max(y1, y);
                return x + ' ' + y;
            }).join('L') + 'Z';
        }).join('');
        return {code: f.properties.code, name: f.properties.name, d};
    });
fs.writeFileSync('build-data/world.json', JSON.stringify({
    viewBox: [x0, y0, x1 - x0, y1 - y0].map((v) => Math.round(v)).join(' '),
    countries
}));

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

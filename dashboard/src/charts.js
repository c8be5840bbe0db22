// The charts, with the parts of Apache ECharts they use (tree-shaken by
// the bundler): threats over time, types, the world map.

import * as echarts from 'echarts/core';
import {LineChart, BarChart} from 'echarts/charts';
import {GridComponent, TooltipComponent,
        LegendComponent} from 'echarts/components';
import {CanvasRenderer} from 'echarts/renderers';
import world from '../build-data/world.json';
import {shade} from './matrix.js';

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent,
             LegendComponent, CanvasRenderer]);

export const countryName = new Map(world.countries.map(
    (c) => [c.code, c.name]));

const charts = new Map();

// A chart is made once, its static options given with its first data;
// later calls give it only the data (setOption merges by id, with no
// animation), so a filter does not rebuild the axes, the legend or the
// map's geometry.  A click goes to the chart's current picker, bound once.
function chart(box, fixed, changing, bind) {
    let c = charts.get(box);
    if (c) {
        c.setOption(changing, {replaceMerge: ['series']});
        return c;
    }
    c = echarts.init(box, null, {renderer: 'canvas'});
    const first = Object.assign({}, fixed);
    for (const [k, v] of Object.entries(changing)) {
        first[k] = Array.isArray(v) ? v : Object.assign({}, fixed[k], v);
    }
    c.setOption(first);
    c.pick = () => {};
    bind(c);
    charts.set(box, c);
    let w = box.clientWidth, h = box.clientHeight;
    new ResizeObserver(() => {
        // the observer's first call is the size the chart was made at
        if (box.clientWidth !== w || box.clientHeight !== h) {
            w = box.clientWidth;
            h = box.clientHeight;
            c.resize();
        }
    }).observe(box);
    return c;
}

// a click anywhere in a category's band picks it, not only on its mark
const onBand = (axis) => (c) => {
    c.getZr().on('click', (ev) => {
        const p = [ev.offsetX, ev.offsetY];
        if (!c.containPixel({gridIndex: 0}, p)) {
            return;
        }
        const v = c.convertFromPixel({gridIndex: 0}, p);
        const i = Math.round(axis === 'x' ? v[0] : v[1]);
        if (Number.isInteger(i) && i >= 0) {
            c.pick(i);
        }
    });
};

const COLORS = ['#0b5cad', '#c2410c', '#15803d', '#7e22ce'];

export function renderTimeline(box, stats, onPick) {
    const sources = [...new Set(stats.timeline.flatMap(
        (b) => Object.keys(b.by_source || {})))].sort();
    const c = chart(box, {
        color: COLORS,
        animation: false,
        tooltip: {trigger: 'axis', renderMode: 'richText'},
        legend: {top: 0},
        grid: {left: 40, right: 12, top: 30, bottom: 24},
        xAxis: {type: 'category'},
        yAxis: {type: 'value', minInterval: 1}
    }, {
        xAxis: {data: stats.timeline.map((b) => b.t)},
        series: sources.map((s) => ({
            id: s, name: s, type: 'line',
            showSymbol: stats.timeline.length < 60,
            data: stats.timeline.map((b) => (b.by_source || {})[s] || 0)
        }))
    }, onBand('x'));
    c.pick = (i) => i < stats.timeline.length
        && onPick(stats.timeline[i].t, stats.filters.interval);
    box.dataset.points = String(stats.timeline.length);
    box.dataset.total = String(stats.timeline.reduce((a, b) => a + b.count,
                                                     0));
}

export function renderTypes(box, stats, onPick) {
    const types = stats.types.slice(0, 15);
    const c = chart(box, {
        color: COLORS,
        animation: false,
        tooltip: {trigger: 'axis', renderMode: 'richText'},
        grid: {left: 110, right: 12, top: 8, bottom: 24},
        yAxis: {type: 'category', inverse: true},
        xAxis: {type: 'value', minInterval: 1}
    }, {
        yAxis: {data: types.map((t) => t.name)},
        series: [{id: 'types', type: 'bar',
                  data: types.map((t) => t.count)}]
    }, onBand('y'));
    c.pick = (i) => i < types.length && onPick(types[i].name);
    box.dataset.total = String(types.reduce((a, t) => a + t.count, 0));
    box.dataset.count = String(types.length);
}

// The world map: SVG paths made by build.mjs, made into elements once and
// then only recoloured.  Each country's title gives its name and count;
// a click narrows the filters to it (the ranked list beside the map is
// the same drill-down for the keyboard).
const SVG = 'http://www.w3.org/2000/svg';
const NONE = '#eef0f3';
let map = null;

function makeMap(box) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', world.viewBox);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('class', 'world');
    const paths = new Map();
    for (const c of world.countries) {
        const p = document.createElementNS(SVG, 'path');
        p.setAttribute('d', c.d);
        p.dataset.code = c.code;
        p.append(document.createElementNS(SVG, 'title'));
        svg.append(p);
        paths.set(c.code, p);
    }
    const legend = document.createElement('div');
    legend.className = 'legend map-legend';
    const m = {box, svg, paths, legend, pick: () => {}};
    svg.addEventListener('click', (ev) => {
        const p = ev.target.closest('path');
        if (p) {
            m.pick(p.dataset.code);
        }
    });
    box.replaceChildren(svg, legend);
    return m;
}

export function renderMap(box, stats, onPick) {
    if (!map || map.box !== box) {
        map = makeMap(box);
    }
    map.pick = onPick;
    const n = new Map(stats.countries.map((x) => [x.code, x.count]));
    const max = stats.countries.reduce((a, x) => Math.max(a, x.count), 0);
    for (const [code, p] of map.paths) {
        const v = n.get(code) || 0;
        // the lightest shade for one threat: none stays grey
        p.style.fill = v ? shade(0.2 + 0.8 * v / Math.max(1, max)).css : NONE;
        p.dataset.count = String(v);
        p.firstChild.textContent = `${countryName.get(code)}: ${v}`;
    }
    map.legend.replaceChildren(...['0', '', String(max), 'threats'].map(
        (t, i) => {
            const e = document.createElement('span');
            e.textContent = t;
            if (i === 1) {
                e.className = 'bar';
            }
            return e;
        }));
    const top = stats.countries[0];
    box.setAttribute('aria-label', 'World map of targeted countries: '
        + `${stats.countries.length} countries`
        + (top ? `, most ${countryName.get(top.code) || top.code} `
           + `(${top.count})` : '')
        + '; the list beside it ranks them.');
}

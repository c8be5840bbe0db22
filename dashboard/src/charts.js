// The charts, with the parts of Apache ECharts they use (tree-shaken by
// the bundler): threats over time, types, the world map.

import * as echarts from 'echarts/core';
import {LineChart, BarChart, MapChart} from 'echarts/charts';
import {GridComponent, TooltipComponent, LegendComponent,
        VisualMapComponent} from 'echarts/components';
import {CanvasRenderer} from 'echarts/renderers';
import {feature} from 'topojson-client';
import world from '../build-data/world.json';

echarts.use([LineChart, BarChart, MapChart, GridComponent, TooltipComponent,
             LegendComponent, VisualMapComponent, CanvasRenderer]);

const geo = feature(world, world.objects.countries);

// Antarctica is no target; a ring across the antimeridian (Russia, Fiji)
// is drawn east of it rather than as a band across the map
geo.features = geo.features.filter((f) => f.properties.code !== 'AQ');
for (const f of geo.features) {
    const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates]
        : f.geometry.coordinates;
    for (const ring of polys.flat()) {
        const lons = ring.map((c) => c[0]);
        if (Math.max(...lons) - Math.min(...lons) > 180) {
            ring.forEach((c) => { if (c[0] < 0) c[0] += 360; });
        }
    }
}
echarts.registerMap('world', geo);
export const countryName = new Map(geo.features.map(
    (f) => [f.properties.code, f.properties.name]));

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

export function renderMap(box, stats, onPick) {
    const max = stats.countries.reduce((a, x) => Math.max(a, x.count), 0);
    const c = chart(box, {
        animation: false,
        tooltip: {trigger: 'item', renderMode: 'richText', formatter: (p) =>
            `${countryName.get(p.name) || p.name}: ${p.value || 0}`},
        visualMap: {min: 0, calculable: false,
                    left: 8, bottom: 8, itemHeight: 80,
                    inRange: {color: ['#fde0c5', '#f59e5b', '#d9480f',
                                      '#7f1d00']}}
    }, {
        visualMap: {max: Math.max(1, max)},
        series: [{id: 'map', type: 'map', map: 'world', roam: false,
                  nameProperty: 'code',
                  emphasis: {label: {show: false}},
                  itemStyle: {areaColor: '#eef0f3', borderColor: '#9aa3b0'},
                  data: stats.countries.map((x) => ({name: x.code,
                                                     value: x.count}))}]
    }, (ch) => ch.on('click', (p) => ch.pick(p.name)));
    c.pick = onPick;
}

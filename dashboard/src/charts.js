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

// a click anywhere in a category's band picks it, not only on its mark
function onBand(c, axis, pick) {
    c.getZr().off('click');
    c.getZr().on('click', (ev) => {
        const p = [ev.offsetX, ev.offsetY];
        if (!c.containPixel({gridIndex: 0}, p)) {
            return;
        }
        const v = c.convertFromPixel({gridIndex: 0}, p);
        const i = Math.round(axis === 'x' ? v[0] : v[1]);
        if (Number.isInteger(i) && i >= 0) {
            pick(i);
        }
    });
}

function chart(box) {
    let c = charts.get(box);
    if (!c) {
        c = echarts.init(box, null, {renderer: 'canvas'});
        charts.set(box, c);
        new ResizeObserver(() => c.resize()).observe(box);
    }
    return c;
}

const COLORS = ['#0b5cad', '#c2410c', '#15803d', '#7e22ce'];

export function renderTimeline(box, stats, onPick) {
    const c = chart(box);
    c.off('click');
    const sources = [...new Set(stats.timeline.flatMap(
        (b) => Object.keys(b.by_source || {})))].sort();
    c.setOption({
        color: COLORS,
        animation: false,
        tooltip: {trigger: 'axis', renderMode: 'richText'},
        legend: {top: 0},
        grid: {left: 40, right: 12, top: 30, bottom: 24},
        xAxis: {type: 'category', data: stats.timeline.map((b) => b.t)},
        yAxis: {type: 'value', minInterval: 1},
        series: sources.map((s) => ({
            name: s, type: 'line', showSymbol: stats.timeline.length < 60,
            data: stats.timeline.map((b) => (b.by_source || {})[s] || 0)
        }))
    }, {replaceMerge: ['series']});
    onBand(c, 'x', (i) => i < stats.timeline.length
           && onPick(stats.timeline[i].t, stats.filters.interval));
    box.dataset.points = String(stats.timeline.length);
    box.dataset.total = String(stats.timeline.reduce((a, b) => a + b.count,
                                                     0));
}

export function renderTypes(box, stats, onPick) {
    const c = chart(box);
    const types = stats.types.slice(0, 15);
    c.off('click');
    c.setOption({
        color: COLORS,
        animation: false,
        tooltip: {trigger: 'axis', renderMode: 'richText'},
        grid: {left: 110, right: 12, top: 8, bottom: 24},
        yAxis: {type: 'category', inverse: true,
                data: types.map((t) => t.name)},
        xAxis: {type: 'value', minInterval: 1},
        series: [{type: 'bar', data: types.map((t) => t.count)}]
    }, {replaceMerge: ['series']});
    onBand(c, 'y', (i) => i < types.length && onPick(types[i].name));
    box.dataset.total = String(types.reduce((a, t) => a + t.count, 0));
    box.dataset.count = String(types.length);
}

export function renderMap(box, stats, onPick) {
    const c = chart(box);
    const max = stats.countries.reduce((a, x) => Math.max(a, x.count), 0);
    c.off('click');
    c.setOption({
        animation: false,
        tooltip: {trigger: 'item', renderMode: 'richText', formatter: (p) =>
            `${countryName.get(p.name) || p.name}: ${p.value || 0}`},
        visualMap: {min: 0, max: Math.max(1, max), calculable: false,
                    left: 8, bottom: 8, itemHeight: 80,
                    inRange: {color: ['#fde0c5', '#f59e5b', '#d9480f',
                                      '#7f1d00']}},
        series: [{type: 'map', map: 'world', roam: false,
                  nameProperty: 'code',
                  emphasis: {label: {show: false}},
                  itemStyle: {areaColor: '#eef0f3', borderColor: '#9aa3b0'},
                  data: stats.countries.map((x) => ({name: x.code,
                                                     value: x.count}))}]
    }, {replaceMerge: ['series']});
    c.on('click', (p) => onPick(p.name));
}

// Chart.js set up once for every chart of the dashboard: a time axis (date-fns, in the user's time zone), zoom and
// pan (chartjs-plugin-zoom: drag to zoom, shift+drag or a finger to pan, ctrl+wheel or a pinch to zoom), and the
// dashboard's own plugins: a crosshair shared by the charts of a page, horizontal bands (the 70–80% target), a
// "now" line, and the markers' positions published for tests and keyboard users.
import 'chartjs-adapter-date-fns';
import {
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  TimeScale,
  Tooltip,
} from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';

// Colours are CSS custom properties (styles.css; the dark theme overrides them), read when a chart is drawn.
export function color(name, fallback = '#888') {
  if (typeof document === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
  return v || fallback;
}

// A crosshair group: the charts of one page. Moving over one draws the same instant on all of them.
// Its own toStringTag keeps Chart.js from taking it for nested options (it would copy or proxy a plain object).
export function createCrosshairGroup() {
  return { [Symbol.toStringTag]: 'CrosshairGroup', x: null, charts: new Set() };
}

const crosshair = {
  id: 'crosshair',
  afterInit(chart, _args, opts) {
    opts.group?.charts.add(chart);
  },
  afterDestroy(chart, _args, opts) {
    opts.group?.charts.delete(chart);
  },
  afterEvent(chart, args, opts) {
    const group = opts.group;
    if (!group) return;
    const e = args.event;
    let x = group.x;
    if (e.type === 'mousemove' && args.inChartArea) x = chart.scales.x.getValueForPixel(e.x);
    else if (e.type === 'mouseout' || (e.type === 'mousemove' && !args.inChartArea)) x = null;
    if (x === group.x) return;
    group.x = x;
    for (const other of group.charts) if (other !== chart) other.draw();
    args.changed = true;
  },
  afterDatasetsDraw(chart, _args, opts) {
    const x = opts.group?.x;
    if (x == null) return;
    const { ctx, chartArea, scales } = chart;
    const px = scales.x.getPixelForValue(x);
    if (px < chartArea.left || px > chartArea.right) return;
    ctx.save();
    ctx.strokeStyle = color('chart-crosshair', '#495057');
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px, chartArea.top);
    ctx.lineTo(px, chartArea.bottom);
    ctx.stroke();
    ctx.restore();
  },
};

// Horizontal bands behind the data: options.plugins.bands = [{ from, to, color }] in y units.
const bands = {
  id: 'bands',
  beforeDatasetsDraw(chart, _args, opts) {
    const { ctx, chartArea, scales } = chart;
    for (const b of opts.bands ?? []) {
      const top = scales.y.getPixelForValue(b.to);
      const bottom = scales.y.getPixelForValue(b.from);
      ctx.save();
      ctx.fillStyle = b.color;
      ctx.fillRect(chartArea.left, Math.max(top, chartArea.top), chartArea.right - chartArea.left, Math.min(bottom, chartArea.bottom) - Math.max(top, chartArea.top));
      ctx.restore();
    }
  },
};

// Vertical spans (alerts while open) and a "now" line: options.plugins.spans = { now, spans: [{ from, to, color }] } in ms.
const spans = {
  id: 'spans',
  beforeDatasetsDraw(chart, _args, opts) {
    const { ctx, chartArea, scales } = chart;
    for (const s of opts.spans ?? []) {
      const left = Math.max(chartArea.left, scales.x.getPixelForValue(s.from));
      const right = Math.min(chartArea.right, scales.x.getPixelForValue(s.to));
      if (right <= left) continue;
      ctx.save();
      ctx.fillStyle = s.color;
      ctx.fillRect(left, chartArea.top, right - left, chartArea.bottom - chartArea.top);
      ctx.restore();
    }
    if (opts.now != null) {
      const px = scales.x.getPixelForValue(opts.now);
      if (px >= chartArea.left && px <= chartArea.right) {
        ctx.save();
        ctx.strokeStyle = color('chart-now', '#868e96');
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(px, chartArea.top);
        ctx.lineTo(px, chartArea.bottom);
        ctx.stroke();
        ctx.fillStyle = color('chart-text', '#495057');
        ctx.font = '11px system-ui, sans-serif';
        ctx.fillText('now', px + 3, chartArea.top + 10);
        ctx.restore();
      }
    }
  },
};

// Where each marker (a point of a dataset with `marker` set) was drawn, in CSS pixels of the canvas, on the chart's
// container as data-markers: a test clicks there as a user would.
const markerPositions = {
  id: 'markerPositions',
  afterRender(chart) {
    const host = chart.canvas.parentElement?.closest('[data-chart]');
    if (!host) return;
    const out = [];
    chart.data.datasets.forEach((ds, i) => {
      if (!ds.marker || !chart.isDatasetVisible(i)) return;
      chart.getDatasetMeta(i).data.forEach((el, j) => {
        const { x, y } = el.getProps(['x', 'y'], true);
        if (x >= chart.chartArea.left && x <= chart.chartArea.right) out.push({ kind: ds.marker, id: ds.data[j].item?.id, x: Math.round(x), y: Math.round(y) });
      });
    });
    const text = JSON.stringify(out);
    if (host.dataset.markers !== text) host.dataset.markers = text;
  },
};

ChartJS.register(LineController, ScatterController, LineElement, PointElement, LinearScale, TimeScale, Filler, Tooltip, Legend, zoomPlugin, crosshair, bands, spans, markerPositions);

export { ChartJS };

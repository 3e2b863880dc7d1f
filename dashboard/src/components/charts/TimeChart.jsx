// A chart over time the user can work with: the page's view (from/to, shared by its charts so zooming one zooms
// all), drag to zoom, shift+drag or a finger to pan, buttons for both, a crosshair shared with the page's other
// charts, clickable markers (actions, alerts) and a legend of its own that matches the drawn colours and folds
// away on a phone. Stateless about data: the page owns the datasets and the view.
import { useEffect, useRef, useState } from 'react';
import { Line } from 'react-chartjs-2';
import { time, timeZone } from '../../format.js';
import { color } from './setup.js';

const PHONE = '(max-width: 40rem)'; // the legend folds on a phone-sized screen
const NARROW = 420; // px of chart width below which the y title moves into the heading

function usePhone() {
  const [phone, setPhone] = useState(() => window.matchMedia(PHONE).matches);
  useEffect(() => {
    const query = window.matchMedia(PHONE);
    const onChange = () => setPhone(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return phone;
}

function useWidth(ref) {
  const [width, setWidth] = useState(1000);
  useEffect(() => {
    if (!ref.current) return undefined;
    const observer = new ResizeObserver(([entry]) => setWidth(entry.contentRect.width));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

function swatchStyle(ds) {
  const fill = ds.legendColor ?? (ds.fill !== undefined && ds.fill !== false ? ds.backgroundColor : ds.borderColor ?? ds.backgroundColor);
  const dashed = ds.borderDash?.length;
  return dashed && !ds.legendColor
    ? { borderTop: `2px dashed ${ds.borderColor}`, background: 'transparent', height: 0 }
    : { background: fill };
}

export default function TimeChart({ title, testId, label, datasets, view, onView, yTitle, yMax, yTicks, group, bands, spans, now, onMarker, tooltipLabel, attrs = {} }) {
  const host = useRef(null);
  const chartRef = useRef(null);
  const width = useWidth(host);
  const phone = usePhone();
  const narrow = phone || width < NARROW;
  const [hidden, setHidden] = useState({});
  const shown = datasets.map((ds) => ({ ...ds, hidden: !!hidden[ds.label] }));

  const commit = ({ chart }) => onView?.(Math.round(chart.scales.x.min), Math.round(chart.scales.x.max));
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    normalized: true,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    layout: { padding: { top: 4, right: 4 } },
    scales: {
      x: {
        type: 'time',
        min: view.from,
        max: view.to,
        grid: { color: color('chart-grid', '#eef0f3') },
        ticks: { color: color('chart-text', '#495057'), maxRotation: 0, autoSkipPadding: 16, maxTicksLimit: narrow ? 4 : 8, callback: (v) => time(v / 1000) },
      },
      y: {
        beginAtZero: true,
        max: yMax,
        grid: { color: color('chart-grid', '#eef0f3') },
        ticks: { color: color('chart-text', '#495057'), maxTicksLimit: narrow ? 5 : 8, padding: 4, ...(yTicks ?? {}) },
        // On a phone the unit goes into the heading: a rotated title beside the ticks costs a fifth of the plot.
        title: { display: !narrow && !!yTitle, text: yTitle, color: color('chart-text', '#495057'), padding: { bottom: 6 } },
      },
    },
    onClick: (evt, elements, chart) => {
      // The marker under the pointer first; else the nearest in time (a finger is not a mouse pointer).
      const under = chart.getElementsAtEventForMode(evt, 'nearest', { intersect: true, axis: 'xy' }, false);
      const hit = [...under, ...elements].find((e) => chart.data.datasets[e.datasetIndex].marker);
      if (hit && onMarker) {
        const ds = chart.data.datasets[hit.datasetIndex];
        onMarker(ds.marker, ds.data[hit.index].item);
      }
    },
    onHover: (evt, elements, chart) => {
      const onMarkerPoint = elements.some((e) => chart.data.datasets[e.datasetIndex].marker);
      evt.native.target.style.cursor = onMarkerPoint ? 'pointer' : 'crosshair';
    },
    plugins: {
      legend: { display: false },
      crosshair: { group },
      bands: { bands },
      spans: { spans, now },
      tooltip: {
        callbacks: {
          title: (items) => (items.length ? `${time(items[0].parsed.x / 1000, undefined, { zone: true })}` : ''),
          label: (item) => tooltipLabel?.(item) ?? `${item.dataset.label}: ${Number(item.parsed.y.toPrecision(4))}`,
        },
      },
      zoom: {
        limits: { x: { minRange: 5 * 60 * 1000 } },
        pan: { enabled: true, mode: 'x', modifierKey: 'shift', onPanComplete: commit },
        zoom: {
          mode: 'x',
          drag: { enabled: true, threshold: 8, backgroundColor: 'rgba(31,95,191,0.15)' },
          wheel: { enabled: true, modifierKey: 'ctrl' },
          pinch: { enabled: true },
          onZoomComplete: commit,
        },
      },
    },
  };

  // Buttons do what the gestures do, for keyboards and for people who do not know the gestures.
  const zoomBy = (factor) => {
    const mid = (view.from + view.to) / 2;
    const half = ((view.to - view.from) / 2) * factor;
    onView?.(Math.round(mid - half), Math.round(mid + half));
  };
  const panBy = (share) => {
    const d = (view.to - view.from) * share;
    onView?.(Math.round(view.from + d), Math.round(view.to + d));
  };

  const legend = (
    <ul className="chart-legend">
      {datasets
        .filter((ds) => !ds.noLegend)
        .map((ds) => (
          <li key={ds.label}>
            <button type="button" className={hidden[ds.label] ? 'legend-item off' : 'legend-item'} aria-pressed={!hidden[ds.label]} onClick={() => setHidden((h) => ({ ...h, [ds.label]: !h[ds.label] }))}>
              <span className="swatch" style={swatchStyle(ds)} aria-hidden="true" />
              {ds.label}
            </button>
          </li>
        ))}
    </ul>
  );
  return (
    <figure className="chart-box" data-chart={testId} data-testid={testId} {...attrs} ref={host}>
      <figcaption className="chart-head">
        <span className="chart-title">
          {title}
          {narrow && yTitle ? <small> · {yTitle}</small> : null}
        </span>
        <span className="chart-tools" role="group" aria-label={`${title}: zoom and pan`}>
          <button type="button" className="secondary" onClick={() => panBy(-0.25)} aria-label={`${title}: pan back`}>◀</button>
          <button type="button" className="secondary" onClick={() => zoomBy(0.5)} aria-label={`${title}: zoom in`}>+</button>
          <button type="button" className="secondary" onClick={() => zoomBy(2)} aria-label={`${title}: zoom out`}>−</button>
          <button type="button" className="secondary" onClick={() => panBy(0.25)} aria-label={`${title}: pan forward`}>▶</button>
        </span>
      </figcaption>
      <div className="chart-canvas">
        <Line ref={chartRef} data={{ datasets: shown }} options={options} aria-label={label} role="img" />
      </div>
      {phone ? (
        <details className="legend-fold">
          <summary>Legend</summary>
          {legend}
        </details>
      ) : (
        legend
      )}
      <p className="chart-zone muted">times in {timeZone(now ? now / 1000 : undefined).zone}</p>
    </figure>
  );
}

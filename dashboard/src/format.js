// Formatting of the numbers the dashboard shows. Pure functions, unit-tested (format.test.js).

export function money(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const sign = value < 0 ? '−' : '';
  return `${sign}$${Math.abs(value).toFixed(digits)}`;
}

export function percent(fraction, digits = 0) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function number(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(digits);
}

// "14:05" for today, "Nov 27 14:05" otherwise, in the browser's time zone.
export function time(unixSeconds, now = Date.now() / 1000) {
  if (!unixSeconds) return '–';
  const d = new Date(unixSeconds * 1000);
  const hm = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  const sameDay = new Date(now * 1000).toDateString() === d.toDateString();
  return sameDay ? hm : `${d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })} ${hm}`;
}

// Where a utilization sits against the target band: below, in or above.
export function bandOf(utilization, low = 0.7, high = 0.8) {
  if (utilization === null || utilization === undefined || !Number.isFinite(utilization)) return 'unknown';
  if (utilization < low) return 'below';
  if (utilization > high) return 'above';
  return 'in';
}

// The line under a trained model's live accuracy, from GET /api/predictions' `since_training`.
// What a trained model's bands depend on: one offset per step, or the phase of the clock its errors follow.
export function bandsBy(record) {
  if (!record?.bands_by) return '';
  return record.bands_by === 'none' ? 'bands: one per step ahead' : `bands by the ${record.bands_by}`;
}

// How often the load stayed within the bands since training (their empirical coverage, out of sample).
export function bandCoverage(record) {
  const c = record?.coverage;
  if (c?.p95 == null) return '';
  return `under the p95 band ${percent(c.p95, 1)} of the time, p99 ${percent(c.p99, 1)}`;
}

export function sinceTraining(record) {
  if (!record) return 'no trained model yet';
  if (!record.steps_scored) return 'no load since training yet';
  const line = `over ${record.steps_scored} steps since training (${percent(record.trained_accuracy, 1)} when trained)`;
  return record.drifted ? `${line} · drifted: retraining` : line;
}

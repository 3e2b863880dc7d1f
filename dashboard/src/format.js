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

// One clock (docs/DASHBOARD.md, "One clock"): every time a page shows is the service's (the demo's scaled clock in
// demo mode), never the browser's. The service says its time in every response that matters (`now` in stats,
// history, savings and each live event); pages pass it to noteServiceNow, and serviceNow() answers with the newest.
let lastServiceNow = null;
const clockListeners = new Set();

export function noteServiceNow(unixSeconds) {
  if (!Number.isFinite(unixSeconds) || (lastServiceNow !== null && unixSeconds <= lastServiceNow)) return;
  lastServiceNow = unixSeconds;
  for (const fn of clockListeners) fn(unixSeconds);
}

// The service's time as last heard, in unix seconds; null before the first answer.
export function serviceNow() {
  return lastServiceNow;
}

// Calls fn(now) whenever the service's time moves; returns the unsubscribe function.
export function onServiceNow(fn) {
  clockListeners.add(fn);
  return () => clockListeners.delete(fn);
}

// The user's time zone: its IANA name and its short name at `unixSeconds` ("Europe/Berlin", "CET").
export function timeZone(unixSeconds = Date.now() / 1000, locale = undefined) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  const part = new Intl.DateTimeFormat(locale ?? 'en-US', { timeZoneName: 'short' })
    .formatToParts(new Date(unixSeconds * 1000))
    .find((p) => p.type === 'timeZoneName');
  return { zone, short: part?.value ?? zone };
}

// "Europe/Berlin (CET)", or just "UTC": how a page names the zone its times are shown in.
export function zoneLabel(unixSeconds) {
  const { zone, short } = timeZone(unixSeconds);
  return zone === short ? zone : `${zone} (${short})`;
}

// "14:05" for today, "Nov 27 14:05" otherwise, in the browser's time zone; `now` is the service's time (the day
// that counts as today is the service's). With { zone: true } the zone's short name follows ("14:05 CET").
export function time(unixSeconds, now = serviceNow() ?? Date.now() / 1000, { zone = false } = {}) {
  if (!unixSeconds) return '–';
  const d = new Date(unixSeconds * 1000);
  const hm = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  const sameDay = new Date(now * 1000).toDateString() === d.toDateString();
  const text = sameDay ? hm : `${d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })} ${hm}`;
  return zone ? `${text} ${timeZone(unixSeconds).short}` : text;
}

// "Dec 5 14:05 CET": a full date and time with the zone, for a clock or a marker's details.
export function dateTime(unixSeconds) {
  if (!unixSeconds) return '–';
  const d = new Date(unixSeconds * 1000);
  const hm = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return `${d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })} ${hm} ${timeZone(unixSeconds).short}`;
}

// A <input type="datetime-local"> value ("2026-12-05T14:05") for unix seconds in the user's zone, and back.
export function toLocalInput(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value) {
  const ms = new Date(value).getTime(); // a datetime-local string without a zone is read in the user's zone
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

// A span of seconds for people: "45 min", "6 h", "7 d".
export function span(seconds) {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400 * 2) return `${Math.round((seconds / 3600) * 10) / 10} h`;
  return `${Math.round((seconds / 86400) * 10) / 10} d`;
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

// The entries of an action's `explanation` object as [label, text] pairs, in the server's order: nested objects
// flattened with dots, numbers shortened, arrays joined. Nothing for a missing or non-object explanation.
export function explanationEntries(explanation, prefix = '') {
  if (!explanation || typeof explanation !== 'object' || Array.isArray(explanation)) return [];
  const out = [];
  for (const [key, value] of Object.entries(explanation)) {
    const label = (prefix ? `${prefix}.${key}` : key).replaceAll('_', ' ');
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      out.push(...explanationEntries(value, prefix ? `${prefix}.${key}` : key));
    } else if (Array.isArray(value)) {
      out.push([label, value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')]);
    } else if (typeof value === 'number') {
      out.push([label, Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)))]);
    } else {
      out.push([label, value === null || value === undefined ? '–' : String(value)]);
    }
  }
  return out;
}

// A job's state in a few words: "running 40%", "failed: no history", "succeeded".
export function jobState(job) {
  if (!job) return '';
  if (job.status === 'running') return `running ${Math.round((job.progress ?? 0) * 100)}%`;
  if ((job.status === 'failed' || job.status === 'cancelled') && job.error) return `${job.status}: ${job.error}`;
  return job.status;
}

// What an allocation pass did to each resource, from its job's result: "web: 8 → 6 applied", "api: no change".
export function passSummary(results) {
  return (results ?? [])
    .map((r) => {
      if (r.error) return `${r.resource}: ${r.error}`;
      if (r.action) return `${r.resource}: ${r.action.from} → ${r.action.to} ${r.action.status}`;
      if (r.recommendation) return `${r.resource}: recommends ${r.recommendation.from} → ${r.recommendation.to}`;
      return `${r.resource}: no change (${r.current_capacity})`;
    })
    .join('; ');
}

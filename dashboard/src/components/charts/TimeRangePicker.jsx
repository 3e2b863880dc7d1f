// The time picker of a page's charts: the last 1 h … 30 d (following the service's clock as it moves), or an
// absolute from/to typed in the user's time zone. `value` is { kind: 'last', seconds } or { kind: 'abs', from, to }
// (unix seconds); `now` is the service's time.
import { useState } from 'react';
import { fromLocalInput, toLocalInput, zoneLabel } from '../../format.js';

export const LAST = [
  { label: '1 h', seconds: 3600 },
  { label: '6 h', seconds: 6 * 3600 },
  { label: '24 h', seconds: 86400 },
  { label: '7 d', seconds: 7 * 86400 },
  { label: '30 d', seconds: 30 * 86400 },
];

// [from, to] in unix seconds for a picker value at the service's time `now`.
export function rangeOf(value, now) {
  return value.kind === 'abs' ? [value.from, value.to] : [now - value.seconds, now];
}

export default function TimeRangePicker({ value, onChange, now, zoomed, onResetZoom }) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [problem, setProblem] = useState('');

  function openAbsolute() {
    const [f, t] = rangeOf(value, now);
    setFrom(toLocalInput(f));
    setTo(toLocalInput(t));
    setProblem('');
    setOpen(true);
  }

  function apply(e) {
    e.preventDefault();
    const f = fromLocalInput(from), t = fromLocalInput(to);
    if (f === null || t === null) return setProblem('enter both times');
    if (f >= t) return setProblem('"from" must be before "to"');
    if (t - f > 31 * 86400) return setProblem('at most 31 days');
    setOpen(false);
    onChange({ kind: 'abs', from: f, to: t });
  }

  return (
    <div className="range-picker" role="group" aria-label="time range">
      {LAST.map((r) => (
        <button
          key={r.label}
          type="button"
          className={value.kind === 'last' && value.seconds === r.seconds ? 'chip on' : 'chip'}
          aria-pressed={value.kind === 'last' && value.seconds === r.seconds}
          aria-label={`last ${r.label}`}
          onClick={() => onChange({ kind: 'last', seconds: r.seconds })}
        >
          {r.label}
        </button>
      ))}
      <button type="button" className={value.kind === 'abs' ? 'chip on' : 'chip'} aria-pressed={value.kind === 'abs'} aria-expanded={open} onClick={() => (open ? setOpen(false) : openAbsolute())}>
        From… to…
      </button>
      {zoomed && (
        <button type="button" className="chip" onClick={onResetZoom}>
          Reset zoom
        </button>
      )}
      {open && (
        <form className="range-abs" onSubmit={apply}>
          <label>
            From
            <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="from" />
          </label>
          <label>
            To
            <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} aria-label="to" />
          </label>
          <button type="submit">Show</button>
          <small className="muted">{zoneLabel(now)}</small>
          {problem && (
            <span role="alert" className="error">
              {problem}
            </span>
          )}
        </form>
      )}
    </div>
  );
}

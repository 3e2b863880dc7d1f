// What a clicked chart marker stands for: an action with its reason and structured details, or an anomaly alert
// with its evidence (the value seen against the range expected, and the forecast's band where there was one) and
// whether it is still open.
import { dateTime, explanationEntries, money, number, percent } from '../../format.js';

export default function MarkerDetail({ selected, metric, onClose }) {
  const { kind, item } = selected;
  return (
    <section className="marker-detail" aria-label={`${kind} details`} data-testid="marker-detail" data-kind={kind} data-id={item.id}>
      <button type="button" className="secondary close" onClick={onClose} aria-label="close the details">
        ×
      </button>
      {kind === 'action' ? <ActionDetail a={item} /> : <AlertDetail a={item} metric={metric} />}
    </section>
  );
}

function ActionDetail({ a }) {
  const entries = explanationEntries(a.explanation);
  return (
    <>
      <h2>
        Action #{a.id}: {a.from} → {a.to} instances <em>{a.status}</em>
      </h2>
      <p className="muted">
        {dateTime(a.ts)} · {money(a.hourly_cost_before)}/h → {money(a.hourly_cost_after)}/h
      </p>
      <p data-testid="marker-reason">{a.reason}</p>
      {a.error && <p className="error">{a.error}</p>}
      {entries.length > 0 && (
        <dl className="explanation">
          {entries.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </>
  );
}

function AlertDetail({ a, metric }) {
  const low = a.expected?.range?.low, high = a.expected?.range?.high;
  const f = a.expected?.forecast;
  return (
    <>
      <h2>
        Alert #{a.id} on {a.metric}: <span className={`tag ${a.state === 'open' ? 'danger' : ''}`} data-testid="alert-state">{a.state}</span>{' '}
        <small>{a.severity}</small>
      </h2>
      <p className="muted">
        opened {dateTime(a.opened_at)}
        {a.closed_at ? ` · closed ${dateTime(a.closed_at)}` : ' · still open'}
      </p>
      <p data-testid="marker-reason">{a.message}</p>
      <dl className="explanation" data-testid="alert-evidence">
        <div>
          <dt>seen</dt>
          <dd>
            {number(a.value, 2)} {a.metric === metric ? metric : a.metric}
          </dd>
        </div>
        <div>
          <dt>expected range</dt>
          <dd>
            {number(low, 2)} – {number(high, 2)}
          </dd>
        </div>
        {f && (
          <div>
            <dt>forecast band</dt>
            <dd>
              p50 {number(f.p50, 2)} · p99 {number(f.p99, 2)}
            </dd>
          </div>
        )}
        <div>
          <dt>score</dt>
          <dd>
            {percent(a.score, 0)} (peak {percent(a.peak_score, 0)})
          </dd>
        </div>
      </dl>
    </>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import Reason from '../components/Reason.jsx';
import { subscribe } from '../events.js';
import { money, time } from '../format.js';

export default function Recommendations({ canApply }) {
  const [items, setItems] = useState([]);
  const [couldSave, setCouldSave] = useState(null);
  const [names, setNames] = useState({});
  const [message, setMessage] = useState('');

  const load = useCallback(async () => {
    try {
      const [{ data: recs }, { data: res }] = await Promise.all([
        api.get('/api/resources/recommendations', { params: { status: 'open' } }),
        api.get('/api/resources'),
      ]);
      setItems(recs.recommendations);
      setCouldSave(recs.could_save);
      setNames(Object.fromEntries(res.resources.map((r) => [r.id, r.name])));
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    load();
    return subscribe(load);
  }, [load]);

  async function act(id, verb) {
    try {
      await api.post(`/api/resources/recommendations/${id}/${verb}`);
      setMessage(verb === 'apply' ? `recommendation ${id} applied` : `recommendation ${id} dismissed`);
      load();
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }

  // The server's "could save" (open recommendations, never counted as saved): what applying them all would change.
  const perHour = couldSave?.per_hour ?? 0;
  return (
    <>
      <h1>Recommendations</h1>
      <p data-testid="could-save-summary">
        {items.length} open; {perHour >= 0 ? 'could save' : 'would add'} <strong>{money(Math.abs(perHour))}/h</strong> if applied
        (not counted as saved until applied).
      </p>
      {message && <p role="status">{message}</p>}
      <ul className="recs">
        {items.map((r) => (
          <li key={r.id} className="card" data-testid="recommendation">
            <h2>
              {names[r.resource_id] ?? r.resource_id}: {r.from} → {r.to} instances
            </h2>
            <p>
              {money(r.hourly_cost_before)}/h → {money(r.hourly_cost_after)}/h (
              {r.hourly_saving >= 0 ? `could save ${money(r.hourly_saving)}/h` : `adds ${money(-r.hourly_saving)}/h`} if applied) ·{' '}
              {time(r.created_at)}
            </p>
            <Reason item={r} />
            {canApply && (
              <p>
                <button type="button" onClick={() => act(r.id, 'apply')} aria-label={`apply recommendation ${r.id}`}>
                  Apply
                </button>{' '}
                <button type="button" onClick={() => act(r.id, 'dismiss')} aria-label={`dismiss recommendation ${r.id}`}>
                  Dismiss
                </button>
              </p>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

// Adopting a sweep's setting in the running service (docs/COSTS.md §1, "Adopting the setting"): beside cloudopt's
// cheapest setting within the unmet budget the frontier shows (`budget`: the sweep's own, or one the user typed after
// it ran), what the loop plans at now (GET /api/settings/adopt) and, for an admin, an Adopt button whose confirmation
// shows what changes from -> to (POST /api/settings/adopt with the sweep's job id, and the typed budget as max_unmet).
// Others see why they cannot.
import { useEffect, useState } from 'react';
import { adoptionFor } from '../adoptData.js';
import { api, errorMessage } from '../api.js';
import { percent } from '../format.js';

// A sweep names quantiles as numbers (0.999), the loop as levels (p99.9).
export const quantileName = (q) => `p${Math.round(Number(q) * 1000) / 10}`;
const budgetText = (b) => percent(Number(b), 2);

export default function AdoptSetting({ jobId, sweep, budget, isAdmin }) {
  const [current, setCurrent] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [adopted, setAdopted] = useState(null);
  const [error, setError] = useState('');

  async function load() {
    try {
      setCurrent((await api.get('/api/settings/adopt')).data);
    } catch (e) {
      setError(errorMessage(e));
    }
  }
  useEffect(() => {
    load();
  }, []);

  async function adopt() {
    setError('');
    try {
      const { data } = await api.post('/api/settings/adopt', { job_id: jobId, ...request });
      setAdopted(data);
      setConfirming(false);
      await load();
    } catch (e) {
      setError(errorMessage(e));
      setConfirming(false);
    }
  }

  const { cheapest, request } = adoptionFor(sweep, budget);
  const to = cheapest ? { quantile: quantileName(cheapest.setting.quantile), unmet_budget: cheapest.setting.unmet_budget } : null;
  const same = current && to && current.quantile === to.quantile && Math.abs(current.unmet_budget - to.unmet_budget) < 1e-12;
  const whyNot = !isAdmin ? 'Adopting a setting needs the admin role.' : current && !current.can_adopt ? 'This service keeps no adopted settings (it has no data directory).' : '';
  return (
    <section aria-label="adopt the setting" className="adopt-setting" data-testid="adopt-setting">
      <p data-testid="adopted-setting" data-quantile={current?.quantile ?? ''} data-unmet-budget={current?.unmet_budget ?? ''} data-source={current?.source ?? ''}>
        {current ? (
          <>
            The loop plans at <strong>{current.quantile}</strong> with an unmet budget of <strong>{budgetText(current.unmet_budget)}</strong>{' '}
            {current.source === 'adopted' ? `(adopted: ${current.adopted.reason}; evidence ${current.adopted.evidence}${current.adopted.replica ? ` on replica ${current.adopted.replica}` : ''})` : '(from its config)'}.
          </>
        ) : (
          'Reading the setting in force…'
        )}
      </p>
      {to ? (
        <p data-testid="adopt-candidate" data-quantile={to.quantile} data-unmet-budget={to.unmet_budget}>
          cloudopt's cheapest setting within {budgetText(budget)} unmet: <strong>{to.quantile}</strong>, unmet budget {budgetText(to.unmet_budget)} at {cheapest.cost_rel.toFixed(3)}× static, {budgetText(cheapest.unmet)} unmet.{' '}
          {whyNot ? (
            <span className="muted" data-testid="adopt-why-not">{whyNot}</span>
          ) : same ? (
            <span className="muted">It is the setting in force.</span>
          ) : (
            !confirming && (
              <button type="button" onClick={() => setConfirming(true)} disabled={!current}>
                Adopt
              </button>
            )
          )}
        </p>
      ) : budget === null || budget === undefined ? (
        <p className="muted">Give your unmet budget above to adopt cloudopt's cheapest setting within it.</p>
      ) : (
        <p className="muted">No predictive setting of this sweep keeps unmet within {budgetText(budget)}: sweep the predictive policy, or raise the budget, to adopt one.</p>
      )}
      {confirming && current && to && (
        <div role="dialog" aria-label="confirm the adoption" className="confirm" data-testid="adopt-confirm">
          <p>
            Every resource is planned at the new setting from its next pass (on every replica, when several share the database), and a restart keeps it:
          </p>
          <ul>
            <li>
              loop.quantile: {current.quantile} → {to.quantile}
            </li>
            <li>
              loop.unmet_budget: {current.unmet_budget} → {to.unmet_budget}
            </li>
          </ul>
          <button type="button" onClick={adopt}>
            Confirm adoption
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      {adopted && (
        <p role="status" data-testid="adopt-result">
          Adopted: loop.quantile {adopted.from.quantile} → {adopted.to.quantile}, loop.unmet_budget {adopted.from.unmet_budget} → {adopted.to.unmet_budget}.
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}

// Monthly budgets (docs/COSTS.md "Budgets"): each with its scope, amount, the spend so far and the month-end p50/p90
// projection against the amount, its state in words (ok, at risk, over, exceeded, unknown) and its cap mode. Admins
// create, change and delete them (/api/budgets; a cap changes what the planner may run); the API's 4xx message
// shows next to the form. `groups` (GET /api/costs's groups) offer the providers, resources and labels to scope to.
import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import { getWhenReady } from '../costApi.js';
import { BUDGET_STATES, scopeText, shareOf } from '../costData.js';
import { dateTime, money, percent } from '../format.js';
import DataTable from './DataTable.jsx';
import Notice from './Notice.jsx';
import '../costs.css';

const EMPTY = { name: '', monthly_usd: '', scope: 'total', target: '', cap_mode: 'off' };
const CAP_MODES = {
  off: 'off: alert only',
  soft: 'soft: while the p50 projection is over, cap each resource at its share of what is left, never below what its measured load needs now',
  hard: 'hard: the cap binds below the measured need too (the planner says what load it leaves unmet)',
};

export function BudgetState({ status }) {
  const state = BUDGET_STATES[status?.state] ?? { symbol: '…', text: 'not checked yet', help: 'the service checks budgets every minute' };
  return (
    <span className={`state ${status?.state ?? 'pending'}`} title={state.help} data-testid="budget-state" data-state={status?.state ?? ''}>
      <span aria-hidden="true">{state.symbol}</span> {state.text}
    </span>
  );
}

// The month's end against the amount: p50 and p90 with their share of the budget, and a meter of the p50.
function Projection({ budget }) {
  const end = budget.status?.month_end;
  if (!end) return <span className="muted">{budget.status?.note ?? 'no projection yet'}</span>;
  const p50 = shareOf(end.p50, budget.monthly_usd);
  const p90 = shareOf(end.p90, budget.monthly_usd);
  return (
    <span className="projection">
      <span>
        p50 {money(end.p50)} ({percent(p50)}) · p90 {money(end.p90)} ({percent(p90)})
      </span>
      <meter min="0" max={Math.max(1.5, p90 ?? 0)} low={0.999} high={1} optimum={0.5} value={p50 ?? 0} aria-label={`month's end p50 at ${percent(p50)} of the budget`} />
    </span>
  );
}

export default function Budgets({ isAdmin, groups = [] }) {
  const [budgets, setBudgets] = useState(null);
  const [listNotice, setListNotice] = useState(null);
  const [formNotice, setFormNotice] = useState(null);
  const [form, setForm] = useState(EMPTY);
  const [editing, setEditing] = useState(null); // the budget in the form, or null for a new one

  const load = useCallback(async () => {
    try {
      const { data } = await getWhenReady('/api/budgets');
      setBudgets(data.budgets);
    } catch (e) {
      setListNotice({ ok: false, text: errorMessage(e) });
      setBudgets([]);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  async function save(event) {
    event.preventDefault();
    const body = { ...form, monthly_usd: Number(form.monthly_usd), target: form.scope === 'total' ? '' : form.target.trim() };
    try {
      if (editing) await api.put(`/api/budgets/${editing.id}`, body);
      else await api.post('/api/budgets', body);
      setFormNotice({ ok: true, text: `${body.name} ${editing ? 'saved' : 'added'}` });
      setForm(EMPTY);
      setEditing(null);
      load();
    } catch (e) {
      setFormNotice({ ok: false, text: errorMessage(e) });
    }
  }

  function edit(b) {
    setEditing(b);
    setFormNotice(null);
    setForm({ name: b.name, monthly_usd: String(b.monthly_usd), scope: b.scope, target: b.target ?? '', cap_mode: b.cap_mode ?? 'off' });
    document.getElementById('budget-form')?.scrollIntoView({ block: 'start' });
  }

  async function remove(b) {
    if (!window.confirm(`Delete the budget ${b.name}? Its alerts and any cap it holds stop.`)) return;
    try {
      await api.delete(`/api/budgets/${b.id}`);
      setListNotice({ ok: true, text: `${b.name} deleted` });
      load();
    } catch (e) {
      setListNotice({ ok: false, text: errorMessage(e) });
    }
  }

  // While a cap holds: the most instances it allows each resource (soft never goes below the measured need).
  const caps = (b) => Object.entries(b.status?.caps ?? {}).map(([r, n]) => `${r} ≤ ${n}`).join(', ');
  const columns = [
    { key: 'name', label: 'Budget' },
    { key: 'scope', label: 'Scope', value: scopeText },
    { key: 'monthly_usd', label: 'Monthly', value: (b) => b.monthly_usd, render: (b) => money(b.monthly_usd) },
    { key: 'spent', label: 'Spent so far', value: (b) => b.status?.actual_to_date ?? '', render: (b) => (b.status ? `${money(b.status.actual_to_date)} (${percent(shareOf(b.status.actual_to_date, b.monthly_usd))})` : '–') },
    { key: 'projection', label: "Month's end against it", sort: false, value: (b) => (b.status?.month_end ? `p50 ${b.status.month_end.p50} p90 ${b.status.month_end.p90}` : ''), render: (b) => <Projection budget={b} /> },
    { key: 'state', label: 'State', value: (b) => BUDGET_STATES[b.status?.state]?.text ?? '', render: (b) => <BudgetState status={b.status} /> },
    {
      key: 'cap',
      label: 'Cap',
      value: (b) => `${b.cap_mode}${caps(b) ? `: ${caps(b)}` : ''}${b.status?.held_at_need?.length ? `; held at need: ${b.status.held_at_need.join(', ')}` : ''}`,
      render: (b) => (
        <span title={CAP_MODES[b.cap_mode]}>
          {b.cap_mode}
          {caps(b) && (
            <span className="muted cap-detail">
              {b.cap_mode === 'soft' ? 'allows ' : 'holds '}
              {caps(b)}
              {b.cap_mode === 'soft' ? ' instances, never below the measured need' : ' instances'}
            </span>
          )}
          {b.status?.held_at_need?.length > 0 && (
            <span className="muted cap-detail" title="covered resources without a spend projection of their own: held at what their measured load needs now, whatever the cap mode">
              held at their measured need (no projection yet): {b.status.held_at_need.join(', ')}
            </span>
          )}
        </span>
      ),
    },
    ...(isAdmin
      ? [
          {
            key: 'change',
            label: 'Change',
            csv: false,
            sort: false,
            value: () => '',
            render: (b) => (
              <span className="buttons">
                <button type="button" className="secondary" aria-label={`edit budget ${b.name}`} onClick={() => edit(b)}>
                  Edit
                </button>
                <button type="button" className="secondary danger" aria-label={`delete budget ${b.name}`} onClick={() => remove(b)}>
                  Delete
                </button>
              </span>
            ),
          },
        ]
      : []),
  ];

  // Targets the service knows, per scope (a datalist: another value can still be typed, and the API checks it).
  const names = (kind) => [...new Set(groups.filter((g) => g.kind === kind).map((g) => g.name))].sort();
  const targets = { provider: names('provider'), resource: names('resource'), label: names('label') };
  const checked = budgets?.map((b) => b.status?.checked_at).filter(Boolean);
  return (
    <section aria-labelledby="budgets-title" className="budgets">
      <h2 id="budgets-title">Budgets</h2>
      <p className="muted">
        A monthly amount for the total, a provider, a resource or a label, against this month's spend so far and its
        projection to the month's end. <strong>ok</strong>: even the p90 stays within it; <strong>at risk</strong>: the
        p90 crosses it; <strong>over</strong>: the p50 does; <strong>exceeded</strong>: the spend so far has. A
        change of state goes to the alert webhook and to <code>/metrics</code>.
        {checked?.length ? ` Checked ${dateTime(Math.max(...checked))}.` : ''}
      </p>
      <Notice notice={listNotice} testId="budgets-notice" />
      {budgets === null ? (
        <p className="loading">Loading budgets…</p>
      ) : (
        <DataTable
          caption="budgets"
          testId="budgets-table"
          columns={columns}
          rows={budgets}
          sortable
          rowProps={(b) => ({ 'data-testid': 'budget-row', 'data-budget': b.name })}
          filters={[{ key: 'state', label: 'state filter', options: [['', 'every state'], ...Object.entries(BUDGET_STATES).map(([k, s]) => [k, s.text])], match: (b, v) => b.status?.state === v }]}
          searchLabel="search budgets"
          csvName="budgets"
          pageSize={10}
          empty={isAdmin ? 'No budget yet: add one with the form below.' : 'No budget yet: an admin adds them.'}
        />
      )}
      {isAdmin && (
        <form id="budget-form" className="stack budget-form" onSubmit={save} aria-label={editing ? `edit the budget ${editing.name}` : 'add a budget'}>
          <h3>{editing ? `Edit the budget ${editing.name}` : 'Add a budget'}</h3>
          <div className="row">
            <label>
              Name
              <input name="name" value={form.name} required onChange={(e) => setForm({ ...form, name: e.target.value })} />
            </label>
            <label>
              Monthly amount (USD)
              <input name="monthly_usd" type="number" step="any" value={form.monthly_usd} required onChange={(e) => setForm({ ...form, monthly_usd: e.target.value })} />
            </label>
          </div>
          <div className="row">
            <label>
              Scope
              <select name="scope" value={form.scope} onChange={(e) => setForm({ ...form, scope: e.target.value, target: '' })}>
                <option value="total">the total</option>
                <option value="provider">a provider</option>
                <option value="resource">a resource</option>
                <option value="label">a label (key:value)</option>
              </select>
            </label>
            {form.scope !== 'total' && (
              <label>
                {form.scope === 'label' ? 'Label (team:payments)' : form.scope === 'provider' ? 'Provider' : 'Resource'}
                <input name="target" list="budget-targets" value={form.target} required onChange={(e) => setForm({ ...form, target: e.target.value })} />
                <datalist id="budget-targets">
                  {(targets[form.scope] ?? []).map((t) => (
                    <option key={t} value={t} />
                  ))}
                </datalist>
              </label>
            )}
          </div>
          <label>
            Cap
            <select name="cap_mode" value={form.cap_mode} onChange={(e) => setForm({ ...form, cap_mode: e.target.value })}>
              {Object.entries(CAP_MODES).map(([k, text]) => (
                <option key={k} value={k}>
                  {text}
                </option>
              ))}
            </select>
          </label>
          <Notice notice={formNotice} testId="budget-form-notice" />
          <div className="buttons">
            <button type="submit">{editing ? 'Save budget' : 'Add budget'}</button>
            {editing && (
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setEditing(null);
                  setForm(EMPTY);
                  setFormNotice(null);
                }}
              >
                Cancel
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import DataTable from '../components/DataTable.jsx';
import { LabelTags } from '../components/Labels.jsx';
import Notice from '../components/Notice.jsx';
import { labelPairs, labelSelectors, matchesLabel, parseLabels } from '../costData.js';
import { percent } from '../format.js';

const EMPTY = {
  name: '',
  provider: 'aws',
  provider_ref: '',
  instance_type: '',
  min_capacity: 1,
  max_capacity: 10,
  capacity_per_instance: 1,
  target_low: 0.7,
  target_high: 0.8,
  boot_delay_s: 180,
  mode: 'recommend',
  load_query: '',
  risk_quantile: '',
  allowed_types: '', // comma-separated in the form, an array in the API
  spot_share_max: 0,
  max_step: 0,
  labels: '', // "team=payments, env=prod" in the form, an object in the API
};
const NUMBERS = ['min_capacity', 'max_capacity', 'capacity_per_instance', 'target_low', 'target_high', 'boot_delay_s', 'spot_share_max', 'max_step'];

// The form's value of a field as the API takes it, and back.
function toApi(key, value) {
  if (NUMBERS.includes(key)) return Number(value);
  if (key === 'allowed_types') return String(value).split(',').map((t) => t.trim()).filter(Boolean);
  if (key === 'labels') return parseLabels(value);
  return value;
}
function fromApi(key, value) {
  if (key === 'allowed_types') return (value ?? []).join(', ');
  if (key === 'labels') return labelPairs(value).join(', ');
  return value ?? EMPTY[key];
}

export default function Resources({ user }) {
  const [resources, setResources] = useState([]);
  const [listNotice, setListNotice] = useState(null); // next to the table: mode changes, deletions
  const [formNotice, setFormNotice] = useState(null); // next to the form: saved or refused
  const [form, setForm] = useState(EMPTY);
  const [editing, setEditing] = useState(null); // the id of the resource in the form, or null for a new one
  const canOperate = user.role === 'operator' || user.role === 'admin';
  const isAdmin = user.role === 'admin';

  const load = useCallback(async () => {
    try {
      const { data } = await api.get('/api/resources');
      setResources(data.resources);
    } catch (e) {
      setListNotice({ ok: false, text: errorMessage(e) });
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  async function setMode(r, mode) {
    try {
      await api.put(`/api/resources/${r.id}/mode`, { mode });
      setListNotice({ ok: true, text: `${r.name}: mode set to ${mode}` });
      load();
    } catch (e) {
      setListNotice({ ok: false, text: errorMessage(e) });
    }
  }

  async function save(event) {
    event.preventDefault();
    try {
      const body = Object.fromEntries(Object.keys(EMPTY).map((k) => [k, toApi(k, form[k])]));
      if (editing) await api.put(`/api/resources/${editing}`, body);
      else await api.post('/api/resources', body);
      setFormNotice({ ok: true, text: editing ? `${body.name} saved` : `${body.name} added` });
      setForm(EMPTY);
      setEditing(null);
      load();
    } catch (e) {
      setFormNotice({ ok: false, text: errorMessage(e) });
    }
  }

  function edit(r) {
    setEditing(r.id);
    setFormNotice(null);
    document.getElementById('resource-form')?.scrollIntoView({ block: 'start' });
    setForm(Object.fromEntries(Object.keys(EMPTY).map((k) => [k, fromApi(k, r[k])])));
  }

  async function remove(r) {
    if (!window.confirm(`Delete ${r.name} with its history?`)) return;
    try {
      await api.delete(`/api/resources/${r.id}`);
      setListNotice({ ok: true, text: `${r.name} deleted` });
      load();
    } catch (e) {
      setListNotice({ ok: false, text: errorMessage(e) });
    }
  }

  const columns = [
    { key: 'name', label: 'Name', render: (r) => <a href={`#/resources/${r.id}`}>{r.name}</a>, value: (r) => r.name },
    { key: 'provider', label: 'Provider' },
    { key: 'instance_type', label: 'Type' },
    { key: 'capacity', label: 'Capacity', value: (r) => `${r.min_capacity}–${r.max_capacity}` },
    // Labels: "env=prod team=payments" in the search and the CSV, tags on the page.
    { key: 'labels', label: 'Labels', value: (r) => labelPairs(r.labels).join(' '), render: (r) => <LabelTags labels={r.labels} empty="–" /> },
    { key: 'band', label: 'Band', value: (r) => `${percent(r.target_low)}–${percent(r.target_high)}` },
    {
      key: 'mode',
      label: 'Mode',
      render: (r) =>
        canOperate ? (
          <select aria-label={`mode of ${r.name}`} value={r.mode} onChange={(e) => setMode(r, e.target.value)}>
            <option value="off">off</option>
            <option value="recommend">recommend</option>
            <option value="auto">auto</option>
          </select>
        ) : (
          r.mode
        ),
    },
    ...(isAdmin
      ? [
          {
            key: 'change',
            label: 'Change',
            csv: false,
            value: () => '',
            render: (r) => (
              <span className="buttons">
                <button type="button" className="secondary" aria-label={`edit ${r.name}`} onClick={() => edit(r)}>
                  Edit
                </button>
                <button type="button" className="secondary danger" aria-label={`delete ${r.name}`} onClick={() => remove(r)}>
                  Delete
                </button>
              </span>
            ),
          },
        ]
      : []),
  ];

  const field = (name, label, type = 'text', required = true) => (
    <label>
      {label}
      <input
        name={name}
        type={type}
        step="any"
        value={form[name] ?? ''}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })}
        required={required}
      />
    </label>
  );
  return (
    <>
      <h1>Resources</h1>
      <Notice notice={listNotice} testId="resources-notice" />
      <DataTable
        caption="resources"
        testId="resources-table"
        columns={columns}
        rows={resources}
        rowProps={(r) => ({ 'data-testid': 'resource-row', 'data-resource-id': r.id })}
        filters={[
          { key: 'provider', label: 'provider', options: [['', 'every provider'], ...[...new Set(resources.map((r) => r.provider))].sort().map((p) => [p, p])] },
          { key: 'mode', label: 'mode filter', options: [['', 'every mode'], ['off', 'off'], ['recommend', 'recommend'], ['auto', 'auto']] },
          // The API's selector (GET /api/resources?label=team:payments), applied to the list the page holds.
          {
            key: 'label',
            label: 'label filter',
            options: [['', 'any labels'], ...labelSelectors(resources).flatMap((l, i, all) => {
              const key = l.slice(0, l.indexOf(':'));
              const first = i === 0 || !all[i - 1].startsWith(`${key}:`);
              return [...(first ? [[key, `${key}: any value`]] : []), [l, l]];
            })],
            match: matchesLabel,
          },
        ]}
        searchLabel="search resources"
        csvName="resources"
        empty={isAdmin ? 'No resource yet: add one with the form below.' : 'No resource yet: an admin adds them.'}
      />
      {isAdmin && (
        <form id="resource-form" className="stack" onSubmit={save} aria-label={editing ? 'edit the resource' : 'add a resource'}>
          <h2>{editing ? `Edit ${resources.find((r) => r.id === editing)?.name ?? ''}` : 'Add a resource'}</h2>
          {field('name', 'Name')}
          <label>
            Provider
            <select name="provider" value={form.provider} onChange={(e) => setForm({ ...form, provider: e.target.value })}>
              {['aws', 'azure', 'gcp', 'kubernetes', 'simulated'].map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          {field('provider_ref', 'Provider reference')}
          {field('instance_type', 'Instance type')}
          {field('min_capacity', 'Min instances', 'number')}
          {field('max_capacity', 'Max instances', 'number')}
          {field('capacity_per_instance', 'Load one instance serves', 'number')}
          {field('target_low', 'Target utilization, low', 'number')}
          {field('target_high', 'Target utilization, high', 'number')}
          {field('boot_delay_s', 'Boot delay (s)', 'number')}
          {field('load_query', 'Load from Prometheus (PromQL, optional)', 'text', false)}
          <label>
            Forecast quantile capacity must hold
            <select name="risk_quantile" value={form.risk_quantile} onChange={(e) => setForm({ ...form, risk_quantile: e.target.value })}>
              <option value="">loop default (p95)</option>
              <option value="p50">p50</option>
              <option value="p90">p90</option>
              <option value="p95">p95</option>
              <option value="p99">p99</option>
            </select>
          </label>
          {field('allowed_types', 'Other instance types the cheapest mix may use (comma-separated, optional)', 'text', false)}
          {field('spot_share_max', 'Largest share of the requirement on spot (0–1)', 'number')}
          {field('max_step', 'Most instances per change (0: no limit)', 'number')}
          {field('labels', 'Labels (key=value, comma-separated: team=payments, env=prod)', 'text', false)}
          <Notice notice={formNotice} testId="resource-form-notice" />
          <button type="submit">{editing ? 'Save' : 'Add'}</button>
          {editing && (
            <button
              type="button"
              onClick={() => {
                setEditing(null);
                setForm(EMPTY);
              }}
            >
              Cancel
            </button>
          )}
        </form>
      )}
    </>
  );
}

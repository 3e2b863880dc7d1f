// A resource's labels (team, env, any key; docs/COSTS.md "Labels"): shown as tags everywhere, and edited on the
// resource's page by an admin (PUT /api/resources/{id} {"labels"} replaces them whole; the API checks Kubernetes'
// rules and answers 422 naming the bad key or value, shown next to the form).
import { useState } from 'react';
import { api, errorMessage } from '../api.js';
import { labelPairs } from '../costData.js';
import Notice from './Notice.jsx';
import '../costs.css';

export function LabelTags({ labels, empty = 'no labels' }) {
  const pairs = labelPairs(labels);
  if (!pairs.length) return <span className="muted">{empty}</span>;
  return (
    <ul className="label-tags" aria-label="labels">
      {pairs.map((p) => (
        <li key={p} className="tag">
          {p}
        </li>
      ))}
    </ul>
  );
}

const rowsOf = (labels) => Object.entries(labels ?? {}).map(([key, value]) => ({ key, value }));

// The editor: one line per label (key, value, remove), a line to add, Save and Cancel. `onSaved(resource)` gets
// the resource as the API returned it.
export function LabelEditor({ resource, onSaved, onCancel }) {
  const [rows, setRows] = useState(() => [...rowsOf(resource.labels), { key: '', value: '' }]);
  const [notice, setNotice] = useState(null);
  const set = (i, field, value) => setRows(rows.map((r, j) => (j === i ? { ...r, [field]: value } : r)));

  async function save(event) {
    event.preventDefault();
    const labels = {};
    for (const r of rows) {
      const key = r.key.trim();
      if (!key && !r.value.trim()) continue; // the empty line
      if (!key) return setNotice({ ok: false, text: `the value "${r.value}" has no key: give it one (team, env) or clear it` });
      if (Object.hasOwn(labels, key)) return setNotice({ ok: false, text: `the key "${key}" is there twice: keep one` });
      labels[key] = r.value.trim();
    }
    try {
      const { data } = await api.put(`/api/resources/${resource.id}`, { labels });
      setNotice({ ok: true, text: `labels saved: ${labelPairs(data.labels).join(', ') || 'none'}` });
      setRows([...rowsOf(data.labels), { key: '', value: '' }]);
      onSaved?.(data);
    } catch (e) {
      setNotice({ ok: false, text: errorMessage(e) });
    }
  }

  return (
    <form className="label-editor" onSubmit={save} aria-label={`labels of ${resource.name}`}>
      {rows.map((r, i) => (
        <div className="label-row" key={i}>
          <label>
            <span className="visually-hidden">label {i + 1} key</span>
            <input aria-label={`label ${i + 1} key`} placeholder="key (team)" value={r.key} onChange={(e) => set(i, 'key', e.target.value)} />
          </label>
          <span aria-hidden="true">=</span>
          <label>
            <span className="visually-hidden">label {i + 1} value</span>
            <input aria-label={`label ${i + 1} value`} placeholder="value (payments)" value={r.value} onChange={(e) => set(i, 'value', e.target.value)} />
          </label>
          <button type="button" className="secondary" aria-label={`remove label ${i + 1}${r.key ? ` (${r.key})` : ''}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <div className="buttons">
        <button type="button" className="secondary" onClick={() => setRows([...rows, { key: '', value: '' }])}>
          Add a label
        </button>
        <button type="submit">Save labels</button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Close
          </button>
        )}
      </div>
      <Notice notice={notice} testId="labels-notice" />
    </form>
  );
}

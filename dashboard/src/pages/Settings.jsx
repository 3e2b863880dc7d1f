import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import CopyButton from '../components/CopyButton.jsx';
import DataTable from '../components/DataTable.jsx';
import Notice, { submitting } from '../components/Notice.jsx';
import { dateTime } from '../format.js';
import { isoTime } from '../tableData.js';

// Every credential kind the drivers accept (api/credential_vault.cpp checks them; app/cloud_adapters.cpp reads
// them): the fields of its secret, and which are optional. A GCP service-account key and a kubeconfig are whole
// files, pasted or opened.
const KINDS = {
  aws: { label: 'AWS access key', kind: 'aws', fields: [['access_key_id', 'Access key ID'], ['secret_access_key', 'Secret access key', 'secret'], ['session_token', 'Session token (optional)', 'secret', true]] },
  azure: { label: 'Azure service principal', kind: 'azure', fields: [['tenant_id', 'Tenant ID'], ['client_id', 'Client ID'], ['client_secret', 'Client secret', 'secret']] },
  gcp: { label: 'GCP service-account key (JSON)', kind: 'gcp', file: ['key_json', 'Service-account key file (JSON)'] },
  kubernetes: { label: 'Kubernetes API token', kind: 'kubernetes', fields: [['server', 'API server URL'], ['token', 'Service-account token', 'secret'], ['certificate_authority', 'CA certificate, PEM (optional)', 'text', true]] },
  kubeconfig: { label: 'Kubernetes kubeconfig', kind: 'kubernetes', file: ['kubeconfig', 'kubeconfig file'] },
};
const EMPTY_CRED = { name: '', type: 'aws', values: {} };
const EMPTY_USER = { name: '', role: 'viewer', password: '' };
const EMPTY_TOKEN = { name: '', scope: 'read' };

// The secret object POST /api/credentials takes, from the form's values; throws a message for a bad key file.
function secretOf(type, values) {
  const spec = KINDS[type];
  if (type === 'gcp') {
    let key;
    try {
      key = JSON.parse(values.key_json ?? '');
    } catch {
      throw new Error('the service-account key is not JSON: paste the whole key file GCP gave you');
    }
    return Object.fromEntries(Object.entries(key).filter(([, v]) => typeof v === 'string'));
  }
  if (spec.file) return { [spec.file[0]]: values[spec.file[0]] ?? '' };
  return Object.fromEntries(spec.fields.filter(([f, , , optional]) => !optional || values[f]).map(([f]) => [f, values[f] ?? '']));
}

// Admin only: providers, users (roles, disable/enable), API tokens, cloud credentials (write-only: shown masked,
// never read back) and the audit log. App.jsx shows a "needs admin" page to other roles instead.
export default function Settings({ user: me }) {
  const [users, setUsers] = useState([]);
  const [tokens, setTokens] = useState([]);
  const [credentials, setCredentials] = useState([]);
  const [providers, setProviders] = useState([]);
  const [loadError, setLoadError] = useState('');
  const [notices, setNotices] = useState({});
  const say = (section) => (notice) => setNotices((n) => ({ ...n, [section]: notice }));
  const [newToken, setNewToken] = useState(null);
  const [userForm, setUserForm] = useState(EMPTY_USER);
  const [tokenForm, setTokenForm] = useState(EMPTY_TOKEN);
  const [cred, setCred] = useState(EMPTY_CRED);
  const [auditTick, setAuditTick] = useState(0);

  const load = useCallback(async () => {
    try {
      const [u, t, c, p] = await Promise.all([api.get('/api/users'), api.get('/api/tokens'), api.get('/api/credentials'), api.get('/api/providers')]);
      setProviders(p.data.providers);
      setUsers(u.data.users);
      setTokens(t.data.tokens);
      setCredentials(c.data.credentials);
      setLoadError('');
    } catch (e) {
      setLoadError(errorMessage(e));
    }
    setAuditTick((t) => t + 1);
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const fetchAudit = useCallback(async ({ offset, limit, search }) => {
    const { data } = await api.get('/api/audit', { params: { offset, limit, ...(search ? { q: search } : {}) } });
    return data.entries;
  }, []);

  const changeUser = (u, change, done) => submitting(say('users'), () => api.put(`/api/users/${u.id}`, change), done, load)();

  const userColumns = [
    { key: 'name', label: 'Name', render: (u) => (u.id === me?.id ? `${u.name} (you)` : u.name), value: (u) => u.name },
    {
      key: 'role',
      label: 'Role',
      value: (u) => u.role,
      render: (u) =>
        u.id === me?.id ? (
          u.role
        ) : (
          <select aria-label={`role of ${u.name}`} value={u.role} onChange={(e) => changeUser(u, { role: e.target.value }, `${u.name} is now ${e.target.value}`)}>
            <option>viewer</option>
            <option>operator</option>
            <option>admin</option>
          </select>
        ),
    },
    { key: 'state', label: 'State', value: (u) => (u.disabled ? 'disabled' : 'active') },
    { key: 'created_at', label: 'Created', value: (u) => isoTime(u.created_at), render: (u) => dateTime(u.created_at) },
    {
      key: 'act',
      label: 'Access',
      csv: false,
      value: () => '',
      render: (u) =>
        u.id === me?.id ? null : (
          <button
            type="button"
            className="secondary"
            aria-label={`${u.disabled ? 'enable' : 'disable'} ${u.name}`}
            onClick={() => changeUser(u, { disabled: !u.disabled }, u.disabled ? `${u.name} enabled` : `${u.name} disabled: its sessions and API tokens stop working`)}
          >
            {u.disabled ? 'Enable' : 'Disable'}
          </button>
        ),
    },
  ];

  const auditColumns = [
    { key: 'ts', label: 'When', value: (e) => isoTime(e.ts), render: (e) => <time dateTime={isoTime(e.ts)}>{dateTime(e.ts)}</time> },
    { key: 'actor', label: 'Who' },
    { key: 'action', label: 'What' },
    { key: 'target', label: 'Target' },
    { key: 'status', label: 'HTTP status' },
    { key: 'count', label: 'Times' },
    { key: 'remote_address', label: 'From' },
    { key: 'detail', label: 'Detail' },
  ];

  const kind = KINDS[cred.type];
  const setValue = (f, v) => setCred({ ...cred, values: { ...cred.values, [f]: v } });
  async function readFile(f, event) {
    const file = event.target.files?.[0];
    if (file) setValue(f, await file.text());
  }

  return (
    <>
      <h1>Settings</h1>
      {loadError && (
        <p role="alert" className="error">
          {loadError}
        </p>
      )}

      <section aria-labelledby="providers-heading">
        <h2 id="providers-heading">Providers</h2>
        {providers.length ? (
          <div className="table-scroll" tabIndex={0} role="region" aria-label="providers">
            <table className="cards-on-phone">
              <thead>
                <tr>
                  <th scope="col">Provider name</th>
                  <th scope="col">Driver</th>
                </tr>
              </thead>
              <tbody>
                {providers.map((p) => (
                  <tr key={p.name}>
                    <td data-label="Provider name">{p.name}</td>
                    <td data-label="Driver">{p.driver}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="empty">No provider is configured: the simulated cloud serves every resource.</p>
        )}
        <p className="muted">Drivers are set in the config file (`providers`); the simulated cloud serves every name by default.</p>
      </section>

      <section aria-label="users">
        <h2>Users</h2>
        <Notice notice={notices.users} testId="users-notice" />
        <DataTable caption="users" testId="users-table" columns={userColumns} rows={users} rowProps={(u) => ({ 'data-testid': 'user-row', 'data-user': u.name })} searchLabel="search users" csvName="users" pageSize={10} empty="No user yet." />
        <form
          className="inline"
          aria-label="add a user"
          onSubmit={submitting(say('add-user'), () => api.post('/api/users', userForm), `user ${userForm.name} added`, () => {
            setUserForm(EMPTY_USER);
            load();
          })}
        >
          <input aria-label="new user name" placeholder="name" value={userForm.name} onChange={(e) => setUserForm({ ...userForm, name: e.target.value })} required />
          <select aria-label="new user role" value={userForm.role} onChange={(e) => setUserForm({ ...userForm, role: e.target.value })}>
            <option>viewer</option>
            <option>operator</option>
            <option>admin</option>
          </select>
          <input
            aria-label="new user password"
            type="password"
            autoComplete="new-password"
            placeholder="password (12+ characters)"
            value={userForm.password}
            onChange={(e) => setUserForm({ ...userForm, password: e.target.value })}
            required
          />
          <button type="submit">Add user</button>
        </form>
        <Notice notice={notices['add-user']} testId="add-user-notice" />
      </section>

      <section aria-label="API tokens">
        <h2>API tokens</h2>
        <Notice notice={notices.tokens} testId="tokens-notice" />
        {tokens.length ? (
          <ul className="plain-list">
            {tokens.map((t) => (
              <li key={t.id} data-testid="token-row">
                <strong>{t.name}</strong> ({t.scope}) created {dateTime(t.created_at)} by {t.created_by}{' '}
                {t.revoked_at ? (
                  <em>revoked</em>
                ) : (
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`revoke token ${t.name}`}
                    onClick={submitting(say('tokens'), () => api.delete(`/api/tokens/${t.id}`), `token ${t.name} revoked`, load)}
                  >
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p className="empty">No API token yet. Machines (metric pushers, CI) use one instead of a password.</p>
        )}
        <form
          className="inline"
          aria-label="create an API token"
          onSubmit={submitting(
            say('create-token'),
            async () => (await api.post('/api/tokens', tokenForm)).data,
            (data) => `token ${data.name} created`,
            (data) => {
              setNewToken({ name: data.name, token: data.token });
              setTokenForm(EMPTY_TOKEN);
              load();
            },
          )}
        >
          <input aria-label="token name" placeholder="name" value={tokenForm.name} onChange={(e) => setTokenForm({ ...tokenForm, name: e.target.value })} required />
          <select aria-label="token scope" value={tokenForm.scope} onChange={(e) => setTokenForm({ ...tokenForm, scope: e.target.value })}>
            <option>read</option>
            <option>metrics:write</option>
            <option>operator</option>
          </select>
          <button type="submit">Create token</button>
        </form>
        <Notice notice={notices['create-token']} testId="create-token-notice" />
        {newToken && (
          <div className="secret-once" role="note" data-testid="new-token">
            <p>
              The token <strong>{newToken.name}</strong>; copy it now, it is not shown again:
            </p>
            <code id="new-token-value">{newToken.token}</code>
            <p className="buttons">
              <CopyButton text={newToken.token} label="Copy token" targetId="new-token-value" />
              <button type="button" className="secondary" onClick={() => setNewToken(null)}>
                Done, hide it
              </button>
            </p>
          </div>
        )}
      </section>

      <section aria-label="cloud credentials">
        <h2>Cloud credentials</h2>
        <Notice notice={notices.credentials} testId="credentials-notice" />
        {credentials.length ? (
          <div className="table-scroll" tabIndex={0} role="region" aria-label="stored credentials">
            <table className="cards-on-phone">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Identifies</th>
                  <th scope="col">Secret</th>
                  <th scope="col">Remove</th>
                </tr>
              </thead>
              <tbody>
                {credentials.map((c) => (
                  <tr key={c.id} data-testid="credential-row">
                    <td data-label="Name">{c.name}</td>
                    <td data-label="Kind">{c.kind}</td>
                    <td data-label="Identifies">{c.hint}</td>
                    <td data-label="Secret">{c.secret}</td>
                    <td data-label="Remove">
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`delete credential ${c.name}`}
                        onClick={() => window.confirm(`Delete the credential ${c.name}?`) && submitting(say('credentials'), () => api.delete(`/api/credentials/${c.id}`), `credential ${c.name} deleted`, load)()}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="empty">No stored credential: drivers use the cloud's own environment variables and files until you add one.</p>
        )}
        <form
          className="stack"
          aria-label="add a credential"
          onSubmit={submitting(
            say('add-credential'),
            () => api.post('/api/credentials', { name: cred.name, kind: kind.kind, secret: secretOf(cred.type, cred.values) }),
            `credential ${cred.name} stored, encrypted`,
            () => {
              setCred({ ...EMPTY_CRED, type: cred.type });
              load();
            },
          )}
        >
          <label>
            Name
            <input name="credential-name" aria-label="credential name" value={cred.name} onChange={(e) => setCred({ ...cred, name: e.target.value })} required />
          </label>
          <label>
            Kind
            <select aria-label="credential kind" value={cred.type} onChange={(e) => setCred({ ...cred, type: e.target.value, values: {} })}>
              {Object.entries(KINDS).map(([type, k]) => (
                <option key={type} value={type}>
                  {k.label}
                </option>
              ))}
            </select>
          </label>
          {kind.fields?.map(([f, label, type, optional]) => (
            <label key={f}>
              {label}
              <input
                name={f}
                aria-label={f}
                type={type === 'secret' ? 'password' : 'text'}
                autoComplete="off"
                value={cred.values[f] ?? ''}
                onChange={(e) => setValue(f, e.target.value)}
                required={!optional}
              />
            </label>
          ))}
          {kind.file && (
            <>
              <label>
                {kind.file[1]}: paste it
                <textarea aria-label={kind.file[0]} rows={5} value={cred.values[kind.file[0]] ?? ''} onChange={(e) => setValue(kind.file[0], e.target.value)} required />
              </label>
              <label className="file-pick">
                or open the file
                <input type="file" aria-label={`open a ${kind.file[1]}`} onChange={(e) => readFile(kind.file[0], e)} />
              </label>
            </>
          )}
          <Notice notice={notices['add-credential']} testId="add-credential-notice" />
          <button type="submit">Store credential</button>
        </form>
      </section>

      <section aria-label="audit log">
        <h2>Audit log</h2>
        <p className="muted">Every change made through the API: who, what, the outcome. The service pages and searches it (actor, action or target).</p>
        <DataTable
          caption="audit log"
          testId="audit-table"
          columns={auditColumns}
          fetchPage={fetchAudit}
          serverSearch
          reloadKey={auditTick}
          rowProps={(e) => ({ 'data-testid': 'audit-row', 'data-audit-id': e.id })}
          searchLabel="search the audit log"
          csvName="audit-log"
          empty="The audit log is empty."
        />
      </section>
    </>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import { time } from '../format.js';

// Admin only: users, API tokens and cloud credentials (write-only: shown masked, never read back).
export default function Settings() {
  const [users, setUsers] = useState([]);
  const [tokens, setTokens] = useState([]);
  const [credentials, setCredentials] = useState([]);
  const [providers, setProviders] = useState([]);
  const [message, setMessage] = useState('');
  const [newToken, setNewToken] = useState('');
  const [user, setUser] = useState({ name: '', role: 'viewer', password: '' });
  const [token, setToken] = useState({ name: '', scope: 'metrics:write' });
  const [cred, setCred] = useState({ name: '', kind: 'aws', a: '', b: '', c: '' });

  const load = useCallback(async () => {
    try {
      const [u, t, c, p] = await Promise.all([
        api.get('/api/users'),
        api.get('/api/tokens'),
        api.get('/api/credentials'),
        api.get('/api/providers'),
      ]);
      setProviders(p.data.providers);
      setUsers(u.data.users);
      setTokens(t.data.tokens);
      setCredentials(c.data.credentials);
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const run = (fn, done) => async (event) => {
    event?.preventDefault();
    try {
      await fn();
      setMessage(done);
      load();
    } catch (e) {
      setMessage(errorMessage(e));
    }
  };

  const secretFields = {
    aws: ['access_key_id', 'secret_access_key'],
    azure: ['tenant_id', 'client_id', 'client_secret'],
    kubernetes: ['server', 'token'],
  }[cred.kind];

  return (
    <>
      <h1>Settings</h1>
      {message && <p role="status">{message}</p>}

      <section aria-label="providers">
        <h2>Providers</h2>
        <table>
          <thead>
            <tr>
              <th>Provider name</th>
              <th>Driver</th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <tr key={p.name}>
                <td>{p.name}</td>
                <td>{p.driver}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted">Drivers are set in the config file (`providers`); the simulated cloud serves every name by default.</p>
      </section>

      <section aria-label="users">
        <h2>Users</h2>
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>{u.name}</td>
                <td>{u.role}</td>
                <td>{u.disabled ? 'disabled' : 'active'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <form className="inline" aria-label="add a user" onSubmit={run(() => api.post('/api/users', user), `user ${user.name} added`)}>
          <input aria-label="new user name" placeholder="name" value={user.name} onChange={(e) => setUser({ ...user, name: e.target.value })} required />
          <select aria-label="new user role" value={user.role} onChange={(e) => setUser({ ...user, role: e.target.value })}>
            <option>viewer</option>
            <option>operator</option>
            <option>admin</option>
          </select>
          <input aria-label="new user password" type="password" placeholder="password (12+ characters)" value={user.password} onChange={(e) => setUser({ ...user, password: e.target.value })} required />
          <button type="submit">Add user</button>
        </form>
      </section>

      <section aria-label="API tokens">
        <h2>API tokens</h2>
        <ul>
          {tokens.map((t) => (
            <li key={t.id}>
              {t.name} ({t.scope}) created {time(t.created_at)} by {t.created_by}{' '}
              {t.revoked_at ? (
                <em>revoked</em>
              ) : (
                <button type="button" aria-label={`revoke token ${t.name}`} onClick={run(() => api.delete(`/api/tokens/${t.id}`), `token ${t.name} revoked`)}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
        <form
          className="inline"
          aria-label="create an API token"
          onSubmit={run(async () => {
            const { data } = await api.post('/api/tokens', token);
            setNewToken(data.token);
          }, `token ${token.name} created`)}
        >
          <input aria-label="token name" placeholder="name" value={token.name} onChange={(e) => setToken({ ...token, name: e.target.value })} required />
          <select aria-label="token scope" value={token.scope} onChange={(e) => setToken({ ...token, scope: e.target.value })}>
            <option>read</option>
            <option>metrics:write</option>
            <option>operator</option>
          </select>
          <button type="submit">Create token</button>
        </form>
        {newToken && (
          <p className="token" role="note">
            Copy it now, it is not shown again: <code>{newToken}</code>
          </p>
        )}
      </section>

      <section aria-label="cloud credentials">
        <h2>Cloud credentials</h2>
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Identifies</th>
              <th>Secret</th>
            </tr>
          </thead>
          <tbody>
            {credentials.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{c.kind}</td>
                <td>{c.hint}</td>
                <td>{c.secret}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <form
          className="stack"
          aria-label="add a credential"
          onSubmit={run(() => {
            const secret = Object.fromEntries(secretFields.map((f, i) => [f, [cred.a, cred.b, cred.c][i]]));
            return api.post('/api/credentials', { name: cred.name, kind: cred.kind, secret });
          }, `credential ${cred.name} stored, encrypted`)}
        >
          <input aria-label="credential name" placeholder="name" value={cred.name} onChange={(e) => setCred({ ...cred, name: e.target.value })} required />
          <select aria-label="credential kind" value={cred.kind} onChange={(e) => setCred({ ...cred, kind: e.target.value })}>
            <option>aws</option>
            <option>azure</option>
            <option>kubernetes</option>
          </select>
          {secretFields.map((f, i) => (
            <input
              key={f}
              aria-label={f}
              placeholder={f}
              type={/secret|token/.test(f) ? 'password' : 'text'}
              value={[cred.a, cred.b, cred.c][i]}
              onChange={(e) => setCred({ ...cred, [['a', 'b', 'c'][i]]: e.target.value })}
              required
            />
          ))}
          <button type="submit">Store credential</button>
        </form>
      </section>
    </>
  );
}

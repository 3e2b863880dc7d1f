import { useEffect, useState } from 'react';
import { logout, refresh, setLoggedOutHandler } from './api.js';
import Costs from './pages/Costs.jsx';
import Login from './pages/Login.jsx';
import Overview from './pages/Overview.jsx';
import Recommendations from './pages/Recommendations.jsx';
import ResourcePage from './pages/Resource.jsx';
import Resources from './pages/Resources.jsx';
import Settings from './pages/Settings.jsx';
import Simulation from './pages/Simulation.jsx';

// Hash routes (#/resources/3): the service serves one page, and links survive a reload.
function useRoute() {
  const [hash, setHash] = useState(window.location.hash || '#/');
  useEffect(() => {
    const onChange = () => setHash(window.location.hash || '#/');
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash.slice(1).split('/').filter(Boolean);
}

const canOperate = (user) => user && (user.role === 'operator' || user.role === 'admin');

export default function App() {
  const [user, setUser] = useState(undefined); // undefined: still checking the refresh cookie
  const route = useRoute();

  useEffect(() => {
    setLoggedOutHandler(() => setUser(null));
    refresh().then((u) => setUser(u ?? null));
  }, []);

  if (user === undefined) return <p className="loading">Loading…</p>;
  if (user === null) return <Login onLogin={setUser} />;

  const [section, id] = route;
  let page;
  if (section === 'resources' && id) page = <ResourcePage key={id} id={Number(id)} user={user} />;
  else if (section === 'resources') page = <Resources user={user} />;
  else if (section === 'recommendations') page = <Recommendations canApply={canOperate(user)} />;
  else if (section === 'settings') page = <Settings user={user} />;
  else if (section === 'simulation') page = <Simulation canRun={canOperate(user)} />;
  else if (section === 'costs') page = <Costs />;
  else page = <Overview canOperate={canOperate(user)} />;

  const link = (href, label) => (
    <a href={href} aria-current={`#/${section ?? ''}` === href ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header>
        <span className="brand">cloudopt</span>
        <nav aria-label="main">
          {link('#/', 'Overview')}
          {link('#/resources', 'Resources')}
          {link('#/recommendations', 'Recommendations')}
          {link('#/simulation', 'Simulation')}
          {link('#/costs', 'Costs')}
          {user.role === 'admin' && link('#/settings', 'Settings')}
        </nav>
        <span className="who">
          {user.name} ({user.role})
          <button
            type="button"
            onClick={async () => {
              await logout();
              setUser(null);
            }}
          >
            Log out
          </button>
        </span>
      </header>
      <main>{page}</main>
    </>
  );
}

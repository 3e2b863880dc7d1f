import { useEffect, useState } from 'react';
import { logout, refresh, setLoggedOutHandler } from './api.js';
import OfflineBanner from './components/OfflineBanner.jsx';
import Actions from './pages/Actions.jsx';
import ServiceClock from './components/ServiceClock.jsx';
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

// What a user whose role cannot use a page sees instead of it (a viewer opening #/settings): no forms, no error.
function NeedsRole({ role, what, user }) {
  return (
    <section className="needs-role" data-testid="needs-role">
      <h1>Needs {role}</h1>
      <p>
        {what}: only an {role} can use this page. You are logged in as {user.name}, a {user.role}; ask an {role} if you need a change here.
      </p>
    </section>
  );
}

const canOperate = (user) => user && (user.role === 'operator' || user.role === 'admin');

export default function App() {
  const [user, setUser] = useState(undefined); // undefined: still checking the refresh cookie
  const route = useRoute();

  useEffect(() => {
    setLoggedOutHandler(() => setUser(null));
    refresh().then((u) => setUser(u ?? null));
  }, []);

  if (user === undefined)
    return (
      <>
        <OfflineBanner />
        <p className="loading">Loading…</p>
      </>
    );
  if (user === null)
    return (
      <>
        <OfflineBanner />
        <Login onLogin={setUser} />
      </>
    );

  const [section, id] = route;
  let page;
  if (section === 'resources' && id) page = <ResourcePage key={id} id={Number(id)} user={user} />;
  else if (section === 'resources') page = <Resources user={user} />;
  else if (section === 'recommendations') page = <Recommendations canApply={canOperate(user)} />;
  else if (section === 'actions') page = <Actions />;
  else if (section === 'settings') page = user.role === 'admin' ? <Settings user={user} /> : <NeedsRole role="admin" what="Settings (users, API tokens, cloud credentials, the audit log)" user={user} />;
  else if (section === 'simulation') page = <Simulation canRun={canOperate(user)} isAdmin={user.role === 'admin'} />;
  else if (section === 'costs') page = <Costs isAdmin={user.role === 'admin'} />;
  else page = <Overview canOperate={canOperate(user)} />;

  const link = (href, label) => (
    <a href={href} aria-current={`#/${section ?? ''}` === href ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <OfflineBanner />
      <header>
        <span className="brand">cloudopt</span>
        <nav aria-label="main">
          {link('#/', 'Overview')}
          {link('#/resources', 'Resources')}
          {link('#/recommendations', 'Recommendations')}
          {link('#/actions', 'Actions')}
          {link('#/simulation', 'Simulation')}
          {link('#/costs', 'Costs')}
          {user.role === 'admin' && link('#/settings', 'Settings')}
        </nav>
        <span className="who">
          <ServiceClock />
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

// "Cannot reach the service": shown when the browser is offline or the API does not answer (a request failed
// without any HTTP response). While shown, /healthz is tried every 5 s; the banner goes when it answers. The
// service worker (public/sw.js) keeps serving the app shell meanwhile, so this banner is what an installed app
// shows when opened without a network.
import { useEffect, useState } from 'react';
import { api } from '../api.js';

export default function OfflineBanner() {
  const [down, setDown] = useState(typeof navigator !== 'undefined' && navigator.onLine === false);

  useEffect(() => {
    const id = api.interceptors.response.use(
      (response) => {
        setDown(false);
        return response;
      },
      (error) => {
        if (!error.response && error.code !== 'ERR_CANCELED') setDown(true);
        else if (error.response) setDown(false);
        return Promise.reject(error);
      },
    );
    const offline = () => setDown(true);
    const online = () => setDown(false);
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    return () => {
      api.interceptors.response.eject(id);
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
    };
  }, []);

  useEffect(() => {
    if (!down) return undefined;
    const t = setInterval(async () => {
      try {
        const res = await fetch('/healthz', { cache: 'no-store' });
        if (res.ok) setDown(false);
      } catch {
        // still unreachable
      }
    }, 5000);
    return () => clearInterval(t);
  }, [down]);

  if (!down) return null;
  return (
    <div className="offline-banner" role="alert" data-testid="offline-banner">
      Cannot reach the service: the figures shown may be out of date. Retrying every 5 s.
    </div>
  );
}

// The dashboard's service worker: serves the app shell (index.html, its hashed assets, icons, manifest) when the
// service cannot be reached, so an installed dashboard still opens and says "cannot reach the service" (the
// page's OfflineBanner) instead of the browser's error page.
//
// It never caches API responses or the event stream: only the paths of SHELL below are ever answered from or
// written to the cache; /api/*, /healthz, /readyz and /metrics are not even intercepted (the browser fetches them
// as if no worker existed). index.html is fetched from the network first (it is revalidated on every load) and
// the cached copy is used only when that fails; hashed assets never change under their name, so the cache answers
// them first.
const CACHE = 'cloudopt-shell-v1';
const SHELL = /^\/(|index\.html|assets\/[^/]+|icons\/[^/]+|favicon\.svg|manifest\.webmanifest)$/;

// The shell as index.html names it: its scripts and styles under /assets/, fetched and cached at install.
async function cacheShell() {
  const cache = await caches.open(CACHE);
  const response = await fetch('/', { cache: 'no-cache' });
  if (!response.ok) return;
  const html = await response.clone().text();
  await cache.put('/', response);
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  await cache.addAll([...new Set([...assets, '/favicon.svg', '/manifest.webmanifest', '/icons/icon-192.png'])]);
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().catch(() => undefined).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const navigation = request.mode === 'navigate';
  if (!navigation && !SHELL.test(url.pathname)) return; // the API, the event stream, health and metrics
  if (navigation || url.pathname === '/' || url.pathname === '/index.html') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put('/', copy));
          }
          return response;
        })
        .catch(async () => (await caches.match('/')) ?? Response.error()),
    );
    return;
  }
  event.respondWith(
    caches.match(request).then(
      (hit) =>
        hit ??
        fetch(request).then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        }),
    ),
  );
});

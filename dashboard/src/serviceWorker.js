// Registers public/sw.js (the offline app shell) in a production build served over http(s); never in `npm run dev`
// (Vite's dev server would otherwise be shadowed by cached files).
export function registerServiceWorker() {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => {
      // no worker (a private window, an insecure origin): the dashboard works the same online
    });
  });
}

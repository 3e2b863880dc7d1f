// Live updates: the service pushes an event after every control-loop pass on /api/events (Server-Sent Events).
// Each event carries what changed (the newest samples per resource, new actions, whether alerts, recommendations
// or forecasts changed: GET /api/events in docs/DASHBOARD.md), so pages extend their data instead of reloading it.
// EventSource cannot send an Authorization header, so the stream is read with fetch; it reconnects after errors.
import { bearer, refresh } from './api.js';
import { noteServiceNow } from './format.js';

export function subscribe(onEvent) {
  let stopped = false;
  let controller = null;
  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch('/api/events', {
          headers: { Authorization: `Bearer ${bearer()}` },
          signal: controller.signal,
        });
        if (res.status === 401) await refresh();
        if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = block.split('\n');
            const data = lines.find((l) => l.startsWith('data: '));
            if (!data) continue;
            // The service ends a stream whose credentials stopped working (an expired access token, a disabled
            // user): get a fresh token, and the loop below reconnects with it.
            if (lines.includes('event: end')) {
              await refresh().catch(() => {});
              continue;
            }
            const event = JSON.parse(data.slice(6));
            noteServiceNow(event.now); // one clock: the service's time, as every event says it
            onEvent(event);
          }
        }
      } catch {
        // aborted or dropped: wait a little and reconnect
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 3000));
    }
  }
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

// fn at most once per `ms`, counted from when the throttle is made (the page has just loaded what fn loads); a call
// inside the quiet time runs once at its end (the latest arguments win).
export function throttle(fn, ms) {
  let last = Date.now();
  let timer = null;
  let pending = null;
  const run = () => {
    last = Date.now();
    timer = null;
    const args = pending;
    pending = null;
    fn(...args);
  };
  const call = (...args) => {
    pending = args;
    if (timer) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
  call.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return call;
}

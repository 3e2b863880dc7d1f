// Live updates: the service pushes an event after every control-loop pass on /api/events (Server-Sent Events).
// EventSource cannot send an Authorization header, so the stream is read with fetch; it reconnects after errors.
import { bearer, refresh } from './api.js';

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
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (data) onEvent(JSON.parse(data.slice(6)));
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

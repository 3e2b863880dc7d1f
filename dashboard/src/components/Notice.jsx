// The outcome of a form, shown next to the form it belongs to: a success as a polite status, an error as an alert.
// `notice` is { ok: boolean, text } or null.
export default function Notice({ notice, testId }) {
  if (!notice?.text) return null;
  return notice.ok ? (
    <p role="status" className="notice ok" data-testid={testId}>
      {notice.text}
    </p>
  ) : (
    <p role="alert" className="notice error" data-testid={testId}>
      {notice.text}
    </p>
  );
}

// A form's submit handler that runs `fn`, then says `done` (a text or a function of fn's result) and calls
// `after` (clearing the form, reloading the list), or shows the API's error; `set` receives the notice.
export function submitting(set, fn, done, after) {
  return async (event) => {
    event?.preventDefault();
    try {
      const result = await fn();
      set({ ok: true, text: typeof done === 'function' ? done(result) : done });
      after?.(result);
    } catch (e) {
      set({ ok: false, text: e?.response?.data?.error?.message ?? e?.message ?? 'request failed' });
    }
  };
}

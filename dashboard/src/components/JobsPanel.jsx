// Background jobs (training, simulations, allocation passes) from GET /api/jobs: queued, running with progress,
// done, failed with the error. Operators may cancel a queued or running job (a running allocation pass finishes
// once started: the server says so with `stoppable: false`, and no button is shown). `subjects` narrows the list
// (e.g. a resource's page shows its own jobs and the ones over all resources); `refreshKey` reloads it at once.
import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import { jobState, time } from '../format.js';

const ACTIVE = new Set(['queued', 'running']);

// What a job works on, for a person: a resource's name where known, "all resources", nothing for a simulation
// (its subject only tells requests apart).
function subjectText(subject, names) {
  if (subject === 'all') return 'all resources';
  if (subject?.startsWith('simulation:')) return '';
  const id = /^resource:(\d+)$/.exec(subject ?? '')?.[1];
  if (id && names?.[id]) return names[id];
  return subject;
}

export default function JobsPanel({ canCancel, subjects, names, refreshKey = 0, limit = 8, title = 'Jobs' }) {
  const [jobs, setJobs] = useState(null);
  const [message, setMessage] = useState('');
  const key = subjects ? subjects.join(',') : '';

  const load = useCallback(async () => {
    try {
      const { data } = await api.get('/api/jobs', { params: { limit: 50 } });
      const wanted = key ? new Set(key.split(',')) : null;
      setJobs(data.jobs.filter((j) => !wanted || wanted.has(j.subject)).slice(0, limit));
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, [key, limit]);

  useEffect(() => {
    load();
  }, [load, refreshKey]);
  // Polled (no event stream of its own: a user's streams are capped): often while something is queued or running,
  // seldom otherwise (every 30 s: a page's whole budget is 20 requests a minute, docs/DASHBOARD.md), to see jobs
  // the loop's schedule starts.
  const active = (jobs ?? []).some((j) => ACTIVE.has(j.status));
  useEffect(() => {
    const timer = setInterval(load, active ? 1500 : 30000);
    return () => clearInterval(timer);
  }, [active, load]);

  async function cancel(id) {
    try {
      const { data } = await api.post(`/api/jobs/${id}/cancel`);
      setMessage(`job ${id}: ${data.status === 'cancelled' ? 'cancelled' : 'stopping at its next check'}`);
      load();
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }

  return (
    <section aria-label="jobs" className="jobs" data-testid="jobs-panel">
      <h2>{title}</h2>
      {message && <p role="status">{message}</p>}
      {jobs && jobs.length === 0 && <p className="muted">No jobs yet.</p>}
      <ul>
        {(jobs ?? []).map((j) => (
          <li key={j.id} data-testid="job" data-job-id={j.id} data-status={j.status} className={`job ${j.status}`}>
            <span className="job-what">
              <strong>{j.kind}</strong> {subjectText(j.subject, names)} <small>#{j.id} · {time(j.created_at)} · {j.reason}</small>
            </span>
            {j.status === 'running' && (
              <progress max="1" value={j.progress ?? 0} aria-label={`job ${j.id} progress`}>
                {Math.round((j.progress ?? 0) * 100)}%
              </progress>
            )}
            <span className="job-state">{jobState(j)}</span>
            {canCancel && ACTIVE.has(j.status) && (j.status === 'queued' || j.stoppable !== false) && (
              <button type="button" className="secondary" onClick={() => cancel(j.id)} aria-label={`cancel job ${j.id}`}>
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

// Requests of the cost pages that the service may answer 503 while it computes a cost report (it computes one at
// a time and says when to ask again in Retry-After): GET /api/costs and GET /api/budgets, whose states come from
// the same report.
import { api, errorMessage } from './api.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// GET that waits as long as Retry-After says (5 s without one, at most 30 s) and asks again, at most 5 times;
// `stopped()` ends the waiting when the page closed. Other errors are thrown at once.
export async function getWhenReady(url, config = {}, stopped = () => false) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api.get(url, config);
    } catch (e) {
      const wait = Number(e?.response?.headers?.['retry-after']);
      if (e?.response?.status !== 503 || attempt >= 5 || stopped()) throw e;
      await sleep(1000 * (Number.isFinite(wait) && wait > 0 ? Math.min(wait, 30) : 5));
    }
  }
}

// The API's message of a failed request whose body was asked for as a Blob (a download): parsed from the Blob.
export async function blobErrorMessage(e) {
  const body = e?.response?.data;
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    try {
      return JSON.parse(await body.text())?.error?.message ?? errorMessage(e);
    } catch {
      return errorMessage(e);
    }
  }
  return errorMessage(e);
}

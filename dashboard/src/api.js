// The API client. The access token lives in memory only; the refresh token is an HttpOnly cookie the browser
// sends to /api/auth (the page never sees it). On a 401 the client refreshes once and retries.
import axios from 'axios';

let accessToken = null;
let onLoggedOut = () => {};

export const api = axios.create({ baseURL: '/', timeout: 15000 });

api.interceptors.request.use((config) => {
  if (accessToken) config.headers.Authorization = `Bearer ${accessToken}`;
  return config;
});

let refreshing = null;
api.interceptors.response.use(
  (response) => response,
  async (error) => {
    const original = error.config;
    const status = error.response?.status;
    if (status === 401 && original && !original._retried && !original.url.startsWith('/api/auth/')) {
      original._retried = true;
      const ok = await refresh();
      if (ok) return api(original);
      onLoggedOut();
    }
    return Promise.reject(error);
  },
);

function keep(session) {
  accessToken = session.access_token;
  return session.user;
}

export async function login(username, password) {
  const { data } = await api.post('/api/auth/login', { username, password });
  return keep(data);
}

// Restores a session from the refresh cookie (after a page reload). Resolves to the user or null. The HttpOnly
// refresh cookie is invisible here; its companion cookie (no secret in it) says whether there is one to use.
export function refresh() {
  if (!document.cookie.split('; ').includes('cloudopt_session=1')) return Promise.resolve(null);
  if (!refreshing) {
    refreshing = api
      .post('/api/auth/refresh')
      .then(({ data }) => keep(data))
      .catch(() => null)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

export async function logout() {
  try {
    await api.post('/api/auth/logout');
  } finally {
    accessToken = null;
  }
}

export function setLoggedOutHandler(handler) {
  onLoggedOut = handler;
}

export function bearer() {
  return accessToken;
}

// The error message the API sent ({"error":{"message"}}), or a generic one.
export function errorMessage(error) {
  return error?.response?.data?.error?.message ?? error?.message ?? 'request failed';
}

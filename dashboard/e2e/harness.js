// What the dashboard's own browser tests share (tables.js, quality.js): a real `cloudopt serve --demo` on a free
// loopback port, Debian's chromium through playwright-core, checks that count failures, screenshots, and the
// console errors a test fails on. (run.js, the first end-to-end test, keeps its own copy of the first parts.)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const binary = process.env.CLOUDOPT_BINARY ?? join(repo, 'build/debug/cloudopt');
export const out = process.env.CLOUDOPT_TEST_OUTPUT ?? join(repo, 'test-output/dashboard');
export const adminPassword = 'e2e-admin-password-123';
export const DESKTOP = { width: 1400, height: 1000 };
export const PHONE = { width: 390, height: 844 };
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((res) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

let failures = 0;
export function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures += 1;
  return ok;
}
export const failed = () => failures;

export async function waitFor(fn, what, timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

// Starts the demo service; resolves once /healthz answers, with an admin token and fetch helpers for the API.
export async function startDemo(work, env = {}, speed = 60) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(binary, ['serve', '--demo', '--speed', String(speed), '--port', String(port), '--data-dir', join(work, 'data')], {
    env: { ...process.env, CLOUDOPT_ADMIN_PASSWORD: adminPassword, CLOUDOPT_ADMIN_USER: 'admin', CLOUDOPT_LOOP_RETRAIN_HOURS: '0', CLOUDOPT_LOOP_TRAIN_EPOCHS: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (d) => (log += d));
  server.stderr.on('data', (d) => (log += d));
  await waitFor(async () => (await fetch(`${base}/healthz`)).ok, 'the server');
  const token = (await (await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) })).json()).access_token;
  const call = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  // GET /api/costs computes one report at a time and answers 503 (which the browser logs as a console error) to a
  // request that comes while another computes; its one-minute cache is counted on the demo's fast clock, so it is
  // stale within a second here. Before a page that asks for the costs, wait until no report is being computed.
  const costsIdle = () => waitFor(async () => (await call('GET', '/api/costs?group_by=total')).status === 200, 'the cost report', 90000);
  return {
    base,
    port,
    token,
    costsIdle,
    apiGet: async (path) => (await call('GET', path)).body,
    call,
    log: () => log,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
    },
  };
}

export async function launch(work, extraArgs = []) {
  return chromium.launchPersistentContext(join(work, 'chromium'), {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: DESKTOP,
    acceptDownloads: true,
  });
}

// The page's console errors and uncaught exceptions, collected for the final check.
export function watchConsole(page) {
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()}${m.location()?.url ? ` (${m.location().url})` : ''}`));
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

// Logs in from `hash` (the Resources page by default: the Overview asks for the month's costs, see startDemo).
export async function login(page, base, name, password, hash = '#/resources') {
  await page.goto(`${base}/${hash}`);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('header nav').waitFor();
}

export function workDir(prefix) {
  mkdirSync(out, { recursive: true });
  return mkdtempSync(join(tmpdir(), prefix));
}

export function finish(work, demo, label) {
  if (failures && demo) writeFileSync(join(out, `${label}-server.log`), demo.log());
  rmSync(work, { recursive: true, force: true });
  console.log(failures ? `${label}: ${failures} check(s) failed; screenshots in ${out}` : `${label}: all checks passed; screenshots in ${out}`);
  process.exit(failures ? 1 : 0);
}

// A CSV file as rows of fields (the dashboard's writer: RFC 4180 quoting).
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), (i += 1);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field.replace(/\r$/, '')), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

// A download the button starts, read back as CSV rows.
export async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), button.click()]);
  return { name: file.suggestedFilename(), rows: parseCsv(readFileSync(await file.path(), 'utf8')) };
}

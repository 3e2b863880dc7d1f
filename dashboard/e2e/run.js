// End-to-end test of the dashboard in a real browser: Debian's chromium driven by playwright-core against a real
// `cloudopt serve --demo` on a loopback port. Logs in, checks the overview against /api/dashboard/stats (the saved
// card is the comparison table's static minus what ran), opens a resource and finds chart points and the planned
// capacity, runs "Allocate now" and "Retrain" and cancels the training from the jobs panel, installs a model file and
// downloads it, switches a mode, applies a recommendation, runs a simulation, checks that a viewer sees no action
// buttons, and saves a
// screenshot of every page (desktop and phone size) into test-output/dashboard/. Fails on any browser console error.
//
// usage: CLOUDOPT_BINARY=build/debug/cloudopt node dashboard/e2e/run.js
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const binary = process.env.CLOUDOPT_BINARY ?? join(repo, 'build/debug/cloudopt');
const out = process.env.CLOUDOPT_TEST_OUTPUT ?? join(repo, 'test-output/dashboard');
const password = 'e2e-admin-password-123';

function freePort() {
  return new Promise((res) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures += 1;
}

async function waitFor(fn, what, timeoutMs = 60000) {
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

async function main() {
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'cloudopt-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(binary, ['serve', '--demo', '--speed', '60', '--port', String(port), '--data-dir', join(work, 'data')], {
    // No training at start: under the sanitizers it would hold the job queue for minutes ahead of the simulation.
    // Few LSTM epochs: the dashboard's simulation trains the loop's model setup (loop.train_epochs), and 30 epochs
    // under the sanitizers take longer than this test waits.
    env: {
      ...process.env,
      CLOUDOPT_ADMIN_PASSWORD: password,
      CLOUDOPT_ADMIN_USER: 'admin',
      CLOUDOPT_LOOP_RETRAIN_HOURS: '0',
      CLOUDOPT_LOOP_TRAIN_EPOCHS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverLog = '';
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  const userData = join(work, 'chromium');
  let context;
  try {
    await waitFor(async () => (await fetch(`${base}/healthz`)).ok, 'the server');
    const token = (await (await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    })).json()).access_token;
    const apiGet = async (path) => (await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } })).json();

    context = await chromium.launchPersistentContext(userData, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    const shot = async (name) => {
      await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
    };

    // Login: a wrong password is refused with a message, the right one opens the overview.
    await page.goto(base + '/');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    check((await page.getByRole('alert').textContent()).includes('wrong user name or password'), 'a wrong password is refused');
    await shot('login');
    consoleErrors.length = 0; // the refused login's 401 is logged by the browser itself
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('cost-per-hour').waitFor();

    // Overview numbers equal the API's (the page reloads on every pushed event, so retry until both agree).
    const money = (v) => `${v < 0 ? '−' : ''}$${Math.abs(v).toFixed(2)}`; // as format.js writes it
    const matched = await waitFor(async () => {
      const stats = await apiGet('/api/dashboard/stats');
      const shown = await page.getByTestId('cost-per-hour').textContent();
      const couldSave = await page.getByTestId('could-save').textContent();
      return shown === money(stats.cost_per_hour) && couldSave === `${money(Math.abs(stats.could_save.per_hour))}/h` ? stats : null;
    }, 'the overview to match /api/dashboard/stats', 30000);
    check(matched.resources.length === 4, 'the overview lists the four demo resources');
    await page.getByText('live', { exact: true }).waitFor({ timeout: 30000 });
    check(true, 'live updates arrive (Server-Sent Events)');
    await page.getByTestId('saved-day').filter({ hasText: '$' }).waitFor();
    // Once a few 5-minute steps are managed, the policy comparison replays them (the demo runs 60x faster).
    await page.getByTestId('policy-oracle').waitFor({ timeout: 90000 });
    const comparison = (await apiGet('/api/dashboard/stats')).comparison;
    check(comparison.policies.static.cost > 0 && comparison.policies.oracle.cost <= comparison.policies.static.cost,
      'the policy comparison shows static above the oracle');
    // "Saved against static, last 24 h" is the table's static cost minus what ran, read off the page at one moment.
    const savedMatch = await waitFor(async () => page.evaluate(() => {
      const value = (id) => document.querySelector(`[data-testid="${id}"]`);
      const card = value('saved-day'), fixed = value('policy-static-cost'), ran = value('policy-actual-cost');
      if (!card || !fixed || !ran || card.dataset.value === '') return null;
      return { text: card.textContent, value: Number(card.dataset.value), fixed: Number(fixed.dataset.value), ran: Number(ran.dataset.value),
        footer: value('policy-saved')?.textContent };
    }), 'the saved card and the table', 30000);
    check(savedMatch.text === money(savedMatch.fixed - savedMatch.ran) && Math.abs(savedMatch.value - (savedMatch.fixed - savedMatch.ran)) < 1e-9,
      `the saved card equals the table's static minus what ran (${savedMatch.text} = ${money(savedMatch.fixed)} − ${money(savedMatch.ran)})`);
    check(savedMatch.footer === savedMatch.text, `the table's saved row says the same (${savedMatch.footer})`);
    await page.getByTestId('jobs-panel').waitFor();
    check(true, 'the overview has a jobs panel');
    await shot('overview');

    // A resource: chart points drawn, the model and its accuracy shown.
    const web = matched.resources.find((r) => r.name === 'web-frontend');
    await page.goto(`${base}/#/resources/${web.id}`);
    await page.getByTestId('demand-chart').locator('canvas').waitFor();
    await sleep(500); // one animation-free draw after the data arrives
    const nonBlank = await page.getByTestId('demand-chart').locator('canvas').evaluate((c) => {
      const ctx = c.getContext('2d');
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let colored = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && !(data[i] > 240 && data[i + 1] > 240 && data[i + 2] > 240)) colored += 1;
      return colored;
    });
    check(nonBlank > 2000, `the demand chart is drawn (${nonBlank} colored pixels)`);
    const chart = page.getByTestId('demand-chart');
    const demandPoints = Number(await chart.getAttribute('data-demand-points'));
    const forecastPoints = Number(await chart.getAttribute('data-forecast-points'));
    check(demandPoints > 10, `the chart has demand points (${demandPoints})`);
    check(forecastPoints > 0, `the chart has forecast points (${forecastPoints})`);
    check((await page.getByTestId('model').textContent()).length > 0, 'the model in use is shown');
    const since = await page.getByTestId('since-training').textContent();
    check(/no trained model yet|no load since training yet|over \d+ steps since training/.test(since),
      `the trained model's record since training is shown ("${since}")`);
    const bands = await page.getByTestId('bands-by').textContent();
    check(bands === '' || /^bands/.test(bands), `what the bands depend on is shown once trained ("${bands}")`);
    const plannedPoints = Number(await chart.getAttribute('data-planned-points'));
    check(plannedPoints > 0, `the chart draws the planned capacity ahead of now (${plannedPoints} points)`);
    const predicted = await apiGet(`/api/predictions?resource=${web.id}`);
    check(Array.isArray(predicted.planned_capacity) && predicted.planned_capacity.length === predicted.points.length,
      'the server sends the planned capacity for every forecast step');

    // Allocate now: a pass as a job, followed to its end on the page and listed in the jobs panel.
    await page.getByRole('button', { name: 'Allocate now' }).click();
    const passDone = page.getByTestId('started-job').and(page.locator('[data-status="succeeded"]'));
    await passDone.waitFor({ timeout: 60000 });
    const passText = await passDone.textContent();
    check(/Allocation pass \(job #\d+\): done: web-frontend: /.test(passText), `"Allocate now" runs a pass and says what it did ("${passText}")`);
    const passId = Number(/job #(\d+)/.exec(passText)[1]);
    const passJob = await apiGet(`/api/jobs/${passId}`);
    check(passJob.kind === 'allocate' && passJob.subject === `resource:${web.id}` && passJob.status === 'succeeded', 'the pass is an allocate job of this resource');
    await page.locator(`[data-testid="job"][data-job-id="${passId}"][data-status="succeeded"]`).waitFor({ timeout: 15000 });
    check(true, 'the jobs panel lists the pass as succeeded');
    await shot('resource');

    // Retrain: a training job, running with its progress; an operator cancels it from the jobs panel.
    await page.getByRole('button', { name: 'Retrain' }).click();
    await page.getByTestId('started-job').filter({ hasText: 'Training (job #' }).waitFor();
    const trainId = Number(/job #(\d+)/.exec(await page.getByTestId('started-job').textContent())[1]);
    check((await apiGet(`/api/jobs/${trainId}`)).kind === 'train', `"Retrain" queues a training job (#${trainId})`);
    const cancelButton = page.getByRole('button', { name: `cancel job ${trainId}` });
    await cancelButton.waitFor({ timeout: 15000 });
    await shot('resource-jobs');
    await cancelButton.click();
    await page.locator(`[data-testid="job"][data-job-id="${trainId}"][data-status="cancelled"]`).waitFor({ timeout: 120000 });
    check((await apiGet(`/api/jobs/${trainId}`)).status === 'cancelled', 'cancelling from the jobs panel cancels the training');
    await page.getByTestId('started-job').and(page.locator('[data-status="cancelled"]')).waitFor({ timeout: 15000 });
    check(true, 'the page says the training ended cancelled');

    // A model trained offline (`cloudopt train --out`) installed from the page, then downloaded from it.
    const modelFile = join(work, 'web.model');
    const trained = spawnSync(binary, ['train', '--data', join(repo, 'data/demo/web_frontend.csv'), '--model', 'naive',
      '--horizon', '12', '--out', modelFile], { encoding: 'utf8' });
    check(trained.status === 0, `cloudopt train --out writes a model file (${(trained.stdout + trained.stderr).trim().split('\n').pop()})`);
    await page.getByLabel('install a model file').setInputFiles(modelFile);
    await page.getByRole('status').filter({ hasText: 'model installed: naive' }).waitFor();
    await page.getByTestId('model').filter({ hasText: 'naive' }).waitFor();
    check((await apiGet(`/api/predictions?resource=${web.id}`)).model === 'naive', 'the installed model forecasts the resource');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download model' }).click()]);
    const downloaded = readFileSync(await download.path());
    check(download.suggestedFilename() === 'web-frontend.model', `the download is named for the resource (${download.suggestedFilename()})`);
    check(downloaded.subarray(0, 8).toString() === 'COMODEL5', 'the download is a model file of the current format');
    await shot('resource-trained');

    // Switch a mode through the page; the API sees it.
    await page.getByLabel('mode', { exact: true }).selectOption('recommend');
    await page.getByRole('status').filter({ hasText: 'mode set to recommend' }).waitFor();
    check((await apiGet(`/api/resources/${web.id}`)).mode === 'recommend', 'switching the mode in the page changes the resource');

    // Apply a recommendation (the demo's checkout resource is in recommend mode).
    await waitFor(async () => (await apiGet('/api/resources/recommendations?status=open')).recommendations.length > 0, 'a recommendation', 90000);
    await page.goto(`${base}/#/recommendations`);
    const first = page.getByTestId('recommendation').first();
    await first.waitFor();
    await shot('recommendations');
    const applyButton = first.getByRole('button', { name: /^apply recommendation/ });
    const id = Number((await applyButton.getAttribute('aria-label')).split(' ').pop());
    await applyButton.click();
    await page.getByRole('status').filter({ hasText: `recommendation ${id} applied` }).waitFor();
    const all = await apiGet('/api/resources/recommendations?status=all');
    check(all.recommendations.find((r) => r.id === id)?.status === 'applied', `recommendation ${id} is applied`);

    // Edit a resource as an admin: the form fills from the row and saves through the API.
    await page.goto(`${base}/#/resources`);
    await page.getByRole('table').waitFor();
    await page.getByRole('button', { name: 'edit checkout' }).click();
    await page.getByLabel('Max instances').fill('33');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Add a resource' }).waitFor();
    const checkout = matched.resources.find((r) => r.name === 'checkout');
    check((await apiGet(`/api/resources/${checkout.id}`)).max_capacity === 33, 'editing a resource in the page saves it');
    await shot('resources');
    await page.goto(`${base}/#/settings`);
    await page.getByRole('region', { name: 'users' }).getByRole('cell', { name: 'admin', exact: true }).first().waitFor();
    await page.getByRole('region', { name: 'providers' }).getByRole('cell', { name: 'simulated' }).first().waitFor();
    check(true, 'settings list users and the configured providers');
    await shot('settings');

    // Simulation: a bundled trace compared across the policies in the background, with its table and chart.
    await page.goto(`${base}/#/simulation`);
    await page.getByLabel('dataset').selectOption('checkout');
    await page.getByRole('button', { name: 'Run simulation' }).click();
    const table = page.getByTestId('simulation-table');
    await table.waitFor({ timeout: 180000 });
    const rows = await table.locator('tbody tr').count();
    check(rows === 5, `the simulation compares five policies, perfect forecasts among them (${rows})`);
    const staticCost = await table.locator('tbody tr').first().locator('td').nth(1).textContent();
    check(staticCost === '100%', `static is the yardstick (${staticCost})`);
    await page.getByTestId('simulation-chart').locator('canvas').waitFor();
    await sleep(300);
    await shot('simulation');

    // Phone-sized screens: every page still renders.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, hash] of [['overview', '#/'], ['resource', `#/resources/${web.id}`], ['recommendations', '#/recommendations'], ['simulation', '#/simulation']]) {
      await page.goto(`${base}/${hash}`);
      await page.locator('main h1').waitFor();
      await sleep(300);
      await shot(`phone-${name}`);
    }

    // Every control has an accessible name.
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('button, input, select, a')].filter((el) => {
        const name = el.getAttribute('aria-label') || el.textContent.trim() || el.labels?.[0]?.textContent.trim() || el.getAttribute('placeholder');
        return !name;
      }).length,
    );
    check(unnamed === 0, 'every control has an accessible name');

    // Log out: the refresh cookie is revoked, a reload shows the login form.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    check(true, 'logging out ends the session');

    // A viewer sees the jobs and the planned capacity, and no button it could not use.
    await page.setViewportSize({ width: 1280, height: 900 });
    const viewerPassword = 'e2e-viewer-password-123';
    const created = await fetch(`${base}/api/users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'watcher', role: 'viewer', password: viewerPassword }),
    });
    check(created.status === 201, `a viewer is created (${created.status})`);
    await page.goto(`${base}/#/`);
    await page.getByLabel('User name').fill('watcher');
    await page.getByLabel('Password').fill(viewerPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('cost-per-hour').waitFor();
    await page.goto(`${base}/#/resources/${web.id}`);
    await page.getByTestId('jobs-panel').locator('[data-testid="job"]').first().waitFor();
    const viewerButtons = await page.evaluate(() => [...document.querySelectorAll('main button')].map((b) => b.textContent.trim()));
    check(!viewerButtons.some((t) => /Allocate now|Retrain|Cancel/.test(t)), `a viewer sees no allocate, retrain or cancel buttons (${JSON.stringify(viewerButtons)})`);
    await shot('resource-viewer');

    check(consoleErrors.length === 0, `no browser console errors${consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''}`);
  } catch (e) {
    failures += 1;
    console.error('FAIL', e);
    writeFileSync(join(out, 'server.log'), serverLog);
  } finally {
    if (context) await context.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
  console.log(failures ? `${failures} check(s) failed; screenshots in ${out}` : `all checks passed; screenshots in ${out}`);
  process.exit(failures ? 1 : 0);
}

main();

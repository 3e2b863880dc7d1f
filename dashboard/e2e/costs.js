// Cost intelligence in the dashboard (issue 32: labels, the spend forecast, budgets, commitments), driven as a
// FinOps engineer would in Debian's chromium against a real `cloudopt serve --demo`:
//  - labels: added on a resource's page (read back from GET /api/resources/{id}), a bad key refused with the API's
//    message next to the form, shown on the Resources table and filtered there by key:value;
//  - the Costs page: the month's curve (spent, the forecast's p50 and its p10-p90 band) and its figures equal to
//    the GET /api/costs the page received, grouped by the new label, the CSV of that grouping downloaded;
//  - budgets: a bad amount refused with the API's message next to the form, a budget on the label created, its
//    state shown in words equal to GET /api/budgets, edited, deleted;
//  - commitments: the pools (what to buy) and the per-resource table equal GET /api/costs/commitments, with what a
//    pool's commitment would have saved over the recorded past; the table sorts by the expected saving, exports its CSV;
//  - a viewer: labels and budgets read-only;
//  - screenshots at 1400x1000 and 390x844 in test-output/dashboard/costs-*.png, no sideways scroll on a phone, no
//    browser console error.
//
// usage: CLOUDOPT_BINARY=build/debug/cloudopt node dashboard/e2e/costs.js
import { readFileSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DESKTOP, PHONE, adminPassword, check, download, finish, launch, login, out, sleep, startDemo, waitFor, watchConsole, workDir } from './harness.js';


const here = dirname(fileURLToPath(import.meta.url));
const dollars = (v) => `$${Number(v).toFixed(2)}`; // format.js's money()

// axe-core on the page as it is now (a form open, a notice shown): no serious or critical violation.
async function axe(page, what) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe: ${what}: no serious or critical violation${bad.length ? ': ' + bad.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}x: ${v.nodes[0]?.target})`).join('; ') : ''}`);
}

async function main() {
  const started = Date.now();
  const work = workDir('cloudopt-costs-');
  let demo;
  let context;
  try {
    demo = await startDemo(work);
    const { base, apiGet, call, costsIdle } = demo;
    context = await launch(work);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (d) => d.accept()); // the delete confirmations
    const consoleErrors = watchConsole(page);
    const shot = (name) => page.screenshot({ path: join(out, `costs-${name}.png`), fullPage: true });
    await login(page, base, 'admin', adminPassword);
    const resources = (await apiGet('/api/resources')).resources;
    const web = resources.find((r) => r.name === 'web-frontend');

    // Labels on the resource's page: a bad key first (the API's 422 next to the form), then team and env.
    await page.goto(`${base}/#/resources/${web.id}`);
    await page.getByTestId('resource-labels').waitFor();
    check((await page.getByTestId('resource-labels').textContent()).includes('none yet'), 'a resource without labels says so');
    await page.getByRole('button', { name: 'Edit labels' }).click();
    await page.getByLabel('label 1 key').fill('bad key!');
    await page.getByLabel('label 1 value').fill('x');
    await page.getByRole('button', { name: 'Save labels' }).click();
    const refused = await page.getByTestId('labels-notice').textContent();
    await axe(page, 'the label editor with its refusal');
    const apiRefusal = await call('PUT', `/api/resources/${web.id}`, { labels: { 'bad key!': 'x' } });
    check(apiRefusal.status === 422 && refused === apiRefusal.body.error.message, `a bad label key is refused with the API's message next to the form ("${refused}")`);
    await page.getByLabel('label 1 key').fill('team');
    await page.getByLabel('label 1 value').fill('payments');
    await page.getByRole('button', { name: 'Add a label' }).click();
    await page.getByLabel('label 2 key').fill('env');
    await page.getByLabel('label 2 value').fill('prod');
    await page.getByRole('button', { name: 'Save labels' }).click();
    await waitFor(async () => (await page.getByTestId('labels-notice').textContent()).startsWith('labels saved'), 'the labels to be saved', 10000);
    const stored = (await apiGet(`/api/resources/${web.id}`)).labels;
    check(JSON.stringify(stored) === JSON.stringify({ env: 'prod', team: 'payments' }) || (stored.team === 'payments' && stored.env === 'prod' && Object.keys(stored).length === 2), `the labels are stored (${JSON.stringify(stored)})`);
    const tags = await page.getByTestId('resource-labels').locator('li').allTextContents();
    check(JSON.stringify(tags) === JSON.stringify(['env=prod', 'team=payments']), `the page shows them as tags (${tags.join(', ')})`);
    await shot('desktop-label-editor');
    await page.getByRole('button', { name: 'Close' }).click();
    await shot('desktop-resource-labels');

    // The Resources table: a Labels column, and the label filter keeps the labelled resource only.
    await page.goto(`${base}/#/resources`);
    await page.getByTestId('resource-row').first().waitFor();
    const labelsCell = await page.locator(`[data-resource-id="${web.id}"] td[data-label="Labels"]`).textContent();
    check(labelsCell.includes('team=payments') && labelsCell.includes('env=prod'), `the Resources table shows the labels (${labelsCell})`);
    await page.getByLabel('label filter').selectOption('team:payments');
    const filtered = await page.getByTestId('resource-row').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.resourceId)));
    const apiFiltered = (await apiGet('/api/resources?label=team:payments')).resources.map((r) => r.id);
    check(JSON.stringify(filtered) === JSON.stringify(apiFiltered) && filtered.length === 1, `filtered by team:payments it lists what GET /api/resources?label=team:payments does (${filtered} vs ${apiFiltered})`);
    await page.getByLabel('label filter').selectOption('team');
    const anyTeam = await page.getByTestId('resource-row').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.resourceId)));
    check(JSON.stringify(anyTeam) === JSON.stringify((await apiGet('/api/resources?label=team')).resources.map((r) => r.id)), `"team: any value" lists what GET /api/resources?label=team does (${anyTeam})`);
    await page.getByLabel('label filter').selectOption('team:payments');
    await shot('desktop-resources-labels');

    // The Costs page: the month's curve with its band, figures equal to the report the page received.
    await costsIdle();
    const costsResponse = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/costs' && r.status() === 200, { timeout: 60000 });
    await page.goto(`${base}/#/costs`);
    const report = await (await costsResponse).json();
    await page.getByTestId('costs-chart').waitFor();
    const chart = page.getByTestId('costs-chart');
    const total = report.groups.find((g) => g.kind === 'total');
    const forecastDays = total.days.filter((d) => d.forecast).length;
    const spentPoints = Number(await chart.getAttribute('data-spent-points'));
    const bandPoints = Number(await chart.getAttribute('data-band-points'));
    check(spentPoints > 0 && bandPoints === forecastDays && bandPoints > 0, `the month's curve: ${spentPoints} days spent, the forecast's band over the ${bandPoints} days left (the API has ${forecastDays})`);
    check((await chart.locator('canvas').boundingBox()).height > 150, 'the chart is drawn');
    check((await page.getByTestId('costs-spent').textContent()) === dollars(total.actual_to_date), `spent so far equals the API's total (${dollars(total.actual_to_date)})`);
    check((await page.getByTestId('costs-month-end').textContent()) === dollars(total.month_end.p50), `the month's end p50 equals the API's (${dollars(total.month_end.p50)})`);
    const paymentsGroup = report.groups.find((g) => g.kind === 'label' && g.name === 'team:payments');
    check(Boolean(paymentsGroup), 'the report has the new label group team:payments');
    await page.getByLabel('group costs by').selectOption('label:team');
    const groupRow = page.locator('[data-testid="cost-group"][data-name="team:payments"]');
    await groupRow.waitFor();
    const groupSpent = await groupRow.locator('td[data-label="spent so far"]').textContent();
    check(groupSpent === dollars(paymentsGroup.actual_to_date), `grouped by label team, team:payments spent ${groupSpent} as the API says`);
    await groupRow.getByRole('button', { name: /draw team:payments/ }).click();
    check((await chart.getAttribute('data-group')) === 'label/team:payments', 'the chart draws the label group when asked');
    await costsIdle();
    const csv = await download(page, page.getByRole('button', { name: 'Download CSV' }));
    const header = csv.rows[0]?.join(',');
    const csvNames = new Set(csv.rows.slice(1).map((r) => r[1]));
    check(csv.name === `cloudopt-costs-${report.month}-by-label-team.csv` && header?.startsWith('kind,name,date,actual') && csvNames.has('team:payments'), `the CSV of the label grouping downloads (${csv.name}: ${csv.rows.length - 1} rows, header ${header})`);
    await shot('desktop-costs');

    // Budgets: a bad amount is refused with the API's message, then a budget on the label.
    const form = page.getByRole('form', { name: 'add a budget' });
    await form.getByLabel('Name').fill('payments');
    await form.getByLabel('Monthly amount (USD)').fill('-5');
    await form.getByRole('button', { name: 'Add budget' }).click();
    const badAmount = await page.getByTestId('budget-form-notice').textContent();
    const apiBad = await call('POST', '/api/budgets', { name: 'payments', monthly_usd: -5, scope: 'total', target: '', cap_mode: 'off' });
    check(apiBad.status === 422 && badAmount === apiBad.body.error.message, `a negative amount is refused with the API's message next to the form ("${badAmount}")`);
    const amount = Math.max(1, Math.round(paymentsGroup.actual_to_date / 2)); // under what it spent: exceeded
    await form.getByLabel('Monthly amount (USD)').fill(String(amount));
    await form.getByLabel('Scope').selectOption('label');
    await form.getByLabel('Label (team:payments)').fill('team:payments');
    await form.getByLabel('Cap').selectOption('soft');
    await form.getByRole('button', { name: 'Add budget' }).click();
    await waitFor(async () => (await page.getByTestId('budget-form-notice').textContent()).startsWith('payments added'), 'the budget to be added', 60000);
    const budgetRow = page.locator('[data-testid="budget-row"][data-budget="payments"]');
    await budgetRow.waitFor({ timeout: 120000 }); // GET /api/budgets checks every budget against a fresh cost report
    const apiBudget = await waitFor(async () => (await call('GET', '/api/budgets')).body?.budgets?.find((b) => b.name === 'payments'), 'GET /api/budgets', 30000);
    const shownState = await budgetRow.getByTestId('budget-state').getAttribute('data-state');
    const stateText = (await budgetRow.getByTestId('budget-state').textContent()).trim();
    check(shownState === apiBudget.status.state && /[a-z]/.test(stateText), `the budget's state is shown in words: "${stateText}" (the API says ${apiBudget.status.state})`);
    check(apiBudget.status.state === 'exceeded' && stateText.includes('exceeded'), `a budget of half what the label spent so far is exceeded (${stateText})`);
    const scopeCell = await budgetRow.locator('td[data-label="Scope"]').textContent();
    const capCell = await budgetRow.locator('td[data-label="Cap"]').textContent();
    check(scopeCell === 'label team:payments' && capCell.startsWith('soft'), `scope and cap mode shown (${scopeCell}; ${capCell})`);
    await shot('desktop-budgets');
    await axe(page, 'the Costs page with a budget, its form and notice, the commitments');
    // Edit: a budget far above the projection turns ok (or stays exceeded if spent is above it: it is not).
    await budgetRow.getByRole('button', { name: 'edit budget payments' }).click();
    const editForm = page.getByRole('form', { name: 'edit the budget payments' });
    await editForm.getByLabel('Monthly amount (USD)').fill(String(Math.ceil((paymentsGroup.month_end?.p90 ?? paymentsGroup.actual_to_date) * 10 + 100)));
    await editForm.getByRole('button', { name: 'Save budget' }).click();
    await waitFor(async () => (await page.getByTestId('budget-form-notice').textContent()).startsWith('payments saved'), 'the budget to be saved', 60000);
    const edited = await waitFor(async () => (await budgetRow.getByTestId('budget-state').getAttribute('data-state')) === 'ok' && 'ok', 'the edited budget to be ok', 120000).catch(() => null);
    const apiEdited = (await call('GET', '/api/budgets')).body.budgets.find((b) => b.name === 'payments');
    check(edited === 'ok' && apiEdited.status.state === 'ok', `raised to ten times its p90, the budget is ok (page ${edited}, API ${apiEdited.status.state})`);

    // Commitments: the table equals the API, sorts by the saving, exports its CSV.
    const plan = await apiGet('/api/costs/commitments');
    const commitments = page.getByTestId('commitments-table');
    await commitments.locator('tbody tr').first().waitFor({ timeout: 120000 }); // the 30 days' forecast paths per resource
    const shownResources = await commitments.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.resource));
    check(shownResources.length === plan.resources.length && plan.resources.every((r) => shownResources.includes(r.resource)), `the commitments table lists every resource the API plans (${shownResources.join(', ')})`);
    const planned = plan.resources.find((r) => r.recommended_instances !== undefined);
    if (planned) {
      const row = commitments.locator(`tr[data-resource="${planned.resource}"]`);
      const commit = await row.locator('td[data-label="Commit to"]').textContent();
      const breakEven = await row.locator('td[data-label="Break-even"]').textContent();
      check(commit === `${planned.recommended_instances} instances` && breakEven.startsWith(`${(planned.break_even_utilization * 100).toFixed(1)}%`), `${planned.resource}: commit to ${commit}, break-even ${breakEven} as the API says`);
    }
    // The pools come first: what to buy, each with its resources and what it would have saved over the recorded past.
    const pools = page.getByTestId('commitment-pools-table');
    const shownPools = await pools.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.pool));
    check(shownPools.length === plan.pools.length && plan.pools.every((p) => shownPools.includes(p.pool)), `the pools table lists every pool the API plans (${shownPools.join(', ')})`);
    const pool = plan.pools.find((p) => p.recommended_instances !== undefined);
    if (pool) {
      const row = pools.locator(`tr[data-pool="${pool.pool}"]`);
      const buy = await row.locator('td[data-label="Buy"]').textContent();
      const members = await row.locator('td[data-label="Resources"]').textContent();
      const past = await row.locator('td[data-label="Would have saved (recorded past)"]').textContent();
      check(buy === `${pool.recommended_instances} instances` && members === pool.members.join(', ') && (/ over [\d.]+ days/.test(past) || past === pool.past.note), `pool ${pool.pool}: buy ${buy} for ${members}, would have saved "${past}"`);
    }
    await commitments.getByRole('button', { name: /Expected saving/ }).click();
    await commitments.getByRole('button', { name: /Expected saving/ }).click(); // descending
    const sortedShown = await commitments.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.resource));
    const byApi = [...plan.resources].sort((a, b) => (b.saving?.p50 ?? -Infinity) - (a.saving?.p50 ?? -Infinity)).map((r) => r.resource);
    check(JSON.stringify(sortedShown) === JSON.stringify(byApi.slice(0, sortedShown.length)), `sorted by the expected saving, largest first (${sortedShown.join(', ')})`);
    check((await commitments.locator('th[aria-sort="descending"]').count()) === 1, 'the sorted column says so (aria-sort)');
    const commitmentsCsv = await download(page, page.getByRole('button', { name: 'export commitments as CSV' }));
    check(commitmentsCsv.name === 'commitments.csv' && commitmentsCsv.rows.length - 1 === plan.resources.length && commitmentsCsv.rows[0].includes('Break-even'), `the commitments CSV has a row per resource (${commitmentsCsv.rows.length - 1})`);
    await shot('desktop-commitments');

    // The frontier on the Simulation page from a sweep's JSON file (`cloudopt simulate --sweep --json` on
    // alibaba2018_cluster, release build): one curve per policy, the cheapest setting within the budget named as the
    // file names it, and again for another budget typed in.
    const sweepFile = join(here, 'fixtures/sweep-alibaba2018.json');
    const sweep = JSON.parse(readFileSync(sweepFile, 'utf8'));
    await page.goto(`${base}/#/simulation`);
    await page.getByLabel('open a sweep').setInputFiles(sweepFile);
    const named = page.getByTestId('sweep-cheapest');
    await named.waitFor();
    const settingOf = (p) => Object.entries(p.setting).map(([k, v]) => `${k}=${v}`).join(' ');
    check((await named.getAttribute('data-policy')) === sweep.cheapest.policy && (await named.getAttribute('data-setting')) === settingOf(sweep.cheapest), `the sweep's cheapest within ${sweep.unmet_budget * 100}% is named as the file names it (${await named.textContent()})`);
    const policies = new Set(sweep.points.map((p) => p.policy)).size;
    check(Number(await page.getByTestId('sweep-chart').getAttribute('data-curves')) === policies, `one curve per policy (${policies})`);
    await page.getByLabel('unmet budget in percent').fill('0');
    const strict = sweep.points.filter((p) => p.policy !== 'oracle' && p.unmet <= 0).sort((a, b) => a.cost_rel - b.cost_rel)[0];
    await sleep(200);
    check((await named.getAttribute('data-setting')) === (strict ? settingOf(strict) : '') && (await named.getAttribute('data-policy')) === (strict?.policy ?? ''), `with no unmet allowed the cheapest is ${strict ? `${strict.policy} ${settingOf(strict)}` : 'none'} (${await named.textContent()})`);
    await page.getByLabel('unmet budget in percent').fill(String(sweep.unmet_budget * 100));
    await shot('desktop-sweep-file');

    // A sweep run from the page (POST /api/simulations with sweep, a job): a target out of range first (the API's
    // 422 on the page), then a small grid on a bundled trace; the frontier drawn is the job's result. The HPA rule
    // and the oracle (with static, its yardstick) only: the predictive policy trains a model per series, which takes
    // minutes in the debug build.
    await page.getByLabel('Sweep their settings: the cost/risk frontier').check();
    const sweepForm = page.getByRole('form', { name: 'run a simulation' });
    for (const p of ['predictive', 'seasonal']) await sweepForm.getByRole('checkbox', { name: p, exact: true }).uncheck();
    await sweepForm.getByLabel('target utilizations').fill('0.5, 2');
    const refusedSweep = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/simulations' && r.request().method() === 'POST');
    await sweepForm.getByRole('button', { name: 'Run sweep' }).click();
    const refusal = await (await refusedSweep).json();
    const shownRefusal = await page.locator('main p[role="alert"]').first().textContent();
    check((await refusedSweep).status() === 422 && shownRefusal === refusal.error.message, `a target of 2 is refused with the API's message (${shownRefusal})`);
    await sweepForm.getByLabel('target utilizations').fill('0.5, 0.9');
    const posted = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/simulations' && r.request().method() === 'POST');
    await sweepForm.getByRole('button', { name: 'Run sweep' }).click();
    const jobId = (await (await posted).json()).job_id;
    const job = await waitFor(async () => {
      const j = (await call('GET', `/api/jobs/${jobId}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : null;
    }, 'the sweep job', 120000);
    check(job.status === 'succeeded' && job.result?.sweep === true, `the sweep job ran (${job.status}${job.error ? `: ${job.error}` : ''}, ${job.result?.points?.length} points in ${job.result?.seconds} s)`);
    if (job.status === 'succeeded') {
      const ran = page.getByTestId('sweep-run-section');
      await ran.getByTestId('sweep-chart').waitFor();
      const ranChart = ran.getByTestId('sweep-chart');
      const ranNamed = ran.getByTestId('sweep-cheapest');
      const ranPolicies = new Set(job.result.points.map((p) => p.policy));
      check(Number(await ranChart.getAttribute('data-points')) === job.result.points.length && Number(await ranChart.getAttribute('data-curves')) === ranPolicies.size, `the page draws the job's ${job.result.points.length} points, one curve per policy (${[...ranPolicies].join(', ')})`);
      const targetsRun = job.result.points.filter((p) => p.policy === 'reactive').map((p) => p.setting.target);
      check(!ranPolicies.has('seasonal') && !ranPolicies.has('predictive') && ranPolicies.has('oracle') && JSON.stringify(targetsRun) === '[0.5,0.9]', `the grid asked for is the grid run (${[...ranPolicies].join(', ')}; HPA targets ${targetsRun})`);
      const named = job.result.cheapest;
      check((await ranNamed.getAttribute('data-policy')) === (named?.policy ?? '') && (await ranNamed.getAttribute('data-setting')) === (named ? settingOf(named) : ''), `the cheapest within 0.5% is named as the job's result names it (${await ranNamed.textContent()})`);
      await shot('desktop-sweep-run');
    }

    // Every cost page at a phone's size: cards, nothing sideways.
    await page.setViewportSize(PHONE);
    for (const [name, hash, ready] of [
      ['costs', '#/costs', 'commitment-row'],
      ['resource', `#/resources/${web.id}`, 'resource-labels'],
      ['resources', '#/resources', 'resource-row'],
      ['simulation', '#/simulation', null],
    ]) {
      await costsIdle();
      await page.goto(`${base}/${hash}`);
      if (ready) await page.getByTestId(ready).first().waitFor({ timeout: 120000 });
      else {
        await page.getByLabel('open a sweep').setInputFiles(sweepFile);
        await page.getByTestId('sweep-chart').waitFor();
      }
      await sleep(400);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 0, `phone ${name}: no sideways scroll of the page (${overflow} px)`);
      await shot(`phone-${name}`);
    }
    await page.setViewportSize(DESKTOP);

    // Delete the budget (the confirmation is accepted above).
    await costsIdle();
    await page.goto(`${base}/#/costs`);
    await page.locator('[data-testid="budget-row"][data-budget="payments"]').getByRole('button', { name: 'delete budget payments' }).click();
    await waitFor(async () => (await page.getByTestId('budgets-notice').textContent()) === 'payments deleted', 'the deletion', 60000);
    check(!(await apiGet('/api/budgets')).budgets.some((b) => b.name === 'payments'), 'the deleted budget is gone from the API');

    // A viewer: labels and budgets read-only.
    await call('POST', '/api/budgets', { name: 'all', monthly_usd: 1000000, scope: 'total', target: '', cap_mode: 'off' });
    await call('POST', '/api/users', { name: 'vic', role: 'viewer', password: 'vic-password-1234' });
    await page.getByRole('button', { name: 'Log out' }).click();
    await login(page, base, 'vic', 'vic-password-1234');
    await page.goto(`${base}/#/resources/${web.id}`);
    await page.getByTestId('resource-labels').waitFor();
    check((await page.getByRole('button', { name: 'Edit labels' }).count()) === 0 && (await page.getByTestId('resource-labels').textContent()).includes('team=payments'), 'a viewer reads the labels without an editor');
    await costsIdle();
    await page.goto(`${base}/#/costs`);
    await page.locator('[data-testid="budget-row"][data-budget="all"]').waitFor({ timeout: 60000 });
    check((await page.getByRole('form', { name: 'add a budget' }).count()) === 0 && (await page.getByRole('button', { name: /^(edit|delete) budget/ }).count()) === 0, 'a viewer sees the budgets without the form or their buttons');
    await shot('viewer-costs');
    await page.emulateMedia({ colorScheme: 'dark' });
    await sleep(300);
    await axe(page, 'the Costs page in the dark theme');
    await shot('viewer-costs-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // The three refusals asked for above (a bad label key, a negative amount, a target of 2) are logged by the browser as failed loads.
    const expected = [new RegExp(`422 .*/api/resources/${web.id}\\)$`), /422 .*\/api\/budgets\)$/, /422 .*\/api\/simulations\)$/];
    for (const re of expected) {
      const at = consoleErrors.findIndex((e) => re.test(e));
      check(at >= 0, `the browser logged the refusal asked for (${re})`);
      if (at >= 0) consoleErrors.splice(at, 1);
    }
    check(consoleErrors.length === 0, `no browser console errors${consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''}`);
  } catch (e) {
    check(false, `the journey ran to its end: ${e.stack ?? e}`);
  } finally {
    if (context) await context.close();
    if (demo) await demo.stop();
  }
  console.log(`costs: ${Math.round((Date.now() - started) / 1000)} s`);
  finish(work, demo, 'costs');
}

main();

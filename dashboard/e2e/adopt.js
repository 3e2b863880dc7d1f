// Adopting a sweep's setting from the dashboard (docs/COSTS.md §1 "Adopting the setting", docs/DASHBOARD.md
// Simulation), as an admin would in Debian's chromium against a real `cloudopt serve --demo`:
//  - a small sweep of the predictive policy run from the Simulation page on an uploaded CSV, with an unmet budget
//    typed into the sweep's form: the job is run against that budget and the page names the job's cheapest
//    predictive setting within it;
//  - another budget typed into the frontier's field after the sweep: the page names cloudopt's cheapest setting
//    within that one, and Adopt sends it (max_unmet) so the service adopts what the page named;
//  - Adopt, the confirmation (loop.quantile and loop.unmet_budget from -> to), Confirm: the result on the page, and
//    GET /api/settings/adopt reports the setting in force with the adoption's reason; the loop plans at it;
//  - screenshots of the confirmation and of the result in test-output/dashboard/adopt-*.png; no console error.
//
// usage: CLOUDOPT_BINARY=build/debug/cloudopt node dashboard/e2e/adopt.js
import { join } from 'node:path';
import { adminPassword, check, finish, launch, login, out, startDemo, waitFor, watchConsole, workDir } from './harness.js';

const quantileName = (q) => `p${Math.round(Number(q) * 1000) / 10}`; // AdoptSetting.jsx's

// Four days of a daily wave at 5-minute steps with noise and bursts (about one step in 30 at 1.45 times the wave; a
// fixed generator): p50 sizes for the wave and leaves bursts unmet, p99 covers them at a higher cost, so the sweep's
// points trade cost against unmet.
function noisyWave() {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const start = Math.floor(Date.now() / 1000 / 300) * 300 - 4 * 86400;
  const lines = ['timestamp,value'];
  for (let i = 0; i < 4 * 288; i += 1) {
    const wave = 100 + 60 * Math.sin((2 * Math.PI * i) / 288);
    const burst = random() < 1 / 30 ? 1.45 : 1;
    lines.push(`${start + 300 * i},${(wave * burst * (0.9 + 0.2 * random())).toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const started = Date.now();
  const work = workDir('cloudopt-adopt-');
  let demo;
  let context;
  try {
    // The sweep trains the loop's model setup per series: statistical models only, so it ends in seconds.
    demo = await startDemo(work, { CLOUDOPT_LOOP_TRAIN_EPOCHS: '0' });
    const { base, apiGet, call } = demo;
    context = await launch(work);
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors = watchConsole(page);
    const shot = (name) => page.screenshot({ path: join(out, `adopt-${name}.png`), fullPage: true });
    const before = await apiGet('/api/settings/adopt');
    check(before.quantile === 'p95' && before.source === 'config' && before.can_adopt === true, `before: the loop plans at ${before.quantile} from its config, and may adopt`);
    await login(page, base, 'admin', adminPassword);

    // The sweep: the predictive policy alone at p50 and p99, one engine budget the config does not have (0.2%), and
    // the user's budget typed into the form (50%: every point is within it, so the job names the cheapest of all).
    await page.goto(`${base}/#/simulation`);
    const form = page.getByRole('form', { name: 'run a simulation' });
    await form.getByLabel('upload a CSV').setInputFiles({ name: 'noisy-wave.csv', mimeType: 'text/csv', buffer: Buffer.from(noisyWave()) });
    await page.getByLabel('Sweep their settings: the cost/risk frontier').check();
    for (const p of ['reactive', 'seasonal', 'oracle']) await form.getByRole('checkbox', { name: p, exact: true }).uncheck();
    await form.getByRole('checkbox', { name: 'p50', exact: true }).check();
    for (const q of ['p90', 'p95']) await form.getByRole('checkbox', { name: q, exact: true }).uncheck();
    await form.getByRole('checkbox', { name: 'p99', exact: true }).check();
    await form.getByLabel('predictive unmet budgets').fill('0.002');
    await form.getByLabel('your unmet budget in percent').fill('50');
    const posted = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/simulations' && r.request().method() === 'POST');
    await form.getByRole('button', { name: 'Run sweep' }).click();
    const request = JSON.parse((await posted).request().postData());
    check(request.sweep?.unmet_budget === 0.5, `the sweep is asked for with the budget typed (unmet_budget ${request.sweep?.unmet_budget})`);
    const jobId = (await (await posted).json()).job_id;
    const job = await waitFor(async () => {
      const j = (await call('GET', `/api/jobs/${jobId}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : null;
    }, 'the sweep job', 240000);
    check(job.status === 'succeeded' && job.result?.sweep === true, `the sweep job ran (${job.status}${job.error ? `: ${job.error}` : ''}, ${job.result?.points?.length} points in ${job.result?.seconds} s)`);
    const result = job.result;
    const predictive = result.points.filter((p) => p.policy === 'predictive');
    console.log(`     points: ${predictive.map((p) => `${quantileName(p.setting.quantile)} cost ${p.cost_rel} unmet ${p.unmet}`).join('; ')}`);
    check(result.unmet_budget === 0.5 && result.cheapest_predictive?.policy === 'predictive', `the job's cheapest predictive setting is within the typed 50% (${quantileName(result.cheapest_predictive?.setting.quantile)})`);

    const section = page.getByTestId('sweep-run-section');
    const candidate = section.getByTestId('adopt-candidate');
    await candidate.waitFor();
    check((await candidate.getAttribute('data-quantile')) === quantileName(result.cheapest_predictive.setting.quantile), `the page names the job's cheapest (${await candidate.textContent()})`);

    // Another budget typed into the frontier after the sweep: the lowest unmet any predictive point left, so the
    // setting within it is the one that leaves least (when the points differ, not the job's cheapest at 50%).
    const least = [...predictive].sort((a, b) => a.unmet - b.unmet || a.cost_rel - b.cost_rel)[0];
    const typedPct = Math.ceil(least.unmet * 100 * 1e4) / 1e4; // what a person types: the unmet shown, rounded up
    const within = predictive.filter((p) => p.unmet <= typedPct / 100 + 1e-12).sort((a, b) => a.cost_rel - b.cost_rel)[0];
    const differs = quantileName(within.setting.quantile) !== quantileName(result.cheapest_predictive.setting.quantile);
    check(differs, `the budget typed after the sweep (${typedPct}%) names another setting than the job's own budget (${quantileName(within.setting.quantile)} vs ${quantileName(result.cheapest_predictive.setting.quantile)})`);
    await section.getByLabel('unmet budget in percent').fill(String(typedPct));
    await waitFor(async () => (await candidate.getAttribute('data-quantile')) === quantileName(within.setting.quantile), 'the named setting to follow the budget', 10000).catch(() => null);
    const target = { quantile: await candidate.getAttribute('data-quantile'), unmet_budget: Number(await candidate.getAttribute('data-unmet-budget')) };
    check(target.quantile === quantileName(within.setting.quantile) && target.unmet_budget === within.setting.unmet_budget, `the page names cloudopt's cheapest within ${typedPct}%: ${target.quantile}, engine budget ${target.unmet_budget} (${await candidate.textContent()})`);

    // Adopt: the confirmation says what changes, Confirm adopts it.
    await section.getByRole('button', { name: 'Adopt', exact: true }).click();
    const confirm = page.getByTestId('adopt-confirm');
    await confirm.waitFor();
    const lines = await confirm.locator('li').allTextContents();
    check(lines[0] === `loop.quantile: p95 → ${target.quantile}` && lines[1] === `loop.unmet_budget: 0.005 → ${target.unmet_budget}`, `the confirmation lists what changes (${lines.join('; ')})`);
    await shot('confirm');
    const adoptPosted = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/settings/adopt' && r.request().method() === 'POST');
    await confirm.getByRole('button', { name: 'Confirm adoption' }).click();
    const adoptResponse = await adoptPosted;
    const sent = JSON.parse(adoptResponse.request().postData());
    check(adoptResponse.status() === 200 && sent.job_id === jobId && sent.max_unmet === typedPct / 100 && sent.quantile === undefined, `Adopt sends the job and the typed budget (${JSON.stringify(sent)}): ${adoptResponse.status()}`);
    const shownResult = page.getByTestId('adopt-result');
    await shownResult.waitFor();
    const resultText = await shownResult.textContent();
    check(resultText === `Adopted: loop.quantile p95 → ${target.quantile}, loop.unmet_budget 0.005 → ${target.unmet_budget}.`, `the page says what was adopted ("${resultText}")`);
    const inForce = page.getByTestId('adopted-setting');
    await waitFor(async () => (await inForce.getAttribute('data-source')) === 'adopted', 'the page to show the adopted setting', 10000);

    const after = await apiGet('/api/settings/adopt');
    check(after.quantile === target.quantile && after.unmet_budget === target.unmet_budget && after.source === 'adopted', `GET /api/settings/adopt reports ${after.quantile}, ${after.unmet_budget}, source ${after.source}`);
    check(after.adopted?.reason?.includes(`sweep job ${jobId}`) && after.adopted.reason.includes('user:admin') && after.adopted.evidence?.startsWith('evidence/sweep-'), `with the adoption's reason and evidence (${after.adopted?.reason}; ${after.adopted?.evidence})`);
    check((await inForce.getAttribute('data-quantile')) === after.quantile && Number(await inForce.getAttribute('data-unmet-budget')) === after.unmet_budget, `the page shows the setting in force as the API does (${await inForce.textContent()})`);
    // The adopted setting is in force on the next pass: a pass's decisions name the new quantile.
    const pass = await call('POST', '/api/resources/allocate?wait_seconds=30', {});
    const quantiles = new Set((pass.body?.results ?? []).map((o) => o.decision?.explanation?.quantile).filter(Boolean));
    check(pass.status === 200 && quantiles.size === 1 && quantiles.has(target.quantile), `an allocation pass over the demo's resources plans at ${target.quantile} (${pass.status}: ${[...quantiles].join(', ') || 'no decision'})`);
    await shot('adopted');

    check(consoleErrors.length === 0, `no browser console errors${consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''}`);
  } catch (e) {
    check(false, `the journey ran to its end: ${e.stack ?? e}`);
  } finally {
    if (context) await context.close();
    if (demo) await demo.stop();
  }
  console.log(`adopt: ${Math.round((Date.now() - started) / 1000)} s`);
  finish(work, demo, 'adopt');
}

main();

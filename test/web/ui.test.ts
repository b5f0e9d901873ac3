// End-to-end: the analyst UI in headless Chromium against a real `malgram serve` (spawned through
// the CLI on a random loopback port, bearer tokens on), with a store ingested from
// malbehavd-v1.csv and a model trained from it by the real `ingest` and `train` commands.
// Every page must load without console errors and without a request to anything but the server.
// Screenshots (1366×768, a laptop screen) are kept under artifacts/ui/.
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, not the DOM's (it keeps the table cells apart)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumPath, openBrowser, type TestBrowser } from '../helpers/browser.js';
import { malbehavdCsv, repoRoot, runCli } from '../helpers/cli.js';
import { malbehavdTraces } from '../serve/data.js';
import { request, type ServerProcess, startServer, tempDir } from '../serve/server-process.js';

const TOKEN = 'ui-test-token-0123456789abcdef';
const shots = join(repoRoot, 'artifacts', 'ui');
const webIndex = join(repoRoot, 'dist', 'web', 'index.html');

/** `api_call$A_B_C@space#log_tf/bin` → `A_B_C` (as the explorer shows it). */
const ngramOf = (feature: string) => feature.slice(feature.indexOf('$') + 1, feature.lastIndexOf('@'));

describe('analyst web UI in Chromium', {
  skip: !existsSync(chromiumPath) && 'chromium is not installed',
}, () => {
  const tmp = tempDir();
  const rulesDir = join(tmp.dir, 'rules');
  let server: ServerProcess;
  let browser: TestBrowser;
  const api = (path: string, init: Parameters<typeof request>[1] = {}) =>
    request(`${server.url}${path}`, { token: TOKEN, ...init });

  async function shot(name: string): Promise<void> {
    await browser.page.screenshot({ path: join(shots, `${name}.png`) });
  }
  /** No console error, no page error since the last check. */
  function assertClean(where: string): void {
    assert.deepEqual(browser.takeProblems(), [], `console or page errors on ${where}`);
  }

  before(async () => {
    if (!existsSync(webIndex)) {
      // `npm run build` makes it; build the UI alone when only the sources are there
      const r = spawnSync(
        process.execPath,
        [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', 'web'],
        {
          cwd: repoRoot,
          stdio: 'ignore',
        },
      );
      assert.equal(r.status, 0, 'vite build web failed');
    }
    mkdirSync(shots, { recursive: true });
    const db = join(tmp.dir, 'store.db');
    const model = join(tmp.dir, 'model.bin');
    const [ingest, train] = await Promise.all([
      runCli(['ingest', malbehavdCsv, '--format', 'csv', '--db', db, '--quiet']),
      runCli(['train', '--data', malbehavdCsv, '--format', 'csv', '--model', model]),
    ]);
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.equal(train.code, 0, train.stderr);
    const tokens = join(tmp.dir, 'tokens');
    writeFileSync(tokens, `${TOKEN} write\n`);
    server = await startServer(['--db', db, '--model', model, '--rules', rulesDir, '--tokens', tokens]);
    browser = await openBrowser(server.url);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    tmp.cleanup();
  });

  it('asks for the token, then shows the model and the store on the overview', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/overview`);
    await page.getByText('missing bearer token').first().waitFor();
    // the overview's other API calls may still be on their way to their 401: let them all end
    await page.waitForLoadState('networkidle');
    // the refused API calls are logged by Chromium as failed loads: expected before the token
    const refused = browser.takeProblems();
    assert.ok(refused.length > 0 && refused.every((p) => p.includes('status of 401')), refused.join('\n'));
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForEvent('load'), page.click('header form button[type=submit]')]);
    await page.getByText('2,570 analyses of 2,543 distinct samples').waitFor();
    const overview = page.getByTestId('overview');
    await overview.getByText(/^AROW$/i).waitFor();
    assert.match(await overview.innerText(), /2,570 samples trained/);
    await shot('overview');
    assertClean('the overview');
  });

  let feature = '';

  it('model explorer lists the n-grams by weight, searchable, with the samples containing one', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/model`);
    const rows = page.getByTestId('ngram');
    await rows.first().waitFor();
    const dump = await api('/v1/model/dump?label=1&top=5');
    assert.equal(dump.status, 200);
    feature = dump.body.dumps[0].features[0].feature;
    assert.equal(await rows.first().innerText(), ngramOf(feature));
    assert.ok((await rows.count()) >= 5);
    await shot('model');

    await page.getByTestId('ngram-search').fill('NtTerminateProcess');
    const filtered = await rows.allInnerTexts();
    assert.ok(filtered.length > 0);
    for (const text of filtered) assert.match(text, /NtTerminateProcess/);
    await page.getByTestId('ngram-search').fill('');

    await rows.first().click();
    const detail = page.getByTestId('ngram-detail');
    await detail.getByTestId('ngram-per-label').waitFor();
    const counted = await api(`/v1/samples?feature=${encodeURIComponent(feature)}&limit=10`);
    const withIt = Object.entries(counted.body.per_label as Record<string, number>);
    assert.ok(withIt.length > 0, 'the strongest n-gram of label 1 occurs in the store');
    const table = await detail.getByTestId('ngram-per-label').innerText();
    for (const [label, n] of withIt) assert.match(table, new RegExp(`${label}\\s+${n}\\s`));
    await detail.getByTestId('sample-link').first().waitFor();
    await shot('model-ngram');
    assertClean('the model explorer');
  });

  let ruleId = '';

  it('makes a rule from the n-gram, back-tests it with intervals and saves it', async () => {
    const { page } = browser;
    await page.getByTestId('make-rule').click();
    const editor = page.getByTestId('rule-yaml');
    await page.waitForFunction(() => {
      const t = document.querySelector('[data-testid=rule-yaml]') as HTMLTextAreaElement | null;
      return t?.value.includes('sequence') === true;
    });
    const yaml = await editor.inputValue();
    for (const api of ngramOf(feature)
      .split('_')
      .filter((w) => /^[A-Z]/.test(w)))
      assert.ok(yaml.includes(api), api);
    ruleId = /^id: (\S+)$/m.exec(yaml)?.[1] ?? '';
    assert.ok(ruleId.startsWith('ngram-'));

    await page.getByTestId('backtest').click();
    const result = page.getByTestId('backtest-result');
    await result.waitFor();
    const backtest = await api('/v1/rules/test', { json: { yaml } });
    const hits = backtest.body.rules[0].tpr.k as number;
    assert.ok(hits > 0);
    // precision, TPR, FPR as "value% [lo%–hi%] (k/n)"
    const text = await result.innerText();
    assert.match(text, new RegExp(`\\(${hits}/1285\\)`));
    assert.match(text, /\d+\.\d\d% \[\d+\.\d\d%–\d+\.\d\d%\] \(\d+\/\d+\)/);

    // a bad field is shown at its line
    await editor.fill(yaml.replace('verdict: suspicious', 'verdict: evil'));
    await page.getByTestId('save').click();
    const errors = page.getByTestId('rule-errors');
    await errors.waitFor();
    assert.match(await errors.innerText(), /line \d+: verdict/);
    browser.takeProblems(); // the refused PUT (400) is logged as a failed load

    await editor.fill(yaml);
    await page.getByTestId('save').click();
    await page.getByTestId('saved').getByText(`Created rule ${ruleId}`).waitFor();
    const listed = await api('/v1/rules');
    assert.ok(listed.body.rules.some((r: { id: string }) => r.id === ruleId));
    assert.ok(readdirSync(rulesDir).includes(`${ruleId}.yaml`));
    await page.getByTestId('rule-list').getByText(ruleId).waitFor();
    await shot('rules');
    assertClean('the rule workshop');
  });

  it('sample view: the trace as a timeline, the verdict, the new rule hit outlined', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/model?feature=${encodeURIComponent(feature)}`);
    const link = page.getByTestId('ngram-detail').getByTestId('sample-link').first();
    await link.click();
    await page
      .getByTestId('verdict')
      .getByText(/Model verdict: [01]/)
      .waitFor();
    const origin = decodeURIComponent(new URL(page.url()).hash.replace('#/sample/', ''));
    const stored = await api(`/v1/samples/${encodeURIComponent(origin)}`);
    assert.equal(stored.status, 200);
    const calls = stored.body.trace.processes.reduce(
      (n: number, p: { calls: unknown[] }) => n + p.calls.length,
      0,
    );
    assert.equal(await page.locator('.timeline span').count(), calls);
    const hit = stored.body.rule_hits.find((h: { rule: string }) => h.rule === ruleId);
    assert.ok(hit, 'a sample containing the n-gram is hit by the rule made from it');
    await page.getByTestId('rule-hits').getByText(ruleId).waitFor();
    assert.ok((await page.locator('.timeline span.hit').count()) >= hit.calls.length);
    await shot('sample');
    assertClean('the sample view');
  });

  it('runs an evaluation: interval table, ROC curve, early-detection curve, spread over training orders', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/evaluation`);
    await page.getByLabel('Orders').fill('3');
    await page.getByRole('button', { name: 'Run' }).click();
    const table = page.getByTestId('interval-table');
    await table.waitFor({ timeout: 90_000 });
    assert.match(await table.innerText(), /arow\s+3\s+\d+\.\d\d% \[\d+\.\d\d%–\d+\.\d\d%\] \(\d+\/\d+\)/);
    await page.getByTestId('roc-chart').locator('path.recharts-curve').first().waitFor();
    await page.getByTestId('early-chart').locator('path.recharts-curve').first().waitFor();
    const spread = page.getByTestId('order-spread');
    assert.match(await spread.locator('table').innerText(), /arow\s+3\s+[\d.]+% · [\d.]+% · [\d.]+%/);
    assert.equal(await spread.locator('.recharts-scatter-symbol').count(), 3);
    await shot('evaluation');
    assertClean('the evaluation page');
  });

  it('streams a live alert for a replayed malicious process and opens its explanation', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/live`);
    await page.getByTestId('live-status').getByText('Connected').waitFor();
    // the malware row of the data set the served model is surest about
    const malware = (await malbehavdTraces(9)).filter((t) => t.label === '1');
    const classified = await api('/v1/classify', {
      json: { traces: malware.map(({ id, calls }) => ({ id, calls })) },
    });
    const margins = classified.body.results.map(
      (r: { scores: Record<string, number> }) => r.scores['1'] - r.scores['0'],
    );
    const chosen = malware[margins.indexOf(Math.max(...margins))];
    const events = chosen.calls.map((apiName, i) => ({
      host: 'lab-pc-7',
      pid: 4242,
      ppid: 600,
      process: 'invoice.pdf.exe',
      api: apiName,
      ts: 1_732_600_000 + i * 0.01,
    }));
    const sent = await api('/v1/events', { json: { events } });
    assert.equal(sent.status, 200);
    assert.ok(sent.body.alerts.length > 0, 'the replay raises an alert');
    const row = page.getByTestId('alert-row').filter({ hasText: 'lab-pc-7:4242' });
    await row.first().waitFor();
    await row.first().getByTestId('alert-open').click();
    const detail = page.getByTestId('alert-detail');
    await detail.getByText('invoice.pdf.exe on lab-pc-7').waitFor();
    const first = sent.body.alerts[0];
    if (first.top_ngrams.length > 0)
      await detail
        .getByTestId('alert-ngrams')
        .getByText(first.top_ngrams[0].ngram.join(' → '))
        .first()
        .waitFor();
    await shot('live');
    assertClean('the live page');

    // the overview lists it among the recent alerts
    await page.goto(`${server.url}/#/overview`);
    await page.getByTestId('overview').getByText('lab-pc-7:4242').first().waitFor();
    await shot('overview');
    assertClean('the overview');
  });

  it('made no request to anything but the server', () => {
    assert.deepEqual(browser.foreignRequests, []);
  });
});

// Opens an `eval --report` page in headless Chromium (Debian's chromium, driven by
// playwright-core): the charts must be drawn (non-empty SVG), with no console error and no
// network request. A screenshot is kept under artifacts/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromiumPath, openBrowser } from '../helpers/browser.js';
import { malbehavdCsv, repoRoot, runCli } from '../helpers/cli.js';

test('the HTML report renders its charts offline in Chromium', {
  skip: !existsSync(chromiumPath) && 'chromium is not installed (scripts/test.sh installs it)',
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'malgram-report-'));
  try {
    const report = join(dir, 'report.html');
    const r = await runCli([
      'eval',
      '--data',
      malbehavdCsv,
      '--format',
      'csv',
      '--method',
      'arow',
      '--ngram',
      '2-3',
      '--split',
      '0.5',
      '--seed',
      '1',
      '--orders',
      '3',
      '--target-fpr',
      '0.01',
      '--prevalence',
      '0.01',
      '--volume',
      '50000',
      '--report',
      report,
      '--json',
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).runs.length, 2);
    // a file: page has the origin `null`: any request elsewhere is a foreign one
    const browser = await openBrowser('null');
    try {
      const { page } = browser;
      await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
      const charts = await page.$$eval('svg.marks', (svgs) =>
        svgs.map((s) => {
          const box = s.getBoundingClientRect();
          return {
            width: box.width,
            height: box.height,
            marks: s.querySelectorAll('path, rect, line, text').length,
          };
        }),
      );
      // sweep, training orders, ROC, score distribution, confusion matrix, reliability diagram
      assert.ok(charts.length >= 6, `${charts.length} charts`);
      for (const c of charts) {
        assert.ok(c.width > 100 && c.height > 100, JSON.stringify(c));
        assert.ok(c.marks > 10, JSON.stringify(c));
      }
      const text = await page.textContent('body');
      assert.match(text ?? '', /duplicates grouped/);
      assert.match(text ?? '', /Top n-grams per label/);
      // one tick per training order and run: 2 runs × 3 orders
      const ticks = await page.$$eval('h2', (heads) => {
        const section = heads.find((h) => h.textContent === 'Training order')?.parentElement;
        const marks = [...(section?.querySelectorAll('svg.marks [aria-roledescription="tick"]') ?? [])];
        return marks.map((m) => m.getAttribute('aria-label') ?? '');
      });
      assert.equal(ticks.length, 6, ticks.join('\n'));
      assert.equal(ticks.filter((t) => t.endsWith('order: own order')).length, 2, ticks.join('\n'));
      assert.match(text ?? '', /arow 3-gram\s*[\d.]+% · [\d.]+% · [\d.]+%/);
      assert.match(text ?? '', /api_call\$/);
      assert.deepEqual(browser.takeProblems(), []);
      assert.deepEqual(browser.foreignRequests, []);
      mkdirSync(join(repoRoot, 'artifacts'), { recursive: true });
      const shot = join(repoRoot, 'artifacts', 'eval-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(existsSync(shot));
      process.stderr.write(`screenshot: ${shot}\n`);
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

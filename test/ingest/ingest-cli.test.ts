import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SampleStore } from '../../src/ingest/store.js';
import { cliNodeArgs, malbehavdCsv, repoRoot, runCli, sharedData } from '../helpers/cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'malgram-ingest-cli-'));
after(() => rm(dir, { recursive: true, force: true }));

test('MalbehavD-V1 end to end: ingest, stats, ingest again changes nothing', async () => {
  const db = join(dir, 'm.db');
  const first = await runCli(['ingest', malbehavdCsv, '--format', 'csv', '--db', db]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /2570 ingested, 0 duplicate, 0 filtered, 0 skipped/);

  // Oracle from the file itself: non-empty API cells per row.
  const rows = (await readFile(malbehavdCsv, 'utf8'))
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l !== '')
    .map(
      (l) =>
        l
          .split(',')
          .slice(2)
          .filter((c) => c !== '').length,
    )
    .sort((a, b) => a - b);
  const expectStats = (s: Record<string, unknown>) => {
    assert.equal(s.samples, 2570);
    assert.equal(s.files, 2543);
    assert.deepEqual(s.labels, { '0': 1285, '1': 1285 });
    const calls = s.calls as Record<string, number>;
    assert.equal(
      calls.total,
      rows.reduce((a, b) => a + b, 0),
    );
    assert.equal(calls.min, rows[0]);
    assert.equal(calls.max, rows[rows.length - 1]);
    assert.equal(calls.median, (rows[1284] + rows[1285]) / 2);
    assert.deepEqual(s.calls_expanded, s.calls);
    assert.equal(s.no_timestamps, 2570);
  };
  const stats1 = await runCli(['stats', '--db', db, '--json']);
  assert.equal(stats1.code, 0, stats1.stderr);
  expectStats(JSON.parse(stats1.stdout));

  const again = await runCli(['ingest', malbehavdCsv, '--db', db, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const summary = JSON.parse(again.stdout);
  assert.equal(summary.ingested, 0);
  assert.equal(summary.duplicate, 2570);
  const stats2 = await runCli(['stats', '--db', db, '--json']);
  assert.deepEqual(JSON.parse(stats2.stdout), JSON.parse(stats1.stdout));
});

test('bad inputs are reported one line each, skipped, counted; --strict turns them into exit 1', async () => {
  const truncated = join(dir, 'truncated-report.json');
  const report = await readFile(`${sharedData}reports/capev2-2.4-lite_apc-inject_b145e2ec.json`);
  await writeFile(truncated, report.subarray(0, 100_000));
  const db = join(dir, 'bad.db');
  const inputs = [`${fixtures}bad.jsonl`, `${fixtures}unknown.txt`, `${fixtures}quoted.csv`, truncated];
  const run = await runCli(['ingest', ...inputs, '--db', db, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  // bad.jsonl: 4 bad lines, 2 good; unknown.txt: 1; quoted.csv: 1 bad row, 3 good; truncated report: 1.
  assert.deepEqual(
    {
      ingested: summary.ingested,
      skipped: summary.skipped,
      duplicate: summary.duplicate,
      files: summary.files,
    },
    { ingested: 5, skipped: 7, duplicate: 0, files: 4 },
  );
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 7);
  for (const where of [
    `${fixtures}bad.jsonl:2`,
    `${fixtures}bad.jsonl:6`,
    `${fixtures}unknown.txt`,
    `${fixtures}quoted.csv:3`,
  ])
    assert.ok(
      lines.some((l) => l.includes(`${where}:`)),
      where,
    );
  assert.ok(lines.some((l) => l.includes(truncated)));

  const strict = await runCli(['ingest', ...inputs, '--db', db, '--strict', '--quiet']);
  assert.equal(strict.code, 1);
  assert.equal(strict.stdout, '');
  const clean = await runCli(['ingest', `${fixtures}traces.jsonl`, '--db', db, '--strict', '--quiet']);
  assert.equal(clean.code, 0, clean.stderr);
  assert.equal(clean.stderr, '');
});

test('usage errors exit 1 with a one-line message', async () => {
  const db = join(dir, 'usage.db');
  const fmt = await runCli(['ingest', malbehavdCsv, '--format', 'xml', '--db', db]);
  assert.equal(fmt.code, 1);
  assert.match(fmt.stderr, /unknown format "xml"/);
  const missing = await runCli(['ingest', join(dir, 'nope.csv'), '--db', db]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.csv: cannot read: ENOENT/);
  const dur = await runCli(['ingest', malbehavdCsv, '--max-duration', 'soon', '--db', db]);
  assert.equal(dur.code, 1);
  assert.match(dur.stderr, /--max-duration: invalid duration/);
});

test('--max-duration, --min-calls and --label-from on timestamped traces', async () => {
  const db = join(dir, 'filters.db');
  const run = await runCli([
    'ingest',
    `${fixtures}traces.jsonl`,
    '--db',
    db,
    '--max-duration',
    '5s',
    '--min-calls',
    '1',
    '--label-from',
    'virustotal:5',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout);
  // slow-1 spans 9 s: filtered. fast-1 spans 2 s in its tree. 4 name-only samples have no timestamps.
  assert.deepEqual([s.ingested, s.filtered, s.no_timestamps, s.unlabelled], [5, 1, 4, 3]);
  const stats = JSON.parse((await runCli(['stats', '--db', db, '--json'])).stdout);
  assert.deepEqual(stats.labels, { goodware: 1, malware: 1 });
  assert.equal(stats.duration_s.count, 1);
  assert.equal(stats.duration_s.max, 2);
  // `all` brings the injected svchost.exe call at 40 s into fast-1's span.
  const all = await runCli([
    'ingest',
    `${fixtures}traces.jsonl`,
    '--db',
    join(dir, 'all.db'),
    '--processes',
    'all',
    '--max-duration',
    '5s',
    '--json',
  ]);
  assert.equal(JSON.parse(all.stdout).filtered, 2);
});

test('real sandbox reports: a folder ingested, non-reports skipped', async () => {
  const db = join(dir, 'reports.db');
  const run = await runCli(['ingest', `${sharedData}reports`, '--db', db, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout);
  // 5 full reports; README, 4 licence texts and the signatures-only extract are not readable reports.
  assert.deepEqual([s.ingested, s.skipped, s.files], [5, 6, 11]);
  const stats = JSON.parse((await runCli(['stats', '--db', db, '--json'])).stdout);
  assert.deepEqual(stats.formats, { cape: 4, cuckoo: 1 });
  assert.ok(stats.calls_expanded.total > stats.calls.total, 'repeated calls expand');
});

test('killing ingest mid-batch keeps every committed batch whole; a rerun completes the rest', async () => {
  const input = join(dir, 'many.jsonl');
  const n = 20_000;
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      JSON.stringify({
        id: `s${i}`,
        label: i % 2 ? 'malware' : 'goodware',
        calls: ['NtOpenKey', `Api${i % 50}`],
      }),
    );
  await writeFile(input, `${lines.join('\n')}\n`);
  const db = join(dir, 'killed.db');
  const child = spawn(process.execPath, cliNodeArgs(['ingest', input, '--db', db, '--quiet']), {
    cwd: repoRoot,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let committed = 0;
  while (committed === 0 && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const store = SampleStore.open(db, { mustExist: true, readonly: true });
      committed = [...store.analyses()].length;
      store.close();
    } catch {
      // not created yet
    }
  }
  child.kill('SIGKILL');
  await exited;
  const store = SampleStore.open(db, { mustExist: true });
  const kept = [...store.traces()];
  store.close();
  assert.ok(kept.length >= committed && kept.length < n, `${kept.length} analyses after the kill`);
  assert.equal(kept.length % 500, 0, 'only whole batches');
  assert.deepEqual(
    kept.map((t) => `${t.id}/${t.processes[0].calls.length}`),
    kept.map((_t, i) => `s${i}/2`),
  );
  const rerun = await runCli(['ingest', input, '--db', db, '--json']);
  assert.equal(rerun.code, 0, rerun.stderr);
  const s = JSON.parse(rerun.stdout);
  assert.deepEqual([s.duplicate, s.ingested], [kept.length, n - kept.length]);
});

test('report evidence: --label-from virustotal:N labels by threshold and keeps the counts; empty reports skipped', async () => {
  const reports = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));
  const inputs = ['cuckoo-1.2-full.json', 'cuckoo-2.0-full.json', 'no-behavior.json', 'no-calls.json'].map(
    (f) => `${reports}${f}`,
  );
  const db = join(dir, 'vt.db');
  const run = await runCli(['ingest', ...inputs, '--label-from', 'virustotal:40', '--db', db, '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    [JSON.parse(run.stdout).ingested, JSON.parse(run.stdout).skipped, JSON.parse(run.stdout).unlabelled],
    [2, 2, 1],
  );
  for (const f of ['no-behavior.json', 'no-calls.json']) assert.ok(run.stderr.includes(`${reports}${f}`), f);
  const store = SampleStore.open(db, { mustExist: true, readonly: true });
  const rows = [...store.analyses()].map((r) => [r.label, r.vt_positives, r.vt_total]);
  store.close();
  // 38 of 50 engines is below 40: unlabelled, but the counts are kept for a later threshold.
  assert.deepEqual(rows, [
    [null, 38, 50],
    ['goodware', 0, 71],
  ]);
  const lower = await runCli([
    'ingest',
    inputs[0],
    '--label-from',
    'virustotal:5',
    '--db',
    join(dir, 'vt5.db'),
    '--json',
  ]);
  assert.equal(lower.code, 0, lower.stderr);
  const s = JSON.parse((await runCli(['stats', '--db', join(dir, 'vt5.db'), '--json'])).stdout);
  assert.deepEqual(s.labels, { malware: 1 });
});

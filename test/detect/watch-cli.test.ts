// End to end through the real CLI: `replay CSV | watch --model m --rules rules/`, the inputs
// (stdin with a malformed line, TCP, HTTP) and the response hook dry run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Alert } from '../../src/detect/alerts.js';
import { earlyDetection } from '../../src/detect/early.js';
import { loadStreamingRules } from '../../src/detect/rules-adapter.js';
import type { EarlyReport } from '../../src/evaluate/early-report.js';
import { loadSamples } from '../../src/ingest/source.js';
import { loadModel } from '../../src/learn/model.js';
import { cliNodeArgs, malbehavdCsv, repoRoot, runCli, sharedData } from '../helpers/cli.js';
import { trainedOnOtherRows } from './model-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'malgram-watch-'));
const modelPath = join(dir, 'm.model');
/** Replay pids of the held-out rows (row i gets pid 1000 + i), and every row's label by pid. */
const testPids = new Set<number>();
const labelOf = new Map<number, string>();
let replayed = '';
let early: EarlyReport;

before(async () => {
  const { model, test, train, all } = await trainedOnOtherRows();
  model.save(modelPath);
  early = earlyDetection({
    model,
    train,
    test,
    positive: '1',
    targetFpr: 0.01,
    rules: loadStreamingRules([join(repoRoot, 'rules')]).rules,
  });
  all.forEach((t, i) => {
    labelOf.set(1000 + i, t.label!);
    if (i % 3 === 0) testPids.add(1000 + i);
  });
  const r = await runCli(['replay', malbehavdCsv, '--format', 'csv']);
  assert.equal(r.code, 0, r.stderr);
  replayed = r.stdout;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const alertsOf = (stdout: string): Alert[] =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));

describe('replay', () => {
  it('turns the CSV into events: one pid per row, an exit after each, increasing timestamps', () => {
    const lines = replayed
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const exits = lines.filter((e) => e.event === 'exit');
    assert.equal(exits.length, 2570);
    assert.equal(new Set(exits.map((e) => e.pid)).size, 2570);
    assert.equal(lines.length - exits.length, 110_993 /* API calls in the CSV */);
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i].ts >= lines[i - 1].ts, `ts at line ${i + 1}`);
    assert.ok(lines.every((e) => e.host === 'replay'));
    assert.equal(lines[0].process.length, 64, 'the sample id names the process');
  });
});

describe('watch', () => {
  it('replay | watch --model --rules raises alerts, as many on held-out rows as the early-detection evaluation predicts', async () => {
    const r = await runCli(
      [
        'watch',
        '--model',
        modelPath,
        '--rules',
        join(repoRoot, 'rules'),
        '--threshold',
        String(early.threshold),
        '--json',
      ],
      { input: replayed },
    );
    assert.equal(r.code, 0, r.stderr);
    const alerts = alertsOf(r.stdout);
    const summary = JSON.parse(r.stderr.trim().split('\n').at(-1)!).summary;
    assert.equal(summary.events, replayed.trim().split('\n').length);
    assert.equal(summary.exits, 2570);
    assert.equal(summary.processes_tracked, 0, 'exit events freed every process');
    assert.equal(summary.alerts, alerts.length);
    // held-out rows with an alert, per label: exactly what earlyDetection computed for this threshold
    const alerted = new Set(alerts.filter((a) => testPids.has(a.pid)).map((a) => a.pid));
    const tp = [...alerted].filter((pid) => labelOf.get(pid) === '1').length;
    const fp = alerted.size - tp;
    assert.equal(tp, early.full.tpr.k);
    assert.equal(fp, early.full.fpr.k);
    assert.ok(tp > 350, `alerts on held-out malware: ${tp} of ${early.n_positive}`);
    const m = alerts.find((a) => a.reason === 'model')!;
    assert.ok(m.score! > early.threshold && m.calls >= 3 && m.top_ngrams.length > 0 && m.seconds >= 0);
    assert.ok(alerts.some((a) => a.rule_hits.length > 0 && a.reason !== 'model'));
  });

  it('a real CAPE report replayed at 20x real speed: the APC-injection rule fires in real time', async () => {
    const report = join(sharedData, 'reports', 'capev2-2.4-lite_apc-inject_b145e2ec.json');
    const started = Date.now();
    const replay = await runCli(['replay', report, '--processes', 'all', '--speed', '20']);
    assert.equal(replay.code, 0, replay.stderr);
    const events = replay.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const span = events.at(-1).ts - events[0].ts;
    assert.ok(Date.now() - started >= (span / 20) * 1000, 'replay took at least the scaled span');
    const r = await runCli(['watch', '--rules', join(repoRoot, 'rules'), '--tree'], { input: replay.stdout });
    assert.equal(r.code, 0, r.stderr);
    const alerts = alertsOf(r.stdout);
    const apc = alerts.find((a) => a.rule_hits.some((h) => h.rule === 'injection-apc'));
    assert.ok(apc, r.stdout);
    assert.equal(apc.process, 'apc-inject.exe');
    assert.equal(apc.verdict, 'malicious');
    assert.equal(apc.reason, 'rule');
    assert.ok(apc.calls < 142 && apc.seconds > 0, 'alerted before the process ended');
  });

  it('reports a malformed line by number and goes on (stdin)', async () => {
    const input = '{"pid":1,"api":"NtClose"}\n{"pid":1,"api":\n{"pid":1,"api":"NtOpenKey"}\n';
    const r = await runCli(['watch', '--model', modelPath, '--json'], { input });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /malgram: skipped stdin:2: not JSON/);
    const summary = JSON.parse(r.stderr.trim().split('\n').at(-1)!).summary;
    assert.equal(summary.calls, 2);
    assert.equal(summary.malformed, 1);
  });

  it('refuses bad usage with exit status 1', async () => {
    const runs = await Promise.all([
      runCli(['watch']),
      runCli(['watch', '--model', join(dir, 'missing.model')]),
      runCli(['watch', '--model', modelPath, '--max-processes', '0']),
      runCli(['replay', malbehavdCsv, '--speed', 'slow']),
    ]);
    for (const r of runs) assert.equal(r.code, 1, r.stderr);
    assert.match(runs[0].stderr, /give --model FILE and\/or --rules DIR/);
    assert.match(runs[2].stderr, /--max-processes: expected an integer >= 1/);
    assert.match(runs[3].stderr, /--speed: expected fast, real or a positive number/);
  });

  it('listens on TCP and HTTP (127.0.0.1, random ports) and runs the response hook dry', async () => {
    const child = spawn(
      process.execPath,
      cliNodeArgs([
        'watch',
        '--model',
        modelPath,
        '--listen-tcp',
        '127.0.0.1:0',
        '--listen-http',
        '127.0.0.1:0',
        '--on-alert-exec',
        'kill-the-process',
        '--dry-run',
        '--threshold',
        '-1000',
        '--json',
      ]),
      { cwd: repoRoot },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    const ports = new Promise<{ tcp: number; http: number }>((resolve) => {
      child.stderr.on('data', (b: Buffer) => {
        stderr += b;
        const tcp = /events on tcp 127\.0\.0\.1:(\d+)/.exec(stderr);
        const http = /events on http 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (tcp && http) resolve({ tcp: Number(tcp[1]), http: Number(http[1]) });
      });
    });
    const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const { tcp, http } = await ports;
    const events = (host: string) =>
      ['NtOpenKey', 'NtQueryValueKey', 'NtClose', 'NtOpenKey']
        .map((api) => JSON.stringify({ host, pid: 5, api }))
        .join('\n');
    await new Promise<void>((resolve, reject) => {
      const s = connect(tcp, '127.0.0.1', () => s.end(`${events('tcp-host')}\n`));
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const res = await fetch(`http://127.0.0.1:${http}/v1/events`, {
      method: 'POST',
      body: `${events('http-host')}\nnope\n`,
    });
    assert.deepEqual(await res.json(), { accepted: 4, malformed: 1 });
    const deadline = Date.now() + 10_000;
    while (stdout.split('\n').filter(Boolean).length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    assert.equal(await closed, 0, stderr);
    const alerts = alertsOf(stdout);
    assert.deepEqual(alerts.map((a) => a.host).sort(), ['http-host', 'tcp-host']);
    assert.match(
      stderr,
      /dry-run: would run `kill-the-process` with the alert \(malicious (tcp|http)-host pid 5\)/,
    );
    const summary = JSON.parse(stderr.trim().split('\n').at(-1)!).summary;
    assert.equal(summary.calls, 8);
    assert.equal(summary.malformed, 1);
    assert.equal(summary.responses, 2);
  });
});

describe('the alert threshold train chooses for watch', () => {
  it('train --alert-fpr stores a threshold that at most that share of benign training traces cross; watch uses it by default', async () => {
    const stored = join(dir, 'thresholded.model');
    const t = await runCli(['train', '--data', malbehavdCsv, '--format', 'csv', '--model', stored, '--json']);
    assert.equal(t.code, 0, t.stderr);
    const chosen = JSON.parse(t.stdout).alert_threshold;
    assert.equal(chosen.positive, '1');
    assert.equal(chosen.target_fpr, 0.01);
    assert.equal(chosen.negatives, 1285);
    // Checked with batch classify of every prefix, not the incremental scorer that chose it (the
    // two agree to 1e-9 relative, see incremental.test.ts): at most ⌊1% · 1285⌋ = 12 benign
    // traces exceed it at some point, and a 13th reaches it.
    const model = loadModel(stored);
    const benign = (await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' })).filter(
      (x) => x.label === '0',
    );
    const tol = 1e-9 * Math.max(Math.abs(chosen.margin), 1e-6);
    let above = 0;
    let reaching = 0;
    for (const trace of benign) {
      const calls = trace.processes[0].calls;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 1; k <= calls.length; k++) {
        const s = model.classify({
          ...trace,
          processes: [{ ...trace.processes[0], calls: calls.slice(0, k) }],
        }).scores;
        max = Math.max(max, (s.get('1') ?? 0) - (s.get('0') ?? 0));
      }
      if (max > chosen.margin + tol) above++;
      if (max >= chosen.margin - tol) reaching++;
    }
    assert.ok(above <= 12 && reaching >= 13, `${above} above, ${reaching} reaching`);

    const byDefault = await runCli(['watch', '--model', stored], { input: replayed });
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.match(byDefault.stderr, /alert threshold [-0-9.e]+: the model's/);
    const alerts = alertsOf(byDefault.stdout);
    assert.ok(alerts.length > 0 && alerts.every((a) => a.threshold === chosen.margin));
    const benignAlerted = new Set(alerts.filter((a) => labelOf.get(a.pid) === '0').map((a) => a.pid));
    assert.ok(
      benignAlerted.size >= above && benignAlerted.size <= 12,
      `${benignAlerted.size} benign processes alerted (${above} clearly above the threshold)`,
    );
    const overridden = await runCli(['watch', '--model', stored, '--threshold', '0'], { input: replayed });
    assert.ok(alertsOf(overridden.stdout).every((a) => a.threshold === 0));
    assert.ok(alertsOf(overridden.stdout).length > alerts.length);
  });
});

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import type { Alert } from '../../src/detect/alerts.js';
import { Detector, type DetectorOptions } from '../../src/detect/detector.js';
import type { DetectEvent } from '../../src/detect/events.js';
import { featureSpecOf } from '../../src/detect/feature-spec.js';
import type { OnlineModel } from '../../src/learn/model.js';
import { trainedOnOtherRows } from './model-fixture.js';

let model: OnlineModel;
let test: Trace[];

before(async () => {
  ({ model, test } = await trainedOnOtherRows());
});

function detector(opts: Partial<DetectorOptions> = {}, alerts: Alert[] = []) {
  const { spec } = featureSpecOf(model);
  return new Detector(
    { model, spec },
    {
      limits: { maxProcesses: 10_000, maxNgramsPerUnit: 1e6, tree: false },
      policy: { positive: '1', threshold: 0 },
      ...opts,
    },
    (a) => alerts.push(a),
  );
}

const call = (host: string, pid: number, api: string, ts?: number): DetectEvent => ({
  kind: 'call',
  host,
  pid,
  api,
  ts,
});

function classifyPrefix(t: Trace, k: number) {
  return model.classify({
    id: t.id,
    format: 'csv',
    processes: [{ pid: 1, calls: t.processes[0].calls.slice(0, k) }],
  });
}

describe('detector', () => {
  it('scores many interleaved processes exactly as each alone (round-robin over 60 real traces)', () => {
    const d = detector();
    const traces = test.slice(0, 60);
    const pos = traces.map(() => 0);
    let left = true;
    while (left) {
      left = false;
      for (const [i, t] of traces.entries()) {
        const calls = t.processes[0].calls;
        if (pos[i] >= calls.length) continue;
        left = true;
        d.handle(call(`host${i % 3}`, 1000 + i, calls[pos[i]++].api));
      }
    }
    for (const [i, t] of traces.entries()) {
      const unit = d.table.get(`host${i % 3}`, 1000 + i)!.unit;
      const batch = classifyPrefix(t, t.processes[0].calls.length);
      for (const [li, label] of d.labels.entries()) {
        const want = batch.scores.get(label) ?? 0;
        assert.ok(
          Math.abs(unit.score(li) - want) <= 1e-9 * Math.max(1e-6, Math.abs(want)),
          `${t.id} ${label}`,
        );
      }
    }
    assert.equal(d.table.size, 60);
  });

  it('alerts once per process when the margin crosses the threshold, with the explanation', () => {
    const alerts: Alert[] = [];
    const d = detector({}, alerts);
    // the first malware test trace the model detects on its full length
    const t = test.find(
      (x) =>
        x.label === '1' &&
        (classifyPrefix(x, 1e9).scores.get('1') ?? 0) > (classifyPrefix(x, 1e9).scores.get('0') ?? 0),
    )!;
    const calls = t.processes[0].calls;
    for (const [i, c] of calls.entries()) d.handle(call('h', 7, c.api, 100 + i * 0.01));
    assert.equal(alerts.length, 1, 'one alert, however long the process goes on');
    const a = alerts[0];
    // it fired at the first prefix whose classify margin is > 0
    const first = calls.findIndex((_, i) => {
      const s = classifyPrefix(t, i + 1).scores;
      return (s.get('1') ?? 0) - (s.get('0') ?? 0) > 0;
    });
    assert.equal(a.calls, first + 1);
    assert.equal(a.verdict, 'malicious');
    assert.equal(a.reason, 'model');
    assert.ok(a.score! > 0);
    assert.ok(Math.abs(a.seconds - first * 0.01) < 1e-9);
    assert.ok(a.top_ngrams.length > 0 && a.top_ngrams[0].ngram.length === 3);
    assert.match(a.top_ngrams[0].feature, /^api_call\$.+@space#log_tf\/bin$/);
    assert.ok(a.top_ngrams[0].contribution > 0);
    assert.equal(Object.keys(a.scores).sort().join(), '0,1');
  });

  it('escalates suspicious → malicious, once each', () => {
    const alerts: Alert[] = [];
    const d = detector({ policy: { positive: '1', threshold: 0.5, suspiciousThreshold: -0.5 } }, alerts);
    const t = test.find((x) => {
      const s = classifyPrefix(x, 1e9).scores;
      return (s.get('1') ?? 0) - (s.get('0') ?? 0) > 0.5;
    })!;
    for (const c of t.processes[0].calls) d.handle(call('h', 1, c.api));
    assert.deepEqual(
      alerts.map((a) => a.verdict),
      alerts.length === 2 ? ['suspicious', 'malicious'] : ['malicious'],
    );
    assert.ok(alerts.every((a, i) => i === 0 || a.calls > alerts[i - 1].calls));
  });

  it('evicts the least recently active process past --max-processes; exit events free state', () => {
    const d = detector({ limits: { maxProcesses: 3, maxNgramsPerUnit: 1e6, tree: false } });
    for (const pid of [1, 2, 3]) d.handle(call('h', pid, 'NtClose'));
    d.handle(call('h', 1, 'NtOpenKey'));
    d.handle(call('h', 4, 'NtClose')); // evicts 2
    assert.equal(d.table.get('h', 2), undefined);
    assert.ok(d.table.get('h', 1));
    d.handle({ kind: 'exit', host: 'h', pid: 1 });
    d.handle({ kind: 'exit', host: 'h', pid: 99 }); // never seen
    assert.equal(d.table.get('h', 1), undefined);
    const s = d.summary(0);
    assert.equal(s.evicted, 1);
    assert.equal(s.exits, 2);
    assert.equal(s.unknown_exits, 1);
    assert.equal(s.processes_tracked, 2);
    // a process seen again after its exit starts from nothing (first sight creates state)
    d.handle(call('h', 1, 'NtClose'));
    assert.equal(d.table.get('h', 1)!.unit.calls, 1);
  });

  it('caps distinct n-grams per process and marks the unit truncated', () => {
    const d = detector({ limits: { maxProcesses: 10, maxNgramsPerUnit: 5, tree: false } });
    const t = test.find((x) => x.processes[0].calls.length > 100)!;
    for (const c of t.processes[0].calls) d.handle(call('h', 1, c.api));
    const unit = d.table.get('h', 1)!.unit;
    assert.ok(unit.counts.size <= 5);
    assert.equal(unit.truncated, true);
  });

  it('accepts out-of-order timestamps: processed in arrival order, counted, time span from min to max', () => {
    const d = detector();
    const t = test.find((x) => x.processes[0].calls.length >= 20)!;
    const calls = t.processes[0].calls.slice(0, 20);
    // timestamps shuffled, arrival order kept
    for (const [i, c] of calls.entries()) d.handle(call('h', 1, c.api, 1000 + ((i * 7) % 20)));
    const unit = d.table.get('h', 1)!.unit;
    assert.equal(unit.seconds(), 19);
    assert.ok(unit.outOfOrder > 0);
    assert.equal(d.summary(0).out_of_order, unit.outOfOrder);
    // the score is the arrival-order score
    const want = classifyPrefix(t, 20).scores.get('1') ?? 0;
    assert.ok(Math.abs(unit.score(d.labels.indexOf('1')) - want) <= 1e-9 * Math.max(1e-6, Math.abs(want)));
  });

  it('with tree attribution scores parent and child as one trace (tf summed over processes)', () => {
    const d = detector({ limits: { maxProcesses: 10, maxNgramsPerUnit: 1e6, tree: true } });
    const [a, b] = test.filter((x) => x.processes[0].calls.length > 30);
    const ca = a.processes[0].calls;
    const cb = b.processes[0].calls;
    d.handle({ kind: 'call', host: 'h', pid: 10, ppid: 1, api: ca[0].api });
    for (let i = 1; i <= Math.max(ca.length, cb.length); i++) {
      if (i < ca.length) d.handle({ kind: 'call', host: 'h', pid: 10, api: ca[i].api });
      if (i - 1 < cb.length) d.handle({ kind: 'call', host: 'h', pid: 11, ppid: 10, api: cb[i - 1].api });
    }
    const unit = d.table.get('h', 10)!.unit;
    assert.equal(d.table.get('h', 11)!.unit, unit);
    const batch = model.classify({
      id: 'tree',
      format: 'events',
      processes: [
        { pid: 10, calls: ca },
        { pid: 11, ppid: 10, calls: cb },
      ],
    });
    const want = batch.scores.get('1') ?? 0;
    assert.ok(Math.abs(unit.score(d.labels.indexOf('1')) - want) <= 1e-9 * Math.max(1e-6, Math.abs(want)));
  });
});

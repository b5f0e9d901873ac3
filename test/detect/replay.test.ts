import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { type CallEvent, type DetectEvent, formatEvent, parseEvent } from '../../src/detect/events.js';
import { newReplayClock, parseSpeed, SYNTHETIC_STEP_S, traceEvents } from '../../src/detect/replay.js';
import { loadSamples } from '../../src/ingest/source.js';
import { malbehavdCsv, sharedData } from '../helpers/cli.js';

let bits: Trace;
let csvRows: Trace[];

before(async () => {
  [bits] = await loadSamples({
    data: [`${sharedData}reports/capev2-2.4-lite_bits-bat_9088f800.json`],
    processes: 'all',
  });
  csvRows = (await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' })).slice(0, 3);
});

const calls = (events: DetectEvent[]) => events.filter((e): e is CallEvent => e.kind === 'call');

describe('replay of a real CAPE report (6 processes)', () => {
  it('merges processes by time, each keeping its own call order, with an exit after its last call', () => {
    const events = traceEvents(bits, 'lab', newReplayClock(1000));
    const byPid = new Map<number, CallEvent[]>();
    for (const e of calls(events)) byPid.set(e.pid, [...(byPid.get(e.pid) ?? []), e]);
    const withCalls = bits.processes.filter((p) => p.calls.length > 0);
    assert.equal(byPid.size, withCalls.length);
    for (const p of withCalls) {
      const got = byPid.get(1000 + bits.processes.indexOf(p))!;
      assert.deepEqual(
        got.map((e) => e.api),
        p.calls.map((c) => c.api),
        `process ${p.name} keeps its order`,
      );
      assert.equal(got[0].process, p.name);
    }
    // exits: one per process with calls, after its last call
    for (const [pid] of byPid) {
      const lastCall = events.map((e) => e.kind === 'call' && e.pid === pid).lastIndexOf(true);
      const exit = events.findIndex((e) => e.kind === 'exit' && e.pid === pid);
      assert.ok(exit > lastCall);
    }
    // the parent links are mapped to the new pids inside the trace
    const bitsadmin = calls(events).find((e) => e.process === 'bitsadmin.exe')!;
    const parent = calls(events).find((e) => e.pid === bitsadmin.ppid);
    assert.equal(parent?.process, 'cmd.exe');
    // times shifted to the clock, relative times kept
    const first = calls(events)[0];
    assert.ok(first.ts! >= 1000 && first.ts! < 1001);
    // arguments, return values and status survive the JSON round trip
    const withRet = calls(events).find((e) => e.ret !== undefined && e.args && e.args.size > 0)!;
    assert.deepEqual(parseEvent(formatEvent(withRet)), withRet);
  });

  it('gives every process of every trace its own pid and moves the clock past each trace', () => {
    const clock = newReplayClock(0);
    const a = traceEvents(csvRows[0], 'h', clock);
    const b = traceEvents(csvRows[1], 'h', clock);
    assert.notEqual(a[0].pid, b[0].pid);
    const lastA = a.at(-1)!.ts!;
    assert.ok(b[0].ts! > lastA);
    // the CSV has no times: 1 ms per call
    const ca = calls(a);
    assert.ok(Math.abs(ca[1].ts! - ca[0].ts! - SYNTHETIC_STEP_S) < 1e-9);
    assert.equal(ca[0].process, csvRows[0].id);
    assert.equal(ca.length, csvRows[0].processes[0].calls.length);
  });

  it('parses speeds', () => {
    assert.deepEqual(parseSpeed('fast'), { kind: 'fast' });
    assert.deepEqual(parseSpeed('real'), { kind: 'factor', factor: 1 });
    assert.deepEqual(parseSpeed('2.5'), { kind: 'factor', factor: 2.5 });
    assert.equal(parseSpeed('0'), undefined);
    assert.equal(parseSpeed('slow'), undefined);
  });
});

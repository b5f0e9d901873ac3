// What goes through Redis comes back the same, and hostile bytes do not get in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import {
  decodeContribution,
  decodeDiff,
  decodeTrace,
  encodeContribution,
  encodeDiff,
  encodeTrace,
} from '../../src/cluster/codec.js';
import { clusterKeys, eventPartition } from '../../src/cluster/keys.js';
import { emptyDiff } from '../../src/cluster/mix.js';
import type { Trace } from '../../src/core/trace.js';

test('a trace round-trips, argument maps included, hostile names kept as data', () => {
  const trace: Trace = {
    id: 'abc',
    label: '1',
    format: 'jsonl',
    origin: 'set#3',
    processes: [
      {
        pid: 4,
        ppid: 1,
        name: 'a.exe',
        calls: [
          {
            api: '__proto__',
            args: new Map<string, string | number | boolean | null>([
              ['constructor', 'x'],
              ['n', 3],
              ['b', false],
              ['z', null],
            ]),
            ts: 0.5,
            repeated: 2,
          },
          { api: 'NtOpenKey', ret: '0x0', status: true },
        ],
      },
    ],
    evidence: { virustotal: { positives: 3, total: 60 } },
  };
  assert.deepEqual(decodeTrace(encodeTrace(trace)), trace);
  assert.equal(Object.getPrototypeOf(decodeTrace(encodeTrace(trace))), Object.prototype);
});

test('a trace without an id or processes is refused with a reason', () => {
  assert.throws(() => decodeTrace(encode({ processes: [] })), /no id/);
  assert.throws(() => decodeTrace(encode({ id: 'x' })), /no processes/);
  assert.throws(() => decodeTrace(encode(7)), /not a map/);
});

test('a diff round-trips through the columnar encoding', () => {
  const d = emptyDiff(7);
  d.weights.set(
    'api_call$A B C@space#log_tf/bin',
    new Map([
      ['1', [0.25, -0.125, 0]],
      ['0', [-1e-9, 1, 3]],
    ]),
  );
  d.weights.set('__proto__', new Map([['1', [5, 0.5, 0]]]));
  d.labelCounts.set('1', 4);
  d.documentCount = 4;
  d.documentFrequencies.set('__proto__', 2);
  d.groupFrequencies.set('g', 1);
  d.groupTotalLengths.set('g', 2.5);
  d.updates = 4;
  assert.deepEqual(decodeDiff(encodeDiff(d)), d);
  const c = decodeContribution(
    encodeContribution({ worker: 'w1', diff: d, entries: ['1-0', '2-0'], analyses: ['a', 'b'] }),
  );
  assert.deepEqual(c, { worker: 'w1', diff: d, entries: ['1-0', '2-0'], analyses: ['a', 'b'] });
  // Non-ASCII feature names keep their boundaries; an unaligned copy (as a Redis reply may be) decodes.
  d.weights.set('api_call$Ñt→文字@space#log_tf/bin', new Map([['0', [1, 1, 1]]]));
  const bytes = encodeDiff(d);
  const unaligned = new Uint8Array(bytes.byteLength + 3).subarray(3);
  unaligned.set(bytes);
  assert.deepEqual(decodeDiff(unaligned), d);
});

test('a truncated or foreign diff is refused with a reason', () => {
  const d = emptyDiff(1);
  d.weights.set('f', new Map([['1', [1, 1, 0]]]));
  const bytes = encodeDiff(d);
  assert.throws(() => decodeDiff(bytes.subarray(0, bytes.byteLength - 16)), /MGD1: truncated/);
  assert.throws(() => decodeDiff(encode({ features: ['f'] })), /not a MGD1 message/);
  assert.throws(() => decodeContribution(bytes), /not a MGC1 message/);
});

test('keys of the report pipeline share one hash tag; event partitions spread', () => {
  const k = clusterKeys('lab');
  const tag = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1);
  for (const key of [
    k.reports,
    k.results,
    k.trained,
    k.current,
    k.model(3),
    k.mixed(3),
    k.diffs(2),
    k.mixLock,
    k.counters,
  ])
    assert.equal(tag(key), '{lab}');
  assert.equal(tag(k.events(5)), tag(k.eventLease(5)));
  assert.notEqual(tag(k.events(5)), tag(k.events(6)));
  assert.throws(() => clusterKeys('a}b'));
  const counts = new Array(8).fill(0);
  for (let pid = 0; pid < 8000; pid++) counts[eventPartition('host-1', pid, 8)]++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `partition sizes ${counts}`);
  assert.equal(eventPartition('h', 42, 8), eventPartition('h', 42, 8));
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Trace } from '../../src/core/trace.js';
import { loadSamples } from '../../src/ingest/source.js';
import { decodeVarints, encodeVarints, SampleStore } from '../../src/ingest/store.js';
import { malbehavdCsv } from '../helpers/cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'malgram-store-'));
after(() => rm(dir, { recursive: true, force: true }));

test('varints round-trip, including values past 2^31', () => {
  const values = [0, 1, 127, 128, 300, 2 ** 31 + 5, 2 ** 40];
  assert.deepEqual(decodeVarints(encodeVarints(values), values.length), values);
});

test('full traces read back identical: args, returns, timestamps, repeats, __proto__ names', async () => {
  const traces = await loadSamples({ data: [`${fixtures}traces.jsonl`], processes: 'all' });
  const db = join(dir, 'roundtrip.db');
  const store = SampleStore.open(db);
  assert.deepEqual(
    store.addBatch(traces.map((trace) => ({ trace }))),
    traces.map(() => true),
  );
  store.close();
  const back = await loadSamples({ db });
  assert.deepEqual(back, traces);
  const reopened = SampleStore.open(db);
  const last = traces[traces.length - 1];
  // loadSamples also interned the API names (derived data the store does not hold)
  const { processes, ...rest } = last;
  const stored: Trace = { ...rest, processes: processes.map(({ interned: _, ...p }) => p) };
  assert.deepEqual(reopened.trace(last.origin!), stored, 'one analysis by origin, as traces() gives it');
  assert.equal(reopened.trace('__proto__'), undefined);
  assert.equal(reopened.trace(''), undefined);
  reopened.close();
  // a call with more than its name (arguments, time, ...) keeps its own record
  const detailed = back.flatMap((t) => t.processes.flatMap((p) => p.calls)).filter((c) => c.args);
  assert.ok(detailed.length > 0 && detailed.every((c) => !Object.isFrozen(c)));
  const apiOnly = await loadSamples({ db, detail: 'api' });
  assert.equal(apiOnly[0].processes[0].calls[0].args, undefined);
  assert.equal(apiOnly[0].processes[0].calls[1].api, '__proto__');
});

test('the same analyses again add nothing; MalbehavD-V1 keeps all 2,570 analyses of 2,543 ids', async () => {
  const traces = await loadSamples({ data: [malbehavdCsv] });
  const db = join(dir, 'dedupe.db');
  const store = SampleStore.open(db);
  const first = store.addBatch(traces.map((trace) => ({ trace })));
  assert.equal(first.filter(Boolean).length, 2570);
  const second = store.addBatch(traces.map((trace) => ({ trace })));
  assert.equal(second.filter(Boolean).length, 0);
  const rows = [...store.analyses()];
  store.close();
  assert.equal(rows.length, 2570);
  assert.equal(new Set(rows.map((r) => r.sample_id)).size, 2543);
  assert.deepEqual(
    rows.map((r) => r.calls),
    traces.map((t) => t.processes[0].calls.length),
  );
  const back = await loadSamples({ db });
  assert.deepEqual(back, traces);
  // calls known by name alone come back as one shared, read-only record per name
  const [one, two] = [back[0].processes[0].calls, back[1].processes[0].calls];
  const common = one.find((c) => two.some((d) => d.api === c.api));
  assert.ok(common, 'the first two traces share an API');
  assert.equal(
    two.find((d) => d.api === common.api),
    common,
  );
  assert.ok(Object.isFrozen(common));
});

test('a failing batch rolls back whole; committed batches stay; interned names stay consistent', async () => {
  const db = join(dir, 'rollback.db');
  const store = SampleStore.open(db);
  const mk = (id: string, api: string): Trace => ({
    id,
    format: 'jsonl',
    origin: `test#${id}`,
    processes: [{ pid: 1, calls: [{ api }] }],
  });
  store.addBatch([{ trace: mk('a', 'ApiA') }]);
  const noOrigin: Trace = { id: 'bad', format: 'jsonl', processes: [] };
  assert.throws(() => store.addBatch([{ trace: mk('b', 'ApiB') }, { trace: noOrigin }]), /has no origin/);
  // ApiB's id was interned inside the rolled-back transaction: a new batch must still work.
  store.addBatch([{ trace: mk('c', 'ApiB') }]);
  store.close();
  const back = await loadSamples({ db });
  assert.deepEqual(
    back.map((t) => [t.id, t.processes[0].calls[0].api]),
    [
      ['a', 'ApiA'],
      ['c', 'ApiB'],
    ],
  );
});

test('a missing or foreign store file is a clear error', async () => {
  await assert.rejects(loadSamples({ db: join(dir, 'nope.db') }), /nope\.db: cannot open the store/);
  await assert.rejects(loadSamples({ db: malbehavdCsv }), /malbehavd-v1\.csv: not a malgram store/);
});

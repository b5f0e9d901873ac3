// The scale-out on a real 3-master Redis Cluster: workers and submit connect with
// --redis-cluster; every multi-key command and script stays within one hash slot (the keys'
// hash tags), while the event partitions spread over the masters.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { clusterKeys } from '../../src/cluster/keys.js';
import { connect, type RedisClient } from '../../src/cluster/redis.js';
import type { Trace } from '../../src/core/trace.js';
import { formatEvent } from '../../src/detect/events.js';
import { loadSamples } from '../../src/ingest/source.js';
import { modelFromBytes } from '../../src/learn/model.js';
import { malbehavdCsv, runCli } from '../helpers/cli.js';
import { RedisClusterServers } from './redis-server.js';
import { WorkerProcs } from './worker-procs.js';

const keys = clusterKeys('malgram');
const procs = new WorkerProcs();
let work: string;
let samples: Trace[];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'malgram-redis-cluster-test-'));
  samples = await loadSamples({ data: [malbehavdCsv], format: 'csv' });
});

after(() => {
  procs.killAll();
  rmSync(work, { recursive: true, force: true });
});

test('two workers train, mix and detect on a 3-master Redis Cluster', async () => {
  const servers = await RedisClusterServers.start(3);
  const redis: RedisClient = connect(servers.url);
  try {
    const nodes = servers.url.slice('redis+cluster://'.length);
    const lines = readFileSync(malbehavdCsv, 'utf8').split('\n');
    const benign = samples.flatMap((s, i) => (s.label === '0' ? [i] : []));
    const malware = samples.flatMap((s, i) => (s.label === '1' ? [i] : []));
    const rows = [...benign.slice(0, 150), ...malware.slice(0, 150)];
    const trainFile = join(work, 'train.csv');
    writeFileSync(trainFile, `${[lines[0], ...rows.map((i) => lines[i + 1])].join('\n')}\n`);
    const flags = ['--mix-every', '60', '--mix-interval', '1', '--lease-timeout', '2'];
    const ws = ['c1', 'c2'].map((n) => procs.start(servers.url, n, flags));
    const sub = await runCli(['submit', '--redis-cluster', nodes, trainFile, '--format', 'csv', '--json']);
    assert.equal(sub.code, 0, sub.stderr);
    assert.equal(JSON.parse(sub.stdout).submitted, 300);
    await procs.until(
      '300 samples trained and acknowledged',
      120_000,
      async () =>
        Number(await redis.hget(keys.counters, 'trained')) === 300 && (await redis.xlen(keys.reports)) === 0,
    );
    const version = Number(await redis.get(keys.current));
    assert.ok(version >= 2, `several mix rounds (version ${version})`);
    const bytes = await redis.getBuffer(keys.model(version));
    assert.ok(bytes);
    const model = modelFromBytes(bytes, 'mixed');
    assert.deepEqual(
      model.labelCounts(),
      new Map([
        ['0', 150],
        ['1', 150],
      ]),
    );

    // Live events: the partitions' slots live on several masters.
    await procs.until('both workers detecting', 30_000, async () => {
      const hb = Object.values(await redis.hgetall(keys.workers)).map(
        (v) => JSON.parse(v) as { eventsVersion?: number; partitions?: number },
      );
      return hb.length === 2 && hb.every((h) => h.eventsVersion === version && (h.partitions ?? 0) > 0);
    });
    const events = malware
      .slice(150, 170)
      .flatMap((row, k) =>
        samples[row].processes.flatMap((p) =>
          p.calls.map((c) => formatEvent({ kind: 'call', host: 'lab', pid: 100 + k, api: c.api })),
        ),
      );
    const eventsFile = join(work, 'events.jsonl');
    writeFileSync(eventsFile, `${events.join('\n')}\n`);
    const se = await runCli(['submit', '--redis-cluster', nodes, '--events', eventsFile, '--json']);
    assert.equal(se.code, 0, se.stderr);
    const partitions = Number(await redis.get(keys.partitions));
    const slotsOf = new Set<string>();
    await procs.until('events consumed', 60_000, async () => {
      let left = 0;
      for (let p = 0; p < partitions; p++) left += await redis.xlen(keys.events(p));
      return left === 0;
    });
    let alerts = 0;
    for (let p = 0; p < partitions; p++) {
      alerts += await redis.xlen(keys.alerts(p));
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', keys.events(p)));
      const master = (
        (await redis.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>
      ).find(([lo, hi]) => slot >= lo && slot <= hi);
      slotsOf.add(String(master?.[2]?.[1]));
    }
    assert.ok(slotsOf.size >= 2, 'event partitions on more than one master');
    assert.ok(alerts > 0, 'malware processes raised alerts');

    const status = await runCli(['cluster', 'status', '--redis-cluster', nodes, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const st = JSON.parse(status.stdout);
    assert.equal(st.samplesTrained, 300);
    assert.equal(st.dedupe.window, '7d');
    assert.equal(st.dedupe.ids, 300, 'every id held in the trained-id buckets, one slot');
    assert.equal(st.modelVersion, version);
    await Promise.all(ws.map((w) => procs.stop(w)));
  } finally {
    redis.disconnect();
    await servers.stop();
  }
});

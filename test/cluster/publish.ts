// Test helper: two workers' contributions to a mix round, published as real workers do.
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { encodeContribution } from '../../src/cluster/codec.js';
import type { clusterKeys } from '../../src/cluster/keys.js';
import { ensureGroup } from '../../src/cluster/redis.js';
import type { Trace } from '../../src/core/trace.js';
import { createModel } from '../../src/learn/model.js';

/**
 * Workers w1 and w2 each read one stream entry, train one sample (`w1-sample` malware with
 * NtWriteVirtualMemory, `w2-sample` benign with NtClose) and publish their diff for `version`.
 * Returns the two stream entry ids.
 */
export async function publishTwo(
  redis: Redis,
  keys: ReturnType<typeof clusterKeys>,
  configJson: string,
  version: number,
): Promise<string[]> {
  await ensureGroup(redis, keys.reports, 'workers');
  const ids: string[] = [];
  for (const [worker, label, api] of [
    ['w1', 'malware', 'NtWriteVirtualMemory'],
    ['w2', 'benign', 'NtClose'],
  ] as const) {
    const entry = await redis.xadd(keys.reports, '*', 'trace', 'x');
    assert.ok(entry);
    ids.push(entry);
    await redis.xreadgroup('GROUP', 'workers', worker, 'COUNT', 1, 'STREAMS', keys.reports, '>');
    const model = createModel(configJson);
    const sample: Trace = {
      id: `${worker}-sample`,
      format: 'jsonl',
      processes: [{ pid: 1, calls: [{ api }] }],
    };
    model.train(sample, label);
    const diff = { ...model.diff(), baseVersion: version };
    const bytes = encodeContribution({ worker, diff, entries: [entry], analyses: [`${worker}-sample`] });
    await redis.hset(keys.diffs(version), worker, Buffer.from(bytes));
  }
  return ids;
}

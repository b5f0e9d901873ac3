// The train/test split of the accuracy check (issue 3): rows grouped by identical API sequence,
// groups ordered by the SHA-256 of the sequence's API names joined with U+001F, and within each
// label the groups dealt alternately to train and test (first group to train), so identical
// traces never sit on both sides.
import { createHash } from 'node:crypto';
import type { Trace } from '../../src/core/trace.js';

export function sequenceKey(t: Trace): string {
  return t.processes.flatMap((p) => p.calls.map((c) => c.api)).join('\u001f');
}

export function splitBySequence(traces: readonly Trace[]): { train: Trace[]; test: Trace[] } {
  const byLabel = new Map<string, Map<string, Trace[]>>();
  for (const t of traces) {
    const label = t.label ?? '';
    let groups = byLabel.get(label);
    if (!groups) {
      groups = new Map();
      byLabel.set(label, groups);
    }
    const hash = createHash('sha256').update(sequenceKey(t), 'utf8').digest('hex');
    let g = groups.get(hash);
    if (!g) {
      g = [];
      groups.set(hash, g);
    }
    g.push(t);
  }
  const train: Trace[] = [];
  const test: Trace[] = [];
  for (const groups of byLabel.values()) {
    const hashes = [...groups.keys()].sort();
    hashes.forEach((h, i) => {
      (i % 2 === 0 ? train : test).push(...groups.get(h)!);
    });
  }
  return { train, test };
}

// MIX math: folding the per-worker model diffs into one mixed diff, as Jubatus's linear mixer
// does (jubatus-reference.md §4.4–4.5, jubatus_core linear_function_mixer / labels / weight
// manager mixables).
//
// Weight table, folded pairwise; accumulator (A, n, vA), incoming diff (D, 1, vD):
//   vD == vA: for every cell present on either side, a missing cell counts as (0, 1, 0), and
//             d1 ← (D.d1 + n·A.d1)/(1+n), d2 ← min(D.d2, A.d2), d3 ← (D.d3 + n·A.d3)/(1+n); n ← n+1
//   vD >  vA: the accumulator is replaced by D (the newer version wins, stale diffs are dropped)
//   vD <  vA: D is ignored.
// So the weight delta is the arithmetic mean over the workers at the newest version: a weight
// learned on one of N workers is divided by N; the covariance delta is the minimum, with 1 for
// a worker that did not touch the cell.
// Label counts are summed over every diff (no version check). Document statistics (count,
// document / group frequencies, group lengths) are summed over the diffs of the newest version.
//
// The update-weighted option (not in Jubatus) replaces the count-weighted mean of d1 and d3 by
// a mean weighted by each diff's number of training updates, so a worker that trained more
// weighs more; when no diff at the newest version has any update it falls back to the plain mean.
import type { ModelDiff } from '../learn/model-api.js';

export type MixWeighting = 'count' | 'updates';

type Cell = [number, number, number];
type WeightTable = Map<string, Map<string, Cell>>;

/** An empty diff at `baseVersion`. */
export function emptyDiff(baseVersion: number): ModelDiff {
  return {
    baseVersion,
    weights: new Map(),
    labelCounts: new Map(),
    documentCount: 0,
    documentFrequencies: new Map(),
    groupFrequencies: new Map(),
    groupTotalLengths: new Map(),
    updates: 0,
  };
}

function addInto(target: Map<string, number>, source: Map<string, number>): void {
  for (const [k, v] of source) target.set(k, (target.get(k) ?? 0) + v);
}

/** The diffs at the newest base version among `diffs` (the ones the weight and document mix keep). */
export function newestVersionDiffs(diffs: readonly ModelDiff[]): ModelDiff[] {
  if (diffs.length === 0) return [];
  let newest = diffs[0].baseVersion;
  for (const d of diffs) if (d.baseVersion > newest) newest = d.baseVersion;
  return diffs.filter((d) => d.baseVersion === newest);
}

/**
 * Folds diffs in order into one mixed diff (see the header). With `updates` weighting, d1 and
 * d3 are the update-weighted mean instead of the count-weighted one.
 */
export function mixDiffs(diffs: readonly ModelDiff[], weighting: MixWeighting = 'count'): ModelDiff {
  if (diffs.length === 0) return emptyDiff(0);
  const current = newestVersionDiffs(diffs);
  const mixed = emptyDiff(current[0].baseVersion);
  for (const d of diffs) addInto(mixed.labelCounts, d.labelCounts);
  for (const d of current) {
    mixed.documentCount += d.documentCount;
    addInto(mixed.documentFrequencies, d.documentFrequencies);
    addInto(mixed.groupFrequencies, d.groupFrequencies);
    addInto(mixed.groupTotalLengths, d.groupTotalLengths);
    mixed.updates += d.updates;
  }
  const totalUpdates = current.reduce((s, d) => s + d.updates, 0);
  mixed.weights =
    weighting === 'updates' && totalUpdates > 0
      ? foldWeighted(current, totalUpdates)
      : foldCountMean(current);
  return mixed;
}

/** Jubatus's pairwise fold: count-weighted running mean of d1/d3, min of d2, missing = (0,1,0). */
function foldCountMean(diffs: readonly ModelDiff[]): WeightTable {
  const acc: WeightTable = new Map();
  let n = 0;
  for (const d of diffs) {
    if (n === 0) {
      for (const [f, row] of d.weights) {
        const copy = new Map<string, Cell>();
        for (const [l, c] of row) copy.set(l, [c[0], c[1], c[2]]);
        acc.set(f, copy);
      }
      n = 1;
      continue;
    }
    const k = n;
    // Cells only in the accumulator: D counts as (0, 1, 0).
    for (const [f, row] of acc) {
      const drow = d.weights.get(f);
      for (const [l, a] of row) {
        if (drow?.has(l)) continue;
        a[0] = (k * a[0]) / (1 + k);
        a[1] = Math.min(1, a[1]);
        a[2] = (k * a[2]) / (1 + k);
      }
    }
    // Cells in D: the accumulator counts as (0, 1, 0) where it has none.
    for (const [f, drow] of d.weights) {
      let row = acc.get(f);
      if (!row) {
        row = new Map();
        acc.set(f, row);
      }
      for (const [l, c] of drow) {
        const a = row.get(l);
        if (a) {
          a[0] = (c[0] + k * a[0]) / (1 + k);
          a[1] = Math.min(c[1], a[1]);
          a[2] = (c[2] + k * a[2]) / (1 + k);
        } else {
          row.set(l, [c[0] / (1 + k), Math.min(c[1], 1), c[2] / (1 + k)]);
        }
      }
    }
    n = k + 1;
  }
  return acc;
}

/** Update-weighted mean of d1/d3 (missing = 0), min of d2 with missing = 1 when any diff lacks the cell. */
function foldWeighted(diffs: readonly ModelDiff[], totalUpdates: number): WeightTable {
  const acc: WeightTable = new Map();
  const touched = new Map<string, Map<string, number>>();
  for (const d of diffs) {
    const w = d.updates / totalUpdates;
    for (const [f, drow] of d.weights) {
      let row = acc.get(f);
      let seen = touched.get(f);
      if (!row || !seen) {
        row = new Map();
        seen = new Map();
        acc.set(f, row);
        touched.set(f, seen);
      }
      for (const [l, c] of drow) {
        const a = row.get(l);
        if (a) {
          a[0] += w * c[0];
          a[1] = Math.min(a[1], c[1]);
          a[2] += w * c[2];
        } else {
          row.set(l, [w * c[0], c[1], w * c[2]]);
        }
        seen.set(l, (seen.get(l) ?? 0) + 1);
      }
    }
  }
  for (const [f, row] of acc) {
    const seen = touched.get(f);
    for (const [l, a] of row) if ((seen?.get(l) ?? 0) < diffs.length) a[1] = Math.min(a[1], 1);
  }
  return acc;
}

// Train/test splits that cannot leak: samples are first grouped so that no sample id and no
// identical API sequence ends up on both sides (MalbehavD-V1 has ~1,600 distinct sequences among
// its 2,570 rows; a naive split puts copies of test rows into training), then whole groups are
// assigned. Groups are connected components (union-find) of "same id" and "same sequence hash".
// Splits: stratified random (fraction or per-label counts), stratified k-fold, by time (older
// groups train, newer test), by source (whole sources on one side), and the deterministic
// sequence-hash split of the accuracy check (issue 3).
import { createHash } from 'node:crypto';
import { InputError } from '../core/errors.js';
import { type Random, seededRandom, shuffleInPlace } from '../core/random.js';
import type { Trace } from '../core/trace.js';

/** Indices into the sample array. */
export interface Split {
  train: number[];
  test: number[];
  /** e.g. `fold 2/5`. */
  name: string;
}

/** Samples that must stay on the same side, and the label used to stratify them. */
export interface SampleGroup {
  members: number[];
  /** The most common label among the members (ties: the first seen). */
  label: string;
  /** Earliest ISO time among the members, when any has one. */
  time?: string;
  source?: string;
}

export interface Grouping {
  groups: SampleGroup[];
  /** Samples that joined a group someone else started: samples − groups. */
  duplicatesGrouped: number;
  /** Groups whose members carry different labels (the same trace labelled both ways). */
  conflictingGroups: number;
}

/** SHA-256 of the API names, process by process (separators keep [a b][c] apart from [a][b c]). */
export function sequenceHash(trace: Trace): string {
  const h = createHash('sha256');
  for (const p of trace.processes) {
    h.update('\u0001');
    for (const c of p.calls) h.update(`${c.api}\u0000`);
  }
  return h.digest('base64');
}

class UnionFind {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]];
      i = this.parent[i];
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function labelOf(trace: Trace): string {
  return trace.label ?? '';
}

/** The label with the largest count (ties: the first listed), '' for none. */
function mostCommonLabel(counts: Iterable<[string, number]>): string {
  let label = '';
  let best = -1;
  for (const [l, c] of counts) {
    if (c > best) {
      best = c;
      label = l;
    }
  }
  return label;
}

/**
 * Groups samples by id and sequence (and by source with `bySource`). With `keepDuplicates`
 * every sample is its own group (for comparison with published, leaky, numbers).
 */
export function groupSamples(
  samples: Trace[],
  opts: { keepDuplicates?: boolean; bySource?: boolean } = {},
): Grouping {
  const uf = new UnionFind(samples.length);
  if (!opts.keepDuplicates || opts.bySource) {
    const firstByKey = new Map<string, number>();
    const join = (key: string, i: number): void => {
      const first = firstByKey.get(key);
      if (first === undefined) firstByKey.set(key, i);
      else uf.union(first, i);
    };
    samples.forEach((t, i) => {
      if (!opts.keepDuplicates) {
        join(`id\u0000${t.id}`, i);
        join(`seq\u0000${sequenceHash(t)}`, i);
      }
      if (opts.bySource) join(`src\u0000${t.source ?? ''}`, i);
    });
  }
  const membersByRoot = new Map<number, number[]>();
  samples.forEach((_, i) => {
    const r = uf.find(i);
    const list = membersByRoot.get(r);
    if (list) list.push(i);
    else membersByRoot.set(r, [i]);
  });
  let conflictingGroups = 0;
  const groups: SampleGroup[] = [];
  for (const members of membersByRoot.values()) {
    const counts = new Map<string, number>();
    let time: string | undefined;
    for (const i of members) {
      const l = labelOf(samples[i]);
      counts.set(l, (counts.get(l) ?? 0) + 1);
      const t = samples[i].time;
      if (t !== undefined && (time === undefined || Date.parse(t) < Date.parse(time))) time = t;
    }
    if (counts.size > 1) conflictingGroups++;
    const g: SampleGroup = { members, label: mostCommonLabel(counts) };
    if (time !== undefined) g.time = time;
    const source = samples[members[0]].source;
    if (source !== undefined) g.source = source;
    groups.push(g);
  }
  return { groups, duplicatesGrouped: samples.length - groups.length, conflictingGroups };
}

function groupsByLabel(groups: SampleGroup[]): Map<string, SampleGroup[]> {
  const out = new Map<string, SampleGroup[]>();
  for (const g of [...groups].sort((a, b) => a.members[0] - b.members[0])) {
    const list = out.get(g.label);
    if (list) list.push(g);
    else out.set(g.label, [g]);
  }
  return out;
}

const size = (gs: SampleGroup[]): number => gs.reduce((s, g) => s + g.members.length, 0);
const indices = (gs: SampleGroup[]): number[] => gs.flatMap((g) => g.members).sort((a, b) => a - b);

/**
 * Stratified random split: per label, groups in seeded random order go to training until it
 * holds `trainFraction` of that label's samples; the rest are test.
 */
export function stratifiedSplit(grouping: Grouping, trainFraction: number, seed: number): Split {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new InputError('--split must be in (0, 1)', 'split');
  const random = seededRandom(seed);
  const train: SampleGroup[] = [];
  const test: SampleGroup[] = [];
  for (const gs of groupsByLabel(grouping.groups).values()) {
    shuffleInPlace(gs, random);
    const want = Math.round(trainFraction * size(gs));
    let have = 0;
    for (const g of gs) {
      // take a group when that brings training closer to the wanted count
      if (have < want && Math.abs(have + g.members.length - want) <= Math.abs(have - want)) {
        train.push(g);
        have += g.members.length;
      } else test.push(g);
    }
  }
  return { train: indices(train), test: indices(test), name: `split ${trainFraction}` };
}

/**
 * Per label, at most `trainPerLabel` samples for training and `testPerLabel` for test, drawn at
 * random (the research's 5,000 / 10,000 design). A label with too few samples is an InputError.
 */
export function perLabelSplit(
  grouping: Grouping,
  trainPerLabel: number,
  testPerLabel: number,
  seed: number,
): Split {
  const random = seededRandom(seed);
  const train: SampleGroup[] = [];
  const test: SampleGroup[] = [];
  for (const [label, gs] of groupsByLabel(grouping.groups)) {
    if (size(gs) < trainPerLabel + testPerLabel) {
      throw new InputError(
        `label ${JSON.stringify(label)} has ${size(gs)} samples (duplicates grouped: ${gs.length} groups), fewer than ${trainPerLabel} + ${testPerLabel}`,
        '--train-per-label/--test-per-label',
      );
    }
    shuffleInPlace(gs, random);
    let nTrain = 0;
    let nTest = 0;
    for (const g of gs) {
      if (nTrain + g.members.length <= trainPerLabel) {
        train.push(g);
        nTrain += g.members.length;
      } else if (nTest + g.members.length <= testPerLabel) {
        test.push(g);
        nTest += g.members.length;
      }
      if (nTrain === trainPerLabel && nTest === testPerLabel) break;
    }
  }
  return { train: indices(train), test: indices(test), name: `${trainPerLabel}/${testPerLabel} per label` };
}

/**
 * Stratified group k-fold: per label, groups in seeded random order go to the fold that has the
 * fewest samples of that label so far (largest groups first keeps folds even).
 */
export function kFold(grouping: Grouping, k: number, seed: number): Split[] {
  if (!Number.isInteger(k) || k < 2) throw new InputError('--folds must be an integer ≥ 2', 'folds');
  const random: Random = seededRandom(seed);
  const folds: SampleGroup[][] = Array.from({ length: k }, () => []);
  for (const gs of groupsByLabel(grouping.groups).values()) {
    shuffleInPlace(gs, random);
    gs.sort((a, b) => b.members.length - a.members.length); // stable: random order among equals
    const counts = new Array<number>(k).fill(0);
    for (const g of gs) {
      let f = 0;
      for (let i = 1; i < k; i++) if (counts[i] < counts[f]) f = i;
      folds[f].push(g);
      counts[f] += g.members.length;
    }
  }
  return folds.map((testGroups, f) => ({
    train: indices(folds.filter((_, i) => i !== f).flat()),
    test: indices(testGroups),
    name: `fold ${f + 1}/${k}`,
  }));
}

/** Hex SHA-256 of the trace's API names in order (all processes), joined with U+001F. */
function apiNamesHash(trace: Trace): string {
  const names = trace.processes.flatMap((p) => p.calls.map((c) => c.api));
  return createHash('sha256').update(names.join('\u001f'), 'utf8').digest('hex');
}

/**
 * Sequence-hash split, the one the accuracy check of issue 3 prescribes: samples grouped by
 * identical API sequence only (a group takes its most common label), groups ordered by the hex
 * SHA-256 of their API names joined with U+001F, then per label dealt alternately to training and
 * test, the first to training. No seed: anyone can rebuild it from the data alone. Unlike the
 * other splits it does not also join samples by id, as the issue defines it.
 */
export function sequenceHashSplit(samples: Trace[]): Split {
  const byHash = new Map<string, Map<string, number[]>>();
  samples.forEach((t, i) => {
    const h = apiNamesHash(t);
    let byLabel = byHash.get(h);
    if (!byLabel) {
      byLabel = new Map();
      byHash.set(h, byLabel);
    }
    const members = byLabel.get(labelOf(t));
    if (members) members.push(i);
    else byLabel.set(labelOf(t), [i]);
  });
  const dealt = new Map<string, number>();
  const train: number[] = [];
  const test: number[] = [];
  for (const h of [...byHash.keys()].sort()) {
    const byLabel = byHash.get(h) as Map<string, number[]>;
    const label = mostCommonLabel([...byLabel].map(([l, members]) => [l, members.length]));
    const n = dealt.get(label) ?? 0;
    dealt.set(label, n + 1);
    for (const members of byLabel.values()) (n % 2 === 0 ? train : test).push(...members);
  }
  return {
    train: train.sort((a, b) => a - b),
    test: test.sort((a, b) => a - b),
    name: 'by sequence hash (alternate groups)',
  };
}

/**
 * Time split: groups sorted by their earliest analysis time; the oldest `trainFraction` of the
 * samples train, the newer ones test (no stratification: time decides). Every sample needs a time.
 */
export function timeSplit(samples: Trace[], grouping: Grouping, trainFraction: number): Split {
  const missing = samples.filter((t) => t.time === undefined || Number.isNaN(Date.parse(t.time))).length;
  if (missing > 0) {
    throw new InputError(`${missing} of ${samples.length} samples have no valid analysis time`, '--by-time');
  }
  const ordered = [...grouping.groups].sort(
    (a, b) => Date.parse(a.time ?? '') - Date.parse(b.time ?? '') || a.members[0] - b.members[0],
  );
  const want = Math.round(trainFraction * samples.length);
  const train: SampleGroup[] = [];
  const test: SampleGroup[] = [];
  let have = 0;
  for (const g of ordered) {
    if (have < want) {
      train.push(g);
      have += g.members.length;
    } else test.push(g);
  }
  return { train: indices(train), test: indices(test), name: `by time (oldest ${trainFraction} train)` };
}

/**
 * Source split: whole sources, in seeded random order, go to training until it holds about
 * `trainFraction` of the samples; the other sources are test (needs two sources at least).
 */
export function sourceSplit(
  samples: Trace[],
  trainFraction: number,
  seed: number,
  keepDuplicates = false,
): Split {
  const grouping = groupSamples(samples, { bySource: true, keepDuplicates });
  const sources = new Set(grouping.groups.map((g) => g.source ?? ''));
  if (grouping.groups.length < 2) {
    throw new InputError(`needs samples from two sources at least, found ${sources.size}`, '--by-source');
  }
  const gs = shuffleInPlace(
    [...grouping.groups].sort((a, b) => a.members[0] - b.members[0]),
    seededRandom(seed),
  );
  const want = Math.round(trainFraction * samples.length);
  const train: SampleGroup[] = [];
  const test: SampleGroup[] = [];
  let have = 0;
  for (const g of gs) {
    if (test.length === 0 && g === gs[gs.length - 1]) test.push(g);
    else if (have < want) {
      train.push(g);
      have += g.members.length;
    } else test.push(g);
  }
  return { train: indices(train), test: indices(test), name: `by source (${sources.size} sources)` };
}

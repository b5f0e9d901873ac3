// `malgram eval` on MalbehavD-V1 (2,570 rows): wall time and CPU of one evaluation (AROW
// 3-grams, 50/50 split) and of the research sweep (4 methods × n = 1..6, 24 trainings on one
// split), as ratios to reading the CSV once in the same process (the baseline), plus the
// leak a naive split causes (--keep-duplicates) in accuracy.
// Usage: npm run bench -- eval
import { performance } from 'node:perf_hooks';
import { type EvalOptions, runEvaluation } from '../src/evaluate/run.js';
import { loadSamples } from '../src/ingest/source.js';
import { malbehavdCsv } from '../test/helpers/cli.js';

const source = { data: [malbehavdCsv], format: 'csv', detail: 'api' as const };

async function timed<T>(fn: () => Promise<T>): Promise<{ s: number; cpu: number; value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { s: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, value };
}

const base: Omit<EvalOptions, 'settings'> = {
  source,
  split: { kind: 'ratio', trainFraction: 0.5 },
  seed: 1,
  ci: 'wilson',
  keepDuplicates: false,
  calibration: 'platt',
};

await loadSamples(source); // warm-up: module compilation, file cache
const read = await timed(() => loadSamples(source));
const single = await timed(() => runEvaluation({ ...base, settings: [{ method: 'arow', ngram: 3 }] }));
const settings = ['arow', 'pa1', 'cw', 'perceptron'].flatMap((method) =>
  [1, 2, 3, 4, 5, 6].map((ngram) => ({ method, ngram })),
);
const sweep = await timed(() => runEvaluation({ ...base, settings }));
const leaky = await runEvaluation({
  ...base,
  keepDuplicates: true,
  settings: [{ method: 'arow', ngram: 3 }],
});

const row = (name: string, t: { s: number; cpu: number }) =>
  `${name.padEnd(34)} ${t.s.toFixed(2).padStart(7)} s wall ${t.cpu.toFixed(2).padStart(7)} s cpu   ×${(t.s / read.s).toFixed(1)} baseline`;
console.log(row('baseline: read CSV (2,570 rows)', read));
console.log(row('eval arow 3-gram', single));
console.log(row('sweep 4 methods × n=1..6 (24 runs)', sweep));
const a = single.value.runs[0];
const l = leaky.runs[0];
console.log(
  `accuracy grouped ${(100 * a.accuracy).toFixed(2)}% [${(100 * a.accuracy_interval.lo).toFixed(2)}–${(100 * a.accuracy_interval.hi).toFixed(2)}] (${a.accuracy_interval.k}/${a.accuracy_interval.n}), ` +
    `naive (--keep-duplicates) ${(100 * l.accuracy).toFixed(2)}% [${(100 * l.accuracy_interval.lo).toFixed(2)}–${(100 * l.accuracy_interval.hi).toFixed(2)}] (${l.accuracy_interval.k}/${l.accuracy_interval.n})`,
);

// `npm run bench -- rpc-datum`: classifying Jubatus datums (what the MessagePack-RPC endpoint
// does per request, src/serve/rpc/) against classifying the same samples as traces, in process.
// Model: the default native config (AROW, 3-grams, log_tf/bin) trained on all of MalbehavD-V1;
// queries: 65 rows, each row's calls repeated cyclically to 100 (as bench/serve.bench.ts), as
// datums `api_call` = their space-separated 3-grams (what a Jubatus client sends).
// Figures in one run: the datum hot path (`model.classifyDatum`: token → feature cache), the
// generic converter path (feature names built and looked up, `classifyVector(convertDatum)`),
// and `model.classify` on the traces; ratios between them (the machine is shared: compare ratios).
import { fileURLToPath } from 'node:url';
import type { Datum } from '../src/core/datum.js';
import type { Trace } from '../src/core/trace.js';
import { openSamples } from '../src/ingest/source.js';
import { configFromFlags, createModel } from '../src/learn/model.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const dataCsv = fileURLToPath(new URL('../../shared/data/malbehavd-v1.csv', import.meta.url));

const all: Trace[] = [];
for await (const t of openSamples({ data: [dataCsv], format: 'csv', detail: 'api' })) all.push(t);
const model = createModel(configFromFlags({}));
for (const t of all) model.train(t, t.label!);
const queries: Trace[] = all
  .filter((_, i) => i % 40 === 0)
  .map((t) => {
    const calls = t.processes.flatMap((p) => p.calls);
    return {
      ...t,
      processes: [{ pid: 1, calls: Array.from({ length: 100 }, (_, i) => calls[i % calls.length]) }],
    };
  });
const datums: Datum[] = queries.map((t) => model.traceDatum(t));

/** Runs `f` on the samples round-robin for SECONDS after a warm-up; per-second rates with a 95% interval (normal approximation). */
function rate(f: (i: number) => void): string {
  const perSecond: number[] = [];
  let i = 0;
  for (const warm = performance.now(); performance.now() - warm < 300; ) f(i++); // JIT warm-up
  i = 0;
  for (let s = 0; s < SECONDS; s++) {
    const t0 = performance.now();
    let n = 0;
    while (n % 64 !== 0 || performance.now() - t0 < 1000) {
      f(i++);
      n++;
    }
    perSecond.push(n / ((performance.now() - t0) / 1000));
  }
  const mean = perSecond.reduce((a, b) => a + b, 0) / perSecond.length;
  const sd = Math.sqrt(
    perSecond.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, perSecond.length - 1),
  );
  const half = perSecond.length > 1 ? (1.96 * sd) / Math.sqrt(perSecond.length) : Number.NaN;
  rates.push(mean);
  return `${mean.toFixed(0)}/s [${(mean - half).toFixed(0)}–${(mean + half).toFixed(0)}, 95% CI, ${perSecond.length} one-second samples, ${i} samples]`;
}
const rates: number[] = [];

// the two datum paths must agree (the hot path is only worth having if it is exact)
for (const d of datums) {
  const a = [...model.classifyDatum(d).scores];
  const b = [...model.classifyVector(model.convertDatum(d)).scores];
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('datum hot path and converter path disagree');
}
console.log(
  `model: ${all.length} training rows, ${model.numFeatures()} features; ${queries.length} 100-call queries`,
);
console.log(
  `classifyDatum (hot path):         ${rate((i) => model.classifyDatum(datums[i % datums.length]))}`,
);
console.log(
  `datum via the generic converter:  ${rate((i) => model.classifyVector(model.convertDatum(datums[i % datums.length])))}`,
);
console.log(`classify on traces:               ${rate((i) => model.classify(queries[i % queries.length]))}`);
const [hot, generic, traces] = rates;
console.log(
  `ratios: hot path / generic converter ${(hot / generic).toFixed(2)}×, hot path / trace classify ${(hot / traces).toFixed(2)}×`,
);

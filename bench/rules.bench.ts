// Streaming rule matcher throughput (issue 5): the 17 starter rules fed call by call through
// CompiledRules.feed, on (a) the API-only call streams of MalbehavD-V1 and (b) the calls with
// arguments of the real CAPE / cuckoo-modified reports in shared/data/reports, each repeated to
// at least MALGRAM_BENCH_CALLS calls (default 2,000,000). Also up to 100 real API 3-grams as rules.
// Baseline in the same run: the same loop doing only the per-call work every matcher needs
// (lower-casing the API name and one Map lookup).
import { join } from 'node:path';
import type { Call } from '../src/core/trace.js';
import { loadSamples } from '../src/ingest/source.js';
import { loadRules } from '../src/rules/load.js';
import { type CompiledRules, compileRules } from '../src/rules/matcher.js';
import type { RuleDef } from '../src/rules/schema.js';

const CALLS = Number(process.env.MALGRAM_BENCH_CALLS ?? 2_000_000);
const shared = new URL('../../shared/data/', import.meta.url).pathname;
const repo = new URL('..', import.meta.url).pathname;

const csv = await loadSamples({ data: [join(shared, 'malbehavd-v1.csv')], format: 'csv', detail: 'api' });
const reports = await loadSamples({
  data: [
    join(shared, 'reports/capev2-2.4-full_41ce492f.json.gz'),
    join(shared, 'reports/capev2-2.4-lite_bits-bat_9088f800.json'),
    join(shared, 'reports/capev2-2.4-lite_apc-inject_b145e2ec.json'),
  ],
  detail: 'full',
  processes: 'all',
});
const streams = (traces: typeof csv): Call[][] => traces.flatMap((t) => t.processes.map((p) => p.calls));

function run(label: string, rules: CompiledRules | null, processes: Call[][]): number {
  const lookup = new Map<string, number>([['ntclose', 1]]);
  let calls = 0;
  let hits = 0;
  let sink = 0;
  const started = process.hrtime.bigint();
  while (calls < CALLS) {
    for (const p of processes) {
      const state = rules?.newProcessState();
      for (let i = 0; i < p.length; i++) {
        if (rules && state) hits += rules.feed(state, p[i], i).length;
        else sink += lookup.get(p[i].api.toLowerCase()) ?? 0;
      }
      calls += p.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = calls / seconds;
  process.stdout.write(
    `${label.padEnd(48)} ${calls.toLocaleString('en')} calls in ${seconds.toFixed(2)} s = ${Math.round(rate).toLocaleString('en')} calls/s (${rules ? `rule hits ${hits}` : `checksum ${sink}`})\n`,
  );
  return rate;
}

const starter = compileRules(loadRules([join(repo, 'rules')]).rules);
// 100 real API 3-grams of the data set (every 25th sample's middle triple), as `rules suggest` drafts them.
const triples = csv
  .filter((_, i) => i % 25 === 0)
  .map((t) => t.processes[0].calls)
  .filter((c) => c.length >= 3)
  .map((c) => c.slice(Math.floor(c.length / 2) - 1, Math.floor(c.length / 2) + 2).map((x) => x.api));
const ngramRules: RuleDef[] = triples.slice(0, 100).map((triple, i) => ({
  id: `ngram-${i}`,
  title: 'n',
  severity: 'medium',
  verdict: 'suspicious',
  scope: 'process',
  file: 'bench',
  line: 0,
  match: {
    sequence: {
      steps: triple.map((api) => ({ api })),
      within: { calls: 3 },
    },
  },
}));
const ngrams = compileRules(ngramRules);

for (const [name, data] of [
  ['MalbehavD-V1 (API names only)', streams(csv)],
  ['real reports (with arguments)', streams(reports)],
] as const) {
  process.stdout.write(
    `\n${name}: ${data.length} processes, ${data.reduce((n, p) => n + p.length, 0)} calls per pass\n`,
  );
  const base = run('baseline (lower-case + Map lookup)', null, data);
  const s = run(`${starter.rules.length} starter rules`, starter, data);
  const n = run(`${ngrams.rules.length} n-gram rules`, ngrams, data);
  process.stdout.write(
    `ratio to baseline: starter ${(base / s).toFixed(1)}x slower, n-gram ${(base / n).toFixed(1)}x slower\n`,
  );
}

// Real-time detector throughput and latency (issue 6): ≥ 10 million events from many interleaved
// processes, through `Detector.handle` (pre-parsed events) and through the JSON-lines input path
// (line splitting + the fast event-line parser + handle), side by side in one run, plus memory per
// tracked process. Targets: ≥ 1 M events/s pre-parsed, ≥ 400 k events/s from JSON lines (one
// core), p99 < 1 ms.
//
// Data: API sequences drawn from a first-order Markov chain fitted on MalbehavD-V1 (its ~290 API
// names and their real transitions, benign and malware rows mixed), 5,000 processes alive at a
// time on 50 hosts, each living 50–2,000 calls and then exiting (an exit event) and replaced by a
// new pid; the next event comes from a random live process. The model: AROW, 3-grams, log_tf/bin,
// trained on MalbehavD-V1 first. Alerts go to a counting sink.
// Baselines measured in the same run over the same lines: JSON.parse alone, and the JSON.parse path
// (parseEvent = JSON.parse + validation, then handle; lines already split) that the fast parser
// replaces.
//
// `MALGRAM_BENCH_EVENTS=N` changes the event count (default 10,000,000).

import { seededRandom } from '../src/core/random.js';
import { Detector } from '../src/detect/detector.js';
import { parseEventBytes } from '../src/detect/event-parser.js';
import { type DetectEvent, parseEvent } from '../src/detect/events.js';
import { featureSpecOf } from '../src/detect/feature-spec.js';
import { EventLineSplitter } from '../src/detect/inputs/lines.js';
import { configFromFlags } from '../src/features/config.js';
import { loadSamples } from '../src/ingest/source.js';
import { createModel } from '../src/learn/model.js';

const EVENTS = Number(process.env.MALGRAM_BENCH_EVENTS ?? 10_000_000);
const LIVE = 5000;
const HOSTS = 50;
const csv = new URL('../../shared/data/malbehavd-v1.csv', import.meta.url).pathname;

// ---- model and Markov chain from the real data ---------------------------------------------------
const traces = await loadSamples({ data: [csv], format: 'csv', detail: 'api' });
const model = createModel(
  configFromFlags({ method: 'arow', ngram: 3, sampleWeight: 'log_tf', globalWeight: 'bin' }),
);
const benign = traces.filter((t) => t.label === '0');
const malware = traces.filter((t) => t.label !== '0');
for (let i = 0; i < Math.max(benign.length, malware.length); i++) {
  if (benign[i]) model.train(benign[i], '0');
  if (malware[i]) model.train(malware[i], '1');
}
const { spec } = featureSpecOf(model);

const names: string[] = [];
const idOf = new Map<string, number>();
const intern = (a: string) => {
  let id = idOf.get(a);
  if (id === undefined) {
    id = names.length;
    names.push(a);
    idOf.set(a, id);
  }
  return id;
};
const transitions = new Map<number, Map<number, number>>();
const starts = new Map<number, number>();
for (const t of traces) {
  const calls = t.processes[0]?.calls ?? [];
  let prev = -1;
  for (const c of calls) {
    const id = intern(c.api);
    const row = prev < 0 ? starts : (transitions.get(prev) ?? transitions.set(prev, new Map()).get(prev)!);
    row.set(id, (row.get(id) ?? 0) + 1);
    prev = id;
  }
}
interface Sampler {
  ids: Int32Array;
  cumulative: Float64Array;
}
const sampler = (row: Map<number, number>): Sampler => {
  const ids = Int32Array.from(row.keys());
  const cumulative = new Float64Array(ids.length);
  let sum = 0;
  ids.forEach((id, i) => {
    sum += row.get(id)!;
    cumulative[i] = sum;
  });
  for (let i = 0; i < cumulative.length; i++) cumulative[i] /= sum;
  return { ids, cumulative };
};
const startSampler = sampler(starts);
const rowSamplers = names.map((_, id) =>
  transitions.has(id) ? sampler(transitions.get(id)!) : startSampler,
);
// Deterministic generator (mulberry32) so runs are comparable.
const random = seededRandom(12345);
const draw = (s: Sampler) => {
  const r = random();
  let lo = 0;
  let hi = s.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.cumulative[mid] < r) lo = mid + 1;
    else hi = mid;
  }
  return s.ids[lo];
};

// ---- the event stream: pid and API id per event (API id −1 = exit) ------------------------------
const pids = new Int32Array(EVENTS);
const apis = new Int32Array(EVENTS);
{
  const slotPid = new Int32Array(LIVE);
  const slotLeft = new Int32Array(LIVE);
  const slotPrev = new Int32Array(LIVE).fill(-1);
  let nextPid = 1000;
  for (let s = 0; s < LIVE; s++) {
    slotPid[s] = nextPid++;
    slotLeft[s] = 50 + Math.floor(random() * 1950);
  }
  for (let i = 0; i < EVENTS; i++) {
    const s = Math.floor(random() * LIVE);
    pids[i] = slotPid[s];
    if (slotLeft[s] === 0) {
      apis[i] = -1;
      slotPid[s] = nextPid++;
      slotLeft[s] = 50 + Math.floor(random() * 1950);
      slotPrev[s] = -1;
      continue;
    }
    const id = draw(slotPrev[s] < 0 ? startSampler : rowSamplers[slotPrev[s]]);
    apis[i] = id;
    slotPrev[s] = id;
    slotLeft[s]--;
  }
}
const hostNames = Array.from({ length: HOSTS }, (_, i) => `host-${i}`);
const hostOf = (pid: number) => hostNames[pid % HOSTS];
const jsonLine = (i: number) =>
  apis[i] < 0
    ? `{"host":"${hostOf(pids[i])}","pid":${pids[i]},"event":"exit","ts":${1732600000 + i * 1e-4}}`
    : `{"host":"${hostOf(pids[i])}","pid":${pids[i]},"ppid":4,"process":"p${pids[i]}.exe","api":"${names[apis[i]]}","ts":${1732600000 + i * 1e-4}}`;

const newDetector = () => {
  let alerts = 0;
  const d = new Detector(
    { model, spec },
    {
      limits: { maxProcesses: 100_000, maxNgramsPerUnit: 100_000, tree: false },
      policy: { positive: '1', threshold: 0 },
    },
    () => alerts++,
  );
  return { d, alerts: () => alerts };
};

function percentiles(lat: Float32Array, n: number) {
  const s = lat.subarray(0, n).sort();
  const at = (q: number) => s[Math.min(n - 1, Math.floor(q * n))];
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: s[n - 1] };
}
/** Wall and CPU (user+system of this process) milliseconds of `fn`. */
function timed(fn: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}
const us = (ms: number) => `${(ms * 1000).toFixed(2)} µs`;
const rate = (n: number, ms: number) => `${(n / (ms / 1000) / 1e6).toFixed(3)} M events/s`;
const gc = (globalThis as { gc?: () => void }).gc;

// Timer overhead (performance.now() pairs) — included in every per-event latency below.
const timerOverhead = (() => {
  const n = 1_000_000;
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < n; i++) x += performance.now() - performance.now();
  return { ms: (performance.now() - t0) / n, x };
})();

// ---- 1. pre-parsed ---------------------------------------------------------------------------
const latency = new Float32Array(EVENTS);
gc?.();
const pre = (() => {
  const { d, alerts } = newDetector();
  const call: DetectEvent = { kind: 'call', host: '', pid: 0, ppid: 4, process: '', api: '', ts: 0 };
  const exit: DetectEvent = { kind: 'exit', host: '', pid: 0, ts: 0 };
  const procName = new Map<number, string>();
  // untimed throughput run
  const run = timed(() => {
    for (let i = 0; i < EVENTS; i++) {
      const pid = pids[i];
      if (apis[i] < 0) {
        exit.host = hostOf(pid);
        exit.pid = pid;
        d.handle(exit);
        continue;
      }
      if (call.kind === 'call') {
        call.host = hostOf(pid);
        call.pid = pid;
        call.api = names[apis[i]];
        call.process = 'p.exe';
        call.ts = 1732600000 + i * 1e-4;
      }
      d.handle(call);
    }
  });
  const firstAlerts = alerts();
  // timed run (fresh detector), one timer pair per event
  const { d: d2 } = newDetector();
  for (let i = 0; i < EVENTS; i++) {
    const pid = pids[i];
    let ev: DetectEvent;
    if (apis[i] < 0) {
      exit.host = hostOf(pid);
      exit.pid = pid;
      ev = exit;
    } else {
      if (call.kind === 'call') {
        call.host = hostOf(pid);
        call.pid = pid;
        call.api = names[apis[i]];
        call.process = 'p.exe';
        call.ts = 1732600000 + i * 1e-4;
      }
      ev = call;
    }
    const s = performance.now();
    d2.handle(ev);
    latency[i] = performance.now() - s;
  }
  procName.clear();
  return { ...run, alerts: firstAlerts, summary: d.summary(0), lat: percentiles(latency, EVENTS) };
})();

// ---- 2. JSON lines ---------------------------------------------------------------------------
// One pass over the event stream per measured path, each with its own detector, so only one
// detector's state is in use at a time (as in the pre-parsed runs and in `watch`): interleaving
// the paths chunk by chunk would make three detectors' tables compete for the same caches. The
// lines are generated anew, chunk by chunk, for every pass (untimed).
const CHUNK_EVENTS = 100_000;
interface Chunk {
  lines: string[];
  buf: Buffer;
  /** Line k is buf[at[k], at[k + 1] − 1) (without its newline). */
  at: Int32Array;
}
function forEachChunk(fn: (c: Chunk) => void): void {
  for (let start = 0; start < EVENTS; start += CHUNK_EVENTS) {
    const end = Math.min(EVENTS, start + CHUNK_EVENTS);
    const lines: string[] = [];
    for (let i = start; i < end; i++) lines.push(jsonLine(i));
    const buf = Buffer.from(`${lines.join('\n')}\n`);
    // (Buffer.byteLength also flattens the generated strings, so no timed loop pays for that)
    const at = new Int32Array(lines.length + 1);
    for (let k = 0; k < lines.length; k++) at[k + 1] = at[k] + Buffer.byteLength(lines[k]) + 1;
    fn({ lines, buf, at });
  }
}
const json = (() => {
  let bytes = 0;
  let sink = 0;
  // baselines without handle: JSON.parse alone, the fast parser alone over the lines' bytes
  const parseOnly = { wall: 0, cpu: 0 };
  const fastOnly = { wall: 0, cpu: 0 };
  const add = (into: { wall: number; cpu: number }, t: { wall: number; cpu: number }) => {
    into.wall += t.wall;
    into.cpu += t.cpu;
  };
  gc?.();
  forEachChunk(({ lines, buf, at }) => {
    bytes += buf.length;
    add(
      parseOnly,
      timed(() => {
        for (const l of lines) sink += (JSON.parse(l) as { pid: number }).pid;
      }),
    );
    add(
      fastOnly,
      timed(() => {
        for (let k = 0; k < lines.length; k++) sink += parseEventBytes(buf, at[k], at[k + 1] - 1).pid;
      }),
    );
  });
  if (sink === -1) console.log('');
  // the JSON.parse path the fast parser replaces: parseEvent + handle
  const slow = { wall: 0, cpu: 0 };
  gc?.();
  {
    const { d } = newDetector();
    forEachChunk(({ lines }) =>
      add(
        slow,
        timed(() => {
          for (const l of lines) d.handle(parseEvent(l));
        }),
      ),
    );
  }
  // the real input path: bytes → lines → parse + validate → handle
  const real = { wall: 0, cpu: 0 };
  gc?.();
  const { d, alerts } = newDetector();
  const splitter = new EventLineSplitter(
    'bench',
    { onEvent: (e) => d.handle(e), onMalformed: () => {} },
    65536,
  );
  forEachChunk(({ buf }) =>
    add(
      real,
      timed(() => splitter.push(buf)),
    ),
  );
  splitter.end();
  // per-event latency of parse + validate + handle
  gc?.();
  let n = 0;
  {
    const { d } = newDetector();
    forEachChunk(({ lines, buf, at }) => {
      for (let k = 0; k < lines.length; k++) {
        const s = performance.now();
        d.handle(parseEventBytes(buf, at[k], at[k + 1] - 1));
        latency[n++] = performance.now() - s;
      }
    });
  }
  return {
    wall: real.wall,
    cpu: real.cpu,
    parseOnlyMs: parseOnly.wall,
    parseOnlyCpu: parseOnly.cpu,
    fastOnlyMs: fastOnly.wall,
    fastOnlyCpu: fastOnly.cpu,
    slowMs: slow.wall,
    slowCpu: slow.cpu,
    bytes,
    alerts: alerts(),
    lat: percentiles(latency, n),
  };
})();

// ---- 3. memory per tracked process ----------------------------------------------------------
const memory = (() => {
  const PROCS = 10_000;
  const CALLS = 500;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const { d } = newDetector();
  const call: DetectEvent = { kind: 'call', host: 'h', pid: 0, api: '' };
  let i = 0;
  for (let p = 0; p < PROCS; p++) {
    if (call.kind !== 'call') break;
    call.pid = p;
    let prev = -1;
    for (let k = 0; k < CALLS; k++) {
      prev = draw(prev < 0 ? startSampler : rowSamplers[prev]);
      call.api = names[prev];
      d.handle(call);
      i++;
    }
  }
  gc?.();
  const after = process.memoryUsage().heapUsed;
  let ngrams = 0;
  for (const s of d.table.list()) ngrams += s.unit.counts.size;
  return {
    perProcess: (after - before) / PROCS,
    ngrams: ngrams / PROCS,
    procs: d.table.size,
    calls: CALLS,
    events: i,
  };
})();

console.log(
  `events: ${EVENTS.toLocaleString('en')} (${pre.summary.calls.toLocaleString('en')} calls, ${pre.summary.exits.toLocaleString('en')} exits), ${pre.summary.processes_seen.toLocaleString('en')} processes (${LIVE} live at a time, ${HOSTS} hosts), ${names.length} API names; model AROW 3-gram log_tf/bin, ${model.numFeatures().toLocaleString('en')} features`,
);
console.log(
  `alerts: ${pre.alerts.toLocaleString('en')} (pre-parsed run), ${json.alerts.toLocaleString('en')} (JSON run)`,
);
console.log('');
console.log(
  '                 per CPU-second          per wall-second         p50        p99        p99.9      max',
);
const row = (name: string, cpu: number, wall: number, lat?: ReturnType<typeof percentiles>) =>
  console.log(
    `${name.padEnd(16)} ${rate(EVENTS, cpu).padEnd(23)} ${rate(EVENTS, wall).padEnd(23)} ${
      lat
        ? `${us(lat.p50).padEnd(10)} ${us(lat.p99).padEnd(10)} ${us(lat.p999).padEnd(10)} ${us(lat.max)}`
        : ''
    }`,
  );
row('pre-parsed', pre.cpu, pre.wall, pre.lat);
row('JSON lines', json.cpu, json.wall, json.lat);
row('JSON.parse path', json.slowCpu, json.slowMs);
row('parser only', json.fastOnlyCpu, json.fastOnlyMs);
row('JSON.parse only', json.parseOnlyCpu, json.parseOnlyMs);
console.log('');
console.log(
  `JSON lines: bytes → split → fast parser → handle; JSON.parse path: parseEvent (JSON.parse + validation) → handle over the already split lines; parser only: the fast parser over the lines' bytes, JSON.parse only: over the lines as strings, no handle (${(json.bytes / EVENTS).toFixed(0)} bytes/event)`,
);
console.log(
  `JSON-lines path / JSON.parse path: ${(json.slowCpu / json.cpu).toFixed(2)}x the throughput (CPU time); parser only / JSON.parse only: ${(json.parseOnlyCpu / json.fastOnlyCpu).toFixed(2)}x`,
);
console.log(`pre-parsed / JSON-lines path: ${(json.cpu / pre.cpu).toFixed(2)}x (CPU time)`);
console.log(
  'per CPU-second = events / (user + system CPU time of this process): the per-core rate, robust to a busy machine',
);
console.log(`latencies include the timer overhead: ${us(timerOverhead.ms)} per performance.now() pair`);
console.log(
  `memory per tracked process: ${(memory.perProcess / 1024).toFixed(1)} KiB (${memory.procs.toLocaleString('en')} processes × ${memory.calls} calls, ${memory.ngrams.toFixed(0)} distinct weighted 3-grams each on average; V8 heap)`,
);

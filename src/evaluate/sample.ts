// Drawing an evaluation set the way the research did: at random, spread across periods and
// sources (at most N per period and source), ignoring file type and family, reproducible from a
// seed. Streams the samples once and keeps a uniform random sample of each (period, source) cell
// with reservoir sampling (Vitter, "Random sampling with a reservoir", ACM TOMS 11(1), 1985,
// Algorithm R), so memory is bounded by cells × N whatever the store's size.

import { seededRandom, shuffleInPlace } from '../core/random.js';
import type { Trace } from '../core/trace.js';
import { type PeriodUnit, periodOf } from './over-time.js';

export interface SampleOptions {
  /** At most this many samples per (period, source) cell. */
  perPeriod: number;
  period: PeriodUnit;
  /** After the per-cell draw, at most this many per label (drawn at random). */
  perLabel?: number;
  seed: number;
}

export interface CellSummary {
  period: string;
  source: string;
  seen: number;
  selected: number;
}

export interface SampleDraw {
  seen: number;
  selected: Trace[];
  cells: CellSummary[];
}

/** The cell of a trace: its period (`unknown` without a valid time) and its source (`unknown`). */
function cellOf(t: Trace, unit: PeriodUnit): [string, string] {
  let period = 'unknown';
  if (t.time !== undefined && !Number.isNaN(Date.parse(t.time))) period = periodOf(t.time, unit);
  return [period, t.source ?? 'unknown'];
}

export async function drawSample(samples: AsyncIterable<Trace>, opts: SampleOptions): Promise<SampleDraw> {
  const random = seededRandom(opts.seed);
  const cells = new Map<string, { period: string; source: string; seen: number; kept: Trace[] }>();
  let seen = 0;
  for await (const t of samples) {
    seen++;
    const [period, source] = cellOf(t, opts.period);
    const key = `${period}\u0000${source}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = { period, source, seen: 0, kept: [] };
      cells.set(key, cell);
    }
    cell.seen++;
    if (cell.kept.length < opts.perPeriod) cell.kept.push(t);
    else {
      const j = Math.floor(random() * cell.seen);
      if (j < opts.perPeriod) cell.kept[j] = t;
    }
  }
  let selected = [...cells.values()].flatMap((c) => c.kept);
  if (opts.perLabel !== undefined) {
    const byLabel = new Map<string, Trace[]>();
    for (const t of selected) {
      const l = t.label ?? '';
      const list = byLabel.get(l);
      if (list) list.push(t);
      else byLabel.set(l, [t]);
    }
    const limit = opts.perLabel;
    selected = [...byLabel.values()].flatMap((list) => shuffleInPlace(list, random).slice(0, limit));
  }
  const chosen = new Set(selected);
  selected.sort((a, b) => (a.time ?? '').localeCompare(b.time ?? '') || a.id.localeCompare(b.id));
  const summaries = [...cells.values()]
    .map((c) => ({
      period: c.period,
      source: c.source,
      seen: c.seen,
      selected: c.kept.filter((t) => chosen.has(t)).length,
    }))
    .sort((a, b) => a.period.localeCompare(b.period) || a.source.localeCompare(b.source));
  return { seen, selected, cells: summaries };
}

/** A trace as one canonical JSONL line (design.md, jsonl format); arguments become objects. */
export function traceToJsonLine(t: Trace): string {
  const out: Record<string, unknown> = { id: t.id };
  if (t.label !== undefined) out.label = t.label;
  if (t.time !== undefined) out.time = t.time;
  if (t.source !== undefined) out.source = t.source;
  if (t.evidence?.virustotal) out.virustotal = t.evidence.virustotal;
  out.processes = t.processes.map((p) => {
    const proc: Record<string, unknown> = { pid: p.pid };
    if (p.ppid !== undefined) proc.ppid = p.ppid;
    if (p.name !== undefined) proc.name = p.name;
    if (p.path !== undefined) proc.path = p.path;
    if (p.commandLine !== undefined) proc.command_line = p.commandLine;
    if (p.firstSeen !== undefined) proc.first_seen = p.firstSeen;
    proc.calls = p.calls.map((c) => {
      const call: Record<string, unknown> = { api: c.api };
      if (c.category !== undefined) call.category = c.category;
      // Object.fromEntries defines own properties: an argument named __proto__ stays data
      if (c.args !== undefined) call.args = Object.fromEntries(c.args);
      if (c.ret !== undefined) call.ret = c.ret;
      if (c.status !== undefined) call.status = c.status;
      if (c.ts !== undefined) call.ts = c.ts;
      if (c.tid !== undefined) call.tid = c.tid;
      if (c.repeated !== undefined) call.repeated = c.repeated;
      return call;
    });
    return proc;
  });
  return JSON.stringify(out);
}

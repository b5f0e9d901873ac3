// The thread-wide table of interned API names: name → small integer id. Traces held in memory
// (`loadSamples`, the benchmarks) carry their calls' names as ids too (`ProcessTrace.interned`), so
// the n-gram hot path maps each call with an array load instead of hashing its name — names are
// hashed once when the trace is loaded, not once per model that reads it (eval trains many).
// Names come from malware: the table is a Map (never a plain object) and bounded; past
// MAX_NAMES distinct names a process whose names do not all have ids keeps its names only.
// Each table has a random `token` that interned calls carry: a trace cloned into another thread
// (or process) does not match that thread's table, and is read by name there.
import { randomBytes } from 'node:crypto';
import type { Trace } from './trace.js';

const MAX_NAMES = 1 << 20;

export class ApiVocabulary {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  /** Identifies this table in `InternedCalls.vocabulary` (48 random bits). */
  readonly token = randomBytes(6).readUIntBE(0, 6);

  constructor(private readonly maxNames = MAX_NAMES) {}

  /** The id of `name`, or -1 when the table is full and the name is new. */
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      if (this.names.length >= this.maxNames) return -1;
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  name(id: number): string {
    return this.names[id];
  }

  get size(): number {
    return this.names.length;
  }
}

export const apiVocabulary = new ApiVocabulary();

/**
 * Attaches `interned` (ids in `apiVocabulary`, the table the n-gram hot path reads) to every
 * process of `trace`, unless some name gets no id; returns the trace.
 */
export function internApiIds(trace: Trace): Trace {
  for (const p of trace.processes) {
    const ids = new Int32Array(p.calls.length);
    let complete = true;
    for (let i = 0; i < ids.length && complete; i++) {
      ids[i] = apiVocabulary.id(p.calls[i].api);
      complete = ids[i] >= 0;
    }
    if (complete) p.interned = { vocabulary: apiVocabulary.token, ids };
  }
  return trace;
}

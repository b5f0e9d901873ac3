// The served model and its durable state. The model file (`--model`) is loaded at start (or a new
// model is made from the config); every acknowledged change goes to the training journal first
// (./journal.ts) and is replayed after a crash; saving checkpoints the journal. Node runs one
// request handler at a time and every model operation here is synchronous, so training and
// classifying from many clients interleave safely: each batch is applied whole, in arrival order.
import { existsSync } from 'node:fs';
import type { Datum } from '../core/datum.js';
import { InputError } from '../core/errors.js';
import type { Trace } from '../core/trace.js';
import { traceFromJson } from '../ingest/readers/jsonl.js';
import { createModel, loadModel } from '../learn/model.js';
import type { Model } from '../learn/model-api.js';
import { TrainingJournal } from './journal.js';
import { jsonEqual } from './json-equal.js';

/** A datum in the journal: binary values as base64. */
interface DatumJson {
  s: Array<[string, string]>;
  n: Array<[string, number]>;
  b: Array<[string, string]>;
}

/** One acknowledged model change. Traces are kept as the canonical JSON objects received. */
export type JournalEntry =
  | { op: 'train'; items: Array<{ label: string; trace: unknown }> }
  | { op: 'train_datum'; items: Array<{ label: string; datum: DatumJson }> }
  | { op: 'set_label'; label: string }
  | { op: 'delete_label'; label: string }
  | { op: 'clear' };

/** Journals longer than this are checkpointed (the model saved) after the change that passes it. */
const AUTO_CHECKPOINT_BYTES = 64 * 1024 * 1024;

export interface ModelHostOptions {
  modelPath: string;
  /** Config (Jubatus JSON, optionally with the `malgram` block) for a new model; when the model file exists it must be JSON-equal. */
  configJson?: string;
  /** Called with the number of samples trained by each acknowledged batch. */
  onTrained?: (samples: number) => void;
  /** Called with each acknowledged batch of labelled traces (not on replay). */
  onTrainedTraces?: (items: LabelledTrace[]) => void;
  log: (message: string) => void;
}

export interface LabelledTrace {
  label: string;
  /** The canonical JSON object as received (journaled as is). */
  json: unknown;
  trace: Trace;
}

/** Parses a canonical trace object (the JSONL format) for the model: full detail, process tree. */
export function parseTrace(json: unknown, where: string): Trace {
  try {
    return traceFromJson(json, { detail: 'full', processes: 'tree' });
  } catch (err) {
    throw new InputError((err as Error).message, where);
  }
}

function datumToJson(d: Datum): DatumJson {
  return {
    s: d.stringValues,
    n: d.numValues,
    b: (d.binaryValues ?? []).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  };
}

function datumFromJson(j: DatumJson): Datum {
  return {
    stringValues: j.s,
    numValues: j.n,
    binaryValues: j.b.map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
  };
}

export class ModelHost {
  private current: Model;
  private readonly journal: TrainingJournal<JournalEntry>;
  /** Model changes acknowledged since start (Jubatus `update_count`). */
  updateCount = 0;
  lastSaved: { path: string; time: Date } | undefined;
  lastLoaded: { path: string; time: Date } | undefined;

  private constructor(
    private readonly opts: ModelHostOptions,
    model: Model,
  ) {
    this.current = model;
    this.journal = TrainingJournal.open<JournalEntry>(`${opts.modelPath}.journal`);
  }

  /** Loads (or creates) the model, replays the journal and checkpoints. */
  static open(opts: ModelHostOptions): ModelHost {
    let model: Model;
    if (existsSync(opts.modelPath)) {
      model = loadModel(opts.modelPath);
      if (
        opts.configJson !== undefined &&
        !jsonEqual(JSON.parse(opts.configJson), JSON.parse(model.configJson))
      ) {
        throw new InputError(
          'the model file was made with a different config than the one given (use another --model path)',
          opts.modelPath,
        );
      }
    } else {
      if (opts.configJson === undefined)
        throw new InputError('no model file and no config to make one', opts.modelPath);
      model = createModel(opts.configJson);
    }
    const host = new ModelHost(opts, model);
    const pending = host.journal.pending(opts.modelPath, opts.log);
    for (const entry of pending) host.apply(entry);
    if (pending.length > 0) opts.log(`replayed ${pending.length} journaled change(s) onto ${opts.modelPath}`);
    host.checkpoint();
    return host;
  }

  get model(): Model {
    return this.current;
  }

  get journalBytes(): number {
    return this.journal.bytes;
  }

  /** Applies a change; returns what the model answered (trained count, or the label call's result). */
  private apply(entry: JournalEntry): number | boolean {
    const m = this.current;
    switch (entry.op) {
      case 'train':
        for (const item of entry.items) m.train(parseTrace(item.trace, 'journal'), item.label);
        return entry.items.length;
      case 'train_datum':
        for (const item of entry.items) m.trainDatum(datumFromJson(item.datum), item.label);
        return entry.items.length;
      case 'set_label':
        return m.setLabel(entry.label);
      case 'delete_label':
        return m.deleteLabel(entry.label);
      case 'clear':
        m.clear();
        return true;
    }
  }

  /** Journals a change (on disk before anything else), then applies it. */
  private commit(entry: JournalEntry): number | boolean {
    this.journal.append(entry);
    const result = this.apply(entry);
    this.updateCount++;
    if (typeof result === 'number') this.opts.onTrained?.(result);
    if (this.journal.bytes > AUTO_CHECKPOINT_BYTES) this.checkpoint();
    return result;
  }

  /** Trains a batch of labelled traces (labels must be non-empty). Returns the number trained. */
  train(items: LabelledTrace[]): number {
    for (const [i, item] of items.entries())
      if (item.label === '') throw new InputError('empty label', `traces[${i}].label`);
    this.commit({ op: 'train', items: items.map((x) => ({ label: x.label, trace: x.json })) });
    this.opts.onTrainedTraces?.(items);
    return items.length;
  }

  trainDatums(items: Array<{ label: string; datum: Datum }>): number {
    for (const [i, item] of items.entries())
      if (item.label === '') throw new InputError('empty label', `data[${i}].label`);
    this.commit({
      op: 'train_datum',
      items: items.map((x) => ({ label: x.label, datum: datumToJson(x.datum) })),
    });
    return items.length;
  }

  setLabel(label: string): boolean {
    if (label === '') throw new InputError('empty label', 'label');
    return this.commit({ op: 'set_label', label }) === true;
  }

  deleteLabel(label: string): boolean {
    return this.commit({ op: 'delete_label', label }) === true;
  }

  clear(): void {
    this.commit({ op: 'clear' });
  }

  /** Saves the model to its own file and empties the journal. */
  checkpoint(): void {
    this.journal.checkpoint(this.opts.modelPath, (p) => this.current.save(p, this.opts.modelPath));
    this.lastSaved = { path: this.opts.modelPath, time: new Date() };
  }

  /** Writes a copy of the model to `path` (atomically, by the model's own save). */
  saveCopy(path: string): void {
    this.current.save(path);
    this.lastSaved = { path, time: new Date() };
  }

  /**
   * Replaces the model with the one in `path`, made the served model durably (checkpointed).
   * With `sameConfig`, a file whose config is not JSON-equal to the running one is refused
   * (Jubatus `load`).
   */
  load(path: string, sameConfig: boolean): void {
    if (!existsSync(path)) throw new InputError('no such model file', path);
    const loaded = loadModel(path);
    if (sameConfig && !jsonEqual(JSON.parse(loaded.configJson), JSON.parse(this.current.configJson)))
      throw new InputError('the model file has a different config than the running model', path);
    this.current = loaded;
    this.checkpoint();
    this.lastLoaded = { path, time: new Date() };
  }

  close(): void {
    this.journal.close();
  }
}

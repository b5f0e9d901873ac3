// With `--db FILE`, every trained trace is also kept in the sample store (src/ingest/store.ts),
// labelled, so the samples the service learned from can be evaluated, searched and re-trained on
// later (`malgram eval --db`, `stats --db`). The journal, not the store, is what makes training
// durable: a store write that fails is reported and the training still stands.
import { createHash } from 'node:crypto';
import { SampleStore } from '../ingest/store.js';
import type { LabelledTrace } from './model-host.js';

export class SampleArchive {
  private constructor(private readonly store: SampleStore) {}

  static open(path: string): SampleArchive {
    return new SampleArchive(SampleStore.open(path));
  }

  /** Adds the traces (the same trace JSON twice is stored once). Returns how many were new. */
  add(items: LabelledTrace[]): number {
    const added = this.store.addBatch(
      items.map(({ trace, json, label }) => ({
        trace: {
          ...trace,
          label,
          source: trace.source ?? 'serve',
          origin: `serve:sha256:${createHash('sha256').update(JSON.stringify(json)).digest('hex')}`,
        },
      })),
    );
    return added.filter(Boolean).length;
  }

  close(): void {
    this.store.close();
  }
}

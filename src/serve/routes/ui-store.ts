// The sample store as the UI routes read it: opened read-only for each request (so ingest can
// keep writing to it while the server runs) and closed when the request is done.
import { existsSync } from 'node:fs';
import type { Trace } from '../../core/trace.js';
import { SampleStore } from '../../ingest/store.js';
import { HttpError } from './ui-errors.js';

/** Most analyses one request reads from the store (the store itself may hold more). */
export const MAX_STORE_SCAN = 200_000;

/** Runs `fn` on the store file, read-only; 404 when there is no store at that path. */
export function withStore<T>(db: string, fn: (store: SampleStore) => T): T {
  if (!existsSync(db)) throw new HttpError(404, `no sample store at ${db} (start serve with --db FILE)`);
  const store = SampleStore.open(db, { mustExist: true, readonly: true });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** The store's traces (API names only, unless `full`), at most MAX_STORE_SCAN of them. */
export function storeTraces(
  db: string,
  detail: 'api' | 'full' = 'api',
): { traces: Trace[]; truncated: boolean } {
  return withStore(db, (store) => {
    const traces: Trace[] = [];
    for (const t of store.traces({ detail })) {
      if (traces.length >= MAX_STORE_SCAN) return { traces, truncated: true };
      traces.push(t);
    }
    return { traces, truncated: false };
  });
}

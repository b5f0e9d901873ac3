// Real traces for the serve tests: rows of the malbehavd data set (read by the project's own CSV
// reader, from the shared data folder) as canonical JSON traces, the HTTP API's input.
import { openSamples } from '../../src/ingest/source.js';
import { malbehavdCsv } from '../helpers/cli.js';

export interface JsonTrace {
  id: string;
  label?: string;
  calls: string[];
}

/** Every `step`-th row of malbehavd-v1.csv (benign rows come first, then malware). */
export async function malbehavdTraces(step: number): Promise<JsonTrace[]> {
  const out: JsonTrace[] = [];
  let i = 0;
  for await (const t of openSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' })) {
    if (i++ % step !== 0) continue;
    out.push({ id: t.id, label: t.label, calls: t.processes.flatMap((p) => p.calls.map((c) => c.api)) });
  }
  return out;
}

/** The trace without its label (what a client classifies). */
export function unlabelled(t: JsonTrace): JsonTrace {
  return { id: t.id, calls: t.calls };
}

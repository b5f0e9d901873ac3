// A real model for the detector tests: AROW, 3-grams, log_tf/bin, trained on every row of
// MalbehavD-V1 whose index is not a multiple of 3 (rows 0, 3, 6, ... are left for testing).
import type { Trace } from '../../src/core/trace.js';
import { configFromFlags } from '../../src/features/config.js';
import { loadSamples } from '../../src/ingest/source.js';
import { createModel } from '../../src/learn/model.js';
import { malbehavdCsv } from '../helpers/cli.js';

export async function trainedOnOtherRows(flags: Parameters<typeof configFromFlags>[0] = {}) {
  const all = await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' });
  const train: Trace[] = [];
  const test: Trace[] = [];
  for (const [i, t] of all.entries()) (i % 3 === 0 ? test : train).push(t);
  const benign = train.filter((t) => t.label === '0');
  const malware = train.filter((t) => t.label !== '0');
  const model = createModel(
    configFromFlags({ method: 'arow', ngram: 3, sampleWeight: 'log_tf', globalWeight: 'bin', ...flags }),
  );
  const n = Math.max(benign.length, malware.length);
  for (let i = 0; i < n; i++) {
    if (benign[i]) model.train(benign[i], '0');
    if (malware[i]) model.train(malware[i], '1');
  }
  return { model, train, test, all };
}

// The work behind POST /v1/eval (src/serve/routes/ui-eval.ts), run in a worker thread
// (src/serve/eval-worker.ts) so that an evaluation of seconds never stalls the server's event
// loop: classify, train and live events keep being answered while it runs. Same code as
// `malgram eval` (src/evaluate/run.ts) on the server's sample store or a data set already in the
// local data-set cache; nothing is downloaded. With `early`, the first setting's model is also
// replayed call by call on its test side (src/detect/early.ts): TPR/FPR after k calls.
import type { Trace } from '../core/trace.js';
import { earlyDetection } from '../detect/early.js';
import { type EvalSetting, runEvaluation } from '../evaluate/run.js';
import { groupSamples, stratifiedSplit } from '../evaluate/split.js';
import { cachedPath, findDataset } from '../ingest/datasets.js';
import { loadSamples, type SampleSource } from '../ingest/source.js';
import type { Model } from '../learn/model-api.js';
import { HttpError } from './routes/ui-errors.js';

export interface EvalBody {
  dataset: string;
  method: string;
  ngram: string;
  split: number;
  seed: number;
  orders: number;
  positive?: string;
  early?: number[];
  target_fpr: number;
}

/** What the worker is given: the validated request, its settings and the store path. */
export interface EvalJob {
  body: EvalBody;
  settings: EvalSetting[];
  db: string;
}

/** What the worker answers: the response as JSON text, or an error with its HTTP status. */
export type EvalJobResult = { ok: true; json: string } | { ok: false; status: number; message: string };

async function sourceOf(dataset: string, db: string): Promise<{ source: SampleSource; name: string }> {
  if (dataset === 'store') return { source: { db }, name: `store ${db}` };
  const ds = findDataset(dataset);
  const path = await cachedPath(ds);
  if (path === undefined)
    throw new HttpError(
      404,
      `data set ${ds.name} is not in the local cache (run: malgram datasets fetch ${ds.name})`,
    );
  return { source: { data: [path], format: ds.format }, name: ds.name };
}

/** The early-detection curve on the same split `runEvaluation` made (same grouping, seed, fraction). */
function earlyCurve(traces: Trace[], body: EvalBody, positive: string, model: Model) {
  const labelled = traces.filter((t) => t.label !== undefined && t.label !== '');
  const split = stratifiedSplit(groupSamples(labelled), body.split, body.seed);
  return earlyDetection({
    model,
    train: split.train.map((i) => labelled[i]),
    test: split.test.map((i) => labelled[i]),
    positive,
    prefixes: body.early,
    targetFpr: body.target_fpr,
  });
}

/** Runs one UI evaluation: the response body of POST /v1/eval. */
export async function runEvalJob({ body, settings, db }: EvalJob) {
  const { source, name } = await sourceOf(body.dataset, db);
  const result = await runEvaluation({
    source: { ...source, onIssue: () => {} },
    settings,
    split: { kind: 'ratio', trainFraction: body.split },
    seed: body.seed,
    orders: body.orders,
    positive: body.positive,
    ci: 'wilson',
    keepDuplicates: false,
    calibration: 'platt',
  });
  const runs = result.runs;
  const early =
    body.early && body.early.length > 0
      ? earlyCurve(
          await loadSamples({ ...source, detail: 'api', onIssue: () => {} }),
          body,
          runs[0].positive,
          result.details[0].model,
        )
      : undefined;
  return { dataset: name, data: result.dataset, runs, ...(early ? { early } : {}) };
}

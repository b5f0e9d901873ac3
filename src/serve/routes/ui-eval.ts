// POST /v1/eval: an evaluation run from the UI, through the same code as `malgram eval`
// (src/evaluate/run.ts) on the server's sample store or a data set already in the local data-set
// cache (`malgram datasets fetch`); nothing is downloaded. With `early`, the first setting's model
// is also replayed call by call on its test side (src/detect/early.ts): TPR/FPR after k calls.
// One evaluation at a time: a second request while one runs is answered 409.
import type { FastifyInstance } from 'fastify';
import type { Trace } from '../../core/trace.js';
import { earlyDetection } from '../../detect/early.js';
import { type EvalSetting, runEvaluation } from '../../evaluate/run.js';
import { groupSamples, stratifiedSplit } from '../../evaluate/split.js';
import { parseNgram } from '../../features/config.js';
import { cachedPath, findDataset } from '../../ingest/datasets.js';
import { loadSamples, type SampleSource } from '../../ingest/source.js';
import type { Model } from '../../learn/model-api.js';
import { errorResponse } from '../schemas.js';
import { HttpError } from './ui-errors.js';

/** Most (method, n-gram) settings in one request. */
const MAX_SETTINGS = 16;

interface EvalBody {
  dataset: string;
  method: string;
  ngram: string;
  split: number;
  seed: number;
  positive?: string;
  early?: number[];
  target_fpr: number;
}

const evalBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dataset: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      default: 'store',
      description: '"store" (the server\'s sample store) or the name of a cached data set',
    },
    method: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      default: 'arow',
      description: 'one method or several, comma-separated',
    },
    ngram: { type: 'string', pattern: '^[1-8](-[1-8])?$', default: '3', description: 'N or A-B' },
    split: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5 },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1, default: 1 },
    positive: { type: 'string', minLength: 1, maxLength: 1024 },
    early: {
      type: 'array',
      maxItems: 20,
      items: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      description: 'prefix lengths (calls) of the early-detection curve',
    },
    target_fpr: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.01 },
  },
} as const;

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

export function uiEvalRoutes(db: string) {
  let running: string | undefined;
  return (app: FastifyInstance): void => {
    app.post<{ Body: EvalBody }>(
      '/v1/eval',
      {
        // changes nothing on the server (bounded instead: one at a time)
        config: { access: 'read' },
        schema: {
          summary: 'Run an evaluation (as `malgram eval --json`) on the sample store or a cached data set',
          body: evalBody,
          response: { 400: errorResponse, 404: errorResponse, 409: errorResponse },
        },
      },
      async (request) => {
        const body = request.body;
        if (running !== undefined) throw new HttpError(409, `an evaluation is already running (${running})`);
        const methods = body.method
          .split(',')
          .map((m) => m.trim().toLowerCase())
          .filter((m) => m !== '');
        const range = parseNgram(body.ngram, 'ngram');
        const settings: EvalSetting[] = methods.flatMap((method) => {
          const out: EvalSetting[] = [];
          for (let n = range.min; n <= range.max; n++) out.push({ method, ngram: n });
          return out;
        });
        if (settings.length === 0) throw new HttpError(400, 'method: no method given');
        if (settings.length > MAX_SETTINGS)
          throw new HttpError(
            400,
            `${settings.length} settings (methods × n-gram sizes); at most ${MAX_SETTINGS}`,
          );
        // taken before the first await: two requests cannot both pass the check
        running = `${body.dataset}, ${settings.length} setting(s)`;
        try {
          const { source, name } = await sourceOf(body.dataset, db);
          const result = await runEvaluation({
            source: { ...source, onIssue: () => {} },
            settings,
            split: { kind: 'ratio', trainFraction: body.split },
            seed: body.seed,
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
        } finally {
          running = undefined;
        }
      },
    );
  };
}

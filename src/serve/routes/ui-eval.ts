// POST /v1/eval: an evaluation run from the UI, through the same code as `malgram eval`, on the
// server's sample store or a cached data set (src/serve/eval-job.ts). It runs in a worker thread,
// so the server keeps answering while it works. One evaluation at a time: a second request while
// one runs is answered 409.
import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import type { EvalSetting } from '../../evaluate/run.js';
import { parseNgram } from '../../features/config.js';
import type { EvalBody, EvalJob, EvalJobResult } from '../eval-job.js';
import { errorResponse } from '../schemas.js';
import { HttpError } from './ui-errors.js';

/** Most (method, n-gram) settings in one request, and most models trained for it (settings × orders). */
const MAX_SETTINGS = 16;
const MAX_TRAININGS = 100;

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
    orders: {
      type: 'integer',
      minimum: 1,
      maximum: 50,
      default: 1,
      description: 'training orders per setting (as `eval --orders`): the spread of accuracy, TPR and FPR',
    },
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

/**
 * The worker thread of one job. Compiled (dist/), it runs the .js beside this file; from the
 * TypeScript sources (`npx tsx`, tests without a build) a worker does not inherit tsx's loader, so
 * it registers it before importing the .ts entry.
 */
function startWorker(job: EvalJob): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('../eval-worker.js', import.meta.url), { workerData: job });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('../eval-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: job });
}

/** Runs the job in a worker thread; its errors come back with their HTTP status. */
function runInWorker(job: EvalJob): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(job);
    let answered = false;
    worker.once('message', (m: EvalJobResult) => {
      answered = true;
      if (m.ok) resolve(m.json);
      else reject(m.status < 500 ? new HttpError(m.status, m.message) : new Error(m.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the evaluation worker exited with code ${code} without an answer`));
    });
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
      async (request, reply) => {
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
        if (settings.length * body.orders > MAX_TRAININGS)
          throw new HttpError(
            400,
            `${settings.length} settings × ${body.orders} orders = ${settings.length * body.orders} trainings; at most ${MAX_TRAININGS}`,
          );
        // taken before the first await: two requests cannot both pass the check
        running = `${body.dataset}, ${settings.length} setting(s)`;
        try {
          const json = await runInWorker({ body, settings, db });
          return reply.type('application/json; charset=utf-8').send(json);
        } finally {
          running = undefined;
        }
      },
    );
  };
}

// Worker-thread entry of POST /v1/eval: runs the job it is given (src/serve/eval-job.ts) and
// posts back the response body as JSON text, or the error with the HTTP status it deserves
// (HttpError's own, 400 for an InputError, 500 otherwise).
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../core/errors.js';
import { type EvalJob, type EvalJobResult, runEvalJob } from './eval-job.js';
import { HttpError } from './routes/ui-errors.js';

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.statusCode;
  if (err instanceof InputError) return 400;
  return 500;
}

runEvalJob(workerData as EvalJob).then(
  (response) => parentPort!.postMessage({ ok: true, json: JSON.stringify(response) } satisfies EvalJobResult),
  (err: unknown) =>
    parentPort!.postMessage({
      ok: false,
      status: statusOf(err),
      message: err instanceof Error ? err.message : String(err),
    } satisfies EvalJobResult),
);

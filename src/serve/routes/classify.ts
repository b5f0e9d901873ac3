// POST /v1/classify (canonical traces as JSON, or a raw sandbox report / JSONL / CSV file
// uploaded as application/octet-stream or application/gzip, streamed to disk and read by the
// format's streaming reader) and POST /v1/explain.
import type { FastifyInstance } from 'fastify';
import type { Trace } from '../../core/trace.js';
import { formatNames } from '../../ingest/formats.js';
import type { ReadIssue } from '../../ingest/reader.js';
import { formatIssue, readFile } from '../../ingest/source.js';
import type { ServeContext } from '../context.js';
import { parseTrace } from '../model-host.js';
import { errorResponse, explainBody, tracesBody } from '../schemas.js';
import { withUploadedFile } from '../upload.js';
import { explanationJson, type ResultJson, resultJson } from '../verdict-json.js';

/** Content types taken as a file upload rather than JSON. */
export const UPLOAD_TYPES = [
  'application/octet-stream',
  'application/gzip',
  'application/x-ndjson',
  'text/csv',
];
/** At most this many issues are listed in one answer. */
const MAX_ISSUES = 100;

interface TracesRequest {
  traces: unknown[];
}

export function classifyRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const { host, metrics } = ctx;

  const classifyOne = (trace: Trace): ResultJson => resultJson(trace.id, host.model.classify(trace));

  async function classifyUpload(
    body: NodeJS.ReadableStream,
    format: string,
  ): Promise<{ results: ResultJson[]; issues: string[] }> {
    return withUploadedFile(body, ctx.uploadDir, ctx.limits.uploadBytes, async (path) => {
      const results: ResultJson[] = [];
      const issues: string[] = [];
      const onIssue = (issue: ReadIssue) => {
        if (issues.length < MAX_ISSUES)
          issues.push(formatIssue({ ...issue, where: issue.where.replace(path, 'upload') }));
      };
      for await (const trace of readFile(path, { format, detail: 'full', processes: 'tree', onIssue })) {
        if (results.length >= ctx.limits.batch) {
          onIssue({
            where: 'upload',
            reason: `more than ${ctx.limits.batch} samples; the rest was not classified`,
          });
          break;
        }
        results.push(classifyOne(trace));
      }
      return { results, issues };
    });
  }

  app.post<{ Body: TracesRequest | NodeJS.ReadableStream; Querystring: { format: string } }>(
    '/v1/classify',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Classify traces (JSON) or an uploaded report file',
        description: `JSON: {"traces": [canonical traces]}. Upload: the raw file (${UPLOAD_TYPES.join(', ')}), any size up to the upload limit, streamed to disk; ?format= names its format (default auto).`,
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['auto', ...formatNames()], default: 'auto' } },
        },
        body: {
          content: {
            'application/json': { schema: tracesBody(ctx.limits.batch, 'traces to classify') },
            ...Object.fromEntries(
              UPLOAD_TYPES.map((t) => [
                t,
                { schema: { description: 'the file (streamed to disk, not validated as JSON)' } },
              ]),
            ),
          },
        },
        response: { 400: errorResponse, 413: errorResponse },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (isStream(body)) {
        const out = await classifyUpload(body, request.query.format);
        metrics.samplesClassified.inc(out.results.length);
        if (out.results.length === 0 && out.issues.length > 0)
          return reply.code(400).send({ error: out.issues[0], issues: out.issues });
        return out.issues.length > 0 ? out : { results: out.results };
      }
      const traces = (body as TracesRequest).traces.map((t, i) => parseTrace(t, `traces[${i}]`));
      const results = traces.map(classifyOne);
      metrics.samplesClassified.inc(results.length);
      return { results };
    },
  );

  app.post<{ Body: { trace: unknown; top: number } }>(
    '/v1/explain',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Explain the verdict on one trace: the features that drove it',
        body: explainBody,
        response: { 400: errorResponse },
      },
    },
    async (request) => {
      const trace = parseTrace(request.body.trace, 'trace');
      return explanationJson(trace.id, host.model.explain(trace, request.body.top));
    },
  );
}

function isStream(body: unknown): body is NodeJS.ReadableStream {
  return (
    typeof body === 'object' && body !== null && typeof (body as NodeJS.ReadableStream).pipe === 'function'
  );
}

// POST /v1/train: labelled traces, journaled to disk before the answer (see ../journal.ts).
import type { FastifyInstance } from 'fastify';
import { InputError } from '../../core/errors.js';
import type { ServeContext } from '../context.js';
import { parseTrace } from '../model-host.js';
import { errorResponse, trainBody } from '../schemas.js';

interface TrainRequest {
  traces: Array<{ label?: string }>;
  label?: string;
}

export function trainRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Body: TrainRequest }>(
    '/v1/train',
    {
      config: { access: 'write' },
      schema: {
        summary: 'Train the model on labelled traces (on disk before the answer)',
        body: trainBody(ctx.limits.batch),
        response: {
          200: {
            type: 'object',
            properties: { trained: { type: 'integer' }, samples: { type: 'integer' } },
          },
          400: errorResponse,
        },
      },
    },
    async (request) => {
      const items = request.body.traces.map((json, i) => {
        const label = json.label ?? request.body.label;
        if (label === undefined || label === '')
          throw new InputError('no label (give the trace a "label", or the request one)', `traces[${i}]`);
        return { label, json, trace: parseTrace(json, `traces[${i}]`) };
      });
      const trained = ctx.host.train(items);
      return { trained, samples: ctx.host.model.sampleCount() };
    },
  );
}

// The model: GET /v1/model (config, labels, counts), GET /v1/model/dump, POST /v1/model/save,
// POST /v1/model/load. Named model files live in the model folder (names cannot leave it).
import type { FastifyInstance } from 'fastify';
import { InputError } from '../../core/errors.js';
import type { ServeContext } from '../context.js';
import { pathInside } from '../names.js';
import { errorResponse, nameBody } from '../schemas.js';

export function modelRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const { host } = ctx;

  app.get(
    '/v1/model',
    {
      config: { access: 'read' },
      schema: { summary: 'The model: method, config, labels with their training counts, sizes' },
    },
    async () => {
      const m = host.model;
      return {
        method: m.method,
        config: JSON.parse(m.configJson),
        labels: Object.fromEntries(m.labelCounts()),
        label_order: m.labels(),
        samples: m.sampleCount(),
        features: m.numFeatures(),
        version: m.version,
        journal_bytes: host.journalBytes,
      };
    },
  );

  app.get<{ Querystring: { label?: string; top: number; bottom: boolean } }>(
    '/v1/model/dump',
    {
      config: { access: 'read' },
      schema: {
        summary:
          'Features by weight for one label (or every label): largest first, or smallest with bottom=true',
        querystring: {
          type: 'object',
          properties: {
            label: { type: 'string', minLength: 1, maxLength: 1024 },
            top: { type: 'integer', minimum: 1, maximum: 100_000, default: 20 },
            bottom: { type: 'boolean', default: false },
          },
        },
        response: { 400: errorResponse },
      },
    },
    async (request) => {
      const { label, top, bottom } = request.query;
      const m = host.model;
      if (label !== undefined && !m.labels().includes(label))
        throw new InputError(`unknown label "${label.slice(0, 64)}"`, 'label');
      const labels = label !== undefined ? [label] : m.labels();
      return {
        dumps: labels.map((l) => ({
          label: l,
          features: m
            .dump(l, top, bottom)
            .map((e) => (e.covariance === undefined ? { feature: e.feature, weight: e.weight } : e)),
        })),
      };
    },
  );

  app.post<{ Body: { name?: string } }>(
    '/v1/model/save',
    {
      config: { access: 'write' },
      // the body is optional: no body = save to the model's own file
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        summary:
          'Save the model: to its own file (empties the journal), or a copy named "name" in the model folder',
        body: nameBody(false),
        response: { 400: errorResponse },
      },
    },
    async (request) => {
      const name = request.body?.name;
      if (name === undefined) {
        host.checkpoint();
        return { path: host.lastSaved?.path };
      }
      const path = pathInside(ctx.modelDir, name, 'name');
      host.saveCopy(path);
      return { path };
    },
  );

  app.post<{ Body: { name: string } }>(
    '/v1/model/load',
    {
      config: { access: 'write' },
      schema: {
        summary:
          'Serve the model file "name" of the model folder from now on (made the served model durably)',
        body: nameBody(true),
        response: { 400: errorResponse },
      },
    },
    async (request) => {
      const path = pathInside(ctx.modelDir, request.body.name, 'name');
      host.load(path, false);
      return {
        path,
        method: host.model.method,
        labels: host.model.labels(),
        samples: host.model.sampleCount(),
      };
    },
  );
}

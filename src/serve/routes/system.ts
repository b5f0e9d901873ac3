// GET /healthz (public), GET /metrics (Prometheus text format), GET /openapi.json (public).
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';

export function systemRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: { summary: 'Ready: 200 with the model summary' } },
    async () => ({ status: 'ok', method: ctx.host.model.method, samples: ctx.host.model.sampleCount() }),
  );

  app.get(
    '/metrics',
    { config: { access: 'read' }, schema: { summary: 'Prometheus metrics (text exposition format)' } },
    async (_request, reply) => {
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  );

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}

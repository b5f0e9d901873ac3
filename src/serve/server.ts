// The HTTP API (Fastify): JSON schemas on every route, bearer-token scopes, body size and
// request-rate limits, Prometheus metrics, the OpenAPI document. One file per route group in
// ./routes; this file wires them and the cross-cutting parts.
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { InputError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { authHook, rateLimitKey, type TokenSet } from './auth.js';
import type { ServeContext } from './context.js';
import { classifyRoutes, UPLOAD_TYPES } from './routes/classify.js';
import { modelRoutes } from './routes/model.js';
import { systemRoutes } from './routes/system.js';
import { trainRoutes } from './routes/train.js';
import { traceSchema } from './schemas.js';

export interface HttpOptions {
  tokens: TokenSet;
  /** Requests per client (token, else address) per minute; 0 = no limit. */
  rateLimitPerMinute: number;
  /** Extra route groups (events, rules) registered when their stage is available. */
  routeGroups?: Array<(app: FastifyInstance, ctx: ServeContext) => void>;
}

/** Builds the HTTP API (not listening yet). */
export async function buildHttpApp(ctx: ServeContext, opts: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.limits.bodyBytes,
    // keep-alive connections from load balancers and benchmarks
    keepAliveTimeout: 72_000,
    // on shutdown, also end open alert streams
    forceCloseConnections: true,
    ajv: { customOptions: { allErrors: false, allowUnionTypes: true } },
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'malgram', version: VERSION, description: 'Malware detection from API-call traces' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'scopes: read, write' } },
      },
      security: opts.tokens.size > 0 ? [{ bearer: [] }] : [],
    },
  });
  app.addSchema(traceSchema);

  if (opts.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: opts.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (req) => rateLimitKey(opts.tokens, req.headers.authorization, req.ip),
    });
  }

  // JSON or uploads only (a text/plain body is answered 415)
  app.removeContentTypeParser('text/plain');
  // report uploads: the body stays a stream (read to disk by the route, with its own bound)
  app.addContentTypeParser(UPLOAD_TYPES, (_req, payload, done) => done(null, payload));

  // Authentication as each route's own onRequest hook, after the rate limiter's (which it adds the
  // same way, above): requests without a valid token are counted against the limit too.
  const auth = authHook(opts.tokens);
  app.addHook('onRoute', (route) => {
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [...existing, auth];
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    ctx.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    ctx.metrics.httpLatency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof InputError) return reply.code(400).send({ error: err.message });
    if (err.validation) return reply.code(400).send({ error: err.message });
    const status = err.statusCode;
    // the rest of an oversized body is not read: the connection cannot carry another request
    if (status === 413) reply.header('connection', 'close');
    if (status !== undefined && status >= 400 && status < 500)
      return reply.code(status).send({ error: err.message });
    ctx.log(`internal error on ${request.method} ${request.url}: ${err.stack ?? err.message}`);
    return reply.code(500).send({ error: 'internal error (logged on the server)' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url.slice(0, 200)}` }),
  );

  systemRoutes(app, ctx);
  classifyRoutes(app, ctx);
  trainRoutes(app, ctx);
  modelRoutes(app, ctx);
  for (const group of opts.routeGroups ?? []) group(app, ctx);
  return app;
}

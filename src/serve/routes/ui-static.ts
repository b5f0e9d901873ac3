// The analyst UI (web/, built by `npm run build` into dist/web) served at `/`: index.html and its
// bundled assets, public (the page holds no data; every API call it makes carries the token the
// user types into it). A Content-Security-Policy keeps the page to its own server: no request
// leaves for anywhere else.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // charts set style attributes
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/web beside the compiled server (dist/serve/routes), or from the sources (src/serve/routes). */
export function defaultWebDir(): string | undefined {
  const candidates = ['../../web/', '../../../dist/web/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(`${dir}index.html`));
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

export function uiStaticRoutes(webDir: string | undefined = defaultWebDir()) {
  return (app: FastifyInstance): void => {
    const page = { config: { access: 'public' as const }, schema: { hide: true } };
    if (webDir === undefined) {
      app.get('/', page, async (_request, reply) =>
        secure(reply)
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The web UI is not built: run `npm run build` (it builds web/ into dist/web).\n'),
      );
      return;
    }
    app.register(fastifyStatic, { root: webDir, serve: false });
    app.get('/', page, async (_request, reply) => secure(reply).sendFile('index.html', { maxAge: 0 }));
    app.get<{ Params: { '*': string } }>('/assets/*', page, async (request, reply) =>
      // @fastify/static refuses paths leaving the root; hashed names can be cached for long
      secure(reply).sendFile(`assets/${request.params['*']}`, { maxAge: 31_536_000_000, immutable: true }),
    );
  };
}

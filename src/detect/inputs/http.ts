// Events over HTTP: `POST /v1/events` with an NDJSON body (one event per line, streamed, not
// buffered whole). Answers 200 `{"accepted": N, "malformed": M}`; 404 for other paths, 405 for other
// methods, 413 when a body exceeds the size limit (events before the limit are kept).
// `GET /healthz` answers 200 for health checks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DetectEvent } from '../events.js';
import type { ListenAddress } from './address.js';
import { type EventHandlers, EventLineSplitter } from './lines.js';
import type { RunningListener } from './tcp.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function listenHttp(
  at: ListenAddress,
  handlers: EventHandlers,
  maxLineBytes: number,
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<RunningListener> {
  let request = 0;
  let bound: ListenAddress = at;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return reply(res, 200, { ok: true });
    if (path !== '/v1/events') return reply(res, 404, { error: `no such endpoint: ${path}` });
    if (req.method !== 'POST') return reply(res, 405, { error: 'use POST with an NDJSON body' });
    const id = ++request;
    const source = `http:${bound.host}:${bound.port}#${id}`;
    let accepted = 0;
    let malformed = 0;
    let bytes = 0;
    let tooLarge = false;
    const counting: EventHandlers = {
      onEvent(event: DetectEvent) {
        accepted++;
        handlers.onEvent(event);
      },
      onMalformed(where, reason) {
        malformed++;
        handlers.onMalformed(where, reason);
      },
    };
    const splitter = new EventLineSplitter(source, counting, maxLineBytes);
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      bytes += chunk.length;
      if (bytes > maxBodyBytes) {
        tooLarge = true;
        handlers.onMalformed(source, `body larger than ${maxBodyBytes} bytes; the rest is ignored`);
        reply(res, 413, { error: `body larger than ${maxBodyBytes} bytes`, accepted, malformed });
        req.resume();
        return;
      }
      splitter.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      splitter.end();
      reply(res, 200, { accepted, malformed });
    });
    req.on('error', (err) => handlers.onMalformed(source, err.message));
  };
  const server = createServer(handle);
  server.requestTimeout = 0; // long streaming uploads are allowed
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      bound = { host: at.host, port: (server.address() as AddressInfo).port };
      resolve({
        address: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

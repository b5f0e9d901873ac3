// POST /v1/events (a batch of live events, the `events` format, through the real-time detector;
// the alerts they raise are in the answer) and GET /v1/alerts (every alert as Server-Sent Events).
import type { FastifyInstance } from 'fastify';
import type { Alert } from '../../detect/alerts.js';
import { type DetectEvent, EventError, toEvent } from '../../detect/events.js';
import type { ServeContext } from '../context.js';
import type { LiveDetector } from '../live-detector.js';
import { errorResponse } from '../schemas.js';

/** Most simultaneous alert streams. */
const MAX_SUBSCRIBERS = 64;
/** A comment line this often keeps idle streams (and proxies) open. */
const HEARTBEAT_MS = 15_000;
const MAX_ERRORS_LISTED = 100;

/** The alert streams: each gets every alert; one that cannot keep up is closed. */
export class AlertBroadcaster {
  private readonly subscribers = new Set<(alert: Alert) => void>();
  get size(): number {
    return this.subscribers.size;
  }
  subscribe(send: (alert: Alert) => void): () => void {
    this.subscribers.add(send);
    return () => this.subscribers.delete(send);
  }
  publish(alert: Alert): void {
    for (const send of this.subscribers) send(alert);
  }
}

export function eventsRoutes(live: LiveDetector, broadcaster: AlertBroadcaster) {
  return (app: FastifyInstance, ctx: ServeContext): void => {
    app.post<{ Body: { events: unknown[] } }>(
      '/v1/events',
      {
        config: { access: 'write' },
        schema: {
          summary:
            'Pass live events (the events format) through the real-time detector; answers the alerts raised',
          body: {
            type: 'object',
            required: ['events'],
            additionalProperties: false,
            properties: {
              events: {
                type: 'array',
                minItems: 1,
                maxItems: ctx.limits.batch,
                items: {
                  type: 'object',
                  description:
                    '{"host", "pid", "ppid", "process", "api", "args", "ts"} or {"event": "exit", ...}',
                },
              },
            },
          },
          response: { 400: errorResponse },
        },
      },
      async (request) => {
        const events: DetectEvent[] = [];
        const errors: Array<{ index: number; error: string }> = [];
        request.body.events.forEach((raw, index) => {
          try {
            events.push(toEvent(raw));
          } catch (err) {
            if (!(err instanceof EventError)) throw err;
            if (errors.length < MAX_ERRORS_LISTED) errors.push({ index, error: err.message });
          }
        });
        const alerts = live.handle(events);
        ctx.metrics.events.inc(events.length);
        return {
          accepted: events.length,
          rejected: request.body.events.length - events.length,
          errors,
          alerts,
        };
      },
    );

    app.get(
      '/v1/alerts',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Alerts as Server-Sent Events (event: alert, data: the alert JSON), as they are raised',
        },
      },
      async (request, reply) => {
        if (broadcaster.size >= MAX_SUBSCRIBERS)
          return reply.code(503).send({ error: `already ${MAX_SUBSCRIBERS} alert streams open` });
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(': malgram alerts\n\n');
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        let unsubscribe = () => {};
        const close = () => {
          clearInterval(heartbeat);
          unsubscribe();
        };
        unsubscribe = broadcaster.subscribe((alert) => {
          // a client that does not read is not buffered for without bound
          if (!res.write(`event: alert\ndata: ${JSON.stringify(alert)}\n\n`)) {
            ctx.log(`alert stream of ${request.ip} cannot keep up; closed`);
            close();
            res.destroy();
          }
        });
        request.raw.on('close', close);
      },
    );
  };
}

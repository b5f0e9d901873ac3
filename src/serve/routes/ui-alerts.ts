// GET /v1/alerts/recent: the latest alerts raised by live detection (newest first), kept in memory
// from the moment the server starts: the overview page's list, and what a page opened after an
// alert can still show. GET /v1/alerts (events.ts) streams new ones.
import type { FastifyInstance } from 'fastify';
import type { Alert } from '../../detect/alerts.js';
import type { AlertBroadcaster } from './events.js';

/** Alerts kept. */
export const RECENT_ALERTS = 200;

export function uiAlertsRoutes(broadcaster: AlertBroadcaster) {
  const recent: Alert[] = [];
  broadcaster.subscribe((alert) => {
    recent.push(alert);
    if (recent.length > RECENT_ALERTS) recent.shift();
  });
  return (app: FastifyInstance): void => {
    app.get<{ Querystring: { limit: number } }>(
      '/v1/alerts/recent',
      {
        config: { access: 'read' },
        schema: {
          summary: `The latest alerts (at most ${RECENT_ALERTS} kept since the server started), newest first`,
          querystring: {
            type: 'object',
            properties: { limit: { type: 'integer', minimum: 1, maximum: RECENT_ALERTS, default: 50 } },
          },
        },
      },
      async (request) => ({ alerts: recent.slice(-request.query.limit).reverse() }),
    );
  };
}

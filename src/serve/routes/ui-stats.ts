// GET /v1/stats: the sample store's statistics, the same document as `malgram stats --json`.
import type { FastifyInstance } from 'fastify';
import { computeStats, factsOfRow, statsJson } from '../../ingest/stats.js';
import { errorResponse } from '../schemas.js';
import { withStore } from './ui-store.js';

export function uiStatsRoutes(db: string) {
  return (app: FastifyInstance): void => {
    app.get(
      '/v1/stats',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Statistics of the sample store (as `malgram stats --json`)',
          response: { 404: errorResponse },
        },
      },
      async () => withStore(db, (store) => statsJson(computeStats([...store.analyses()].map(factsOfRow)))),
    );
  };
}

// Every route of the analyst UI, as one route group for buildHttpApp's `routeGroups`: the page
// itself, the store's statistics and samples, evaluations, the rule workshop and recent alerts.

import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_DB } from '../../ingest/store.js';
import type { ServeContext } from '../context.js';
import type { AlertBroadcaster } from './events.js';
import { uiAlertsRoutes } from './ui-alerts.js';
import { uiEvalRoutes } from './ui-eval.js';
import { uiRulesRoutes } from './ui-rules.js';
import { uiSamplesRoutes } from './ui-samples.js';
import { uiStaticRoutes } from './ui-static.js';
import { uiStatsRoutes } from './ui-stats.js';

export interface UiRouteOptions {
  /** The sample store file (default: ./malgram.db, as the other commands). */
  db?: string;
  /** The rules folder (as rules.ts serves it). */
  rulesDir: string;
  /** Live detection's alerts (as events.ts streams them). */
  broadcaster: AlertBroadcaster;
  /** The built UI (default: dist/web of this package). */
  webDir?: string;
}

export function uiRoutes(opts: UiRouteOptions) {
  const db = resolve(opts.db ?? DEFAULT_DB);
  const groups = [
    uiStaticRoutes(opts.webDir),
    uiStatsRoutes(db),
    uiSamplesRoutes(db, opts.rulesDir),
    uiEvalRoutes(db),
    uiRulesRoutes(db, opts.rulesDir),
    uiAlertsRoutes(opts.broadcaster),
  ];
  return (app: FastifyInstance, ctx: ServeContext): void => {
    for (const group of groups) group(app, ctx);
  };
}

// The stored samples behind the model explorer and the sample view:
//   GET /v1/samples?feature=F&limit=N  the stored analyses whose features (by the served model's
//                                      converter) include F: counts per label, and up to N listed
//                                      per label;
//   GET /v1/samples/:origin            one stored analysis as a canonical trace (the jsonl format),
//                                      with the hits of the rules folder's rules and the calls
//                                      each hit matched.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Trace } from '../../core/trace.js';
import { traceToJsonLine } from '../../evaluate/sample.js';
import { loadRules } from '../../rules/load.js';
import { compileRules } from '../../rules/matcher.js';
import type { ServeContext } from '../context.js';
import { errorResponse, MAX_NAME_CHARS } from '../schemas.js';
import { HttpError } from './ui-errors.js';
import { MAX_STORE_SCAN, withStore } from './ui-store.js';

/** Longest analysis origin accepted in a path. */
const MAX_ORIGIN_CHARS = 4096;

interface SampleRef {
  origin: string;
  id: string;
  label: string | null;
}

/** Hits of the rules folder's rules on one trace; rule files with problems are skipped. */
function ruleHits(rulesDir: string, trace: Trace) {
  if (!existsSync(rulesDir)) return [];
  const { rules } = loadRules([rulesDir]);
  if (rules.length === 0) return [];
  return compileRules(rules)
    .matchTrace(trace)
    .map((h) => ({
      rule: h.rule,
      title: h.title,
      verdict: h.verdict,
      severity: h.severity,
      pid: h.pid,
      calls: h.evidence.map((e) => ({ pid: e.pid ?? h.pid, index: e.index, api: e.api })),
    }));
}

export function uiSamplesRoutes(db: string, rulesDir: string) {
  return (app: FastifyInstance, ctx: ServeContext): void => {
    app.get<{ Querystring: { feature: string; limit: number } }>(
      '/v1/samples',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Stored analyses containing a feature (by the served model), counted per label',
          querystring: {
            type: 'object',
            required: ['feature'],
            properties: {
              feature: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
              limit: { type: 'integer', minimum: 0, maximum: 1000, default: 20 },
            },
          },
          response: { 400: errorResponse, 404: errorResponse },
        },
      },
      async (request) => {
        const { feature, limit } = request.query;
        const model = ctx.host.model;
        const perLabel = new Map<string, number>();
        const scannedPerLabel = new Map<string, number>();
        const listed = new Map<string, SampleRef[]>();
        let scanned = 0;
        let truncated = false;
        withStore(db, (store) => {
          for (const t of store.traces({ detail: 'full' })) {
            if (scanned >= MAX_STORE_SCAN) {
              truncated = true;
              break;
            }
            scanned++;
            const label = t.label ?? '';
            scannedPerLabel.set(label, (scannedPerLabel.get(label) ?? 0) + 1);
            if (!model.convert(t).some(([name]) => name === feature)) continue;
            perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
            const list = listed.get(label) ?? [];
            if (list.length < limit) list.push({ origin: t.origin ?? '', id: t.id, label: t.label ?? null });
            listed.set(label, list);
          }
        });
        return {
          feature,
          scanned,
          truncated,
          // labels come from malware: Object.fromEntries defines them as own data properties
          per_label: Object.fromEntries(perLabel),
          scanned_per_label: Object.fromEntries(scannedPerLabel),
          samples: [...listed.values()].flat(),
        };
      },
    );

    app.get<{ Params: { origin: string } }>(
      '/v1/samples/:origin',
      {
        config: { access: 'read' },
        schema: {
          summary: 'One stored analysis as a canonical trace, with the rule hits on it',
          params: {
            type: 'object',
            properties: { origin: { type: 'string', minLength: 1, maxLength: MAX_ORIGIN_CHARS } },
          },
          response: { 400: errorResponse, 404: errorResponse },
        },
      },
      async (request) => {
        const { origin } = request.params;
        const trace = withStore(db, (store) => store.trace(origin, { detail: 'full' }));
        if (!trace) throw new HttpError(404, `no stored analysis with origin "${origin.slice(0, 200)}"`);
        return {
          origin,
          trace: JSON.parse(traceToJsonLine(trace)) as unknown,
          rule_hits: ruleHits(rulesDir, trace),
        };
      },
    );
  };
}

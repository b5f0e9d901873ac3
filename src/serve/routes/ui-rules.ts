// The rule workshop's routes (beside GET /v1/rules and PUT /v1/rules/:id of rules.ts):
//   GET  /v1/rules/:id/yaml  one rule of the rules folder as YAML text (for the editor);
//   POST /v1/rules/test      back-test YAML rules against the sample store (as `rules test --json`:
//                            hits per label, precision/TPR/FPR with 95% Wilson intervals);
//   POST /v1/rules/draft     a draft rule from an n-gram feature: the sequence of its API calls;
//   POST /v1/rules/suggest   drafts from the model's strongest n-grams (as `rules suggest`), each
//                            back-tested on the store, with its YAML.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { parseNgram } from '../../features/config.js';
import { openSamples } from '../../ingest/source.js';
import type { Model } from '../../learn/model-api.js';
import { backtest, backtestJson } from '../../rules/backtest.js';
import { formatProblem, loadRules, MAX_RULE_FILE_BYTES, parseRules } from '../../rules/load.js';
import { compileRules } from '../../rules/matcher.js';
import type { ExpressionDef, RuleDef } from '../../rules/schema.js';
import { ngramApis, suggestionJson, suggestRules } from '../../rules/suggest.js';
import type { ServeContext } from '../context.js';
import { SAFE_NAME_PATTERN } from '../names.js';
import { errorResponse, MAX_NAME_CHARS } from '../schemas.js';
import { HttpError } from './ui-errors.js';
import { storeTraces, withStore } from './ui-store.js';

/** Most rules back-tested in one request. */
const MAX_RULES_TESTED = 200;

/** A rule as the YAML text an analyst edits (without where it was loaded from). */
export function ruleYaml(rule: RuleDef): string {
  const { file: _file, line: _line, ...body } = rule;
  return stringify(body, { lineWidth: 0 });
}

/** The model's n-gram range (its native `malgram` block); 400 when the model has none. */
function modelNgram(model: Model): number | string {
  const config = JSON.parse(model.configJson) as { malgram?: { ngram?: number | string } };
  const ngram = config.malgram?.ngram;
  if (ngram === undefined)
    throw new HttpError(400, 'the model has no malgram API n-gram converter: cannot read n-grams back');
  return ngram;
}

function positiveOf(model: Model, positive: string | undefined): string {
  const labels = model.labels();
  return positive ?? (labels.includes('malware') ? 'malware' : '1');
}

/** API names as they appear in feature names (whitespace as `_`) → the stored API names. */
function storeVocabulary(db: string): Map<string, string> {
  return withStore(db, (store) => {
    const vocabulary = new Map<string, string>();
    // the store's table of interned API names (src/ingest/store-schema.ts)
    for (const { name } of store.db.prepare<[], { name: string }>('SELECT name FROM apis').iterate())
      vocabulary.set(name.replace(/\s/g, '_'), name);
    return vocabulary;
  });
}

/** A rule id from API names: `ngram-a-b-c`, lower case, safe characters, at most 100 characters. */
function draftId(apis: string[]): string {
  const words = apis.map((a) => a.toLowerCase().replace(/[^a-z0-9]+/g, '')).filter((w) => w !== '');
  return `ngram-${words.join('-') || 'calls'}`.slice(0, 100).replace(/-+$/, '');
}

/** The n-gram as a sequence of consecutive calls (as rules suggest drafts it). */
function sequenceOf(apis: string[]): ExpressionDef {
  return {
    sequence: {
      // a name with `|` or `*` would be read as alternatives / a wildcard: quote it as a list
      steps: apis.map((api) => ({ api: api.includes('|') || api === '*' ? [api] : api })),
      within: { calls: apis.length },
    },
  };
}

/** A 400 answer for rules that do not validate: every problem as `file:line: field: message`. */
const invalidRulesResponse = {
  type: 'object',
  properties: { error: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } },
} as const;

const yamlBody = {
  type: 'object',
  required: ['yaml'],
  additionalProperties: false,
  properties: {
    yaml: { type: 'string', minLength: 1, maxLength: MAX_RULE_FILE_BYTES, description: 'rules as YAML' },
    positive: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
  },
} as const;

export function uiRulesRoutes(db: string, rulesDir: string) {
  return (app: FastifyInstance, ctx: ServeContext): void => {
    app.get<{ Params: { id: string } }>(
      '/v1/rules/:id/yaml',
      {
        config: { access: 'read' },
        schema: {
          summary: 'One rule of the rules folder as YAML text',
          params: { type: 'object', properties: { id: { type: 'string', pattern: SAFE_NAME_PATTERN } } },
          response: { 404: errorResponse },
        },
      },
      async (request) => {
        const rule = existsSync(rulesDir)
          ? loadRules([rulesDir]).rules.find((r) => r.id === request.params.id)
          : undefined;
        if (!rule) throw new HttpError(404, `no rule "${request.params.id}" in the rules folder`);
        return { id: rule.id, file: rule.file, line: rule.line, yaml: ruleYaml(rule) };
      },
    );

    app.post<{ Body: { yaml: string; positive?: string } }>(
      '/v1/rules/test',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Back-test YAML rules against the sample store (as `malgram rules test --json`)',
          body: yamlBody,
          response: { 400: invalidRulesResponse, 404: errorResponse },
        },
      },
      async (request, reply) => {
        const parsed = parseRules(request.body.yaml, 'rule.yaml');
        if (parsed.problems.length > 0) {
          return reply.code(400).send({
            error: `invalid rule: ${formatProblem(parsed.problems[0])}`,
            problems: parsed.problems.map(formatProblem),
          });
        }
        if (parsed.rules.length === 0) throw new HttpError(400, 'yaml: no rule in the text');
        if (parsed.rules.length > MAX_RULES_TESTED)
          throw new HttpError(400, `yaml: ${parsed.rules.length} rules; at most ${MAX_RULES_TESTED} at once`);
        if (!existsSync(db))
          throw new HttpError(404, `no sample store at ${db} (start serve with --db FILE)`);
        const result = await backtest(
          openSamples({ db, detail: 'full', onIssue: () => {} }),
          compileRules(parsed.rules),
          { positive: request.body.positive, maxSamplesListed: 20 },
        );
        return backtestJson(result);
      },
    );

    app.post<{ Body: { feature: string; positive?: string } }>(
      '/v1/rules/draft',
      {
        config: { access: 'read' },
        schema: {
          summary: 'A draft rule (YAML) from an API n-gram feature of the model',
          body: {
            type: 'object',
            required: ['feature'],
            additionalProperties: false,
            properties: {
              feature: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
              positive: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
            },
          },
          response: { 400: errorResponse, 404: errorResponse },
        },
      },
      async (request) => {
        const { feature } = request.body;
        const model = ctx.host.model;
        const range = parseNgram(modelNgram(model));
        const apis = ngramApis(feature, storeVocabulary(db), range.min, range.max);
        if (!apis)
          throw new HttpError(
            400,
            `feature: "${feature.slice(0, 200)}" is not an API n-gram of the model made of API names in the store`,
          );
        const positive = positiveOf(model, request.body.positive);
        const weights = model.featureWeights(feature) ?? new Map<string, number>();
        const own = weights.get(positive) ?? 0;
        let other = Number.NEGATIVE_INFINITY;
        for (const [label, w] of weights) if (label !== positive && w > other) other = w;
        const malicious = own > (other === Number.NEGATIVE_INFINITY ? 0 : other);
        const weightText = [...weights]
          .map(([l, w]) => `${JSON.stringify(l)}: ${w.toPrecision(6)}`)
          .join(', ');
        const rule = {
          id: draftId(apis),
          title: `Calls ${apis.join(' → ')}`.slice(0, 256),
          description:
            `Drafted from the model's n-gram ${feature} (weights ${weightText || 'none'}). ` +
            'Back-test it, then add argument conditions or loosen `within` before use.',
          severity: 'medium',
          verdict: malicious ? 'suspicious' : 'benign',
          scope: 'process',
          match: sequenceOf(apis),
        };
        return {
          id: rule.id,
          feature,
          apis,
          weights: Object.fromEntries(weights),
          yaml: stringify(rule, { lineWidth: 0 }),
        };
      },
    );

    app.post<{ Body: { label?: string; positive?: string; top: number } }>(
      '/v1/rules/suggest',
      {
        config: { access: 'read' },
        schema: {
          summary:
            "Draft rules from the model's strongest n-grams, back-tested on the store (as `rules suggest`)",
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              label: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
              positive: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
              top: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
            },
          },
          response: { 400: errorResponse, 404: errorResponse },
        },
      },
      async (request) => {
        const model = ctx.host.model;
        const ngram = modelNgram(model);
        const positive = positiveOf(model, request.body.positive);
        const label = request.body.label ?? positive;
        if (!model.labels().includes(label))
          throw new HttpError(400, `label: ${JSON.stringify(label.slice(0, 64))} is not known to the model`);
        const { traces, truncated } = storeTraces(db);
        const result = await suggestRules(model, traces, { label, positive, ngram, top: request.body.top });
        return {
          label: result.label,
          samples: result.samples,
          store_truncated: truncated,
          features_read: result.featuresRead,
          features_parsed: result.featuresParsed,
          candidates: result.candidates,
          suggestions: result.suggestions.map((s) => ({ ...suggestionJson(s), yaml: ruleYaml(s.rule) })),
        };
      },
    );
  };
}

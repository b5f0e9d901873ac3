// GET /v1/rules (the rules of the rules folder, with any problems) and PUT /v1/rules/:id (one
// rule, YAML or JSON, validated by the rule compiler, written atomically to `<folder>/<id>.yaml`).
import { existsSync, mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { InputError } from '../../core/errors.js';
import { formatProblem, loadRules, MAX_RULE_FILE_BYTES, parseRules } from '../../rules/load.js';
import type { ServeContext } from '../context.js';
import { pathInside, SAFE_NAME_PATTERN } from '../names.js';
import { errorResponse } from '../schemas.js';

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export interface RulesRouteOptions {
  /** The rules folder (created by the first PUT). */
  dir: string;
  /** Called after a rule file changed (the live detector reloads its rules). */
  onChange?: () => void;
}

export function rulesRoutes(opts: RulesRouteOptions) {
  return (app: FastifyInstance, _ctx: ServeContext): void => {
    app.addContentTypeParser(
      YAML_TYPES,
      { parseAs: 'string', bodyLimit: MAX_RULE_FILE_BYTES },
      (_req, body, done) => done(null, body),
    );

    app.get(
      '/v1/rules',
      {
        config: { access: 'read' },
        schema: { summary: 'The rules of the rules folder, and problems found in it' },
      },
      async () => {
        if (!existsSync(opts.dir)) return { folder: opts.dir, rules: [], problems: [] };
        const loaded = loadRules([opts.dir]);
        return {
          folder: opts.dir,
          rules: loaded.rules.map((r) => ({
            id: r.id,
            title: r.title,
            severity: r.severity,
            verdict: r.verdict,
            file: basename(r.file ?? ''),
            line: r.line,
          })),
          problems: loaded.problems.map(formatProblem),
        };
      },
    );

    app.put<{ Params: { id: string }; Body: unknown }>(
      '/v1/rules/:id',
      {
        config: { access: 'write' },
        schema: {
          summary:
            'Create or replace one rule (YAML text, or the rule as JSON); validated, written atomically',
          params: { type: 'object', properties: { id: { type: 'string', pattern: SAFE_NAME_PATTERN } } },
          body: {
            content: {
              'application/json': { schema: { type: 'object', description: 'the rule' } },
              ...Object.fromEntries(
                YAML_TYPES.map((t) => [t, { schema: { type: 'string', description: 'the rule as YAML' } }]),
              ),
            },
          },
          response: { 400: errorResponse, 409: errorResponse },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const path = pathInside(opts.dir, `${id}.yaml`, 'id');
        const text = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
        const file = `${id}.yaml`;
        const parsed = parseRules(text, file);
        if (parsed.problems.length > 0) {
          return reply.code(400).send({
            error: `invalid rule: ${formatProblem(parsed.problems[0])}`,
            problems: parsed.problems.map(formatProblem),
          });
        }
        if (parsed.rules.length !== 1)
          throw new InputError(`expected one rule, found ${parsed.rules.length}`, file);
        if (parsed.rules[0].id !== id)
          throw new InputError(
            `the rule's id "${parsed.rules[0].id}" is not the id in the path "${id}"`,
            file,
          );
        if (existsSync(opts.dir)) {
          const clash = loadRules([opts.dir]).rules.find((r) => r.id === id && r.file !== path);
          if (clash) {
            return reply.code(409).send({
              error: `rule "${id}" is already defined in ${basename(clash.file ?? '')}:${clash.line}`,
            });
          }
        }
        mkdirSync(opts.dir, { recursive: true });
        const created = !existsSync(path);
        writeFileAtomic(path, text.endsWith('\n') ? text : `${text}\n`);
        opts.onChange?.();
        return reply.code(created ? 201 : 200).send({ id, path, created });
      },
    );
  };
}

// Reading rule files: YAML (one rule or a list of rules per document, several documents allowed),
// validated against the schema and compiled, every problem reported as `file:line: field: message`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Document, isMap, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../core/errors.js';
import { type Path, RuleCompileError } from './conditions.js';
import { compileRule } from './matcher.js';
import { type RuleDef, ruleSchema } from './schema.js';

/** Largest rule file read. */
export const MAX_RULE_FILE_BYTES = 4 * 1024 * 1024;

export interface RuleProblem {
  file: string;
  line: number;
  /** Dotted path of the field (`match.sequence.steps.1.args`), empty for the whole file. */
  field: string;
  message: string;
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

export interface LoadedRules {
  rules: RuleDef[];
  problems: RuleProblem[];
  files: string[];
}

/** The `.yaml`/`.yml` files under the given files and folders (folders recursively, sorted). */
export function ruleFiles(paths: string[]): string[] {
  const out: string[] = [];
  const visit = (path: string, explicit: boolean) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      throw new InputError('no such rule file or folder', path);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name), false);
    } else if (explicit || /\.ya?ml$/i.test(path)) {
      out.push(path);
    }
  };
  for (const p of paths) visit(p, true);
  return out;
}

/** Walks a YAML node along a path; returns the deepest node found and, for a final map key, its key node. */
function locate(doc: Document, path: Path, key?: string): Node | undefined {
  let node = doc.contents as Node | null;
  let last: Node | undefined = node ?? undefined;
  const steps: (string | number)[] = key === undefined ? path : [...path, key];
  for (let i = 0; i < steps.length && node; i++) {
    const seg = steps[i];
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(seg),
      );
      if (!pair) break;
      if (i === steps.length - 1 && key !== undefined) return pair.key as Node;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] as Node | null;
    } else break;
    if (node) last = node;
  }
  return last;
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const seg of path) {
    if (v instanceof Map) v = v.get(seg);
    else if (typeof v === 'object' && v !== null && Object.hasOwn(v, seg))
      v = (v as Record<string | number, unknown>)[seg];
    else return undefined;
  }
  return v;
}

function issueKey(issue: z.core.$ZodIssue): string | undefined {
  return issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
}

/** Parses and validates the rules of one YAML text; `file` names it in problems. */
export function parseRules(text: string, file: string): { rules: RuleDef[]; problems: RuleProblem[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  const rules: RuleDef[] = [];
  const problems: RuleProblem[] = [];
  const lineOf = (node: Node | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : 1);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors)
        problems.push({ file, line: e.linePos?.[0].line ?? 1, field: '', message: e.message.split('\n')[0] });
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const list = Array.isArray(value) ? value : [value];
    list.forEach((raw, i) => {
      const base: Path = Array.isArray(value) ? [i] : [];
      const parsed = ruleSchema.safeParse(raw);
      if (!parsed.success) {
        const unknownAt = new Set(
          parsed.error.issues.filter((x) => x.code === 'unrecognized_keys').map((x) => x.path.join('.')),
        );
        for (const issue of parsed.error.issues) {
          // An unknown operator also empties its condition; report the typo, not the consequence.
          if (issue.code === 'custom' && unknownAt.has(issue.path.join('.'))) continue;
          const key = issueKey(issue);
          const path = [...base, ...(issue.path as (string | number)[])];
          const field = [...path.slice(base.length), ...(key !== undefined ? [key] : [])].join('.');
          const message =
            key !== undefined
              ? `unknown field ${JSON.stringify(key)}`
              : valueAt(raw, issue.path as Path) === undefined
                ? 'required field is missing'
                : issue.message;
          problems.push({ file, line: lineOf(locate(doc, path, key)), field, message });
        }
        return;
      }
      const rule: RuleDef = { ...parsed.data, file, line: lineOf(locate(doc, base)) };
      try {
        compileRule(rule);
        rules.push(rule);
      } catch (err) {
        if (!(err instanceof RuleCompileError)) throw err;
        problems.push({
          file,
          line: lineOf(locate(doc, [...base, ...err.path])),
          field: err.path.join('.'),
          message: err.message,
        });
      }
    });
  }
  return { rules, problems };
}

/** Loads every rule under the given files/folders; duplicate ids are problems too. */
export function loadRules(paths: string[]): LoadedRules {
  const files = ruleFiles(paths);
  const rules: RuleDef[] = [];
  const problems: RuleProblem[] = [];
  const ids = new Map<string, RuleDef>();
  for (const file of files) {
    const size = statSync(file).size;
    if (size > MAX_RULE_FILE_BYTES) {
      problems.push({
        file,
        line: 1,
        field: '',
        message: `file too large (${size} bytes, limit ${MAX_RULE_FILE_BYTES})`,
      });
      continue;
    }
    const found = parseRules(readFileSync(file, 'utf8'), file);
    problems.push(...found.problems);
    for (const r of found.rules) {
      const first = ids.get(r.id);
      if (first) {
        problems.push({
          file,
          line: r.line,
          field: 'id',
          message: `duplicate rule id ${r.id} (first at ${first.file}:${first.line})`,
        });
        continue;
      }
      ids.set(r.id, r);
      rules.push(r);
    }
  }
  return { rules, problems, files };
}

/**
 * The rules under `paths` for a command that needs them all valid: any problem (the first five
 * named file:line) or no rule at all is an InputError of `--rules`.
 */
export function loadValidRules(paths: string[]): RuleDef[] {
  const loaded = loadRules(paths);
  if (loaded.problems.length > 0) {
    const first = loaded.problems.slice(0, 5).map(formatProblem).join('; ');
    const more = loaded.problems.length > 5 ? ` (and ${loaded.problems.length - 5} more)` : '';
    throw new InputError(`invalid rules: ${first}${more}`, '--rules');
  }
  if (loaded.rules.length === 0) throw new InputError(`no rules found in ${paths.join(', ')}`, '--rules');
  return loaded.rules;
}

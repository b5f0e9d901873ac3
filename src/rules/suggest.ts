// Rule suggestion: what the model learned, turned into draft rules a person can review.
//
// 1. The label's highest-weight features (`model.dump`) that are API n-grams are parsed back into
//    API names. N-gram features join API names with `_`, and API names may contain `_` themselves
//    (`DnsQuery_A`, `__exception__`), so the name is split with the corpus vocabulary: a
//    segmentation into n known API names, n within the model's n-gram range.
// 2. Each n-gram becomes a `sequence` of its APIs `within` n calls (exactly the n-gram: consecutive
//    calls); each pair of the `pairPool` strongest n-grams becomes an `all` of two such sequences.
// 3. Every draft is backtested on the corpus (backtest.ts): support (samples of the label hit),
//    precision, TPR and FPR with 95% Wilson intervals. Measured on the corpus given: optimistic when
//    it is the training data; use a held-out corpus to judge.
// 4. Most useful first: by the lower 95% bound of precision, then by support; drafts that hit no
//    sample of the label are dropped.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../core/atomic-file.js';
import type { Trace } from '../core/trace.js';
import { formatProportion, type Proportion } from '../evaluate/intervals.js';
import { API_CALL_KEY, parseNgram } from '../features/config.js';
import type { Model } from '../learn/model-api.js';
import { backtest } from './backtest.js';
import { compileRules } from './matcher.js';
import type { ExpressionDef, RuleDef, StepDef } from './schema.js';

export interface SuggestOptions {
  /** The label to find rules for (default: the positive label). */
  label: string;
  /** The malicious label: drafts for it are `suspicious`, drafts for other labels are allow (`benign`) rules. */
  positive: string;
  /** The model's n-gram range (native config `ngram`), e.g. 3 or "1-3". */
  ngram: number | string;
  /** Number of drafts returned (default 20). */
  top?: number;
  /** Features read from the model (default 4 × top). */
  features?: number;
  /** The strongest n-grams combined pairwise (default 10). */
  pairPool?: number;
}

export interface Suggestion {
  id: string;
  kind: 'ngram' | 'pair';
  features: { feature: string; weight: number; apis: string[] }[];
  rule: RuleDef;
  support: number;
  precision: Proportion;
  tpr: Proportion;
  fpr: Proportion;
}

export interface SuggestResult {
  label: string;
  samples: number;
  /** Features read, and how many were API n-grams that could be parsed. */
  featuresRead: number;
  featuresParsed: number;
  candidates: number;
  suggestions: Suggestion[];
}

/** A suggestion as `rules suggest --json` and the service show it (snake_case, rule title and rates). */
export function suggestionJson(s: Suggestion) {
  return {
    id: s.id,
    kind: s.kind,
    title: s.rule.title,
    features: s.features,
    support: s.support,
    precision: s.precision,
    tpr: s.tpr,
    fpr: s.fpr,
  };
}

/**
 * The API names of an n-gram feature, or null when it is not one (or cannot be segmented).
 * `vocabulary` maps the names as they appear in features (whitespace replaced by `_`) to the API names.
 */
export function ngramApis(
  feature: string,
  vocabulary: ReadonlyMap<string, string>,
  nMin: number,
  nMax: number,
): string[] | null {
  const prefix = `${API_CALL_KEY}$`;
  const at = feature.lastIndexOf('@');
  if (!feature.startsWith(prefix) || at < prefix.length) return null;
  const tokens = feature.slice(prefix.length, at).split('_');
  if (tokens.length > 256) return null;
  // seg(i, k): a segmentation of tokens[i..] into exactly k known names, or null.
  const memo = new Map<string, string[] | null>();
  const seg = (i: number, k: number): string[] | null => {
    if (i === tokens.length) return k === 0 ? [] : null;
    if (k === 0) return null;
    const key = `${i},${k}`;
    if (memo.has(key)) return memo.get(key) ?? null;
    let found: string[] | null = null;
    for (let j = i + 1; j <= tokens.length && !found; j++) {
      const name = tokens.slice(i, j).join('_');
      const api = vocabulary.get(name);
      if (api === undefined) continue;
      const rest = seg(j, k - 1);
      if (rest) found = [api, ...rest];
    }
    memo.set(key, found);
    return found;
  };
  for (let n = nMin; n <= nMax; n++) {
    const apis = seg(0, n);
    if (apis) return apis;
  }
  return null;
}

function sequenceOf(apis: string[]): ExpressionDef {
  const steps: StepDef[] = apis.map((api) => ({ api: api.includes('|') || api === '*' ? [api] : api }));
  return { sequence: { steps, within: { calls: apis.length } } };
}

export async function suggestRules(
  model: Model,
  traces: Trace[],
  options: SuggestOptions,
): Promise<SuggestResult> {
  const top = options.top ?? 20;
  const range = parseNgram(options.ngram);
  const vocabulary = new Map<string, string>();
  for (const t of traces)
    for (const p of t.processes) for (const c of p.calls) vocabulary.set(c.api.replace(/\s/g, '_'), c.api);
  const entries = model.dump(options.label, options.features ?? top * 4);
  const grams: { feature: string; weight: number; apis: string[] }[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (!(e.weight > 0)) continue;
    const apis = ngramApis(e.feature, vocabulary, range.min, range.max);
    if (!apis) continue;
    const key = apis.join('\0');
    if (seen.has(key)) continue;
    seen.add(key);
    grams.push({ feature: e.feature, weight: e.weight, apis });
  }
  const verdict = options.label === options.positive ? 'suspicious' : 'benign';
  const drafts: { kind: Suggestion['kind']; features: typeof grams; rule: RuleDef }[] = [];
  const draft = (kind: Suggestion['kind'], features: typeof grams, match: ExpressionDef) => {
    const id = `suggested-${options.label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'label'}-${drafts.length + 1}`;
    const title = features.map((f) => f.apis.join(' → ')).join(' and ');
    drafts.push({
      kind,
      features,
      rule: {
        id,
        title: title.slice(0, 256),
        severity: 'medium',
        verdict,
        scope: 'process',
        match,
        file: '(suggested)',
        line: 0,
      },
    });
  };
  for (const g of grams) draft('ngram', [g], sequenceOf(g.apis));
  const pool = grams.slice(0, options.pairPool ?? 10);
  for (let i = 0; i < pool.length; i++)
    for (let j = i + 1; j < pool.length; j++)
      draft('pair', [pool[i], pool[j]], { all: [sequenceOf(pool[i].apis), sequenceOf(pool[j].apis)] });

  const measured = await backtest(traces, compileRules(drafts.map((d) => d.rule)), {
    positive: options.label,
    maxSamplesListed: 0,
  });
  const suggestions: Suggestion[] = drafts
    .map((d, i) => {
      const r = measured.rules[i];
      return {
        id: d.rule.id,
        kind: d.kind,
        features: d.features,
        rule: d.rule,
        support: r.tpr.k,
        precision: r.precision,
        tpr: r.tpr,
        fpr: r.fpr,
      };
    })
    .filter((s) => s.support > 0)
    .sort((a, b) => b.precision.lo - a.precision.lo || b.support - a.support || a.id.localeCompare(b.id))
    .slice(0, top);
  for (const s of suggestions) {
    s.rule.description =
      `Suggested from the model's weights for label ${JSON.stringify(options.label)}: ` +
      s.features.map((f) => `${f.feature} (weight ${f.weight.toPrecision(6)})`).join(', ') +
      `. Measured on ${measured.samples} samples: support ${s.support}, precision ${formatProportion(s.precision)}, ` +
      `TPR ${formatProportion(s.tpr)}, FPR ${formatProportion(s.fpr)}. ` +
      'Measured on the corpus given (optimistic if it is the training data). Review, then edit id, title and severity.';
  }
  return {
    label: options.label,
    samples: measured.samples,
    featuresRead: entries.length,
    featuresParsed: grams.length,
    candidates: drafts.length,
    suggestions,
  };
}

/** The drafts as one YAML rule file (a list of rules), written atomically into `dir`; returns its path. */
export function writeSuggestions(result: SuggestResult, dir: string): string {
  const rules = result.suggestions.map(({ rule }) => ({
    id: rule.id,
    title: rule.title,
    description: rule.description,
    severity: rule.severity,
    verdict: rule.verdict,
    scope: rule.scope,
    match: rule.match,
  }));
  const header =
    `# Draft rules suggested by \`malgram rules suggest\` for label ${JSON.stringify(result.label)}.\n` +
    '# Each description holds the measured support, precision and FPR. Review before use:\n' +
    '# rename, loosen `within`, add argument conditions, then `malgram rules test` on held-out data.\n';
  const path = join(
    dir,
    `suggested-${result.label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'label'}.yaml`,
  );
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(path, header + stringify(rules, { lineWidth: 0 }));
  return path;
}

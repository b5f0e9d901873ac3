// The streaming rule matcher of src/rules, as the detector uses it: rule files loaded and
// compiled once (a problem in any file stops `watch` with file:line: field: message), then one
// matcher state per process, fed call by call.
import { InputError } from '../core/errors.js';
import { formatProblem, loadRules } from '../rules/load.js';
import { compileRules, type ProcessState as RuleState } from '../rules/matcher.js';
import type { StreamingRules } from './detector.js';

export function loadStreamingRules(paths: string[]): { rules: StreamingRules; count: number } {
  const loaded = loadRules(paths);
  if (loaded.problems.length > 0) {
    const first = loaded.problems.slice(0, 5).map(formatProblem).join('; ');
    const more = loaded.problems.length > 5 ? ` (and ${loaded.problems.length - 5} more)` : '';
    throw new InputError(`invalid rules: ${first}${more}`, '--rules');
  }
  if (loaded.rules.length === 0) throw new InputError(`no rules found in ${paths.join(', ')}`, '--rules');
  const compiled = compileRules(loaded.rules);
  return {
    count: loaded.rules.length,
    rules: {
      newProcessState: () => compiled.newProcessState(),
      feed: (state, call, index, fromPid) =>
        compiled.feed(state as RuleState, call, index, fromPid).map((h) => ({
          rule: h.rule,
          title: h.title,
          verdict: h.verdict,
          severity: h.severity,
          calls: h.evidence.map((e) => e.index),
        })),
    },
  };
}

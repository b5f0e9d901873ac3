// The streaming rule matcher of src/rules, as the detector uses it: rule files loaded and
// compiled once (a problem in any file stops `watch` with file:line: field: message), then one
// matcher state per process, fed call by call.
import { loadValidRules } from '../rules/load.js';
import { compileRules, type ProcessState as RuleState } from '../rules/matcher.js';
import type { StreamingRules } from './detector.js';

export function loadStreamingRules(paths: string[]): { rules: StreamingRules; count: number } {
  const loaded = loadValidRules(paths);
  const compiled = compileRules(loaded);
  return {
    count: loaded.length,
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

// The alert policy: when does a process (or process tree) deserve an alert, and at which level.
//
// Levels: 0 none < 1 suspicious < 2 malicious.
// - Model: margin = score(positive) − max score(other labels) (raw Jubatus scores). margin > threshold
//   → malicious (default threshold 0: the model's own decision boundary, i.e. classify's argmax);
//   with `suspiciousThreshold`, margin > that → suspicious. A unit with no known feature yet is
//   never alerted by the model ("no behaviour").
// - Rules: a hit of a `malicious` rule → malicious at once, `suspicious` → suspicious; a `benign`
//   (allow) rule suppresses every later alert of that unit (an allow-listed program).
// - One alert per unit per level: a unit is alerted again only when its level escalates.
export const Level = { none: 0, suspicious: 1, malicious: 2 } as const;
export const levelNames = ['none', 'suspicious', 'malicious'] as const;
export type RuleVerdict = 'malicious' | 'suspicious' | 'benign';

export interface PolicyOptions {
  /** Label whose margin is the "malware-ness" score. */
  positive: string;
  /** Margin above which the model says malicious. */
  threshold: number;
  /** Optional lower margin for a `suspicious` alert. */
  suspiciousThreshold?: number;
}

/** The level the model alone gives a margin. */
export function modelLevel(margin: number, hasFeatures: boolean, opts: PolicyOptions): number {
  if (!hasFeatures) return Level.none;
  if (margin > opts.threshold) return Level.malicious;
  if (opts.suspiciousThreshold !== undefined && margin > opts.suspiciousThreshold) return Level.suspicious;
  return Level.none;
}

/** The level a rule verdict gives (benign rules allow-list, handled by the caller). */
export function ruleLevel(verdict: RuleVerdict): number {
  return verdict === 'malicious' ? Level.malicious : verdict === 'suspicious' ? Level.suspicious : Level.none;
}

/** Default positive label: `malware` if the model knows it, else `1`, else the last label. */
export function defaultPositive(labels: string[]): string {
  if (labels.includes('malware')) return 'malware';
  if (labels.includes('1')) return '1';
  return labels[labels.length - 1] ?? '1';
}

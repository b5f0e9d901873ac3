// The research's view of a model: features by weight, one per line, `weight<TAB>feature-name`
// with the weight printed as C's `%f` (6 decimals), e.g.
// `0.181128\tapi_call$VirtualProtectEx_VirtualProtectEx_VirtualProtectEx@space#log_tf/bin`.
import type { DumpEntry } from '../learn/model-api.js';

export function dumpLine(e: DumpEntry): string {
  return `${e.weight.toFixed(6)}\t${e.feature}`;
}

/** The dump of one or several labels; with several, each block starts with a `# label L` line. */
export function dumpText(
  blocks: Array<{ label: string; entries: DumpEntry[] }>,
  withHeaders: boolean,
): string {
  const lines: string[] = [];
  for (const b of blocks) {
    if (withHeaders) lines.push(`# label ${b.label}`);
    for (const e of b.entries) lines.push(dumpLine(e));
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

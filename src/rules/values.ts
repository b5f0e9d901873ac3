// How the rule engine sees one call: argument names normalised across sandbox versions and every
// value given a string view and, when it parses as an integer, a numeric view.
//
// sandbox-report-formats.md §6: Cuckoo 1.x / CAPE name arguments in CamelCase (`ProcessHandle`,
// `FileName`), Cuckoo 2.0 in snake_case (`process_handle`, `filepath`). A name is normalised by
// lower-casing it and removing `_` (and spaces); a rule's argument name then looks through its alias
// group, first present wins (`filename` finds `FileName`, `filepath`, `HandleName`, ...).
// Values: Cuckoo 2.0 keeps ints, the others give strings, pointers and handles are `0x%08x` strings;
// the numeric view makes `0x000001a4`, `0x1a4` and 420 equal. Integers are BigInt so 64-bit handles
// (`0xffffffffffffffff`) compare exactly.
import type { ArgValue, Call } from '../core/trace.js';

/** Longest string view kept for matching (longer values are cut): bounds the work per condition. */
export const MAX_VALUE_CHARS = 65_536;

export interface ValueView {
  /** The value as text (numbers in decimal as reported, booleans `true`/`false`, null as ``). */
  text: string;
  /** Lower-cased text, for the case-insensitive operators. */
  lower: string;
  /** Integer view (decimal or `0x` hex text, or an integral number); undefined otherwise. */
  num?: bigint;
}

const decimal = /^[-+]?\d{1,40}$/;
const hex = /^0x[0-9a-f]{1,32}$/i;

/** Parses decimal or `0x` hex text (or an integral number) as a BigInt; undefined when it is neither. */
export function parseInteger(value: string | number | bigint): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  const t = value.trim();
  if (decimal.test(t) || hex.test(t)) return BigInt(t.startsWith('+') ? t.slice(1) : t);
  return undefined;
}

export function viewOf(value: ArgValue | undefined): ValueView {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'string')
    text = value.length > MAX_VALUE_CHARS ? value.slice(0, MAX_VALUE_CHARS) : value;
  else text = String(value);
  const num = typeof value === 'number' ? parseInteger(value) : parseInteger(text);
  return { text, lower: text.toLowerCase(), num };
}

/** `ProcessHandle`, `process_handle` -> `processhandle`. */
export function normalizeArgName(name: string): string {
  return name.toLowerCase().replace(/[_\s]/g, '');
}

/**
 * Alias groups: a rule's (normalised) argument name -> the report names it stands for, first present
 * wins. Names not listed stand for themselves.
 */
const aliasGroups: readonly (readonly string[])[] = [
  [
    'filename',
    'filepath',
    'handlename',
    'pathname',
    'dosfilename',
    'lpfilename',
    'existingfilename',
    'oldfilepath',
  ],
  ['newfilename', 'newfilepath'],
  ['processid', 'processidentifier', 'pid'],
  ['threadid', 'threadidentifier', 'tid'],
  ['regkey', 'fullname', 'objectattributesname', 'objectattributes', 'keyname'],
  ['commandline', 'cmdline'],
  ['applicationname', 'imagepathname', 'processfilename'],
  ['protection', 'newaccessprotection', 'win32protect', 'flprotect', 'newprotect'],
  ['hookidentifier', 'idhook'],
  ['servicename', 'lpservicename'],
  ['binarypathname', 'lpbinarypathname'],
  ['buffer', 'value', 'data'],
  ['creationflags', 'dwcreationflags'],
  ['starttype', 'dwstarttype'],
  ['processname', 'szexefile'],
  [
    'informationclass',
    'processinformationclass',
    'threadinformationclass',
    'fileinformationclass',
    'systeminformationclass',
  ],
];

const aliases = new Map<string, readonly string[]>();
for (const group of aliasGroups)
  for (const name of group) aliases.set(name, [name, ...group.filter((n) => n !== name)]);

/** The report argument names (normalised) a rule's argument name looks through, in order. */
export function argCandidates(ruleName: string): readonly string[] {
  const n = normalizeArgName(ruleName);
  return aliases.get(n) ?? [n];
}

/** One call as the rule engine sees it; argument views are built lazily, once per call. */
export class CallView {
  readonly call: Call;
  /** Index of the call within its process (evidence). */
  readonly index: number;
  /** Process id the call came from when fed from a descendant process (tree-scoped rules). */
  readonly pid?: number;
  readonly apiLower: string;
  /** Position in the stream fed to one process state (own and, for tree scope, descendants' calls): windows count in it. */
  position = 0;
  private args?: Map<string, ValueView>;
  private retView?: ValueView;

  constructor(call: Call, index: number, pid?: number) {
    this.call = call;
    this.index = index;
    this.pid = pid;
    this.apiLower = call.api.toLowerCase();
  }

  /** The value of a rule argument (through its aliases), undefined when the call has none of them. */
  arg(candidates: readonly string[]): ValueView | undefined {
    if (!this.args) {
      this.args = new Map();
      if (this.call.args) {
        for (const [name, value] of this.call.args) {
          const n = normalizeArgName(name);
          if (!this.args.has(n)) this.args.set(n, viewOf(value));
        }
      }
    }
    for (const c of candidates) {
      const v = this.args.get(c);
      if (v) return v;
    }
    return undefined;
  }

  ret(): ValueView | undefined {
    if (this.call.ret === undefined) return undefined;
    this.retView ??= viewOf(this.call.ret);
    return this.retView;
  }

  /** Number of calls this record stands for (monitors collapse identical consecutive calls). */
  get weight(): number {
    return 1 + Math.max(0, Math.min(this.call.repeated ?? 0, 1e9));
  }
}

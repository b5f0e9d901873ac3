// Jubatus string types (jubatus-reference.md §2.4): each splitter turns one string value into
// tokens; the caller counts them (tf = occurrences within that one value).
import { InputError } from '../core/errors.js';
import type { TypeParams } from './config.js';

export type Splitter = (value: string, emit: (token: string) => void) => void;

/** `str`: the whole value is one token (an empty string too). */
const strSplitter: Splitter = (value, emit) => emit(value);

/** `space`: splits on runs of " \t\f\n\r\v"; empty tokens are never emitted. */
const SPACE = /[ \t\f\n\r\v]+/;
const spaceSplitter: Splitter = (value, emit) => {
  for (const t of value.split(SPACE)) if (t !== '') emit(t);
};

/** `ngram`: contiguous n-grams of code points, sliding by 1; shorter strings yield nothing. */
function ngramSplitter(n: number): Splitter {
  return (value, emit) => {
    const cps = Array.from(value);
    for (let i = 0; i + n <= cps.length; i++) emit(cps.slice(i, i + n).join(''));
  };
}

/**
 * `regexp` with RE2 semantics: an unanchored search that resumes at the end of the emitted group,
 * advancing by one position when that end does not move.
 */
function regexpSplitter(pattern: string, group: number): Splitter {
  const re = new RegExp(pattern, 'gd');
  return (value, emit) => {
    let pos = 0;
    while (pos <= value.length) {
      re.lastIndex = pos;
      const m = re.exec(value);
      if (!m) break;
      const span = m.indices?.[group];
      if (span === undefined) {
        pos = m.index + Math.max(1, m[0].length);
        continue;
      }
      emit(value.slice(span[0], span[1]));
      pos = span[1] > pos ? span[1] : pos + 1;
    }
  };
}

/** `split`: splits on any of the separator characters; empty tokens are dropped. */
function splitSplitter(separators: string): Splitter {
  const seps = new Set(Array.from(separators));
  return (value, emit) => {
    let cur = '';
    for (const ch of value) {
      if (seps.has(ch)) {
        if (cur !== '') emit(cur);
        cur = '';
      } else cur += ch;
    }
    if (cur !== '') emit(cur);
  };
}

/** The splitter for a rule's `type`: a user type from `string_types` first, then a built-in. */
export function makeSplitter(type: string, userTypes: Map<string, TypeParams>, where: string): Splitter {
  const params = userTypes.get(type);
  if (params) {
    switch (params.method) {
      case 'ngram': {
        const n = Number(params.char_num);
        if (!Number.isInteger(n) || n < 1)
          throw new InputError('char_num must be an integer >= 1', `${where}.char_num`);
        return ngramSplitter(n);
      }
      case 'regexp': {
        if (typeof params.pattern !== 'string')
          throw new InputError('"pattern" is missing', `${where}.pattern`);
        const group = params.group === undefined ? 0 : Number(params.group);
        if (!Number.isInteger(group) || group < 0)
          throw new InputError('group must be an integer >= 0', `${where}.group`);
        try {
          return regexpSplitter(params.pattern, group);
        } catch (err) {
          throw new InputError(`invalid pattern: ${(err as Error).message}`, `${where}.pattern`);
        }
      }
      case 'split':
        if (typeof params.separators !== 'string')
          throw new InputError('"separators" is missing', `${where}.separators`);
        return splitSplitter(params.separators);
      default:
        throw new InputError(`unsupported string type method "${params.method}"`, `${where}.method`);
    }
  }
  if (type === 'str') return strSplitter;
  if (type === 'space') return spaceSplitter;
  throw new InputError(`unknown string type "${type}"`, where);
}

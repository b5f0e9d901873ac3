// Jubatus key-matcher syntax (jubatus-reference.md §2.3): "" or "*" match everything, "*abc" is a
// suffix match, "abc*" a prefix match, "/re/" a regular expression, anything else an exact match.
export type KeyMatcher = (key: string) => boolean;

export function keyMatcher(pattern: string): KeyMatcher {
  if (pattern === '' || pattern === '*') return () => true;
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    const re = new RegExp(pattern.slice(1, -1));
    return (key) => re.test(key);
  }
  if (pattern.startsWith('*')) {
    const suffix = pattern.slice(1);
    return (key) => key.endsWith(suffix);
  }
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (key) => key.startsWith(prefix);
  }
  return (key) => key === pattern;
}

/** A rule's key matcher with its optional `except` pattern: fires when key matches AND except does not. */
export function ruleMatcher(key: string, except?: string): KeyMatcher {
  const k = keyMatcher(key);
  if (except === undefined || except === '') return k;
  const e = keyMatcher(except);
  return (name) => k(name) && !e(name);
}

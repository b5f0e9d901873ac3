// Argument-derived tokens (an optional feature family): registry keys and file paths from call
// arguments, with the user-specific parts normalised so samples run under different accounts
// share features: `C:\Users\<user>\` and `C:\Documents and Settings\<user>\` → `%USERPROFILE%\`,
// `HKEY_USERS\S-1-5-21-…\` → `HKEY_CURRENT_USER\`, temp-file names `~DF1A2B.tmp` → `~DF*.tmp`.
// A token is `<api>:<normalised value>`, at most 200 characters (values come from malware).
import type { Call } from '../core/trace.js';

const MAX_TOKEN = 200;
const USER_DIR = /^[a-z]:\\(?:users|documents and settings)\\[^\\]+(?=\\|$)/i;
const USER_SID = /^(?:HKEY_USERS|HKU)\\S-1-5-21-[\d-]+(?:_Classes)?/i;
const TEMP_NAME = /~[A-Z]{2}[0-9A-F]+\.tmp$/i;

/** Normalises one path or registry key; undefined when the value is neither. */
export function normaliseArgValue(value: string): string | undefined {
  if (!value.includes('\\')) return undefined;
  let v = value.replace(USER_DIR, '%USERPROFILE%').replace(USER_SID, 'HKEY_CURRENT_USER');
  v = v.replace(TEMP_NAME, (m) => `${m.slice(0, 3)}*.tmp`);
  return v.replace(/\s/g, '_');
}

/** The argument tokens of one call. */
export function argTokens(call: Call, emit: (token: string) => void): void {
  if (!call.args) return;
  for (const value of call.args.values()) {
    if (typeof value !== 'string') continue;
    const norm = normaliseArgValue(value);
    if (norm !== undefined) emit(`${call.api}:${norm}`.slice(0, MAX_TOKEN));
  }
}

// One frozen record per API name for calls given as a bare name (JSONL `calls: ["NtOpenKey", ...]`,
// CSV rows): a 20,000-call trace of a few hundred names holds a few hundred objects instead of
// 20,000 (less to allocate, to keep and for the garbage collector to mark). Nothing changes a
// call after reading; frozen, a write would throw rather than change every trace sharing it.
import type { Call } from '../core/trace.js';

// The table lives as long as the process, and the HTTP service reads traces from anyone: at most
// 65,536 names of at most 256 characters are shared; other calls get their own record.
const SHARED_CALLS_MAX = 1 << 16;
const SHARED_NAME_MAX = 256;
const sharedCalls = new Map<string, Call>();

/** The (frozen, shared) record of a call known only by its API name. */
export function bareCall(api: string): Call {
  let call = sharedCalls.get(api);
  if (call === undefined) {
    call = Object.freeze({ api });
    if (sharedCalls.size < SHARED_CALLS_MAX && api.length <= SHARED_NAME_MAX) sharedCalls.set(api, call);
  }
  return call;
}

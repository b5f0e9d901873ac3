// Errors that carry meaning for the user and for the exit status (design.md: 1 = usage or
// input error, 2 = internal error).

/** A problem with what the user gave us: a bad flag, file, line or request. Exit status 1. */
export class InputError extends Error {
  /** Where: a file path, `path:line`, `path@offset`, or a request field. */
  readonly where?: string;
  constructor(message: string, where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'InputError';
    this.where = where;
  }
}

/** Exit statuses used by every command. */
export const ExitCode = { ok: 0, input: 1, internal: 2 } as const;

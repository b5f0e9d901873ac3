// Errors that carry meaning for the user and for the exit status (design.md: 1 = usage or
// input error, 2 = internal error).
import { readFileSync } from 'node:fs';

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

/** The InputError for a file (or path) that could not be read: `<where>: cannot read: ENOENT`. */
export function cannotRead(err: unknown, where: string): InputError {
  return new InputError(
    `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    where,
  );
}

/** A text file's content (UTF-8); an unreadable file is an InputError naming `where` (default: the path). */
export function readTextFile(path: string, where = path): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw cannotRead(err, where);
  }
}

/** Exit statuses used by every command. */
export const ExitCode = { ok: 0, input: 1, internal: 2 } as const;

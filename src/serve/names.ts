// File names chosen by API clients (model copies, rule files) must stay inside their folder:
// one path component of safe characters, so no `../`, no absolute path, no NUL, no hidden file.
import { basename, resolve } from 'node:path';
import { InputError } from '../core/errors.js';

/** A file name of letters, digits, `.`, `_`, `-`, starting with a letter, digit or `_`; at most 128 characters. */
export const SAFE_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$';
const SAFE_NAME = new RegExp(SAFE_NAME_PATTERN);

/** The path of `name` inside `dir`; a name that could leave `dir` is an InputError naming `where`. */
export function pathInside(dir: string, name: string, where: string): string {
  if (!SAFE_NAME.test(name) || name.includes('..'))
    throw new InputError(
      `"${name.slice(0, 64)}" is not a plain file name (letters, digits, . _ -; no "..")`,
      where,
    );
  const root = resolve(dir);
  const path = resolve(root, name);
  if (resolve(path, '..') !== root || basename(path) !== name)
    throw new InputError('name leaves its folder', where);
  return path;
}

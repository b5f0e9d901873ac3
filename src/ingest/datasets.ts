// Public data sets malgram knows: where they come from, their SHA-256, and a local cache.
//
// `fetchDataset` returns a verified local path: a local copy (MALGRAM_DATASETS_DIR or --from DIR,
// found by file name or, failing that, by size + hash), else the cache (the user's cache dir,
// honouring XDG_CACHE_HOME), else a download (URL overridable with MALGRAM_DATASETS_BASE_URL,
// for tests and mirrors). Downloads go to a temp file hashed on the way and renamed into place
// only when the hash matches: a failed download or a mismatch never leaves a file behind.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import envPaths from 'env-paths';
import { InputError } from '../core/errors.js';
import { sha256File } from './input-file.js';

export interface Dataset {
  name: string;
  title: string;
  description: string;
  /** `--format` of the file. */
  format: string;
  license: string;
  /** Upstream location: base URL + file name. */
  baseUrl: string;
  fileName: string;
  /** Other names a local copy may have. */
  localNames: string[];
  sha256: string;
  size: number;
}

export const DATASETS: Dataset[] = [
  {
    name: 'malbehavd-v1',
    title: 'MalbehavD-V1',
    description: '2,570 Windows API-call sequences from Cuckoo Sandbox (1,285 benign, 1,285 malware), CSV',
    format: 'csv',
    license: 'MIT',
    baseUrl: 'https://raw.githubusercontent.com/mpasco/MalbehavD-V1/main',
    fileName: 'MalBehavD-V1-dataset.csv',
    localNames: ['malbehavd-v1.csv'],
    sha256: '1e39c43a014e9b4ee56766ad6bb367ffe8ec4316eb0be75eb182c3b2d15f6364',
    size: 2_345_393,
  },
];

/** The data set of a name (case-insensitive; `MalbehavD-V1` works). */
export function findDataset(name: string): Dataset {
  const ds = DATASETS.find((d) => d.name === name.toLowerCase());
  if (!ds)
    throw new InputError(`unknown data set "${name}" (known: ${DATASETS.map((d) => d.name).join(', ')})`);
  return ds;
}

/** Where downloads are cached: `<user cache dir>/datasets` (honours XDG_CACHE_HOME on Linux). */
export function cacheDir(): string {
  return join(envPaths('malgram', { suffix: '' }).cache, 'datasets');
}

/** The download URL (MALGRAM_DATASETS_BASE_URL replaces the upstream base). */
export function datasetUrl(ds: Dataset, env = process.env): string {
  const base = env.MALGRAM_DATASETS_BASE_URL?.replace(/\/+$/, '') || ds.baseUrl;
  return `${base}/${ds.fileName}`;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** A verified copy in `dir`: by known file names first, then any file of the right size and hash. */
async function findLocalCopy(ds: Dataset, dir: string): Promise<string> {
  const named = [ds.fileName, ...ds.localNames].map((n) => join(dir, n));
  for (const p of named) {
    if ((await sizeOf(p)) === undefined) continue;
    const hash = await sha256File(p);
    if (hash !== ds.sha256)
      throw new InputError(`SHA-256 mismatch: ${hash}, expected ${ds.sha256} for ${ds.title}`, p);
    return p;
  }
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new InputError(`cannot read the data set folder: ${(err as NodeJS.ErrnoException).code}`, dir);
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if ((await sizeOf(p)) === ds.size && (await sha256File(p)) === ds.sha256) return p;
  }
  throw new InputError(
    `no copy of ${ds.title} here (looked for ${[ds.fileName, ...ds.localNames].join(', ')})`,
    dir,
  );
}

/** Bound of a download, relative to the expected size. */
const MAX_DOWNLOAD_FACTOR = 4;

async function download(ds: Dataset, url: string, target: string): Promise<void> {
  await mkdir(cacheDir(), { recursive: true });
  const tmp = `${target}.part-${process.pid}-${Date.now()}`;
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(10 * 60_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new InputError(
        `download failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        url,
      );
    }
    if (!response.ok || !response.body) throw new InputError(`download failed: HTTP ${response.status}`, url);
    const hash = createHash('sha256');
    let bytes = 0;
    const limit = ds.size * MAX_DOWNLOAD_FACTOR;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > limit) return done(new InputError(`download larger than ${limit} bytes`, url));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as never), meter, createWriteStream(tmp));
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`download failed after ${bytes} bytes: ${(err as Error).message}`, url);
    }
    const got = hash.digest('hex');
    if (got !== ds.sha256)
      throw new InputError(
        `SHA-256 mismatch: got ${got}, expected ${ds.sha256} (${bytes} bytes); nothing cached`,
        url,
      );
    await rename(tmp, target);
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

export interface FetchOptions {
  /** A folder holding a local copy (default: MALGRAM_DATASETS_DIR). */
  from?: string;
  env?: NodeJS.ProcessEnv;
}

/** A verified local path of the data set (local copy, cache, or fresh download). */
export async function fetchDataset(
  name: string,
  opts: FetchOptions = {},
): Promise<{ path: string; how: string }> {
  const ds = findDataset(name);
  const env = opts.env ?? process.env;
  const localDir = opts.from ?? env.MALGRAM_DATASETS_DIR;
  if (localDir) return { path: await findLocalCopy(ds, localDir), how: 'local copy' };
  const target = join(cacheDir(), ds.fileName);
  if ((await sizeOf(target)) !== undefined && (await sha256File(target)) === ds.sha256)
    return { path: target, how: 'cached' };
  await download(ds, datasetUrl(ds, env), target);
  return { path: target, how: 'downloaded' };
}

/** Where a data set is cached, if it is (and verified). */
export async function cachedPath(ds: Dataset): Promise<string | undefined> {
  const target = join(cacheDir(), ds.fileName);
  if ((await sizeOf(target)) === undefined) return undefined;
  return (await sha256File(target)) === ds.sha256 ? target : undefined;
}

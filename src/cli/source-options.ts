// The sample-source flags shared by every command that reads samples (`--db`, `--data`,
// `--format`, `--processes`), and their translation into a SampleSource.
import { type Command, Option } from 'commander';
import { InputError } from '../core/errors.js';
import type { ReadIssue } from '../ingest/reader.js';
import type { SampleSource } from '../ingest/source.js';

/** The parsed flags addSourceOptions adds. */
export interface SourceFlags {
  db?: string;
  data?: string[];
  format?: string;
  processes?: 'tree' | 'all';
}

/** Adds `--db FILE`, `--data PATH...`, `--format F` and `--processes tree|all` to a command. */
export function addSourceOptions(cmd: Command): Command {
  return cmd
    .option('--db <file>', 'read analyses from this sample store')
    .option('--data <path...>', 'read these files or folders directly (folders recursively)')
    .option('--format <format>', 'input format: auto, csv, jsonl, cuckoo, cape', 'auto')
    .addOption(
      new Option('--processes <which>', 'tree: the sample and its descendants; all: every monitored process')
        .choices(['tree', 'all'])
        .default('tree'),
    );
}

/**
 * Turns parsed flags (plus positional PATHs, e.g. `classify PATH...`) into a SampleSource.
 * With neither `--db`, `--data` nor paths, `defaultDb` (when given) is used.
 */
export function sourceFromOptions(
  flags: SourceFlags,
  paths: string[] = [],
  extra: { detail?: 'full' | 'api'; onIssue?: (issue: ReadIssue) => void; defaultDb?: string } = {},
): SampleSource {
  const data = [...(flags.data ?? []), ...paths];
  if (flags.db !== undefined && data.length > 0)
    throw new InputError('give either --db or input paths, not both');
  const src: SampleSource = {
    format: flags.format ?? 'auto',
    processes: flags.processes ?? 'tree',
    detail: extra.detail ?? 'full',
  };
  if (extra.onIssue) src.onIssue = extra.onIssue;
  if (data.length > 0) src.data = data;
  else if (flags.db !== undefined) src.db = flags.db;
  else if (extra.defaultDb !== undefined) src.db = extra.defaultDb;
  else throw new InputError('no samples given: use --db FILE, --data PATH or give paths');
  return src;
}

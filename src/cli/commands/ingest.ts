// `malgram ingest PATH...`: read samples (any format; folders recursively) into the sample store.
import { type Command, Option } from 'commander';
import { InputError } from '../../core/errors.js';
import { type FilterOptions, parseDuration } from '../../ingest/filters.js';
import { ingestPaths } from '../../ingest/ingest.js';
import { type LabelPolicy, parseLabelFrom, readLabelsFile } from '../../ingest/labels.js';
import { formatIssue } from '../../ingest/source.js';
import { DEFAULT_DB, SampleStore } from '../../ingest/store.js';
import { log, printJson, progressBar } from '../io.js';

interface IngestFlags {
  format: string;
  label?: string;
  labels?: string;
  labelFrom?: string;
  db: string;
  maxDuration?: string;
  minCalls?: string;
  processes: 'tree' | 'all';
  strict?: boolean;
  quiet?: boolean;
  json?: boolean;
}

function parseMinCalls(text: string): number {
  if (!/^\d+$/.test(text)) throw new InputError(`expected a whole number, got "${text}"`, '--min-calls');
  return Number(text);
}

export function register(program: Command): void {
  program
    .command('ingest')
    .description('read samples (reports, CSV/JSONL data sets; folders recursively) into the sample store')
    .argument('<path...>', 'input files or folders')
    .option('--format <format>', 'input format: auto, csv, jsonl, cuckoo, cape', 'auto')
    .option('--label <label>', 'give every sample this label')
    .option('--labels <file>', 'labels file: id,label (CSV/TSV) or JSON {"id": "label"}')
    .option(
      '--label-from <source>',
      'label from report evidence: virustotal:N (>= N engines = malware, 0 = goodware)',
    )
    .option('--db <file>', 'sample store file', DEFAULT_DB)
    .option('--max-duration <span>', 'keep samples whose API calls span at most this (500ms, 5s, 2m)')
    .option('--min-calls <n>', 'keep samples with at least this many call records')
    .addOption(
      new Option('--processes <which>', 'tree: the sample and its descendants; all: every monitored process')
        .choices(['tree', 'all'])
        .default('tree'),
    )
    .option('--strict', 'exit with status 1 when anything was skipped')
    .option('--quiet', 'no progress bar or summary line (skipped inputs are still reported)')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (paths: string[], flags: IngestFlags) => {
      const labels: LabelPolicy = {};
      if (flags.label !== undefined) labels.fixed = flags.label;
      if (flags.labels !== undefined) labels.byId = await readLabelsFile(flags.labels);
      if (flags.labelFrom !== undefined) labels.virustotalThreshold = parseLabelFrom(flags.labelFrom);
      const filters: FilterOptions = {};
      if (flags.maxDuration !== undefined) filters.maxDuration = parseDuration(flags.maxDuration);
      if (flags.minCalls !== undefined) filters.minCalls = parseMinCalls(flags.minCalls);

      const store = SampleStore.open(flags.db);
      const bar = progressBar('ingest', 1, flags.quiet, 'KiB');
      let barTotal = 0;
      let barValue = 0;
      try {
        const summary = await ingestPaths(store, paths, {
          format: flags.format,
          processes: flags.processes,
          labels,
          filters,
          // Skipped files/lines are always reported (one line each), even with --quiet.
          onIssue: (issue) => log(`malgram: skipped ${formatIssue(issue)}`),
          onProgress: (done, total) => {
            const totalKib = Math.ceil(total / 1024);
            if (totalKib !== barTotal) {
              barTotal = totalKib;
              bar.setTotal(totalKib);
            }
            const doneKib = Math.floor(done / 1024);
            if (doneKib > barValue) bar.tick(doneKib - barValue);
            barValue = doneKib;
          },
        });
        if (flags.json) printJson({ db: flags.db, ...summary });
        else {
          const parts = [
            `${summary.ingested} ingested`,
            `${summary.duplicate} duplicate`,
            `${summary.filtered} filtered`,
            `${summary.skipped} skipped`,
          ];
          if (filters.maxDuration !== undefined)
            parts.push(`${summary.no_timestamps} without timestamps (kept)`);
          log(
            `${parts.join(', ')} (${summary.files} file${summary.files === 1 ? '' : 's'}) -> ${flags.db}`,
            flags.quiet,
          );
        }
        if (flags.strict && summary.skipped > 0) process.exitCode = 1;
      } finally {
        bar.stop();
        store.close();
      }
    });
}

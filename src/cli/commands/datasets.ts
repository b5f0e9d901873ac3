// `malgram datasets list` / `malgram datasets fetch NAME`: public data sets, verified and cached.
import type { Command } from 'commander';
import { cachedPath, DATASETS, datasetUrl, fetchDataset } from '../../ingest/datasets.js';
import { log, printJson } from '../io.js';

export function register(program: Command): void {
  const datasets = program
    .command('datasets')
    .description('public data sets: list them, fetch (download, verify, cache) one')
    .addHelpText(
      'after',
      '\nEnvironment: MALGRAM_DATASETS_DIR (a folder with local copies), MALGRAM_DATASETS_BASE_URL (a mirror),\nXDG_CACHE_HOME (where downloads are cached).',
    );

  datasets
    .command('list')
    .description('known data sets')
    .option('--json', 'one JSON document on stdout')
    .action(async (flags: { json?: boolean }) => {
      const rows = await Promise.all(
        DATASETS.map(async (d) => ({
          name: d.name,
          title: d.title,
          description: d.description,
          format: d.format,
          license: d.license,
          url: datasetUrl(d),
          sha256: d.sha256,
          size: d.size,
          cached: (await cachedPath(d)) ?? null,
        })),
      );
      if (flags.json) printJson({ datasets: rows });
      else
        for (const r of rows)
          process.stdout.write(
            `${r.name}\t${r.title}: ${r.description} (${r.license})\n\t${r.url}\n\tsha256 ${r.sha256}${r.cached ? `\n\tcached: ${r.cached}` : ''}\n`,
          );
    });

  datasets
    .command('fetch')
    .description('make a data set available locally and print its path (verifies SHA-256)')
    .argument('<name>', 'data set name (see `datasets list`)')
    .option(
      '--from <dir>',
      'use a local copy in this folder instead of downloading (default: $MALGRAM_DATASETS_DIR)',
    )
    .option('--json', 'one JSON document on stdout')
    .action(async (name: string, flags: { from?: string; json?: boolean }) => {
      const { path, how } = await fetchDataset(name, { from: flags.from });
      if (flags.json) printJson({ name: name.toLowerCase(), path, how });
      else {
        log(`${name}: ${how}, SHA-256 verified`);
        process.stdout.write(`${path}\n`);
      }
    });
}

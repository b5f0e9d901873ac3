// `npm run bench`: runs every bench/*.bench.ts in its own process (so peak memory is per
// benchmark) and prints their figures. `npm run bench -- NAME` runs the benchmarks whose file
// name contains NAME. Benchmarks print ratios against a baseline measured in the same run:
// the machine is shared and noisy, so only the ratios are comparable between runs.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, f)], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
if (files.length === 0) process.stdout.write('no benchmark matched\n');
process.exit(failed > 0 ? 1 : 0);

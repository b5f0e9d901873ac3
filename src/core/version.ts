// The malgram version, read once from package.json (written into model files and reports).
import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'malgram' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next location (src/core when run from source, dist/core when built)
    }
  }
  return '0.0.0';
}

export const VERSION: string = readVersion();

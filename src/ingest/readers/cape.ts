// `cape`: CAPEv2 report.json (full and lite; `info.version` ending in `-CAPE`) and its ancestor
// cuckoo-modified 1.3-NG/1.3-Optiv, which has the same process and call layout. The streaming
// parse, field mapping and every choice (id, origin, times, process scope `tree`, skipped anomaly
// records) are shared with `cuckoo` and documented in report-common.ts.
import type { SampleReader } from '../reader.js';
import { readReport, sniffReport } from './report-common.js';

export const capeReader: SampleReader = {
  format: 'cape',
  sniff(head) {
    const { family, confidence } = sniffReport(head);
    if (family === 'cape') return confidence;
    // Undecided reports lean to cuckoo; plain Cuckoo reports are readable here but cuckoo wins.
    return family === undefined ? confidence * 0.8 : confidence / 4;
  },
  async *read(path, options) {
    yield await readReport(path, options);
  },
};

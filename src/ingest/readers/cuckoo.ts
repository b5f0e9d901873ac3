// `cuckoo`: Cuckoo Sandbox report.json — pre-1.0 (0.4/0.5), 1.x (0.6–1.2) and 2.0.x layouts.
// The streaming parse, field mapping and every choice (id, origin, times, process scope `tree`,
// skipped anomaly records) are shared with `cape` and documented in report-common.ts. The trace's
// `format` says what the content is (`cape` for a CAPE report read with --format cuckoo).
import type { SampleReader } from '../reader.js';
import { readReport, sniffReport } from './report-common.js';

export const cuckooReader: SampleReader = {
  format: 'cuckoo',
  sniff(head) {
    const { family, confidence } = sniffReport(head);
    // A CAPE report is readable here too, but the cape reader should win auto-detection.
    return family === 'cape' ? confidence / 4 : confidence;
  },
  async *read(path, options) {
    yield await readReport(path, options);
  },
};

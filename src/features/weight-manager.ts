// Jubatus's weight manager (jubatus-reference.md §2.5–2.6): online document statistics and the
// global weights. The final value of a string feature is sample_weight × global_weight, where
//   bin  = 1
//   idf  = ln((N + 1) / (df + 1))
//   idf1 = ln((N + 1) / (df + 1)) + 1
//   bm25 = ln((N − df + 0.5) / (df + 0.5)) · sw·(k1 + 1) / (sw + k1·(1 − b + b·L/avgL)), k1 = 1.2, b = 0.75
// N = document count, df = document frequency of the full feature name, L = the group's total
// sample weight in this vector, avgL = group total length / group frequency (0 if unseen).
// In train the statistics are updated with the vector *before* it is weighted; classify only reads.
// Every entry whose weighted value is exactly 0 is removed afterwards.
import type { FeatureVector } from '../core/datum.js';
import { exactLog } from './exact-log.js';

const K1 = 1.2;
const B = 0.75;

/** The global weight named after the last `/` of a feature name. */
function globalWeightOf(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
/** The bm25 group of a feature name: `name[0..first '$') + name[last '@'..]`. */
function groupOf(name: string): string {
  const dollar = name.indexOf('$');
  return (dollar < 0 ? name : name.slice(0, dollar)) + name.slice(name.lastIndexOf('@'));
}

export interface DocumentStatistics {
  documentCount: number;
  documentFrequencies: Map<string, number>;
  groupFrequencies: Map<string, number>;
  groupTotalLengths: Map<string, number>;
}

export class WeightManager implements DocumentStatistics {
  documentCount = 0;
  documentFrequencies = new Map<string, number>();
  groupFrequencies = new Map<string, number>();
  groupTotalLengths = new Map<string, number>();
  /** User weights (`weight` global weight); only settable programmatically. */
  readonly userWeights = new Map<string, number>();

  /**
   * @param counts whether any string rule uses idf/idf1/bm25 (Jubatus updates the statistics only then)
   * @param bm25 whether any rule uses bm25 (group statistics)
   */
  constructor(
    readonly counts: boolean,
    readonly bm25: boolean,
  ) {}

  clear(): void {
    this.documentCount = 0;
    this.documentFrequencies.clear();
    this.groupFrequencies.clear();
    this.groupTotalLengths.clear();
  }

  /** Group lengths L of one unweighted vector. */
  private groupLengths(fv: FeatureVector): Map<string, number> {
    const lengths = new Map<string, number>();
    for (const [name, v] of fv) {
      const g = groupOf(name);
      lengths.set(g, (lengths.get(g) ?? 0) + v);
    }
    return lengths;
  }

  /** Counts one training document (before weighting). */
  update(fv: FeatureVector): void {
    if (!this.counts) return;
    this.documentCount += 1;
    for (const [name] of fv)
      this.documentFrequencies.set(name, (this.documentFrequencies.get(name) ?? 0) + 1);
    if (this.bm25) {
      for (const [g, len] of this.groupLengths(fv)) {
        this.groupFrequencies.set(g, (this.groupFrequencies.get(g) ?? 0) + 1);
        this.groupTotalLengths.set(g, (this.groupTotalLengths.get(g) ?? 0) + len);
      }
    }
  }

  /** Applies the global weights; entries that become exactly 0 are removed. */
  apply(fv: FeatureVector): FeatureVector {
    const lengths = this.bm25 ? this.groupLengths(fv) : undefined;
    const out: FeatureVector = [];
    for (const [name, sw] of fv) {
      const value = this.weigh(name, sw, lengths);
      if (value !== 0) out.push([name, value]);
    }
    return out;
  }

  /** The final value of one feature: its sample weight `sw` times its global weight. */
  weigh(name: string, sw: number, lengths?: Map<string, number>): number {
    switch (globalWeightOf(name)) {
      case 'idf':
        return sw * this.idf(name);
      case 'idf1':
        return sw * (this.idf(name) + 1);
      case 'bm25': {
        const g = groupOf(name);
        const df = this.documentFrequencies.get(name) ?? 0;
        const n = this.documentCount;
        const idf = exactLog((n - df + 0.5) / (df + 0.5));
        const freq = this.groupFrequencies.get(g) ?? 0;
        const avgL = freq === 0 ? 0 : (this.groupTotalLengths.get(g) ?? 0) / freq;
        const len = lengths?.get(g) ?? sw;
        return idf * ((sw * (K1 + 1)) / (sw + K1 * (1 - B + (B * len) / avgL)));
      }
      case 'weight':
        return sw * (this.userWeights.get(name.slice(0, name.lastIndexOf('#'))) ?? 0);
      default:
        return sw;
    }
  }

  private idf(name: string): number {
    const df = this.documentFrequencies.get(name) ?? 0;
    return exactLog((this.documentCount + 1) / (df + 1));
  }
}

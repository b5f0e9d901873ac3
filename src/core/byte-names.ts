// Strings read straight from bytes without allocating for the ones seen before: a bounded,
// direct-mapped table keyed by the bytes' hash (which the caller computes while it scans them,
// with `nameHashStep`), each hit checked byte by byte. For names that repeat a lot (API names,
// hosts, process names) in the byte-level parsers (src/detect/event-parser.ts, the JSONL
// calls-list fast path): a repeated name costs no allocation and no native call, and Map lookups
// later get a string whose hash V8 has already cached. Only for ASCII bytes (one char per byte).

/** One step of the bytes' hash (FNV-1a style): hash = nameHashStep(hash, byte), from 0. */
export function nameHashStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 0x01000193);
}

export class ByteNameTable {
  private readonly slots: Array<string | undefined>;
  private readonly mask: number;

  /** `size`: number of slots, a power of two (the table never holds more names). */
  constructor(size: number) {
    this.slots = new Array(size).fill(undefined);
    this.mask = size - 1;
  }

  /** The string of the ASCII bytes buf[start..end), whose hash (nameHashStep over them) is `hash`. */
  get(buf: Buffer, start: number, end: number, hash: number): string {
    const slot = (hash ^ (hash >>> 15)) & this.mask;
    const known = this.slots[slot];
    const length = end - start;
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === buf[start + i]) i++;
      if (i === length) return known;
    }
    const value = buf.toString('latin1', start, end);
    this.slots[slot] = value;
    return value;
  }
}

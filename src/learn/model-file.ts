// The malgram model file (versioned, checksummed, written atomically):
//
//   offset  size  field
//   0       8     magic "MALGRAM\0"
//   8       4     format version (uint32 BE) = 2
//   12      4     CRC-32 (zlib/IEEE) of the body
//   16      8     body length (uint64 BE)
//   24      …     body: msgpack map {malgram (version), config (JSON text), options, labels
//                 [{name, w, cov, has, aux?}] with little-endian float64/uint8 arrays, label
//                 counts, feature dictionary, display names, frequencies, sample count, MIX
//                 version, pruned count, document statistics}
//
// The feature dictionary: format 2 keeps the names as one UTF-8 blob (`featureBytes`) and their
// byte lengths (`featureLengths`, uint32 LE), each name decoded by one native call; format 1
// kept a msgpack array of strings (`features`), which decoded ~8x slower (names are ~60 bytes and
// a model has 10^5-10^6 of them). Format 1 files are still read.
//
// Loading checks, in order: length, magic, format version (newer → refused), body length, CRC,
// body decoding. Every failure is an InputError naming the file.
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { decode, encode } from '@msgpack/msgpack';
import { writeFileAtomic } from '../core/atomic-file.js';
import { InputError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import type { ModelOptions } from './model.js';
import type { AlertThreshold } from './model-api.js';

export const MODEL_MAGIC = new TextEncoder().encode('MALGRAM\0');
/** The version written; every version from 1 up to it is read. */
export const MODEL_FORMAT_VERSION = 2;
const HEADER = 24;

export interface LabelState {
  name: string;
  w: Float64Array;
  cov: Float64Array;
  has: Uint8Array;
  aux?: Float64Array;
}

export interface ModelState {
  configJson: string;
  options: ModelOptions;
  labels: LabelState[];
  labelCounts: Array<[string, number]>;
  features: string[];
  display: Array<[number, string]>;
  frequency: Uint32Array;
  sampleCount: number;
  version: number;
  prunedFeatures: number;
  documentCount: number;
  documentFrequencies: Array<[string, number]>;
  groupFrequencies: Array<[string, number]>;
  groupTotalLengths: Array<[string, number]>;
  alertThreshold?: AlertThreshold;
}

function bytesOf(a: Float64Array | Uint32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
function float64Of(b: Uint8Array): Float64Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float64Array(copy.buffer);
}

/** The optional alert threshold (absent in files written before it existed). */
function alertThresholdOf(raw: unknown, where: string): AlertThreshold | undefined {
  if (raw === undefined || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  const ok =
    typeof o.positive === 'string' &&
    typeof o.margin === 'number' &&
    Number.isFinite(o.margin) &&
    typeof o.target_fpr === 'number' &&
    Number.isInteger(o.negatives);
  if (!ok) throw new InputError('model file has a malformed alert threshold', where);
  return {
    positive: o.positive as string,
    margin: o.margin as number,
    target_fpr: o.target_fpr as number,
    negatives: o.negatives as number,
  };
}

/** Feature names as one UTF-8 blob and their byte lengths (format 2). */
function encodeNames(names: readonly string[]): { bytes: Uint8Array; lengths: Uint8Array } {
  const lengths = new Uint32Array(names.length);
  let total = 0;
  for (let i = 0; i < names.length; i++) {
    lengths[i] = Buffer.byteLength(names[i], 'utf8');
    total += lengths[i];
  }
  const bytes = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < names.length; i++) at += bytes.write(names[i], at, 'utf8');
  return { bytes, lengths: bytesOf(lengths) };
}

function decodeNames(bytes: unknown, lengths: unknown): string[] {
  if (!(bytes instanceof Uint8Array) || !(lengths instanceof Uint8Array) || lengths.byteLength % 4 !== 0)
    throw new Error('feature names are not a byte blob with uint32 lengths');
  const view = new DataView(lengths.buffer, lengths.byteOffset, lengths.byteLength);
  const blob = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const names = new Array<string>(lengths.byteLength / 4);
  let at = 0;
  for (let i = 0; i < names.length; i++) {
    const end = at + view.getUint32(4 * i, true);
    if (end > blob.length) throw new Error(`feature name ${i} runs past the names' ${blob.length} bytes`);
    names[i] = blob.toString('utf8', at, end);
    at = end;
  }
  if (at !== blob.length) throw new Error(`feature names use ${at} of their ${blob.length} bytes`);
  return names;
}

function optionsOf(raw: unknown): ModelOptions {
  const o = (raw ?? {}) as Record<string, unknown>;
  return typeof o.maxFeatures === 'number' ? { maxFeatures: o.maxFeatures } : {};
}

export function encodeModelFile(state: ModelState): Uint8Array {
  const names = encodeNames(state.features);
  const body = encode({
    malgram: VERSION,
    config: state.configJson,
    options: state.options.maxFeatures === undefined ? {} : { maxFeatures: state.options.maxFeatures },
    labels: state.labels.map((l) => ({
      name: l.name,
      w: bytesOf(l.w),
      cov: bytesOf(l.cov),
      has: bytesOf(l.has),
      ...(l.aux ? { aux: bytesOf(l.aux) } : {}),
    })),
    labelCounts: state.labelCounts,
    featureBytes: names.bytes,
    featureLengths: names.lengths,
    display: state.display,
    frequency: bytesOf(state.frequency),
    sampleCount: state.sampleCount,
    version: state.version,
    prunedFeatures: state.prunedFeatures,
    documentCount: state.documentCount,
    documentFrequencies: state.documentFrequencies,
    groupFrequencies: state.groupFrequencies,
    groupTotalLengths: state.groupTotalLengths,
    ...(state.alertThreshold ? { alertThreshold: state.alertThreshold } : {}),
  });
  const out = new Uint8Array(HEADER + body.byteLength);
  out.set(MODEL_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, MODEL_FORMAT_VERSION);
  view.setUint32(12, crc32(body));
  view.setBigUint64(16, BigInt(body.byteLength));
  out.set(body, HEADER);
  return out;
}

export function decodeModelFile(bytes: Uint8Array, where: string): ModelState {
  if (bytes.length < HEADER)
    throw new InputError(`not a malgram model file (truncated: ${bytes.length} bytes)`, where);
  if (MODEL_MAGIC.some((b, i) => bytes[i] !== b))
    throw new InputError('not a malgram or Jubatus model file (bad magic)', where);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint32(8);
  if (format === 0 || format > 255)
    throw new InputError(`model file is corrupt (format version field ${format})`, where);
  if (format > MODEL_FORMAT_VERSION) {
    throw new InputError(
      `model file format version ${format} is newer than this malgram's (${MODEL_FORMAT_VERSION}); use a matching malgram version`,
      where,
    );
  }
  const length = Number(view.getBigUint64(16));
  if (bytes.length - HEADER !== length) {
    throw new InputError(
      `model file is truncated or has trailing bytes (body ${bytes.length - HEADER} of ${length} bytes)`,
      where,
    );
  }
  const body = bytes.subarray(HEADER);
  if (crc32(body) !== view.getUint32(12))
    throw new InputError('model file is corrupt (CRC-32 mismatch)', where);
  let raw: Record<string, unknown>;
  try {
    raw = decode(body) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`model file body is corrupt: ${(err as Error).message}`, where);
  }
  try {
    const labels = (raw.labels as Array<Record<string, unknown>>).map((l) => ({
      name: l.name as string,
      w: float64Of(l.w as Uint8Array),
      cov: float64Of(l.cov as Uint8Array),
      has: new Uint8Array(l.has as Uint8Array),
      aux: l.aux ? float64Of(l.aux as Uint8Array) : undefined,
    }));
    const freqBytes = raw.frequency as Uint8Array;
    const freqCopy = new Uint8Array(freqBytes.byteLength);
    freqCopy.set(freqBytes);
    return {
      configJson: raw.config as string,
      options: optionsOf(raw.options),
      labels,
      labelCounts: raw.labelCounts as Array<[string, number]>,
      features: format === 1 ? (raw.features as string[]) : decodeNames(raw.featureBytes, raw.featureLengths),
      display: raw.display as Array<[number, string]>,
      frequency: new Uint32Array(freqCopy.buffer),
      sampleCount: raw.sampleCount as number,
      version: raw.version as number,
      prunedFeatures: raw.prunedFeatures as number,
      documentCount: raw.documentCount as number,
      documentFrequencies: raw.documentFrequencies as Array<[string, number]>,
      groupFrequencies: raw.groupFrequencies as Array<[string, number]>,
      groupTotalLengths: raw.groupTotalLengths as Array<[string, number]>,
      alertThreshold: alertThresholdOf(raw.alertThreshold, where),
    };
  } catch (err) {
    throw new InputError(`model file body is malformed: ${(err as Error).message}`, where);
  }
}

/** Writes the model file atomically. */
export function writeModelFile(path: string, state: ModelState): void {
  writeFileAtomic(path, encodeModelFile(state));
}

/** The bytes of a model file (malgram's or Jubatus's); a read failure is an InputError naming it. */
export function readModelBytes(path: string): Uint8Array {
  try {
    return readFileSync(path); // the decoders honour its byteOffset: no copy needed
  } catch (err) {
    throw new InputError(
      `cannot read model file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      path,
    );
  }
}

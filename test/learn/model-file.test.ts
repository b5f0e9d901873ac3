// Model files: round trip (continue training gives the same model as training in one go),
// refusal of corrupt, truncated, foreign and newer-version files; bounded models; MIX diffs.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { decode, encode } from '@msgpack/msgpack';
import { InputError } from '../../src/core/errors.js';
import type { Trace } from '../../src/core/trace.js';
import { configFromFlags, createModel, loadModel } from '../../src/learn/model.js';
import { decodeModelFile, encodeModelFile } from '../../src/learn/model-file.js';

const dir = mkdtempSync(join(tmpdir(), 'malgram-model-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const trace = (i: number): Trace => ({
  id: `t${i}`,
  format: 'test',
  processes: [
    { pid: 1, calls: Array.from({ length: 20 }, (_, k) => ({ api: `Api${(k * ((i % 5) + 1) + i) % 13}` })) },
  ],
});
const label = (i: number) => (i % 2 === 0 ? 'benign' : 'malware');

describe('model file', () => {
  it('round-trips and continues training to the same model', () => {
    const whole = createModel(configFromFlags({ method: 'CW', ngram: '2-3' }));
    for (let i = 0; i < 30; i++) whole.train(trace(i), label(i));
    const first = createModel(configFromFlags({ method: 'CW', ngram: '2-3' }));
    for (let i = 0; i < 15; i++) first.train(trace(i), label(i));
    const path = join(dir, 'a.model');
    first.save(path);
    assert.deepEqual(readdirSync(dir), ['a.model'], 'no temporary file left');
    const loaded = loadModel(path);
    assert.deepEqual(loaded.cells(), first.cells());
    assert.equal(loaded.configJson, first.configJson);
    for (let i = 15; i < 30; i++) loaded.train(trace(i), label(i));
    assert.deepEqual(loaded.cells(), whole.cells());
    assert.deepEqual(loaded.labelCounts(), whole.labelCounts());
    assert.equal(loaded.sampleCount(), 30);
    assert.deepEqual(loaded.classify(trace(99)).scores, whole.classify(trace(99)).scores);
  });

  it('refuses corrupt, truncated, foreign and newer-version files with a clear message', () => {
    const m = createModel(configFromFlags({}));
    m.train(trace(1), 'x');
    const good = join(dir, 'good.model');
    m.save(good);
    const bytes = readFileSync(good);
    const bad = join(dir, 'bad.model');
    const refuse = (data: Uint8Array, pattern: RegExp) => {
      writeFileSync(bad, data);
      assert.throws(
        () => loadModel(bad),
        (e: Error) => e instanceof InputError && pattern.test(e.message) && e.message.includes(bad),
      );
    };
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 5] ^= 0xff;
    refuse(flipped, /corrupt \(CRC-32 mismatch\)/);
    refuse(bytes.subarray(0, bytes.length - 10), /truncated/);
    refuse(bytes.subarray(0, 10), /truncated/);
    refuse(Buffer.from('{"not": "a model"}, padded to the header size'), /bad magic/);
    const newer = Buffer.from(bytes);
    newer.writeUInt32BE(3, 8);
    refuse(newer, /format version 3 is newer than this malgram's \(2\)/);
    assert.throws(() => loadModel(join(dir, 'missing.model')), /cannot read model file: ENOENT/);
  });
});

describe('model file formats', () => {
  // test/fixtures/learn/model-format-1.malgram was written by malgram before format 2 (commit
  // 2754f3a): CW, 2-3-grams, trained on 10 traces of these names, labels benign/malware.
  const names = [
    'NtOpenKey',
    'VirtualProtectEx',
    'Créer_Fichier',
    '__proto__',
    'Api\nLine',
    '日本語',
    'NtClose',
  ];
  const fixtureTrace = (i: number): Trace => ({
    id: `t${i}`,
    format: 'test',
    processes: [
      {
        pid: 1,
        calls: Array.from({ length: 12 }, (_, k) => ({ api: names[(k * ((i % 3) + 1) + i) % names.length] })),
      },
    ],
  });

  it('reads a format-1 file (names as a msgpack array) and writes format 2 with the same content', () => {
    const old = loadModel(
      fileURLToPath(new URL('../fixtures/learn/model-format-1.malgram', import.meta.url)),
    );
    const again = createModel(configFromFlags({ method: 'CW', ngram: '2-3' }));
    for (let i = 0; i < 10; i++) again.train(fixtureTrace(i), i % 2 ? 'malware' : 'benign');
    assert.equal(old.numFeatures(), 42);
    assert.deepEqual(old.cells(), again.cells(), 'the same names, weights and covariances');
    assert.deepEqual(old.classify(fixtureTrace(42)).scores, again.classify(fixtureTrace(42)).scores);
    const path = join(dir, 'format-2.model');
    old.save(path);
    const bytes = readFileSync(path);
    assert.equal(bytes.readUInt32BE(8), 2);
    const reread = loadModel(path);
    assert.deepEqual(reread.cells(), old.cells());
    assert.ok(
      [...reread.cells().keys()].includes('api_call$NtClose_Créer_Fichier_日本語@space#log_tf/bin'),
      'multi-byte names survive',
    );
  });

  it('refuses a format-2 file whose name lengths do not add up to the name bytes', () => {
    const m = createModel(configFromFlags({}));
    m.train(fixtureTrace(1), 'x');
    const state = decodeModelFile(m.toBytes(), 'm');
    const good = encodeModelFile(state);
    // the last name one byte longer than the blob holds, CRC recomputed so only the names are wrong
    const body = decode(good.subarray(24)) as Record<string, Uint8Array>;
    const lengths = new DataView(body.featureLengths.buffer, body.featureLengths.byteOffset);
    const last = body.featureLengths.byteLength - 4;
    lengths.setUint32(last, lengths.getUint32(last, true) + 1, true);
    const bad = Buffer.concat([good.subarray(0, 24), encode(body)]);
    bad.writeUInt32BE(crc32(bad.subarray(24)), 12);
    bad.writeBigUInt64BE(BigInt(bad.length - 24), 16);
    assert.throws(
      () => decodeModelFile(bad, 'bad.model'),
      /bad\.model: model file body is malformed: feature name \d+ runs past the names' \d+ bytes/,
    );
  });
});

describe('bounded models', () => {
  it('--max-features prunes in batches and keeps the bound', () => {
    const m = createModel(configFromFlags({ ngram: '1-3' }), { maxFeatures: 40 });
    for (let i = 0; i < 60; i++) m.train(trace(i), label(i));
    assert.ok(m.numFeatures() <= 40 + 16, `${m.numFeatures()}`);
    assert.ok(m.prunedFeatures > 0);
    // an explicit prune keeps the features with the largest max-over-labels |weight|
    const usefulness = [...m.cells()].map(
      ([f, row]) => [f, Math.max(...[...row.values()].map(([w]) => Math.abs(w)))] as const,
    );
    usefulness.sort((x, y) => y[1] - x[1]);
    assert.ok(usefulness[19][1] > usefulness[20][1], 'no tie at the cut in this example');
    const pruned = m.prunedFeatures;
    m.prune(20);
    assert.equal(m.numFeatures(), 20);
    assert.equal(m.prunedFeatures, pruned + usefulness.length - 20);
    assert.deepEqual(new Set(m.cells().keys()), new Set(usefulness.slice(0, 20).map(([f]) => f)));
    assert.equal(m.classify(trace(3)).empty, false, 'still classifies with the kept features');
  });

  it('--hash-bits: hashed space, dump still shows n-grams', () => {
    const config = configFromFlags({ ngram: 2 });
    config.converter.hash_max_size = 2 ** 6;
    const m = createModel(config);
    for (let i = 0; i < 20; i++) m.train(trace(i), label(i));
    assert.ok(m.numFeatures() <= 64);
    const top = m.dump('malware', 3);
    assert.match(top[0].feature, /^api_call\$Api\d+_Api\d+@space#log_tf\/bin$/);
    const w = m.featureWeights(top[0].feature);
    assert.equal(w?.get('malware'), top[0].weight);
  });
});

describe('MIX diff (mean of deltas, min covariance)', () => {
  it('two models mixed agree, and the mixed weight is the mean of the deltas', () => {
    const a = createModel(configFromFlags({ method: 'AROW', ngram: 2 }));
    const b = createModel(configFromFlags({ method: 'AROW', ngram: 2 }));
    a.train(trace(1), 'malware');
    b.train(trace(2), 'benign');
    const da = a.diff();
    const db = b.diff();
    // fold as the linear mixer does: mean of d1, min of d2 (absent = (0, 1)), sums for counts
    const weights = new Map<string, Map<string, [number, number, number]>>();
    for (const f of new Set([...da.weights.keys(), ...db.weights.keys()])) {
      const row = new Map<string, [number, number, number]>();
      for (const l of new Set([...(da.weights.get(f)?.keys() ?? []), ...(db.weights.get(f)?.keys() ?? [])])) {
        const x = da.weights.get(f)?.get(l) ?? [0, 1, 0];
        const y = db.weights.get(f)?.get(l) ?? [0, 1, 0];
        row.set(l, [(x[0] + y[0]) / 2, Math.min(x[1], y[1]), 0]);
      }
      weights.set(f, row);
    }
    const labelCounts = new Map([...da.labelCounts, ...db.labelCounts]);
    const mixed = { ...da, weights, labelCounts, updates: 2 };
    a.applyMixed(mixed);
    b.applyMixed(mixed);
    assert.equal(a.version, 1);
    assert.deepEqual(a.cells(), b.cells());
    assert.deepEqual(Object.fromEntries(a.labelCounts()), { malware: 1, benign: 1 });
    assert.equal(a.sampleCount(), 2, "the mixed model counts both workers' samples");
    assert.equal(b.sampleCount(), 2);
    const f = [...da.weights.keys()][0];
    assert.equal(a.featureWeights(f)!.get('malware'), da.weights.get(f)!.get('malware')![0] / 2);
    assert.equal(a.diff().weights.size, 0, 'nothing new since the mix');
    a.train(trace(3), 'malware');
    assert.ok(a.diff().weights.size > 0);
    assert.throws(() => b.applyMixed({ ...mixed, baseVersion: 0 }), /version/);
  });
});

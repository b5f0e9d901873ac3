// Jubatus model files (.jubatus, jubatus-reference.md §5): models trained on MalbehavD-V1 rows
// round-trip (scores, dumps, explanations and continued training identical to the original);
// the bytes are checked independently of our decoder by Debian's python3-msgpack and zlib in a
// child process (header, CRC, system_data, label ids, cell values as float64); files rewritten
// by Python in the other forms Jubatus writes (tbl_diff and label diffs in use, the 2-element
// standalone storage) read to the same model; every refusal names the file and the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { encode } from '@msgpack/msgpack';
import { InputError } from '../../src/core/errors.js';
import type { Trace } from '../../src/core/trace.js';
import { sequenceHashSplit } from '../../src/evaluate/split.js';
import { loadSamples } from '../../src/ingest/source.js';
import { decodeJubatusFile, encodeJubatusFile } from '../../src/learn/jubatus-file.js';
import { configFromFlags, createModel, loadModel, type OnlineModel } from '../../src/learn/model.js';
import { orderSamples } from '../../src/learn/training.js';
import { ModelHost } from '../../src/serve/model-host.js';
import { malbehavdCsv, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'malgram-jubatus-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let first: Trace[] = [];
let more: Trace[] = [];
let test: Trace[] = [];

before(async () => {
  const traces = await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' });
  const split = sequenceHashSplit(traces);
  const train = orderSamples(
    split.train.map((i) => traces[i]),
    (t) => t.label!,
    'shuffle',
    1,
  );
  first = train.slice(0, 600);
  more = train.slice(600, 1000);
  test = split.test.map((i) => traces[i]);
});

function trained(method: string, traces: readonly Trace[]): OnlineModel {
  const m = createModel(configFromFlags({ method, ngram: 3, sampleWeight: 'log_tf', globalWeight: 'bin' }));
  for (const t of traces) m.train(t, t.label!);
  return m;
}

/** Runs a Python script (argv after it: `args`) and parses its JSON output. */
function python(script: string, args: string[]): unknown {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Reads a .jubatus file with python3-msgpack and zlib only. */
const PY_LAYOUT = `
import json, struct, sys, zlib, msgpack
b = open(sys.argv[1], 'rb').read()
magic, fmt, major, minor, maint, crc, ss, us = struct.unpack('>8sQIIIIQQ', b[:48])
crc_calc = zlib.crc32(b[32:], zlib.crc32(b[:28])) & 0xffffffff
sysd = msgpack.unpackb(b[48:48 + ss], raw=False, strict_map_key=False)
user = msgpack.unpackb(b[48 + ss:48 + ss + us], raw=False, strict_map_key=False)
uver, (cmodel, wm) = user
storage, labels = cmodel
tbl, (key2id, id2key, next_id), tbl_diff, mver = storage
cells = [v for row in tbl.values() for v in row.values()]
feature = sys.argv[2]
print(json.dumps({
  'magic': magic.decode('latin1'), 'format': fmt, 'version': [major, minor, maint],
  'crc': crc, 'crc_calc': crc_calc, 'sizes': [ss, us, len(b)],
  'system': sysd, 'user_version': uver, 'cmodel_len': len(cmodel), 'storage_len': len(storage),
  'key2id': key2id, 'id2key': {str(k): v for k, v in id2key.items()}, 'next_id': next_id,
  'tbl_diff': len(tbl_diff), 'model_version': mver, 'labels': labels, 'wm_version': wm[0],
  'features': len(tbl),
  'ids_are_ints': all(isinstance(i, int) for row in tbl.values() for i in row),
  'cells_are_float_triples': all(len(c) == 3 and all(isinstance(x, float) for x in c) for c in cells),
  'feature': {str(k): v for k, v in tbl[feature].items()},
}))
`;

/**
 * Rewrites a .jubatus file in another form Jubatus writes, re-encoded by python3-msgpack:
 * 'mixture' moves every other feature's row into tbl_diff and half of each label count into the
 * label diff; 'standalone' keeps the 2-element storage [tbl, class2id] of local_storage.
 */
const PY_REWRITE = `
import struct, sys, zlib, msgpack
src, dst, form = sys.argv[1:4]
b = open(src, 'rb').read()
head, ss = b[:48], struct.unpack('>Q', b[32:40])[0]
sysb = b[48:48 + ss]
user = msgpack.unpackb(b[48 + ss:], raw=False, strict_map_key=False)
storage, labels = user[1][0]
if form == 'mixture':
  tbl, diff = {}, {}
  for i, (f, row) in enumerate(storage[0].items()):
    (diff if i % 2 else tbl)[f] = row
  storage[0], storage[2] = tbl, diff
  labels[1] = {k: v - v // 2 for k, v in labels[0].items()}
  labels[0] = {k: v // 2 for k, v in labels[0].items()}
else:
  user[1][0][0] = storage[:2]
userb = msgpack.packb(user, use_bin_type=True)
head = head[:32] + struct.pack('>QQ', len(sysb), len(userb))
crc = zlib.crc32(head[32:] + sysb + userb, zlib.crc32(head[:28])) & 0xffffffff
open(dst, 'wb').write(head[:28] + struct.pack('>I', crc) + head[32:] + sysb + userb)
print('{}')
`;

function assertSameModel(loaded: OnlineModel, original: OnlineModel, traces: readonly Trace[]): void {
  assert.deepEqual(loaded.labels(), original.labels());
  assert.deepEqual(loaded.cells(), original.cells());
  assert.deepEqual(loaded.labelCounts(), original.labelCounts());
  for (const t of traces) assert.deepEqual(loaded.classify(t).scores, original.classify(t).scores, t.id);
}

describe('Jubatus model files', () => {
  for (const method of ['AROW', 'CW']) {
    it(`${method}: save as .jubatus, load, same scores, dumps and explanations, same continued training`, () => {
      const original = trained(method, first);
      const path = join(dir, `${method}.jubatus`);
      original.save(path);
      assert.deepEqual(readFileSync(path).subarray(0, 8), Buffer.from('jubatus\0', 'latin1'));
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.startsWith(`${method}.jubatus.`)),
        [],
        'no temporary file left',
      );
      const loaded = loadModel(path);
      assert.equal(loaded.configJson, original.configJson);
      assert.equal(loaded.method, method);
      assert.equal(loaded.sampleCount(), 600);
      assertSameModel(loaded, original, test);
      for (const l of original.labels()) assert.deepEqual(loaded.dump(l, 200), original.dump(l, 200));
      for (const l of original.labels())
        assert.deepEqual(loaded.dump(l, 200, true), original.dump(l, 200, true));
      for (const t of test.slice(0, 50)) assert.deepEqual(loaded.explain(t, 10), original.explain(t, 10));
      // saving what was loaded writes the same user_data (only the timestamp may differ)
      const userData = (b: Uint8Array) =>
        Buffer.from(b).subarray(48 + Number(Buffer.from(b).readBigUInt64BE(32)));
      assert.deepEqual(
        userData(encodeJubatusFile(loaded.toState(), 'x')),
        userData(encodeJubatusFile(original.toState(), 'x')),
      );
      // continued training from the file equals continuing the original
      for (const t of more) {
        original.train(t, t.label!);
        loaded.train(t, t.label!);
      }
      assertSameModel(loaded, original, test);
      loaded.save(path);
      assertSameModel(loadModel(path), original, test);
    });
  }

  it('writes the layout of the reference, checked by python3-msgpack and zlib', () => {
    const m = trained('AROW', first);
    const path = join(dir, 'layout.jubatus');
    m.save(path);
    const [top] = m.dump('1', 1);
    const cells = m.cells().get(top.feature)!;
    const py = python(PY_LAYOUT, [path, top.feature]) as Record<string, unknown>;
    assert.equal(py.magic, 'jubatus\0');
    assert.equal(py.format, 1);
    assert.deepEqual(py.version, [1, 1, 1]);
    assert.equal(py.crc, py.crc_calc, 'CRC of header 0-27, 32-47, system_data, user_data');
    const [ss, us, total] = py.sizes as number[];
    assert.equal(48 + ss + us, total);
    const [sysVersion, ts, type, id, config] = py.system as [number, number, string, string, string];
    assert.deepEqual([sysVersion, type, id, config], [1, 'classifier', 'layout', m.configJson]);
    assert.ok(Math.abs(ts - Date.now() / 1000) < 600, `timestamp ${ts}`);
    assert.equal(py.user_version, 1);
    assert.equal(py.cmodel_len, 2, '[storage, labels], no unlearner');
    assert.equal(py.storage_len, 4, '[tbl, class2id, tbl_diff, model_version]');
    // label ids: registration order, id2key the inverse of key2id, next_id after them
    assert.deepEqual(py.key2id, Object.fromEntries(m.labels().map((l, i) => [l, i])));
    assert.deepEqual(py.id2key, Object.fromEntries(m.labels().map((l, i) => [String(i), l])));
    assert.equal(py.next_id, m.labels().length);
    assert.equal(py.tbl_diff, 0);
    assert.deepEqual(py.model_version, [0]);
    assert.deepEqual(py.labels, [Object.fromEntries(m.labelCounts()), {}, [0]]);
    assert.deepEqual(py.wm_version, [0]);
    assert.equal(py.features, m.cells().size);
    assert.equal(py.ids_are_ints, true);
    assert.equal(py.cells_are_float_triples, true, 'v1, v2, v3 are float64 even when 0 or 1');
    assert.deepEqual(
      py.feature,
      Object.fromEntries(
        m.labels().flatMap((l, i) => (cells.has(l) ? [[String(i), [...cells.get(l)!, 0]]] : [])),
      ),
    );
  });

  it('reads the other forms Jubatus writes: tbl_diff and label diffs in use, 2-element standalone storage', () => {
    const m = trained('AROW', first);
    const path = join(dir, 'forms.jubatus');
    m.save(path);
    for (const form of ['mixture', 'standalone']) {
      const other = join(dir, `forms-${form}.jubatus`);
      python(PY_REWRITE, [path, other, form]);
      assert.notDeepEqual(readFileSync(other), readFileSync(path));
      const loaded = loadModel(other);
      assertSameModel(loaded, m, test.slice(0, 200));
      assert.equal(loaded.version, 0);
    }
  });

  it('an absent cell still reads as σ = 1 after loading (covariance methods)', () => {
    for (const method of ['AROW', 'CW', 'NHERD']) {
      const m = createModel(configFromFlags({ method }));
      m.trainVector([['f1', 1]], 'a'); // only label a exists: f1 gets a cell for a alone
      m.trainVector([['f2', 1]], 'b'); // b exists now, still without a cell for f1
      const path = join(dir, `absent-${method}.jubatus`);
      m.save(path);
      const loaded = loadModel(path);
      for (const model of [m, loaded]) model.trainVector([['f1', 1]], 'b');
      assert.deepEqual(loaded.cells(), m.cells(), method);
    }
  });

  it('keeps __proto__ as a label and as a feature name', () => {
    const m = createModel(configFromFlags({ method: 'PA1' }));
    m.trainVector(
      [
        ['__proto__', 1],
        ['api_call$NtClose@space#log_tf/bin', 0.5],
      ],
      '__proto__',
    );
    m.trainVector([['constructor', 1]], 'benign');
    m.trainVector([['__proto__', 2]], 'benign');
    const path = join(dir, 'proto.jubatus');
    m.save(path);
    const loaded = loadModel(path);
    assert.deepEqual(loaded.labels(), ['__proto__', 'benign']);
    assert.deepEqual(loaded.cells(), m.cells());
    assert.deepEqual(
      loaded.labelCounts(),
      new Map([
        ['__proto__', 1],
        ['benign', 2],
      ]),
    );
    assert.deepEqual(loaded.featureWeights('__proto__'), m.featureWeights('__proto__'));
  });

  it('stores hashed feature names (hash_max_size) as Jubatus does: the decimal bucket', () => {
    const config = configFromFlags({ method: 'AROW', ngram: 3 });
    config.converter.hash_max_size = 1 << 12;
    const m = createModel(config);
    for (const t of first.slice(0, 100)) m.train(t, t.label!);
    const path = join(dir, 'hashed.jubatus');
    m.save(path);
    const state = decodeJubatusFile(readFileSync(path), path);
    assert.ok(state.features.length > 0);
    for (const f of state.features) assert.match(f, /^\d+$/);
    assert.ok(state.features.every((f) => Number(f) < 1 << 12));
    assertSameModel(loadModel(path), m, test.slice(0, 100));
  });

  it('refuses logreg (malgram only) when writing', () => {
    const m = createModel(configFromFlags({ method: 'logreg' }));
    m.train(first[0], first[0].label!);
    const path = join(dir, 'logreg.jubatus');
    assert.throws(
      () => m.save(path),
      (e: Error) =>
        e instanceof InputError &&
        e.message.includes(path) &&
        /cannot be written as a Jubatus model file: method "logreg" is malgram's own/.test(e.message),
    );
    assert.equal(existsSync(path), false);
  });

  it('refuses bad files in the reference order, naming the file and the reason', () => {
    const m = trained('AROW', first.slice(0, 50));
    const good = join(dir, 'good.jubatus');
    m.save(good);
    const bytes = readFileSync(good);
    const ss = Number(bytes.readBigUInt64BE(32));
    const sys = bytes.subarray(48, 48 + ss);
    const user = bytes.subarray(48 + ss);
    /** A file with these sections, sizes and CRC computed here (not by the encoder under test). */
    const file = (s: Uint8Array, u: Uint8Array, edit?: (h: Buffer) => void): Buffer => {
      const h = Buffer.from(bytes.subarray(0, 48));
      h.writeBigUInt64BE(BigInt(s.length), 32);
      h.writeBigUInt64BE(BigInt(u.length), 40);
      edit?.(h);
      const body = Buffer.concat([h.subarray(32), s, u]);
      h.writeUInt32BE(crc32(body, crc32(h.subarray(0, 28))), 28);
      return Buffer.concat([h, s, u]);
    };
    const bad = join(dir, 'bad.jubatus');
    const refuse = (data: Uint8Array, pattern: RegExp) => {
      writeFileSync(bad, data);
      assert.throws(
        () => loadModel(bad),
        (e: Error) => e instanceof InputError && pattern.test(e.message) && e.message.startsWith(`${bad}: `),
        `${pattern}`,
      );
    };
    const sysWith = (version: number, type: string, config: string) =>
      encode([version, 1700000000, type, 'good', config]);
    assert.deepEqual(file(sys, user), bytes, 'the helper rebuilds the good file exactly');

    refuse(
      Buffer.concat([Buffer.from('jubatuz\0'), bytes.subarray(8)]),
      /not a malgram or Jubatus model file \(bad magic\)/,
    );
    refuse(
      file(sys, user, (h) => h.writeBigUInt64BE(2n, 8)),
      /format version 2 is not supported/,
    );
    refuse(
      file(sys, user, (h) => h.writeUInt32BE(0, 16)),
      /cannot load model file created before v1\.0\.0 \(it says v0\.1\.1\)/,
    );
    refuse(
      file(sys, user, (h) => h.writeUInt32BE(2, 16)),
      /made by Jubatus v2\.1\.1: only major version 1/,
    );
    refuse(bytes.subarray(0, 30), /truncated: 30 bytes, the header alone is 48/);
    refuse(bytes.subarray(0, bytes.length - 10), /truncated: \d+ bytes, the header declares/);
    refuse(Buffer.concat([bytes, Buffer.from([0, 0, 0])]), /3 trailing bytes after header 48/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 20] ^= 0x40;
    refuse(flipped, /corrupt: CRC-32 mismatch/);
    refuse(file(sysWith(2, 'classifier', m.configJson), user), /system_data version 2 is not supported/);
    refuse(
      file(sysWith(1, 'regression', m.configJson), user),
      /the model type is "regression", not "classifier"/,
    );
    refuse(
      file(sysWith(1, 'classifier', JSON.stringify({ method: 'NN', parameter: {}, converter: {} })), user),
      /classifier method "NN" is not supported: only Jubatus's linear ones/,
    );
    refuse(file(sysWith(1, 'classifier', '{"method": '), user), /the config is not valid JSON/);
    const user2 = Buffer.from(user);
    assert.deepEqual([...user2.subarray(0, 4)], [0x92, 0x01, 0x92, 0x92], '[1, [[storage, labels], wm]]');
    user2[1] = 2;
    refuse(file(sys, user2), /user_data version 2 is not supported/);
    // [lru unlearner = [[], []], storage, labels]
    const unlearner = Buffer.concat([
      Buffer.from([0x92, 0x01, 0x92, 0x93, 0x92, 0x90, 0x90]),
      user.subarray(4),
    ]);
    refuse(
      file(sys, unlearner),
      /saved with an unlearner \(\[unlearner, storage, labels\]\); malgram has no unlearner/,
    );
    refuse(
      file(sys, user.subarray(0, user.length - 1)),
      /user_data is not valid MessagePack: data ends inside a value/,
    );
    // the decoder called directly names its own format
    assert.throws(
      () => decodeJubatusFile(Buffer.from('MALGRAM\0'), 'x'),
      /x: Jubatus model file: not a Jubatus model file \(bad magic\)/,
    );
  });

  it("serve's model host keeps a .jubatus model in Jubatus's format through its checkpoints", () => {
    const path = join(dir, 'served.jubatus');
    trained('AROW', first.slice(0, 50)).save(path);
    const host = ModelHost.open({ modelPath: path, log: () => {} });
    try {
      host.setLabel('family-x');
      host.checkpoint();
    } finally {
      host.close();
    }
    assert.deepEqual(readFileSync(path).subarray(0, 8), Buffer.from('jubatus\0', 'latin1'));
    assert.ok(loadModel(path).labels().includes('family-x'));
  });
});

describe('CLI with .jubatus model files', () => {
  it('train --model m.jubatus, then dump prints weight<TAB>name, as for a malgram model; train continues it', async () => {
    const flags = ['--data', malbehavdCsv, '--format', 'csv', '--method', 'AROW', '--ngram', '3', '--quiet'];
    const jub = join(dir, 'cli.jubatus');
    const own = join(dir, 'cli.model');
    for (const model of [jub, own]) {
      const r = await runCli(['train', ...flags, '--model', model]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual(readFileSync(jub).subarray(0, 8), Buffer.from('jubatus\0', 'latin1'));
    const dumps = await Promise.all(
      [jub, own].map((model) => runCli(['dump', '--model', model, '--label', '1', '--top', '5'])),
    );
    for (const d of dumps) assert.equal(d.code, 0, d.stderr);
    const lines = dumps[0].stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    for (const line of lines) assert.match(line, /^-?\d+\.\d+\tapi_call\$\S+@space#log_tf\/bin$/);
    assert.equal(dumps[0].stdout, dumps[1].stdout);
    const again = await runCli([
      'train',
      '--data',
      malbehavdCsv,
      '--format',
      'csv',
      '--quiet',
      '--model',
      jub,
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(loadModel(jub).sampleCount(), 2 * 2570);
    const logreg = await runCli([
      'train',
      ...flags.slice(0, 4),
      '--method',
      'logreg',
      '--model',
      join(dir, 'l.jubatus'),
    ]);
    assert.equal(logreg.code, 1);
    assert.match(logreg.stderr, /cannot be written as a Jubatus model file/);
  });
});

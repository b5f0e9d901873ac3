// The Jubatus converter: names and values for every weight type (idf, idf1 and bm25 after
// several documents), filters, number rules, combinations, hashing, splitters, and config errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Datum } from '../../src/core/datum.js';
import { InputError } from '../../src/core/errors.js';
import { configFromFlags, parseConfig } from '../../src/features/config.js';
import { DatumConverter, sortAndMerge } from '../../src/features/converter.js';
import { exactLog } from '../../src/features/exact-log.js';
import { fnv1, hashedName } from '../../src/features/fnv1.js';
import { formatG } from '../../src/features/format-g.js';
import { keyMatcher } from '../../src/features/key-matcher.js';

const text = (value: string, key = 'k'): Datum => ({ stringValues: [[key, value]], numValues: [] });
const rule = (sample_weight: string, global_weight: string, type = 'space') =>
  parseConfig({
    method: 'PA',
    converter: { string_rules: [{ key: '*', type, sample_weight, global_weight }] },
  } as never).converter;

describe('sample weights', () => {
  for (const [sw, value] of [
    ['bin', 1],
    ['tf', 2],
    ['log_tf', exactLog(3)],
  ] as const) {
    it(`${sw}: "x x y" gives x = ${value}`, () => {
      const c = new DatumConverter(rule(sw, 'bin'));
      const fv = new Map(c.convert(text('x x y'), c.newWeightManager(), true));
      assert.equal(fv.get(`k$x@space#${sw}/bin`), value);
      assert.equal(fv.get(`k$y@space#${sw}/bin`), sw === 'log_tf' ? exactLog(2) : 1);
    });
  }
});

describe('global weights after several documents', () => {
  const docs = ['a b', 'a', 'a c'];
  function trained(gw: string) {
    const c = new DatumConverter(rule('tf', gw));
    const w = c.newWeightManager();
    const seen = docs.map((d) => new Map(c.convert(text(d), w, true)));
    return { c, w, seen };
  }

  it('idf = ln((N+1)/(df+1)), counted before weighting in train; 0 values vanish', () => {
    const { c, w, seen } = trained('idf');
    assert.equal(seen[0].size, 0, 'the first document is all zero and dropped');
    assert.deepEqual([...seen[2]], [['k$c@space#tf/idf', exactLog(4 / 2)]]);
    const fv = new Map(c.convert(text('a b c d d'), w, false));
    assert.equal(fv.has('k$a@space#tf/idf'), false, 'in every document: 0');
    assert.equal(fv.get('k$b@space#tf/idf'), exactLog(2));
    assert.equal(fv.get('k$d@space#tf/idf'), 2 * exactLog(4));
    assert.equal(w.documentCount, 3, 'classify does not count');
  });

  it('idf1 = idf + 1 keeps ubiquitous features', () => {
    const { c, w } = trained('idf1');
    const fv = new Map(c.convert(text('a b'), w, false));
    assert.equal(fv.get('k$a@space#tf/idf1'), 1);
    assert.equal(fv.get('k$b@space#tf/idf1'), exactLog(2) + 1);
  });

  it('bm25 with group lengths', () => {
    const { c, w } = trained('bm25');
    const fv = new Map(c.convert(text('b b'), w, false));
    const idf = exactLog((3 - 1 + 0.5) / (1 + 0.5));
    const avgL = (2 + 1 + 2) / 3;
    const expected = idf * ((2 * 2.2) / (2 + 1.2 * (1 - 0.75 + (0.75 * 2) / avgL)));
    const got = fv.get('k$b@space#tf/bm25')!;
    assert.ok(Math.abs(got - expected) < 1e-15, `${got} vs ${expected}`);
    assert.equal(w.groupFrequencies.get('k@space#tf/bm25'), 3);
  });
});

describe('converter rules', () => {
  it('string filters add suffixed keys, originals kept', () => {
    const conf = parseConfig({
      method: 'PA',
      converter: {
        string_filter_types: { dot: { method: 'regexp', pattern: '\\.(\\w)', replace: '_\\1' } },
        string_filter_rules: [{ key: '*', type: 'dot', suffix: '-f' }],
        string_rules: [{ key: '*', type: 'str', sample_weight: 'bin', global_weight: 'bin' }],
      },
    } as never);
    const c = new DatumConverter(conf.converter);
    const fv = c.convert(text('a.b'), c.newWeightManager(), false);
    assert.deepEqual(fv, [
      ['k$a.b@str#bin/bin', 1],
      ['k-f$a_b@str#bin/bin', 1],
    ]);
  });

  it('number rules num/log/str with %g names; zero values pruned', () => {
    const conf = parseConfig({
      method: 'PA',
      converter: {
        num_rules: [
          { key: '*', type: 'num' },
          { key: '*', type: 'log' },
          { key: '*', type: 'str' },
        ],
      },
    } as never);
    const c = new DatumConverter(conf.converter);
    const fv = c.convert(
      {
        stringValues: [],
        numValues: [
          ['n', 1234567],
          ['z', 0],
        ],
      },
      c.newWeightManager(),
      false,
    );
    assert.deepEqual(fv, [
      ['n@num', 1234567],
      ['n@log', exactLog(1234567)],
      ['n@str$1.23457e+06', 1],
      ['z@str$0', 1],
    ]);
  });

  it('combination rules add/mul on the weighted vector', () => {
    const conf = parseConfig({
      method: 'PA',
      converter: {
        num_rules: [{ key: '*', type: 'num' }],
        combination_rules: [{ key_left: 'a*', key_right: 'b*', type: 'mul' }],
      },
    } as never);
    const c = new DatumConverter(conf.converter);
    const fv = c.convert(
      {
        stringValues: [],
        numValues: [
          ['a', 3],
          ['b', 4],
        ],
      },
      c.newWeightManager(),
      false,
    );
    assert.deepEqual(fv[2], ['a@num&b@num/mul', 12]);
  });

  it('splitters: ngram (code points), regexp group, split', () => {
    const conf = parseConfig({
      method: 'PA',
      converter: {
        string_types: {
          bi: { method: 'ngram', char_num: '2' },
          num: { method: 'regexp', pattern: '[a-z]+(\\d)', group: '1' },
          comma: { method: 'split', separators: ',;' },
        },
        string_rules: [
          { key: 'g', type: 'bi', sample_weight: 'tf', global_weight: 'bin' },
          { key: 'r', type: 'num', sample_weight: 'tf', global_weight: 'bin' },
          { key: 's', type: 'comma', sample_weight: 'tf', global_weight: 'bin' },
        ],
      },
    } as never);
    const c = new DatumConverter(conf.converter);
    const fv = c.convert(
      {
        stringValues: [
          ['g', 'é𝄞é'],
          ['r', 'ab1 cd2 x'],
          ['s', 'a,b;;a'],
        ],
        numValues: [],
      },
      c.newWeightManager(),
      false,
    );
    assert.deepEqual(fv, [
      ['g$é𝄞@bi#tf/bin', 1],
      ['g$𝄞é@bi#tf/bin', 1],
      ['r$1@num#tf/bin', 1],
      ['r$2@num#tf/bin', 1],
      ['s$a@comma#tf/bin', 2],
      ['s$b@comma#tf/bin', 1],
    ]);
  });

  it('hash_max_size replaces names by FNV-1 (signed char) mod size', () => {
    const conf = rule('bin', 'bin');
    conf.hash_max_size = 16;
    const c = new DatumConverter(conf);
    const fv = c.convert(text('x'), c.newWeightManager(), false);
    assert.deepEqual(fv, [[hashedName('k$x@space#bin/bin', 16), 1]]);
    assert.equal(fnv1(''), 14695981039346656037n);
    // one byte: (offset · prime mod 2^64) XOR byte; 0xC3 (from "é") is sign-extended
    const h = (14695981039346656037n * 1099511628211n) & ((1n << 64n) - 1n);
    assert.equal(fnv1('a'), h ^ 0x61n);
    assert.equal(
      fnv1('é'),
      (((h ^ 0xffffffffffffffc3n) * 1099511628211n) & ((1n << 64n) - 1n)) ^ 0xffffffffffffffa9n,
    );
  });

  it('train merges duplicates after sorting', () => {
    assert.deepEqual(
      sortAndMerge([
        ['b', 1],
        ['a', 2],
        ['b', 3],
      ]),
      [
        ['a', 2],
        ['b', 4],
      ],
    );
  });

  it("refuses a datum key containing '$'", () => {
    const c = new DatumConverter(rule('bin', 'bin'));
    assert.throws(() => c.convert(text('x', 'a$b'), c.newWeightManager(), false), InputError);
  });

  it('key matcher syntax', () => {
    assert.ok(keyMatcher('*')('x'));
    assert.ok(keyMatcher('*_call')('api_call'));
    assert.ok(keyMatcher('api*')('api_call'));
    assert.ok(keyMatcher('/^a.i/')('api'));
    assert.ok(!keyMatcher('api')('api_call'));
  });

  it('logarithms are correctly rounded (V8 Math.log(3) is 1 ulp off; Jubatus/glibc is not)', () => {
    assert.equal(exactLog(3), 1.0986122886681098);
    assert.equal(exactLog(2), Math.LN2);
    assert.equal(exactLog(1), 0);
    assert.equal(exactLog(Math.E), 1);
  });

  it('%g formatting', () => {
    assert.deepEqual([1234567, 0.5, 100000, 1e-5, 0.0001, 123456.7, -2.5e-7, 1].map(formatG), [
      '1.23457e+06',
      '0.5',
      '100000',
      '1e-05',
      '0.0001',
      '123457',
      '-2.5e-07',
      '1',
    ]);
  });
});

describe('config validation names the field', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown method', { method: 'SVM', converter: {} }, /method: unsupported method "SVM"/],
    ['missing parameter', { method: 'AROW', converter: {} }, /parameter block is not specified/],
    [
      'C <= 0',
      { method: 'AROW', parameter: { regularization_weight: 0 }, converter: {} },
      /regularization_weight/,
    ],
    [
      'unknown sample weight',
      {
        method: 'PA',
        converter: {
          string_rules: [{ key: '*', type: 'space', sample_weight: 'sqrt', global_weight: 'bin' }],
        },
      },
      /string_rules\[0\]\.sample_weight: unknown sample_weight "sqrt"/,
    ],
    [
      'unknown global weight',
      {
        method: 'PA',
        converter: {
          string_rules: [{ key: '*', type: 'space', sample_weight: 'tf', global_weight: 'tfidf' }],
        },
      },
      /global_weight: unknown global_weight "tfidf"/,
    ],
    [
      'unknown string type',
      {
        method: 'PA',
        converter: {
          string_rules: [{ key: '*', type: 'trigram', sample_weight: 'tf', global_weight: 'bin' }],
        },
      },
      /string_rules\[0\]\.type: unknown string type "trigram"/,
    ],
    ['no converter', { method: 'PA' }, /converter/],
  ];
  for (const [what, config, message] of cases) {
    it(what, () =>
      assert.throws(
        () => parseConfig(config as never),
        (e: Error) => e instanceof InputError && message.test(e.message),
      ),
    );
  }
  it('invalid JSON', () => assert.throws(() => parseConfig('{"method":'), /invalid JSON/));
  it('flags: unknown method / weights / n-gram', () => {
    assert.throws(() => configFromFlags({ method: 'bayes' }), /unsupported method/);
    assert.throws(() => configFromFlags({ sampleWeight: 'sqrt' }), /sample-weight/);
    assert.throws(() => configFromFlags({ globalWeight: 'x' }), /global-weight/);
    assert.throws(() => configFromFlags({ ngram: 9 }), /1-8/);
  });
  it('flags map to the same Jubatus space rule', () => {
    const c = configFromFlags({
      method: 'arow',
      ngram: '3-5',
      sampleWeight: 'log_tf',
      globalWeight: 'bin',
      regularization: 0.5,
    });
    assert.equal(c.method, 'AROW');
    assert.deepEqual(c.converter.string_rules, [
      { key: 'api_call', type: 'space', sample_weight: 'log_tf', global_weight: 'bin' },
    ]);
    assert.deepEqual(c.malgram, { ngram: '3-5', sample_weight: 'log_tf', global_weight: 'bin' });
    assert.deepEqual(c.parameter, { regularization_weight: 0.5 });
  });
});

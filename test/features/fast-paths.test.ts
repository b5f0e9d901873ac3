// The hot paths give exactly (bit for bit) what the generic Jubatus converter gives: the n-gram
// extractor (slot tallies, the key index growing in the middle of a trace, two keys on one
// feature in a loaded model) and the datum path of the RPC endpoint (token cache, cache
// invalidation when the model changes, several values, unknown and hostile tokens).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { internApiIds } from '../../src/core/api-vocabulary.js';
import type { Datum } from '../../src/core/datum.js';
import { seededRandom } from '../../src/core/random.js';
import type { Trace } from '../../src/core/trace.js';
import { type ClassifierConfig, configFromFlags } from '../../src/features/config.js';
import { createModel, modelFromBytes, type OnlineModel } from '../../src/learn/model.js';

const trace = (id: string, ...procs: string[][]): Trace => ({
  id,
  format: 'test',
  processes: procs.map((apis, i) => ({ pid: i + 1, calls: apis.map((api) => ({ api })) })),
});

/** A Markov-ish API sequence over `vocab` names (deterministic per seed). */
function sequence(seed: number, length: number, vocab: number): string[] {
  const rnd = seededRandom(seed);
  const out: string[] = [];
  let cur = 0;
  for (let i = 0; i < length; i++) {
    cur = rnd() < 0.3 ? Math.floor(rnd() * vocab) : (cur * 7 + (seed % 3) + 1) % vocab;
    out.push(`Api${cur}`);
  }
  return out;
}

/** classify's hot path vs the generic converter on the same model: same scores, bit for bit. */
function assertSameAsConverter(m: OnlineModel, t: Trace): void {
  const fast = m.classify(t);
  const slow = m.classifyVector(m.convert(t));
  assert.deepEqual([...fast.scores], [...slow.scores], t.id);
  assert.equal(fast.predicted, slow.predicted);
}

function assertDatumSameAsConverter(m: OnlineModel, d: Datum, what: string): void {
  const fast = m.classifyDatum(d);
  const slow = m.classifyVector(m.convertDatum(d));
  assert.deepEqual([...fast.scores], [...slow.scores], what);
  assert.equal(fast.empty, slow.empty, what);
}

describe('n-gram extractor hot path', () => {
  it('matches the converter bit for bit while the key index grows in the middle of traces', () => {
    const config = configFromFlags({ method: 'AROW', ngram: '1-3' });
    const m = createModel(config);
    const reference = createModel(config);
    // one long trace per step: thousands of new n-grams each, so the key index rebuilds mid-trace
    for (let i = 0; i < 6; i++) {
      const t = trace(`t${i}`, sequence(i, 6000, 400), sequence(i + 50, 300, 30));
      m.train(t, `l${i % 2}`);
      reference.trainVector(reference.convert(t), `l${i % 2}`);
    }
    assert.ok(m.numFeatures() > 20_000, `${m.numFeatures()} features`);
    assert.deepEqual(m.cells(), reference.cells(), 'same weights and covariances, bit for bit');
    for (let i = 0; i < 4; i++) assertSameAsConverter(m, trace(`p${i}`, sequence(i + 100, 3000, 450)));
  });

  it('weighs every tf as the converter does, past the remembered small-tf weights too', () => {
    // 9,000 × NtDelayExecution: its 1-gram tf is 9,000 (beyond the 4,096 weights the extractor
    // keeps), its 2-gram's 8,999; around it ordinary small tallies
    const loop = Array.from({ length: 9000 }, () => 'NtDelayExecution');
    for (const sampleWeight of ['bin', 'tf', 'log_tf'] as const) {
      const config = configFromFlags({ method: 'AROW', ngram: '1-2', sampleWeight });
      const m = createModel(config);
      const reference = createModel(config);
      for (let i = 0; i < 4; i++) {
        const t = trace(`t${i}`, [
          ...sequence(i, 500, 40),
          ...loop.slice(0, 3000 * i),
          ...sequence(i + 9, 80, 40),
        ]);
        m.train(t, `l${i % 2}`);
        reference.trainVector(reference.convert(t), `l${i % 2}`);
      }
      assert.deepEqual(m.cells(), reference.cells(), sampleWeight);
      assertSameAsConverter(m, trace('long', loop, sequence(3, 200, 40)));
    }
  });

  it('merges by feature when two n-gram keys name one feature (a loaded model)', () => {
    // the unigram `A_B` and the bigram A,B have the same feature name
    const trained = createModel(configFromFlags({ method: 'PA', ngram: '1-2' }));
    trained.train(trace('a', ['A', 'B', 'A', 'C']), 'x');
    trained.train(trace('b', ['C', 'A_B', 'C']), 'y');
    const loaded = modelFromBytes(trained.toBytes());
    const probe = trace('p', ['A', 'B', 'A_B', 'C', 'A', 'B'], ['A_B', 'Q']);
    assertSameAsConverter(loaded, probe);
    const c = loaded.classify(probe);
    assert.notEqual(c.scores.get('x'), 0);
  });

  it('trains one feature per name when API names contain the separator `_`', () => {
    // 1-gram A_B and 2-gram A,B; 3-grams A_B,C,D and A,B_C,D: one name each, one feature each
    const config = configFromFlags({ method: 'AROW', ngram: '1-3' });
    const m = createModel(config);
    const reference = createModel(config);
    const traces = [
      trace('a', ['A', 'B', 'C', 'D', 'A', 'B']),
      trace('b', ['A_B', 'C', 'D', 'Q']),
      trace('c', ['A', 'B_C', 'D', 'A_B']),
    ];
    traces.forEach((t, i) => {
      m.train(t, `l${i % 2}`);
      reference.trainVector(reference.convert(t), `l${i % 2}`);
    });
    const names = m.cells();
    assert.equal(new Set(names.keys()).size, m.numFeatures(), 'no two features share a name');
    assert.deepEqual(names, reference.cells(), 'same weights as the generic converter, bit for bit');
    const loaded = modelFromBytes(m.toBytes());
    assert.equal(loaded.numFeatures(), m.numFeatures(), 'the model file keeps every feature');
    const probe = trace('p', ['A', 'B', 'A_B', 'C', 'D'], ['B_C', 'D']);
    assert.deepEqual([...loaded.classify(probe).scores], [...m.classify(probe).scores]);
    assertSameAsConverter(m, probe);
  });

  it('gives the same model and scores from interned API ids as from names', () => {
    // names a reader may hand over: whitespace (sanitised to `_`), the separator, hostile keys
    const odd = ['__proto__', 'Nt Close', 'A_B', 'constructor', 'Nt_Close'];
    const withOdd = (seed: number, length: number, vocab: number) =>
      sequence(seed, length, vocab).map((api, i) => (i % 37 === 5 ? odd[i % odd.length] : api));
    const traces = Array.from({ length: 8 }, (_, i) =>
      trace(`t${i}`, withOdd(i, 2000, 300), withOdd(i + 40, 200, 20)),
    );
    const interned = traces.map((t) => internApiIds(structuredClone(t)));
    assert.ok(interned.every((t) => t.processes.every((p) => p.interned?.ids.length === p.calls.length)));
    const config = configFromFlags({ method: 'AROW', ngram: '1-3' });
    const byName = createModel(config);
    const byId = createModel(config);
    for (let i = 0; i < traces.length; i++) {
      byName.train(traces[i], `l${i % 2}`);
      byId.train(interned[i], `l${i % 2}`);
    }
    assert.deepEqual(byId.cells(), byName.cells(), 'same weights and covariances, bit for bit');
    const probe = trace('p', withOdd(99, 3000, 350));
    const probeInterned = internApiIds(structuredClone(probe));
    assert.deepEqual([...byId.classify(probeInterned).scores], [...byName.classify(probe).scores]);
    assertSameAsConverter(byId, probeInterned);
    // a loaded model maps the vocabulary afresh; a trace whose calls changed after interning
    // (ids no longer match the calls), or interned in another thread's table, is read by name
    const loaded = modelFromBytes(byId.toBytes());
    assert.deepEqual([...loaded.classify(probeInterned).scores], [...byName.classify(probe).scores]);
    const changed = internApiIds(structuredClone(probe));
    changed.processes[0].calls.pop();
    const reference = structuredClone(probe);
    reference.processes[0].calls.pop();
    assert.deepEqual([...loaded.classify(changed).scores], [...loaded.classify(reference).scores]);
    const foreign = structuredClone(probeInterned);
    for (const p of foreign.processes)
      p.interned = { vocabulary: p.interned!.vocabulary + 1, ids: p.interned!.ids.map((i) => i + 1) };
    assert.deepEqual([...loaded.classify(foreign).scores], [...byName.classify(probe).scores]);
  });

  it('keeps agreeing after pruning renumbers the features', () => {
    const m = createModel(configFromFlags({ ngram: 2 }), { maxFeatures: 300 });
    for (let i = 0; i < 20; i++) m.train(trace(`t${i}`, sequence(i, 400, 60)), `l${i % 2}`);
    assert.ok(m.prunedFeatures > 0);
    for (let i = 0; i < 5; i++) assertSameAsConverter(m, trace(`p${i}`, sequence(i + 7, 500, 70)));
  });
});

describe('datum hot path (RPC classify)', () => {
  const hostile = ' __proto__\tconstructor  A_B_C\n\vA_B_C x\fy hasOwnProperty ';

  for (const [name, config] of [
    ['native log_tf 3-grams', configFromFlags({ ngram: 3 })],
    ['native tf 1-2-grams', configFromFlags({ ngram: '1-2', sampleWeight: 'tf' })],
    [
      'plain Jubatus config, key "*"',
      {
        method: 'AROW',
        parameter: { regularization_weight: 1 },
        converter: {
          string_rules: [{ key: '*', type: 'space', sample_weight: 'bin', global_weight: 'bin' }],
        },
      },
    ],
  ] as Array<[string, ClassifierConfig]>) {
    it(`gives the generic converter's scores bit for bit: ${name}`, () => {
      const m = createModel(config);
      const traces = Array.from({ length: 12 }, (_, i) => trace(`t${i}`, sequence(i, 200, 25)));
      const datums: Datum[] = traces.map((t, i) => {
        const d = m.traceDatum(t);
        if (i % 3 === 0) d.stringValues.push(['api_call', hostile]);
        if (i % 4 === 0) d.stringValues.push(['other', 'Api1_Api2_Api3 Api1']);
        if (i % 5 === 0) d.numValues.push(['n', 3]);
        return d;
      });
      datums.push({ stringValues: [], numValues: [] });
      datums.push({ stringValues: [['api_call', '   ']], numValues: [] });
      const check = (when: string) =>
        datums.forEach((d, i) => {
          assertDatumSameAsConverter(m, d, `${when} #${i}`);
        });
      check('empty model');
      traces.slice(0, 6).forEach((t, i) => {
        m.train(t, i % 2 ? 'mal' : 'ok');
      });
      check('after training'); // the token cache must follow the dictionary
      datums.slice(0, 4).forEach((d, i) => {
        m.trainDatum(d, i % 2 ? 'mal' : 'ok');
      });
      check('after datum training');
      m.clear();
      traces.slice(6).forEach((t, i) => {
        m.train(t, i % 2 ? 'ok' : 'mal');
      });
      check('after clear and retraining');
      // a key with '$' is refused when a rule matches it, by both paths alike
      const bad: Datum = { stringValues: [['a$b', 'x']], numValues: [] };
      const outcome = (f: () => unknown) => {
        try {
          f();
          return 'accepted';
        } catch (err) {
          return String(err);
        }
      };
      const fastOutcome = outcome(() => m.classifyDatum(bad));
      assert.equal(
        fastOutcome,
        outcome(() => m.classifyVector(m.convertDatum(bad))),
      );
      if (name.includes('"*"')) assert.match(fastOutcome, /cannot contain '\$'/);
    });
  }
});

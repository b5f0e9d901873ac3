// The native API-sequence rule: n-grams per process (never across processes), Jubatus naming,
// tf summed over the trace, the repeated policies, the optional families, and the hot path
// giving the same model as the Jubatus-converter path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { ngramFeature, ngramFeatureName, traceToDatum } from '../../src/features/api-ngrams.js';
import { normaliseArgValue } from '../../src/features/arg-tokens.js';
import { configFromFlags } from '../../src/features/config.js';
import { exactLog } from '../../src/features/exact-log.js';
import { createModel } from '../../src/learn/model.js';

const trace = (id: string, ...procs: string[][]): Trace => ({
  id,
  format: 'test',
  processes: procs.map((apis, i) => ({ pid: i + 1, calls: apis.map((api) => ({ api })) })),
});

describe('native API n-gram rule', () => {
  it('names n-grams like the Jubatus space rule on api_call and never crosses processes', () => {
    const m = createModel(configFromFlags({ ngram: 2 }));
    const fv = new Map(m.convert(trace('t', ['A', 'B', 'A', 'B'], ['B', 'A'])));
    assert.deepEqual([...fv.keys()].sort(), [
      'api_call$A_B@space#log_tf/bin',
      'api_call$B_A@space#log_tf/bin',
    ]);
    assert.equal(fv.get('api_call$A_B@space#log_tf/bin'), exactLog(3), 'tf 2 in process 1');
    assert.equal(fv.get('api_call$B_A@space#log_tf/bin'), exactLog(3), 'tf 1 + 1 across processes');
  });

  it('n-gram ranges, and names with underscores joined unchanged', () => {
    const d = traceToDatum(trace('t', ['__exception__', 'NtClose', 'X']), {
      ngram: '1-2',
      sample_weight: 'bin',
      global_weight: 'bin',
    });
    assert.deepEqual(d.stringValues, [
      ['api_call', '__exception__ NtClose X __exception___NtClose NtClose_X'],
    ]);
    assert.equal(
      ngramFeatureName(['VirtualProtectEx', 'VirtualProtectEx', 'VirtualProtectEx'], {
        sample_weight: 'log_tf',
        global_weight: 'bin',
      }),
      'api_call$VirtualProtectEx_VirtualProtectEx_VirtualProtectEx@space#log_tf/bin',
    );
  });

  it('repeated policies: keep, collapse, expand with a cap', () => {
    const t: Trace = {
      id: 'r',
      format: 'test',
      processes: [{ pid: 1, calls: [{ api: 'A', repeated: 5 }, { api: 'A' }, { api: 'B' }] }],
    };
    const grams = (repeated: 'keep' | 'collapse' | 'expand') =>
      traceToDatum(t, { ngram: 2, sample_weight: 'tf', global_weight: 'bin', repeated, expand_cap: 3 })
        .stringValues[0][1];
    assert.equal(grams('keep'), 'A_A A_B');
    assert.equal(grams('collapse'), 'A_B');
    assert.equal(grams('expand'), 'A_A A_A A_A A_B');
  });

  it('argument tokens normalise user-specific parts', () => {
    assert.equal(normaliseArgValue('C:\\Users\\alice\\AppData\\x.exe'), '%USERPROFILE%\\AppData\\x.exe');
    assert.equal(
      normaliseArgValue('HKEY_USERS\\S-1-5-21-1-2-3-1001\\Software\\Run'),
      'HKEY_CURRENT_USER\\Software\\Run',
    );
    assert.equal(normaliseArgValue('plain'), undefined);
    const m = createModel(configFromFlags({ ngram: 1, args: true, categories: true }));
    const t: Trace = {
      id: 'a',
      format: 'test',
      processes: [
        {
          pid: 1,
          calls: [
            { api: 'NtCreateFile', category: 'file', args: new Map([['FileName', 'C:\\Users\\bob\\a.txt']]) },
          ],
        },
      ],
    };
    assert.deepEqual(
      m.convert(t).map(([n]) => n),
      [
        'api_call$NtCreateFile@space#log_tf/bin',
        'api_category$file@space#log_tf/bin',
        'api_arg$NtCreateFile:%USERPROFILE%\\a.txt@space#bin/bin',
      ],
    );
  });

  it('the hot path trains the same model as the Jubatus converter path', () => {
    const traces = Array.from({ length: 40 }, (_, i) =>
      trace(
        `s${i}`,
        Array.from({ length: 30 + (i % 7) }, (_, k) => `Api${(k * (i + 3)) % 11}`),
        ['NtClose', 'Api1', 'NtClose'],
      ),
    );
    const fast = createModel(configFromFlags({ method: 'AROW', ngram: 3 }));
    const jubatus = createModel({
      method: 'AROW',
      parameter: { regularization_weight: 1 },
      converter: {
        string_rules: [{ key: 'api_call', type: 'space', sample_weight: 'log_tf', global_weight: 'bin' }],
      },
    });
    traces.forEach((t, i) => {
      fast.train(t, i % 3 === 0 ? 'mal' : 'ok');
      jubatus.train(t, i % 3 === 0 ? 'mal' : 'ok');
    });
    const a = fast.cells();
    const b = jubatus.cells();
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [f, row] of a) {
      for (const [label, [w, c]] of row) {
        const [w2, c2] = b.get(f)!.get(label)!;
        assert.ok(Math.abs(w - w2) <= 1e-12 && Math.abs(c - c2) <= 1e-12, `${f} ${label}`);
      }
    }
    const probe = trace('p', ['Api1', 'Api4', 'Api7', 'Api10', 'NEW', 'Api1']);
    const s1 = fast.classify(probe).scores;
    const s2 = fast.classifyVector(fast.convert(probe)).scores;
    for (const [l, s] of s1) assert.ok(Math.abs(s - s2.get(l)!) < 1e-12);
  });

  it('the hot path agrees with the converter path with wide vocabularies and unknown APIs (1-8-grams)', () => {
    const m = createModel(configFromFlags({ method: 'PA', ngram: '1-8' }));
    // 1-8-grams leave 6 bits per API id in the numeric key: 100 APIs need the wide path
    const apis = Array.from({ length: 100 }, (_, i) => `Api${i}`);
    for (let i = 0; i < 30; i++) {
      m.train(
        trace(
          `t${i}`,
          Array.from({ length: 40 }, (_, k) => apis[(k * 7 + i * 13) % 100]),
        ),
        i % 2 === 0 ? 'x' : 'y',
      );
    }
    for (let i = 0; i < 10; i++) {
      const probe = trace(
        `p${i}`,
        Array.from({ length: 30 }, (_, k) => (k % 5 === 4 ? `Unknown${k}` : apis[(k * 7 + i * 13) % 100])),
      );
      const fast = m.classify(probe).scores;
      const slow = m.classifyVector(m.convert(probe)).scores;
      for (const [l, s] of fast)
        assert.ok(Math.abs(s - slow.get(l)!) < 1e-9, `${probe.id} ${l}: ${s} vs ${slow.get(l)}`);
    }
  });

  it('ngramFeature reproduces classify (the detector scores with it)', () => {
    const m = createModel(configFromFlags({ ngram: 2 }));
    m.train(trace('a', ['A', 'B', 'C']), 'x');
    m.train(trace('b', ['C', 'B', 'A']), 'y');
    const probe = trace('p', ['A', 'B', 'A', 'B']);
    let score = 0;
    for (const [apis, tf] of [
      [['A', 'B'], 2],
      [['B', 'A'], 1],
    ] as const) {
      const [name, value] = ngramFeature(apis, tf, m.native!);
      score += value * (m.featureWeights(name)?.get('x') ?? 0);
    }
    assert.ok(Math.abs(m.classify(probe).scores.get('x')! - score) < 1e-15);
  });

  it('a trace with no calls is "no behaviour" (empty), not a crash', () => {
    const m = createModel(configFromFlags({}));
    m.train(trace('a', ['A', 'B', 'C']), 'x');
    const c = m.classify(trace('e'));
    assert.equal(c.empty, true);
    assert.equal(m.classify(trace('short', ['A', 'B'])).empty, true);
    assert.equal(m.classify(trace('unknown', ['Q', 'R', 'S'])).empty, false);
  });
});

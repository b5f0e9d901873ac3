// Per-verdict contributions: x·(w[predicted] − w[runner-up]), ordering and the runner-up choice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contributions, rankTwo } from '../../src/explain/contributions.js';
import { dumpLine } from '../../src/explain/dump.js';

describe('contributions', () => {
  it('ranks the best and second-best label (first maximum, strict >)', () => {
    assert.deepEqual(
      rankTwo(
        new Map([
          ['a', 1],
          ['b', 3],
          ['c', 3],
        ]),
      ),
      { predicted: 'b', runnerUp: 'c' },
    );
    assert.deepEqual(rankTwo(new Map([['only', -1]])), { predicted: 'only', runnerUp: null });
    assert.deepEqual(rankTwo(new Map()), { predicted: null, runnerUp: null });
  });

  it('computes value × (w[pred] − w[runner-up]), absent weights 0, largest |contribution| first', () => {
    const out = contributions(
      [
        {
          feature: 'f1',
          value: 2,
          weights: new Map([
            ['m', 0.5],
            ['b', -0.25],
          ]),
        },
        { feature: 'f2', value: 1, weights: new Map([['b', 3]]) },
        { feature: 'f3', value: 0.5, weights: new Map() },
      ],
      'm',
      'b',
      2,
    );
    assert.deepEqual(
      out.map((c) => [c.feature, c.contribution]),
      [
        ['f2', -3],
        ['f1', 1.5],
      ],
    );
  });

  it('dump lines print the weight with 6 decimals, a tab, the name', () => {
    assert.equal(
      dumpLine({ feature: 'api_call$A_B_C@space#log_tf/bin', weight: 0.1811284 }),
      '0.181128\tapi_call$A_B_C@space#log_tf/bin',
    );
  });
});

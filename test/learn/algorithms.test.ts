// Each algorithm's update against values computed by hand from jubatus-reference.md §1.4 on a
// two-step example: step 1 x = {a: 1, b: 2} labelled A (no label known yet), step 2 x = {a: 1}
// labelled B (B unknown, so its score is 0 and its covariance reads 1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { createModel, type OnlineModel } from '../../src/learn/model.js';

function model(method: string, C?: number, extra: Record<string, number> = {}): OnlineModel {
  const parameter = C === undefined ? extra : { regularization_weight: C, ...extra };
  return createModel({ method, parameter, converter: {} });
}

function twoSteps(m: OnlineModel): Map<string, Map<string, [number, number]>> {
  m.trainVector(
    [
      ['a', 1],
      ['b', 2],
    ],
    'A',
  );
  m.trainVector([['a', 1]], 'B');
  return m.cells();
}

function near(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined, `${what} missing`);
  assert.ok(
    Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} != ${expected}`,
  );
}

function check(
  cells: Map<string, Map<string, [number, number]>>,
  expected: Record<string, Record<string, [number, number?]>>,
): void {
  assert.deepEqual([...cells.keys()].sort(), Object.keys(expected).sort());
  for (const [f, row] of Object.entries(expected)) {
    assert.deepEqual([...cells.get(f)!.keys()].sort(), Object.keys(row).sort(), `labels of ${f}`);
    for (const [label, [w, c]] of Object.entries(row)) {
      near(cells.get(f)!.get(label)![0], w, `w[${f}][${label}]`);
      if (c !== undefined) near(cells.get(f)!.get(label)![1], c, `σ[${f}][${label}]`);
    }
  }
}

describe('algorithms (two hand-computed steps each)', () => {
  it('perceptron: +x for A; then argmax A ≠ B so w[B] += x, w[A] −= x', () => {
    check(twoSteps(model('perceptron')), { a: { A: [0], B: [1] }, b: { A: [2] } });
  });

  it('PA: τ1 = 1/(2·5) = 0.1; τ2 = (1 + 0.1)/(2·1) = 0.55', () => {
    check(twoSteps(model('PA')), { a: { A: [0.1 - 0.55], B: [0.55] }, b: { A: [0.2] } });
  });

  it('PA1 (C = 0.5): τ2 = min(0.5, 0.55) = 0.5', () => {
    check(twoSteps(model('PA1', 0.5)), { a: { A: [0.1 - 0.5], B: [0.5] }, b: { A: [0.2] } });
  });

  it('PA2 (C = 0.5): τ1 = 1/(10 + 1) = 1/11, τ2 = (12/11)/(2 + 1) = 4/11', () => {
    check(twoSteps(model('PA2', 0.5)), { a: { A: [-3 / 11], B: [4 / 11] }, b: { A: [2 / 11] } });
  });

  it('AROW (C = 1): β1 = 1/11, then β2 = 11/32, α2 = 3/8, with covariances', () => {
    check(twoSteps(model('AROW', 1)), {
      a: { A: [-0.25, 0.625], B: [0.375, 21 / 32] },
      b: { A: [2 / 11, 7 / 11] },
    });
  });

  it('CW (C = 1): γ1 = 8/40 = 0.2, then γ2 from b = 0.6, V = 12/7', () => {
    const V = 1 + 1 / 1.4;
    const M = -0.2;
    const b = 1 + 2 * M;
    const gamma = (-b + Math.sqrt(b * b - 8 * (M - V))) / (4 * V);
    check(twoSteps(model('CW', 1)), {
      a: {
        A: [0.2 - (gamma * 1) / 1.4, 1 / (1.4 + 2 * gamma)],
        B: [gamma, 1 / (1 + 2 * gamma)],
      },
      b: { A: [0.4, 1 / 2.6] },
    });
  });

  it('NHERD (C = 1): μ1 = x/11, σ1 = 1/(1 + 12x²); then M = −1/11, V = 14/13', () => {
    check(twoSteps(model('NHERD', 1)), {
      a: { A: [5 / 99, 13 / 209], B: [52 / 99, 13 / 53] },
      b: { A: [2 / 11, 1 / 49] },
    });
  });

  it('logreg (FTRL-Proximal, α 0.1, β 1): w = −z / ((β + √n)/α) per label, one-vs-rest', () => {
    const m = model('logreg', undefined, { alpha: 0.1, beta: 1, l1: 0, l2: 0 });
    m.trainVector([['a', 1]], 'A');
    near(m.featureWeights('a')!.get('A'), 1 / 30, 'step 1');
    m.trainVector([['a', 1]], 'B');
    const g = 1 / (1 + Math.exp(-1 / 30));
    const z = -0.5 + g - ((Math.sqrt(0.25 + g * g) - 0.5) / 0.1) * (1 / 30);
    near(m.featureWeights('a')!.get('A'), -z / ((1 + Math.sqrt(0.25 + g * g)) / 0.1), 'A after step 2');
    near(m.featureWeights('a')!.get('B'), 1 / 30, 'B after step 2');
  });

  it('float32 regularization: PA1 with C = 0.1 caps τ at fround(0.1)', () => {
    const m = model('PA1', 0.1);
    m.trainVector([['a', 1]], 'A');
    assert.equal(m.featureWeights('a')!.get('A'), Math.fround(0.1));
    assert.notEqual(Math.fround(0.1), 0.1);
  });
});

describe('labels', () => {
  it('rejects the empty label', () => {
    assert.throws(() => model('AROW', 1).trainVector([['a', 1]], ''), InputError);
  });

  it('classify returns every label in registration order; ties go to the first', () => {
    const m = model('AROW', 1);
    assert.equal(m.setLabel('x'), true);
    assert.equal(m.setLabel('x'), false);
    m.trainVector([['a', 1]], 'y');
    const c = m.classifyVector([['zzz', 1]]);
    assert.deepEqual(
      [...c.scores],
      [
        ['x', 0],
        ['y', 0],
      ],
    );
    assert.equal(c.predicted, 'x');
    assert.deepEqual(Object.fromEntries(m.labelCounts()), { x: 0, y: 1 });
  });

  it('deleteLabel removes weights and counts; clear empties everything', () => {
    const m = model('PA');
    m.trainVector([['a', 1]], 'x');
    m.trainVector([['a', 1]], 'y');
    assert.equal(m.deleteLabel('x'), true);
    assert.equal(m.deleteLabel('x'), false);
    assert.deepEqual(m.labels(), ['y']);
    assert.deepEqual([...m.featureWeights('a')!.keys()], ['y']);
    m.clear();
    assert.deepEqual(m.labels(), []);
    assert.equal(m.numFeatures(), 0);
  });

  it('a hostile label such as __proto__ is an ordinary label', () => {
    const m = model('AROW', 1);
    m.trainVector([['a', 1]], '__proto__');
    m.trainVector([['b', 1]], 'constructor');
    assert.deepEqual(m.labels(), ['__proto__', 'constructor']);
    assert.equal(m.classifyVector([['a', 1]]).predicted, '__proto__');
  });
});

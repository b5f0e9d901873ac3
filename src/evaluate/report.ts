// The evaluation as one self-contained HTML page (charts rendered to inline SVG by
// src/core/charts.ts; no scripts, nothing fetched): data set description, results table with
// intervals, the sweep with interval bars, ROC curve, score distributions per label, confusion
// matrix, reliability diagram, performance over time, deployment view, top n-grams per label.
import { escapeHtml, type HtmlSection, htmlPage, type VegaLiteSpec, vegaLiteToSvg } from '../core/charts.js';
import { VERSION } from '../core/version.js';
import { formatProportion, type Proportion } from './intervals.js';
import type { EvalResult, EvalRun } from './run.js';

const pct = (x: number, d = 2): string => (Number.isFinite(x) ? `${(100 * x).toFixed(d)}%` : 'n/a');
const num = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const runName = (r: EvalRun): string => `${r.method} ${r.ngram}-gram`;

function table(head: string[], rows: string[][], leftColumns = 1): string {
  const cell = (tag: string, text: string, i: number) =>
    `<${tag}${i < leftColumns ? ' class="l"' : ''}>${escapeHtml(text)}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const interval = (p: Proportion): string => formatProportion(p);

function sweepSpec(runs: EvalRun[]): VegaLiteSpec {
  const values = runs.flatMap((r) => [
    {
      run: runName(r),
      method: r.method,
      ngram: r.ngram,
      metric: 'TPR',
      value: r.tpr.value,
      lo: r.tpr.lo,
      hi: r.tpr.hi,
    },
    {
      run: runName(r),
      method: r.method,
      ngram: r.ngram,
      metric: 'FPR',
      value: r.fpr.value,
      lo: r.fpr.lo,
      hi: r.fpr.hi,
    },
    {
      run: runName(r),
      method: r.method,
      ngram: r.ngram,
      metric: 'accuracy',
      value: r.accuracy_interval.value,
      lo: r.accuracy_interval.lo,
      hi: r.accuracy_interval.hi,
    },
  ]);
  return {
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['accuracy', 'TPR', 'FPR'] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'ngram', type: 'ordinal', title: 'n-gram size' },
            y: {
              field: 'value',
              type: 'quantitative',
              scale: { zero: false },
              axis: { format: '.1%' },
              title: null,
            },
            color: { field: 'method', type: 'nominal' },
          },
        },
        {
          mark: { type: 'rule' },
          encoding: {
            x: { field: 'ngram', type: 'ordinal' },
            y: { field: 'lo', type: 'quantitative' },
            y2: { field: 'hi' },
            color: { field: 'method', type: 'nominal' },
          },
        },
      ],
    },
  } as VegaLiteSpec;
}

function rocSpec(runs: EvalRun[]): VegaLiteSpec {
  const values = runs.flatMap((r) =>
    r.roc.map((p) => ({ run: `${runName(r)} (AUC ${num(r.auc, 3)})`, fpr: p.fpr, tpr: p.tpr })),
  );
  return {
    width: 360,
    height: 320,
    title: 'ROC curve (test set)',
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          color: {
            field: 'run',
            type: 'nominal',
            title: null,
            legend: { orient: 'bottom-right', labelLimit: 320 },
          },
          order: { field: 'fpr' },
        },
      },
    ],
  } as VegaLiteSpec;
}

function scoreSpec(scores: Array<{ positive: boolean; score: number }>, positive: string): VegaLiteSpec {
  const values = scores.map((s) => ({ label: s.positive ? positive : `not ${positive}`, score: s.score }));
  return {
    width: 420,
    height: 260,
    title: `Scores on the test set (margin of "${positive}")`,
    data: { values },
    mark: { type: 'bar', opacity: 0.6 },
    encoding: {
      x: { field: 'score', type: 'quantitative', bin: { maxbins: 40 }, title: 'score' },
      y: { aggregate: 'count', type: 'quantitative', stack: null, title: 'samples' },
      color: { field: 'label', type: 'nominal', title: 'actual' },
    },
  } as VegaLiteSpec;
}

function confusionSpec(run: EvalRun): VegaLiteSpec {
  const { labels, matrix } = run.confusion;
  const values = labels.flatMap((actual, i) =>
    labels.map((predicted, j) => ({ actual, predicted, count: matrix[i][j] })),
  );
  return {
    title: 'Confusion matrix (test set)',
    data: { values },
    width: Math.max(160, 60 * labels.length),
    height: Math.max(160, 60 * labels.length),
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: labels },
      y: { field: 'actual', type: 'nominal', sort: labels },
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' } } },
      },
      { mark: { type: 'text', fontSize: 14 }, encoding: { text: { field: 'count', type: 'quantitative' } } },
    ],
  } as VegaLiteSpec;
}

function reliabilitySpec(run: EvalRun): VegaLiteSpec {
  const values = run.calibration.bins.map((b) => ({
    predicted: b.predicted,
    observed: b.observed.value,
    lo: b.observed.lo,
    hi: b.observed.hi,
    n: b.observed.n,
  }));
  return {
    width: 320,
    height: 320,
    title: `Reliability (${run.calibration.method}, fitted on training scores)`,
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: 'rule',
        encoding: {
          x: { field: 'predicted', type: 'quantitative' },
          y: { field: 'lo', type: 'quantitative' },
          y2: { field: 'hi' },
        },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true },
        encoding: {
          x: {
            field: 'predicted',
            type: 'quantitative',
            title: 'predicted probability',
            scale: { domain: [0, 1] },
          },
          y: {
            field: 'observed',
            type: 'quantitative',
            title: 'observed share positive',
            scale: { domain: [0, 1] },
          },
          size: { field: 'n', type: 'quantitative', title: 'samples' },
        },
      },
    ],
  } as VegaLiteSpec;
}

function overTimeSpec(run: EvalRun): VegaLiteSpec {
  const values = (run.over_time?.periods ?? []).flatMap((p) => [
    { period: p.period, metric: 'TPR', value: p.tpr.value, lo: p.tpr.lo, hi: p.tpr.hi },
    { period: p.period, metric: 'FPR', value: p.fpr.value, lo: p.fpr.lo, hi: p.fpr.hi },
  ]);
  return {
    width: 480,
    height: 240,
    title: `Per ${run.over_time?.unit ?? 'period'} (AUT of F1: ${num(run.over_time?.aut_f1 ?? Number.NaN, 3)})`,
    data: { values },
    encoding: {
      x: { field: 'period', type: 'ordinal' },
      color: { field: 'metric', type: 'nominal' },
    },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: { y: { field: 'value', type: 'quantitative', axis: { format: '.0%' }, title: null } },
      },
      { mark: 'rule', encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  } as VegaLiteSpec;
}

function resultRows(runs: EvalRun[]): string[][] {
  return runs.map((r) => [
    r.method,
    String(r.ngram),
    interval(r.accuracy_interval),
    interval(r.tpr),
    interval(r.fpr),
    `${num(r.auc, 4)} [${num(r.auc_interval.lo, 3)}–${num(r.auc_interval.hi, 3)}]`,
    num(r.macro_f1, 4),
    `${r.timing.train_s.toFixed(2)} s`,
  ]);
}

/** Renders the evaluation report; `description` names the data (paths, format). */
export async function renderReport(result: EvalResult, description: string): Promise<string> {
  const runs = result.runs;
  const bestIndex = runs.reduce((best, r, i) => (r.auc > runs[best].auc ? i : best), 0);
  const best = runs[bestIndex];
  const detail = result.details[bestIndex];
  const d = result.dataset;
  const sections: HtmlSection[] = [];
  sections.push({
    title: 'Data set',
    text: `Samples sharing a sample id or an identical API-call sequence were grouped and kept on one side of every split (${best.split}, seed ${best.seed}). Intervals: ${best.ci}, 95%.`,
    html: table(
      ['', 'value'],
      [
        ['source', description],
        ['labelled samples', String(d.samples)],
        ...d.labels.map((l) => [`label ${l.label}`, String(l.count)]),
        ['unlabelled samples skipped', String(d.unlabelled_skipped)],
        ['distinct groups (id / sequence)', String(d.groups)],
        ['duplicates grouped', String(d.duplicates_grouped)],
        ['groups with conflicting labels', String(d.conflicting_groups)],
        ['training samples', String(best.n_train)],
        ['test samples', String(best.n_test)],
        ['positive label', best.positive],
      ],
    ),
  });
  sections.push({
    title: 'Results',
    text: 'Every rate with its 95% interval and counts.',
    html: table(
      ['method', 'n-gram', 'accuracy', 'TPR', 'FPR', 'AUC', 'macro-F1', 'train'],
      resultRows(runs),
      1,
    ),
  });
  if (runs.length > 1) {
    sections.push({
      title: 'Sweep',
      text: 'Bars are 95% intervals: overlapping bars mean the data cannot tell the settings apart.',
      html: `<div class="charts">${await vegaLiteToSvg(sweepSpec(runs))}</div>`,
    });
  }
  sections.push({
    title: `Best run: ${runName(best)}`,
    html: `<div class="charts">${await vegaLiteToSvg(rocSpec(runs.length > 6 ? [best] : runs))}${await vegaLiteToSvg(
      scoreSpec(detail.testScores, best.positive),
    )}${await vegaLiteToSvg(confusionSpec(best))}${await vegaLiteToSvg(reliabilitySpec(best))}</div>`,
  });
  sections.push({
    title: 'Per label',
    html: table(
      ['label', 'precision', 'recall', 'F1', 'support'],
      Object.entries(best.per_label).map(([l, m]) => [
        l,
        num(m.precision),
        num(m.recall),
        num(m.f1),
        String(m.support),
      ]),
    ),
  });
  if (best.target_fpr) {
    const t = best.target_fpr;
    sections.push({
      title: `Threshold for FPR ≤ ${pct(t.target)}`,
      text: `Chosen on training scores (threshold ${num(t.threshold)}, training FPR ${pct(t.train_fpr)}); on the test set it gives:`,
      html: table(
        ['', 'value'],
        [
          ['TPR', interval(t.tpr)],
          ['FPR', interval(t.fpr)],
        ],
      ),
    });
  }
  for (const [dep, where] of [
    [best.deployment, 'with the default decision'],
    [best.target_fpr?.deployment, 'with the target-FPR threshold'],
  ] as const) {
    if (!dep) continue;
    const est = (e: { value: number; lo: number; hi: number }, f: (x: number) => string) =>
      `${f(e.value)} [${f(e.lo)}–${f(e.hi)}]`;
    const count = (x: number) => x.toFixed(1);
    sections.push({
      title: `In deployment, ${where}`,
      text: `At ${pct(dep.prevalence, 3)} malware among ${dep.volume_per_day} samples a day (bounds from the TPR/FPR interval ends).`,
      html: table(
        ['', 'expected'],
        [
          ['precision of alarms', est(dep.precision, (x) => pct(x))],
          ['false alarms per day', est(dep.false_alarms_per_day, count)],
          ['detections per day', est(dep.detections_per_day, count)],
          ['missed malware per day', est(dep.missed_per_day, count)],
        ],
      ),
    });
  }
  if (best.over_time && best.over_time.periods.length > 0) {
    sections.push({
      title: 'Over time',
      text: 'Trained on older samples, tested on newer ones, period by period (TESSERACT).',
      html: `<div class="charts">${await vegaLiteToSvg(overTimeSpec(best))}</div>`,
    });
  }
  const ngramRows = best.labels.map((label) => {
    const top = detail.model.dump(label, 10);
    return [label, top.map((e) => `${num(e.weight, 4)}  ${e.feature}`).join('\n')];
  });
  sections.push({
    title: 'Top n-grams per label',
    text: 'The features with the largest weight for each label in the trained model (malgram dump).',
    html: table(['label', 'weight  feature'], ngramRows, 2).replaceAll('\n', '<br>'),
  });
  return htmlPage('malgram evaluation', sections, `malgram ${VERSION}, ${new Date().toISOString()}`);
}

// The evaluation as one self-contained HTML page (charts rendered to inline SVG by
// src/core/charts.ts; no scripts, nothing fetched): data set description, results table with
// intervals, the sweep with interval bars, ROC curve, score distributions per label, confusion
// matrix, reliability diagram, performance over time, deployment view, top n-grams per label;
// with `eval --rules` model / rules / both side by side, with `eval --early` the early-detection
// curve (TPR and FPR after the first N calls), with `eval --orders K` each training order's accuracy.
import { escapeHtml, type HtmlSection, htmlPage, type VegaLiteSpec, vegaLiteToSvg } from '../core/charts.js';
import { VERSION } from '../core/version.js';
import { formatProportion, type Proportion } from './intervals.js';
import type { EvalResult, EvalRun, RunExtras } from './run.js';

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

/** The dashed y = x line of the ROC and reliability charts (chance, perfect calibration). */
const DIAGONAL = {
  data: {
    values: [
      { x: 0, y: 0 },
      { x: 1, y: 1 },
    ],
  },
  mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
};

function rocSpec(runs: EvalRun[]): VegaLiteSpec {
  const values = runs.flatMap((r) =>
    r.roc.map((p) => ({ run: `${runName(r)} (AUC ${num(r.auc, 3)})`, fpr: p.fpr, tpr: p.tpr })),
  );
  return {
    width: 360,
    height: 320,
    title: 'ROC curve (test set)',
    layer: [
      DIAGONAL,
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
      DIAGONAL,
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

const detectorNames = { model: 'model alone', rules: 'rules alone', combined: 'model + rules' } as const;

function rulesComparisonSpec(c: NonNullable<RunExtras['rules_comparison']>): VegaLiteSpec {
  const values = (['model', 'rules', 'combined'] as const).flatMap((k) =>
    (['tpr', 'fpr', 'precision'] as const).map((m) => ({
      detector: detectorNames[k],
      metric: m === 'precision' ? 'precision' : m.toUpperCase(),
      value: c[k][m].value,
      lo: c[k][m].lo,
      hi: c[k][m].hi,
    })),
  );
  return {
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['TPR', 'FPR', 'precision'] } },
    spec: {
      width: 200,
      height: 200,
      layer: [
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: {
            x: { field: 'detector', type: 'nominal', title: null, sort: Object.values(detectorNames) },
            y: { field: 'value', type: 'quantitative', axis: { format: '.0%' }, title: null },
            color: { field: 'detector', type: 'nominal', legend: null },
          },
        },
        {
          mark: 'rule',
          encoding: {
            x: { field: 'detector', type: 'nominal', sort: Object.values(detectorNames) },
            y: { field: 'lo', type: 'quantitative' },
            y2: { field: 'hi' },
            color: { field: 'detector', type: 'nominal', legend: null },
          },
        },
      ],
    },
  } as VegaLiteSpec;
}

function earlySpec(e: NonNullable<RunExtras['early']>): VegaLiteSpec {
  const values = e.prefixes.flatMap((p) => [
    { calls: p.calls, metric: 'TPR', value: p.tpr.value, lo: p.tpr.lo, hi: p.tpr.hi },
    { calls: p.calls, metric: 'FPR', value: p.fpr.value, lo: p.fpr.lo, hi: p.fpr.hi },
  ]);
  const x = { field: 'calls', type: 'quantitative', scale: { type: 'log' }, title: 'first N calls' };
  return {
    width: 480,
    height: 260,
    title: `Detection after the first N calls (threshold ${num(e.threshold)})`,
    data: { values },
    encoding: { color: { field: 'metric', type: 'nominal', title: null } },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: {
            field: 'value',
            type: 'quantitative',
            axis: { format: '.0%' },
            scale: { domain: [0, 1] },
            title: null,
          },
        },
      },
      {
        mark: 'rule',
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
    ],
  } as VegaLiteSpec;
}

/** One tick per training order and run (`eval --orders`); the run's own order drawn last, on top. */
function orderSpreadSpec(runs: EvalRun[]): VegaLiteSpec {
  const values = runs.flatMap((r) =>
    (r.orders?.accuracy.values ?? [])
      .map((p, j) => ({
        run: runName(r),
        order: j === 0 ? 'own order' : 'other orders',
        accuracy: p.value,
      }))
      .reverse(),
  );
  return {
    width: 480,
    height: Math.max(80, 28 * runs.length),
    title: 'Test accuracy of each training order',
    data: { values },
    mark: { type: 'tick', thickness: 2 },
    encoding: {
      x: { field: 'accuracy', type: 'quantitative', axis: { format: '.1%' }, scale: { zero: false } },
      y: { field: 'run', type: 'nominal', title: null },
      color: { field: 'order', type: 'nominal', title: null },
    },
  } as VegaLiteSpec;
}

/** The `eval --rules` and `eval --early` sections of one run. */
async function extrasSections(run: EvalRun): Promise<HtmlSection[]> {
  const sections: HtmlSection[] = [];
  const c = run.rules_comparison;
  if (c) {
    sections.push({
      title: 'Model, rules and both',
      text: `The same test samples judged by the model alone${c.threshold === null || c.threshold === undefined ? ' (its argmax)' : ` (margin ≥ ${c.threshold})`}, by the ${c.rules_count ?? ''} rules alone, and by the hybrid policy (a malicious rule decides, an allow rule overrides the model). A detection is a malicious verdict; a sample without features gets none from the model. Bars are 95% intervals.`,
      html: `${table(
        ['detector', 'TPR', 'FPR', 'precision'],
        (['model', 'rules', 'combined'] as const).map((k) => [
          detectorNames[k],
          interval(c[k].tpr),
          interval(c[k].fpr),
          interval(c[k].precision),
        ]),
      )}<div class="charts">${await vegaLiteToSvg(rulesComparisonSpec(c))}</div>`,
    });
  }
  const e = run.early;
  if (e) {
    const dist = e.calls_until_alert;
    const risk = e.high_risk_before_alert;
    const facts: string[][] = [
      ['threshold (chosen on training negatives)', `${num(e.threshold)} for FPR ≤ ${pct(e.target_fpr)}`],
      ['whole traces: TPR', interval(e.full.tpr)],
      ['whole traces: FPR', interval(e.full.fpr)],
    ];
    if (dist) {
      facts.push([
        `calls until the alert (detected malware, n=${dist.n})`,
        `p10 ${dist.p10}, p25 ${dist.p25}, median ${dist.p50}, p75 ${dist.p75}, p90 ${dist.p90}, max ${dist.max}, mean ${dist.mean.toFixed(1)}`,
      ]);
    }
    if (risk && e.high_risk_any_before_alert) {
      facts.push([
        'high-risk calls before the alert',
        `mean ${risk.mean.toFixed(2)}, median ${risk.p50}, p90 ${risk.p90}, max ${risk.max}; traces with any: ${interval(e.high_risk_any_before_alert)}`,
      ]);
    }
    if (e.rule_first > 0) facts.push(['alerts raised by a rule before the model', String(e.rule_first)]);
    sections.push({
      title: 'Early detection',
      text: `Each test trace replayed call by call as \`malgram watch\` scores it${e.split ? ` (${e.split})` : ''}: a trace counts as detected within N calls when its alert comes at or before call N. The threshold comes from the training traces the model has seen, so the held-out FPR is usually higher than the target.`,
      html: `<div class="charts">${await vegaLiteToSvg(earlySpec(e))}</div>${table(
        ['first N calls', 'TPR', 'FPR'],
        e.prefixes.map((p) => [String(p.calls), interval(p.tpr), interval(p.fpr)]),
      )}${table(['', 'value'], facts)}`,
    });
  }
  return sections;
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
  const spread = runs.filter((r) => r.orders);
  if (spread.length > 0) {
    const o = spread[0].orders as NonNullable<EvalRun['orders']>;
    const range = (x: { min: number; mean: number; max: number }) =>
      `${pct(x.min, 1)} · ${pct(x.mean, 1)} · ${pct(x.max, 1)}`;
    sections.push({
      title: 'Training order',
      text: `One online pass depends on the order of the training samples: each split was also trained in ${o.orders - 1} other random orders (order seeds ${o.order_seeds[0]}–${o.order_seeds[o.order_seeds.length - 1]}), and tested on the same samples. The results above are the own order's. The spread is not an interval: it shows what one run could have reported with another shuffle.`,
      html: `<div class="charts">${await vegaLiteToSvg(orderSpreadSpec(spread))}</div>${table(
        ['run', 'accuracy min · mean · max', 'TPR min · mean · max', 'FPR min · mean · max'],
        spread.map((r) => {
          const x = r.orders as NonNullable<EvalRun['orders']>;
          return [runName(r), range(x.accuracy), range(x.tpr), range(x.fpr)];
        }),
      )}`,
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
  sections.push(...(await extrasSections(best)));
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

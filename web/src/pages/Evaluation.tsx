// Evaluation: run an evaluation (as `malgram eval`) on the server's store or a cached data set and
// look at the ROC curve, the table of rates with their 95% intervals, the n-gram sweep with interval
// bars, the early-detection curve (TPR after k calls, replayed through the live scorer) and, with
// several training orders, each order's test accuracy (one online pass depends on the order).
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  ErrorBar,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { send } from '../api';
import { interval, pct } from '../components/format';
import type { EvalResult } from '../types';

interface Form {
  dataset: string;
  method: string;
  ngram: string;
  split: string;
  seed: string;
  orders: string;
  early: string;
}

export function EvaluationPage() {
  const [form, setForm] = useState<Form>({
    dataset: 'store',
    method: 'arow',
    ngram: '3',
    split: '0.5',
    seed: '1',
    orders: '1',
    early: '10,25,50,100',
  });
  const [result, setResult] = useState<EvalResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof Form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const body = {
        dataset: form.dataset.trim() || 'store',
        method: form.method,
        ngram: form.ngram,
        split: Number(form.split),
        seed: Number(form.seed),
        orders: Number(form.orders),
        early: form.early
          .split(',')
          .map((s) => Number(s.trim()))
          .filter((n) => n > 0),
      };
      setResult(await send<EvalResult>('POST', '/v1/eval', body));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const runs = result?.runs;
  const first = runs?.[0];
  const early = result?.early;
  const spread = (runs ?? []).filter((r) => r.orders);
  const orderPoints = (own: boolean) =>
    spread.flatMap((r) =>
      (r.orders?.accuracy.values ?? [])
        .map((v, j) => ({ run: `${r.method} n=${r.ngram}`, accuracy: v.value, own: j === 0 }))
        .filter((p) => p.own === own),
    );
  const sweep = (runs ?? []).map((r) => ({
    name: `${r.method} n=${r.ngram}`,
    tpr: r.tpr.value,
    err: [r.tpr.value - r.tpr.lo, r.tpr.hi - r.tpr.value],
  }));
  return (
    <div data-testid="evaluation">
      <section className="card">
        <h2>Run an evaluation</h2>
        <div className="row">
          <label>
            Data set{' '}
            <input
              value={form.dataset}
              onChange={set('dataset')}
              size={12}
              title={'"store" (the server\'s sample store) or the name of a cached data set'}
            />
          </label>
          <label>
            Method{' '}
            <input
              value={form.method}
              onChange={set('method')}
              size={20}
              title="one or several, comma-separated"
            />
          </label>
          <label>
            n-gram <input value={form.ngram} onChange={set('ngram')} size={5} title="N or A-B" />
          </label>
          <label>
            Train share <input value={form.split} onChange={set('split')} size={4} />
          </label>
          <label>
            Seed <input value={form.seed} onChange={set('seed')} size={4} />
          </label>
          <label>
            Orders{' '}
            <input
              value={form.orders}
              onChange={set('orders')}
              size={3}
              title="train each setting in this many random orders and show the spread"
            />
          </label>
          <label>
            Early prefixes <input value={form.early} onChange={set('early')} size={16} />
          </label>
          <button type="button" className="primary" disabled={busy} onClick={run}>
            {busy ? 'Running…' : 'Run'}
          </button>
        </div>
        {error && <p className="error">{error}</p>}
      </section>
      {result && runs && (
        <section className="card">
          <h2>Rates with 95% intervals</h2>
          <p className="muted">
            {result.dataset}: {result.data.samples.toLocaleString()} labelled analyses (
            {result.data.labels.map((l) => `${l.label}: ${l.count}`).join(', ')}),{' '}
            {result.data.duplicates_grouped} duplicates grouped; {first?.split}; positive label “
            {first?.positive}”.
          </p>
          <table data-testid="interval-table">
            <thead>
              <tr>
                <th>method</th>
                <th>n</th>
                <th className="num">accuracy</th>
                <th className="num">macro-F1</th>
                <th className="num">TPR</th>
                <th className="num">FPR</th>
                <th className="num">AUC</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={`${r.method}-${r.ngram}`}>
                  <td>{r.method}</td>
                  <td>{r.ngram}</td>
                  <td className="num">{interval(r.accuracy_interval)}</td>
                  <td className="num">{pct(r.macro_f1)}</td>
                  <td className="num">{interval(r.tpr)}</td>
                  <td className="num">{interval(r.fpr)}</td>
                  <td className="num">
                    {r.auc.toFixed(4)} [{r.auc_interval.lo.toFixed(4)}–{r.auc_interval.hi.toFixed(4)}]
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {spread.length > 0 && (
        <section className="card" data-testid="order-spread">
          <h2>Training order</h2>
          <p className="muted">
            One online pass depends on the order of its samples: each setting was also trained in{' '}
            {(spread[0].orders?.orders ?? 1) - 1} other random orders on the same split and tested on the same
            samples. The rates above are the first order's. The spread is not an interval.
          </p>
          <table>
            <thead>
              <tr>
                <th>method</th>
                <th>n</th>
                <th className="num">accuracy min · mean · max</th>
                <th className="num">TPR min · mean · max</th>
                <th className="num">FPR min · mean · max</th>
              </tr>
            </thead>
            <tbody>
              {spread.map((r) => {
                const o = r.orders!;
                const range = (x: { min: number; mean: number; max: number }) =>
                  `${pct(x.min)} · ${pct(x.mean)} · ${pct(x.max)}`;
                return (
                  <tr key={`${r.method}-${r.ngram}`}>
                    <td>{r.method}</td>
                    <td>{r.ngram}</td>
                    <td className="num">{range(o.accuracy)}</td>
                    <td className="num">{range(o.tpr)}</td>
                    <td className="num">{range(o.fpr)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <ResponsiveContainer width="100%" height={Math.max(160, 50 * spread.length + 80)}>
            <ScatterChart margin={{ left: 30, right: 20, bottom: 20 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="accuracy"
                type="number"
                domain={['auto', 'auto']}
                tickFormatter={(v: number) => pct(v)}
                label={{ value: 'test accuracy of each order', position: 'bottom' }}
              />
              <YAxis dataKey="run" type="category" allowDuplicatedCategory={false} width={110} />
              <Tooltip />
              <Legend verticalAlign="top" />
              <Scatter
                name="other orders"
                data={orderPoints(false)}
                fill="#4c6ef5"
                isAnimationActive={false}
              />
              <Scatter name="first order" data={orderPoints(true)} fill="#e4572e" isAnimationActive={false} />
            </ScatterChart>
          </ResponsiveContainer>
        </section>
      )}
      <div className="grid">
        {first?.roc && (
          <section className="card" data-testid="roc-chart">
            <h3>
              ROC curve ({first.method}, n={first.ngram})
            </h3>
            <ResponsiveContainer width="100%" height={300}>
              <LineChart data={first.roc} margin={{ left: 10, right: 10, bottom: 20 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis
                  dataKey="fpr"
                  type="number"
                  domain={[0, 1]}
                  label={{ value: 'FPR', position: 'bottom' }}
                />
                <YAxis
                  dataKey="tpr"
                  type="number"
                  domain={[0, 1]}
                  label={{ value: 'TPR', angle: -90, position: 'left' }}
                />
                <Tooltip />
                <Line type="stepAfter" dataKey="tpr" stroke="#e4572e" dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </section>
        )}
        {runs && runs.length > 0 && (
          <section className="card" data-testid="sweep-chart">
            <h3>TPR per setting (bars: 95% interval)</h3>
            <ResponsiveContainer width="100%" height={300}>
              <BarChart data={sweep} margin={{ left: 10, right: 10, bottom: 20 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="name" />
                <YAxis domain={[0, 1]} />
                <Tooltip />
                <Legend />
                <Bar dataKey="tpr" fill="#4c6ef5" isAnimationActive={false}>
                  <ErrorBar dataKey="err" width={6} stroke="#1d2330" />
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          </section>
        )}
        {early && early.prefixes.length > 0 && (
          <section className="card" data-testid="early-chart">
            <h3>
              Early detection ({first?.method}, n={first?.ngram}): TPR after k calls, threshold at{' '}
              {pct(early.target_fpr)} training FPR
            </h3>
            <ResponsiveContainer width="100%" height={300}>
              <LineChart
                data={early.prefixes.map((e) => ({
                  calls: e.calls,
                  tpr: e.tpr.value,
                  lo: e.tpr.lo,
                  hi: e.tpr.hi,
                  fpr: e.fpr.value,
                }))}
                margin={{ left: 10, right: 10, bottom: 20 }}
              >
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="calls" scale="log" domain={['auto', 'auto']} type="number" />
                <YAxis domain={[0, 1]} />
                <Tooltip />
                <Legend />
                <Line dataKey="tpr" stroke="#e4572e" isAnimationActive={false} />
                <Line dataKey="fpr" stroke="#1b7f3b" isAnimationActive={false} />
                <Line
                  dataKey="lo"
                  stroke="#9aa4b5"
                  strokeDasharray="4 4"
                  dot={false}
                  isAnimationActive={false}
                />
                <Line
                  dataKey="hi"
                  stroke="#9aa4b5"
                  strokeDasharray="4 4"
                  dot={false}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </section>
        )}
      </div>
    </div>
  );
}

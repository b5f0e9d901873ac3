// Evaluation: run an evaluation on the server's store and look at the ROC curve, the table of
// rates with their 95% intervals, the n-gram sweep with interval bars and the early-detection curve.
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
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { send } from '../api';
import { interval, pct } from '../components/format';
import type { EvalRun } from '../types';

interface Form {
  method: string;
  ngram: string;
  split: string;
  seed: string;
  early: string;
}

export function EvaluationPage() {
  const [form, setForm] = useState<Form>({
    method: 'arow',
    ngram: '3',
    split: '0.5',
    seed: '1',
    early: '10,25,50,100',
  });
  const [runs, setRuns] = useState<EvalRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof Form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const body = {
        method: form.method,
        ngram: form.ngram,
        split: Number(form.split),
        seed: Number(form.seed),
        early: form.early
          .split(',')
          .map((s) => Number(s.trim()))
          .filter((n) => n > 0),
      };
      const res = await send<EvalRun | { runs: EvalRun[] }>('POST', '/v1/eval', body);
      setRuns('runs' in res ? res.runs : [res]);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const first = runs?.[0];
  const sweep = (runs ?? []).map((r) => ({
    name: `${r.method} n=${r.ngram}`,
    tpr: r.tpr?.value ?? r.accuracy,
    err: r.tpr ? [r.tpr.value - r.tpr.lo, r.tpr.hi - r.tpr.value] : [0, 0],
  }));
  return (
    <div data-testid="evaluation">
      <section className="card">
        <h2>Run an evaluation</h2>
        <div className="row">
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
            Early prefixes <input value={form.early} onChange={set('early')} size={16} />
          </label>
          <button type="button" className="primary" disabled={busy} onClick={run}>
            {busy ? 'Running…' : 'Run'}
          </button>
        </div>
        {error && <p className="error">{error}</p>}
      </section>
      {runs && (
        <section className="card">
          <h2>Rates with 95% intervals</h2>
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
                  <td className="num">{pct(r.accuracy)}</td>
                  <td className="num">{pct(r.macro_f1)}</td>
                  <td className="num">{interval(r.tpr)}</td>
                  <td className="num">{interval(r.fpr)}</td>
                  <td className="num">{r.auc?.toFixed(4) ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
        {first?.early && first.early.length > 0 && (
          <section className="card" data-testid="early-chart">
            <h3>Early detection: TPR after k calls</h3>
            <ResponsiveContainer width="100%" height={300}>
              <LineChart
                data={first.early.map((e) => ({
                  calls: e.calls,
                  tpr: e.tpr.value,
                  lo: e.tpr.lo,
                  hi: e.tpr.hi,
                }))}
                margin={{ left: 10, right: 10, bottom: 20 }}
              >
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="calls" scale="log" domain={['auto', 'auto']} type="number" />
                <YAxis domain={[0, 1]} />
                <Tooltip />
                <Legend />
                <Line dataKey="tpr" stroke="#e4572e" isAnimationActive={false} />
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

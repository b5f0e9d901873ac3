// Rule workshop: list and edit rules (validation errors shown at their line), back-test a rule
// against the store with 95% intervals, and accept rules the model suggests.
import { useEffect, useState } from 'react';
import type { Route } from '../App';
import { ApiError, send } from '../api';
import { interval } from '../components/format';
import { useApi } from '../components/useApi';
import type { Interval, RuleInfo } from '../types';

interface ValidationError {
  message: string;
  line?: number;
  field?: string;
}

interface Backtest {
  rules: Array<{
    id: string;
    hits: Record<string, number>;
    precision?: Interval;
    tpr?: Interval;
    fpr?: Interval;
    unusable?: boolean;
  }>;
}

interface Suggestion {
  id: string;
  yaml: string;
  support?: number;
  precision?: Interval;
  fpr?: Interval;
}

function validationErrors(e: unknown): ValidationError[] {
  if (e instanceof ApiError && e.body && typeof e.body === 'object' && 'errors' in e.body) {
    return (e.body as { errors: ValidationError[] }).errors;
  }
  return [{ message: (e as Error).message }];
}

export function RulesPage({ route }: { route: Route }) {
  const list = useApi<{ rules: RuleInfo[] }>('/v1/rules');
  const [id, setId] = useState('');
  const [yaml, setYaml] = useState('');
  const [errors, setErrors] = useState<ValidationError[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const [backtest, setBacktest] = useState<Backtest | null>(null);
  const [busy, setBusy] = useState(false);
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const feature = route.query.get('feature');

  useEffect(() => {
    if (!feature) return;
    send<{ id: string; yaml: string }>('POST', '/v1/rules/draft', { feature })
      .then((d) => {
        setId(d.id);
        setYaml(d.yaml);
      })
      .catch((e) => setErrors(validationErrors(e)));
  }, [feature]);

  const open = (r: { id: string; yaml: string }) => {
    setId(r.id);
    setYaml(r.yaml);
    setErrors([]);
    setSaved(null);
    setBacktest(null);
  };
  const save = async () => {
    setErrors([]);
    setSaved(null);
    try {
      await send('PUT', `/v1/rules/${encodeURIComponent(id)}`, { yaml });
      setSaved(`Saved rule ${id}.`);
      list.reload();
    } catch (e) {
      setErrors(validationErrors(e));
    }
  };
  const test = async () => {
    setErrors([]);
    setBusy(true);
    try {
      setBacktest(await send<Backtest>('POST', '/v1/rules/test', { yaml }));
    } catch (e) {
      setErrors(validationErrors(e));
    } finally {
      setBusy(false);
    }
  };
  const suggest = async () => {
    setBusy(true);
    try {
      setSuggestions(
        (await send<{ suggestions: Suggestion[] }>('POST', '/v1/rules/suggest', { top: 10 })).suggestions,
      );
    } catch (e) {
      setErrors(validationErrors(e));
    } finally {
      setBusy(false);
    }
  };
  const lines = yaml.split('\n');
  const errorLines = new Set(errors.map((e) => e.line).filter((l): l is number => typeof l === 'number'));
  return (
    <div className="grid" data-testid="rules">
      <section className="card">
        <h2>Rules</h2>
        {list.error && <p className="error">{list.error}</p>}
        <table>
          <tbody>
            {list.data?.rules.map((r) => (
              <tr key={r.id}>
                <td className={`verdict-${r.verdict}`}>{r.verdict}</td>
                <td>
                  <button type="button" className="link" onClick={() => open(r)}>
                    {r.id}
                  </button>
                </td>
                <td>{r.title}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="row">
          <button type="button" onClick={suggest} disabled={busy}>
            Suggest rules from the model
          </button>
        </div>
        {suggestions && (
          <table data-testid="suggestions">
            <tbody>
              {suggestions.map((s) => (
                <tr key={s.id}>
                  <td className="mono">{s.id}</td>
                  <td>precision {interval(s.precision)}</td>
                  <td>FPR {interval(s.fpr)}</td>
                  <td>
                    <button type="button" onClick={() => open(s)}>
                      Accept
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card">
        <h2>Editor</h2>
        <div className="row">
          <label>
            Rule id <input value={id} onChange={(e) => setId(e.target.value)} data-testid="rule-id" />
          </label>
          <button type="button" onClick={test} disabled={busy || !yaml} data-testid="backtest">
            {busy ? 'Working…' : 'Back-test'}
          </button>
          <button type="button" className="primary" onClick={save} disabled={!id || !yaml} data-testid="save">
            Validate & save
          </button>
        </div>
        <textarea
          value={yaml}
          onChange={(e) => setYaml(e.target.value)}
          spellCheck={false}
          data-testid="rule-yaml"
        />
        {errors.length > 0 && (
          <div className="error" data-testid="rule-errors">
            {errors.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: errors have no identity
              <div key={i}>
                {e.line ? `line ${e.line}: ` : ''}
                {e.field ? `${e.field}: ` : ''}
                {e.message}
                {e.line && lines[e.line - 1] !== undefined && <pre>{lines[e.line - 1]}</pre>}
              </div>
            ))}
          </div>
        )}
        {errorLines.size > 0 && <p className="muted">Lines with errors: {[...errorLines].join(', ')}</p>}
        {saved && <p className="ok">{saved}</p>}
        {backtest && (
          <table data-testid="backtest-result">
            <thead>
              <tr>
                <th>rule</th>
                <th>hits per label</th>
                <th>precision</th>
                <th>TPR</th>
                <th>FPR</th>
              </tr>
            </thead>
            <tbody>
              {backtest.rules.map((r) => (
                <tr key={r.id}>
                  <td>
                    {r.id}
                    {r.unusable && <span className="error"> (too many benign hits)</span>}
                  </td>
                  <td>
                    {Object.entries(r.hits)
                      .map(([l, n]) => `${l}: ${n}`)
                      .join(' · ')}
                  </td>
                  <td>{interval(r.precision)}</td>
                  <td>{interval(r.tpr)}</td>
                  <td>{interval(r.fpr)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

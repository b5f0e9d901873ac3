// Sample view: one trace as a timeline per process, each call coloured by the contribution of
// the n-grams ending at it, rule hits outlined with the calls they matched, and the verdict
// with its explanation.
import { useEffect, useState } from 'react';
import { navigate, type Route } from '../App';
import { send } from '../api';
import { ngramOf } from '../components/format';
import { useApi } from '../components/useApi';
import type { Explanation, StoredSample, Trace } from '../types';

/** Contribution of each call: the sum over n-grams (n = 1..8) that end at it and are in the explanation. */
function callContributions(trace: Trace, explanation: Explanation): number[][] {
  const byNgram = new Map<string, number>();
  for (const c of explanation.contributions)
    byNgram.set(ngramOf(c.feature), (byNgram.get(ngramOf(c.feature)) ?? 0) + c.contribution);
  return trace.processes.map((p) =>
    p.calls.map((_, i) => {
      let sum = 0;
      for (let n = 1; n <= 8 && n <= i + 1; n++) {
        const key = p.calls
          .slice(i - n + 1, i + 1)
          .map((c) => c.api)
          .join('_');
        sum += byNgram.get(key) ?? 0;
      }
      return sum;
    }),
  );
}

function colour(value: number, max: number): string {
  if (max === 0 || value === 0) return 'transparent';
  const a = Math.min(1, Math.abs(value) / max) * 0.85;
  return value > 0 ? `rgba(228, 87, 46, ${a})` : `rgba(27, 127, 59, ${a})`;
}

export function SamplePage({ route }: { route: Route }) {
  const origin = route.rest;
  const [input, setInput] = useState(origin);
  useEffect(() => setInput(origin), [origin]);
  const sample = useApi<StoredSample>(origin ? `/v1/samples/${encodeURIComponent(origin)}` : null);
  const trace = sample.data?.trace;
  const ruleHits = sample.data?.rule_hits ?? [];
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!trace) return;
    setExplanation(null);
    send<Explanation>('POST', '/v1/explain', { trace, top: 200 })
      .then(setExplanation)
      .catch((e: Error) => setError(e.message));
  }, [trace]);
  const contributions = trace && explanation ? callContributions(trace, explanation) : null;
  const max = contributions ? Math.max(0, ...contributions.flat().map(Math.abs)) : 0;
  // pid → indexes of the calls a rule hit matched
  const hitCalls = new Map<number, Set<number>>();
  for (const h of ruleHits) {
    for (const c of h.calls) {
      const set = hitCalls.get(c.pid) ?? new Set<number>();
      set.add(c.index);
      hitCalls.set(c.pid, set);
    }
  }
  return (
    <div data-testid="sample-view">
      <section className="card">
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            navigate(`sample/${encodeURIComponent(input.trim())}`);
          }}
        >
          <label htmlFor="origin">Analysis</label>
          <input
            id="origin"
            size={80}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            placeholder="origin (from the model explorer or the store)"
          />
          <button type="submit">Open</button>
        </form>
        {sample.loading && <p className="muted">Loading…</p>}
        {sample.error && <p className="error">{sample.error}</p>}
        {error && <p className="error">{error}</p>}
        {!origin && <p className="muted">Open a sample from the model explorer, or paste its origin.</p>}
      </section>
      {trace && (
        <section className="card">
          <h2 className="mono">{trace.id}</h2>
          <p data-testid="verdict">
            Label: {trace.label ?? 'unknown'} · Model verdict:{' '}
            <b>{explanation ? (explanation.empty ? 'no behaviour' : (explanation.predicted ?? '–')) : '…'}</b>
            {explanation && (
              <span className="muted">
                {' '}
                · scores{' '}
                {Object.entries(explanation.scores)
                  .map(([l, s]) => `${l}: ${s.toFixed(4)}`)
                  .join(', ')}
              </span>
            )}
          </p>
          {ruleHits.length > 0 && (
            <ul data-testid="rule-hits">
              {ruleHits.map((h) => (
                <li key={`${h.rule}-${h.pid}`}>
                  <span className={`verdict-${h.verdict}`}>{h.verdict}</span> rule <b>{h.rule}</b> {h.title} —
                  calls {h.calls.map((c) => `#${c.index} ${c.api}`).join(', ')} (outlined below)
                </li>
              ))}
            </ul>
          )}
          <p className="muted">
            Each call is coloured by the contributions of the n-grams ending at it: red towards the predicted
            label, green against it.
          </p>
          {trace.processes.map((p, pi) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: processes are positional and a pid may repeat
            <div key={`${p.pid}-${pi}`}>
              <h3>
                {p.name ?? 'process'} <span className="muted">pid {p.pid}</span>
              </h3>
              <div className="timeline">
                {p.calls.map((c, ci) => {
                  const v = contributions?.[pi]?.[ci] ?? 0;
                  const hit = hitCalls.get(p.pid)?.has(ci) ?? false;
                  return (
                    <span
                      // biome-ignore lint/suspicious/noArrayIndexKey: calls are positional
                      key={ci}
                      className={hit ? 'hit' : ''}
                      style={{ background: colour(v, max) }}
                      title={`#${ci} ${c.api} contribution ${v.toFixed(4)}`}
                    >
                      {c.api}
                    </span>
                  );
                })}
              </div>
            </div>
          ))}
          {explanation && (
            <>
              <h3>Top contributing n-grams</h3>
              <table>
                <tbody>
                  {explanation.contributions.slice(0, 20).map((c) => (
                    <tr key={c.feature}>
                      <td className="num">{c.contribution.toFixed(5)}</td>
                      <td className="mono">{ngramOf(c.feature)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
      )}
    </div>
  );
}

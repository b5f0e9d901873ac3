// Live detections: the latest alerts, then new ones as they stream in (Server-Sent Events from
// GET /v1/alerts); filter by host and verdict; open one to read its explanation: the rule hits and
// the n-grams that pushed the score over the threshold.
import { useEffect, useState } from 'react';
import { get, subscribe } from '../api';
import type { Alert } from '../types';

const MAX_ALERTS = 500;

type Row = Alert & { key: string };

/** An alert's identity: a process alerts once per verdict, at a given call count. */
const keyOf = (a: Alert) => `${a.host}\u0000${a.pid}\u0000${a.verdict}\u0000${a.calls}\u0000${a.ts ?? ''}`;

export function LivePage() {
  const [alerts, setAlerts] = useState<Row[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [host, setHost] = useState('');
  const [verdict, setVerdict] = useState('');
  const [open, setOpen] = useState<Row | null>(null);
  useEffect(() => {
    const add = (incoming: Alert[]) =>
      setAlerts((prev) => {
        const seen = new Set(prev.map((a) => a.key));
        const fresh = incoming.map((a) => ({ ...a, key: keyOf(a) })).filter((a) => !seen.has(a.key));
        return [...fresh, ...prev].slice(0, MAX_ALERTS);
      });
    const stop = subscribe(
      '/v1/alerts',
      (data) => add([data as Alert]),
      (e) => {
        setLive(false);
        setError(e.message);
      },
      () => {
        setLive(true);
        // what was raised before this page opened
        get<{ alerts: Alert[] }>('/v1/alerts/recent?limit=200')
          .then((r) => add([...r.alerts].reverse()))
          .catch((e: Error) => setError(e.message));
      },
    );
    return stop;
  }, []);
  const shown = alerts.filter((a) => (!host || a.host.includes(host)) && (!verdict || a.verdict === verdict));
  return (
    <div className="grid" data-testid="live">
      <section className="card">
        <h2>Live detections</h2>
        {error && <p className="error">{error}</p>}
        <p className="muted" data-testid="live-status">
          {live ? 'Connected: alerts appear as they are raised.' : 'Connecting…'}
        </p>
        <div className="row">
          <input placeholder="host" value={host} onChange={(e) => setHost(e.target.value)} />
          <select value={verdict} onChange={(e) => setVerdict(e.target.value)}>
            <option value="">any verdict</option>
            <option value="malicious">malicious</option>
            <option value="suspicious">suspicious</option>
          </select>
          <span className="muted">
            {shown.length} shown of {alerts.length}
          </span>
        </div>
        <table>
          <tbody>
            {shown.map((a) => (
              <tr key={a.key} data-testid="alert-row" className={open?.key === a.key ? 'selected' : ''}>
                <td className={`verdict-${a.verdict}`}>{a.verdict}</td>
                <td className="mono">
                  <button type="button" className="link" onClick={() => setOpen(a)} data-testid="alert-open">
                    {a.host}:{a.pid}
                  </button>
                </td>
                <td>{a.process}</td>
                <td>{a.reason}</td>
                <td className="num">{a.calls} calls</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {open && (
        <section className="card" data-testid="alert-detail">
          <h3>
            <span className={`verdict-${open.verdict}`}>{open.verdict}</span> {open.process} on {open.host}{' '}
            (pid {open.pid})
          </h3>
          <p>
            Raised by the {open.reason} after {open.calls} calls, {open.seconds.toFixed(2)} s after the
            process's first call.{' '}
            {open.score !== null &&
              `Model margin for “${open.positive}”: ${open.score.toFixed(4)} (threshold ${open.threshold}).`}{' '}
            {open.high_risk_calls > 0 && `${open.high_risk_calls} high-risk calls so far.`}
          </p>
          {open.rule_hits.length > 0 && (
            <>
              <h4>Rule hits</h4>
              <ul>
                {open.rule_hits.map((h) => (
                  <li key={h.rule}>
                    <span className={`verdict-${h.verdict}`}>{h.verdict}</span> <b>{h.rule}</b> {h.title} —
                    calls {h.calls.map((c) => `#${c}`).join(', ')}
                  </li>
                ))}
              </ul>
            </>
          )}
          {open.top_ngrams.length > 0 && (
            <>
              <h4>N-grams that pushed the score</h4>
              <table data-testid="alert-ngrams">
                <thead>
                  <tr>
                    <th className="num">contribution</th>
                    <th className="num">times</th>
                    <th>n-gram</th>
                  </tr>
                </thead>
                <tbody>
                  {open.top_ngrams.map((t) => (
                    <tr key={t.feature}>
                      <td className="num">{t.contribution.toFixed(5)}</td>
                      <td className="num">{t.count}</td>
                      <td className="mono">{t.ngram.join(' → ')}</td>
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

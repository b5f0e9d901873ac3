// Live detections: alerts stream in over Server-Sent Events; filter by host and verdict; open
// one to read its explanation (rule hits and the n-grams that pushed the score).
import { useEffect, useState } from 'react';
import { subscribe } from '../api';
import { ngramOf } from '../components/format';
import type { Alert } from '../types';

const MAX_ALERTS = 500;
let nextSeq = 0;

export function LivePage() {
  const [alerts, setAlerts] = useState<Array<Alert & { seq: number }>>([]);
  const [error, setError] = useState<string | null>(null);
  const [host, setHost] = useState('');
  const [verdict, setVerdict] = useState('');
  const [open, setOpen] = useState<Alert | null>(null);
  useEffect(
    () =>
      subscribe(
        '/v1/alerts',
        (data) => setAlerts((prev) => [{ ...(data as Alert), seq: nextSeq++ }, ...prev].slice(0, MAX_ALERTS)),
        (e) => setError(e.message),
      ),
    [],
  );
  const shown = alerts.filter((a) => (!host || a.host.includes(host)) && (!verdict || a.verdict === verdict));
  return (
    <div className="grid" data-testid="live">
      <section className="card">
        <h2>Live detections</h2>
        {error && <p className="error">{error}</p>}
        <div className="row">
          <input placeholder="host" value={host} onChange={(e) => setHost(e.target.value)} />
          <select value={verdict} onChange={(e) => setVerdict(e.target.value)}>
            <option value="">any verdict</option>
            <option value="malicious">malicious</option>
            <option value="suspicious">suspicious</option>
          </select>
          <span className="muted">{alerts.length} received</span>
        </div>
        <table>
          <tbody>
            {shown.map((a) => (
              <tr key={a.seq} data-testid="alert-row">
                <td className={`verdict-${a.verdict}`}>{a.verdict}</td>
                <td className="mono">
                  <button type="button" className="link" onClick={() => setOpen(a)}>
                    {a.host}:{a.pid}
                  </button>
                </td>
                <td>{a.process}</td>
                <td className="num">{a.calls_seen} calls</td>
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
            score {open.score?.toFixed(4) ?? '–'} after {open.calls_seen} calls,{' '}
            {open.seconds_since_start?.toFixed(2) ?? '–'} s after the process's first call
          </p>
          {(open.rule_hits ?? []).length > 0 && (
            <>
              <h4>Rule hits</h4>
              <ul>
                {open.rule_hits?.map((h, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: hits have no identity
                  <li key={i}>
                    <b>{h.rule}</b> {h.title} ({h.verdict})
                  </li>
                ))}
              </ul>
            </>
          )}
          <h4>Top contributing n-grams</h4>
          <table>
            <tbody>
              {(open.top_ngrams ?? []).map((t) => (
                <tr key={t.feature}>
                  <td className="num">{t.contribution.toFixed(5)}</td>
                  <td className="mono">{ngramOf(t.feature)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}

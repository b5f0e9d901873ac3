// Overview: the model, the data store and the latest alerts at a glance.
import { useApi } from '../components/useApi';
import type { Alert, ModelInfo, StoreStats } from '../types';

function Counts({ title, counts }: { title: string; counts?: Record<string, number> }) {
  const rows = Object.entries(counts ?? {});
  return (
    <div>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="muted">none</p>
      ) : (
        <table>
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <td className="mono">{k}</td>
                <td className="num">{v.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function OverviewPage() {
  const model = useApi<ModelInfo>('/v1/model');
  const stats = useApi<StoreStats>('/v1/stats');
  const alerts = useApi<{ alerts: Alert[] }>('/v1/alerts/recent');
  return (
    <div className="grid" data-testid="overview">
      <section className="card">
        <h2>Model</h2>
        {model.error && <p className="error">{model.error}</p>}
        {model.data && (
          <>
            <p>
              <b>{model.data.method}</b> · {model.data.samples.toLocaleString()} samples trained ·{' '}
              {model.data.features.toLocaleString()} features
            </p>
            <Counts title="Trained per label" counts={model.data.labels} />
            <details>
              <summary>Configuration</summary>
              <pre className="mono">{JSON.stringify(model.data.config, null, 2)}</pre>
            </details>
          </>
        )}
      </section>
      <section className="card">
        <h2>Data store</h2>
        {stats.error && <p className="error">{stats.error}</p>}
        {stats.data && (
          <>
            <p>
              {stats.data.samples.toLocaleString()} analyses of {stats.data.files.toLocaleString()} distinct
              samples
            </p>
            <Counts title="Per label" counts={stats.data.labels} />
            <Counts title="Per source" counts={stats.data.sources} />
            <Counts title="Per month" counts={stats.data.months} />
            <p className="muted">
              Calls per analysis: median {stats.data.calls.median ?? '–'}, max {stats.data.calls.max ?? '–'} (
              {stats.data.calls.total.toLocaleString()} in all)
            </p>
          </>
        )}
      </section>
      <section className="card">
        <h2>Recent alerts</h2>
        {alerts.error && <p className="error">{alerts.error}</p>}
        {alerts.data && alerts.data.alerts.length === 0 && <p className="muted">No alert yet.</p>}
        <table>
          <tbody>
            {alerts.data?.alerts.map((a) => (
              <tr key={`${a.host}-${a.pid}-${a.verdict}-${a.calls}`}>
                <td className={`verdict-${a.verdict}`}>{a.verdict}</td>
                <td className="mono">
                  {a.host}:{a.pid}
                </td>
                <td>{a.process}</td>
                <td className="num">{a.calls} calls</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

// Model explorer: the n-grams with the largest and smallest weights per label (the research's
// "malware-ness" view), searchable; for one n-gram, the samples containing it per label, and a
// shortcut to draft a rule from it.
import { useState } from 'react';
import { navigate, type Route } from '../App';
import { ngramOf } from '../components/format';
import { useApi } from '../components/useApi';
import type { DumpEntry, ModelInfo, NgramSamples } from '../types';

function NgramDetail({ feature }: { feature: string }) {
  const samples = useApi<NgramSamples>(`/v1/samples?feature=${encodeURIComponent(feature)}&limit=20`);
  return (
    <section className="card" data-testid="ngram-detail">
      <h3 className="mono">{ngramOf(feature)}</h3>
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={() => navigate(`rules?feature=${encodeURIComponent(feature)}`)}
        >
          Make a rule from this
        </button>
      </div>
      {samples.error && <p className="error">{samples.error}</p>}
      {samples.data && (
        <>
          <p>
            Samples containing it:{' '}
            {Object.entries(samples.data.per_label)
              .map(([l, n]) => `${l}: ${n}`)
              .join(' · ') || 'none'}
          </p>
          <table>
            <tbody>
              {samples.data.samples.map((s) => (
                <tr key={s.origin}>
                  <td>{s.label ?? '?'}</td>
                  <td className="mono">
                    <a href={`#/sample/${encodeURIComponent(s.origin)}`}>{s.id}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function ModelPage({ route }: { route: Route }) {
  const model = useApi<ModelInfo>('/v1/model');
  const labels = model.data?.labels ?? [];
  const [label, setLabel] = useState<string>('');
  const [bottom, setBottom] = useState(false);
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<string | null>(route.query.get('feature'));
  const chosen = label || labels[labels.length - 1] || '';
  const dump = useApi<{ label: string; entries: DumpEntry[] }>(
    chosen
      ? `/v1/model/dump?label=${encodeURIComponent(chosen)}&top=500${bottom ? '&bottom=true' : ''}`
      : null,
  );
  const q = query.trim().toLowerCase();
  const entries = (dump.data?.entries ?? []).filter(
    (e) => !q || ngramOf(e.feature).toLowerCase().includes(q),
  );
  return (
    <div className="grid">
      <section className="card" data-testid="model-explorer">
        <h2>Model explorer</h2>
        {model.error && <p className="error">{model.error}</p>}
        <div className="row">
          <label>
            Label{' '}
            <select value={chosen} onChange={(e) => setLabel(e.target.value)}>
              {labels.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={bottom} onChange={(e) => setBottom(e.target.checked)} /> lowest
            weights
          </label>
          <input placeholder="search API name" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        {dump.error && <p className="error">{dump.error}</p>}
        <table>
          <thead>
            <tr>
              <th className="num">weight</th>
              <th>n-gram</th>
            </tr>
          </thead>
          <tbody>
            {entries.slice(0, 200).map((e) => (
              <tr key={e.feature}>
                <td className="num">{e.weight.toFixed(6)}</td>
                <td className="mono">
                  <a
                    href={`#/model?feature=${encodeURIComponent(e.feature)}`}
                    data-testid="ngram"
                    onClick={() => setSelected(e.feature)}
                  >
                    {ngramOf(e.feature)}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {selected && <NgramDetail key={selected} feature={selected} />}
    </div>
  );
}

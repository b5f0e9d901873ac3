// Model explorer: the n-grams with the largest and smallest weights per label (the research's
// "malware-ness" view), searchable by API name; for one n-gram, the stored samples containing it
// per label, and "Make a rule from this", which opens the rule workshop with a drafted rule.
import { useState } from 'react';
import { navigate, type Route } from '../App';
import { ngramOf } from '../components/format';
import { useApi } from '../components/useApi';
import type { FeatureSamples, ModelDump, ModelInfo } from '../types';

/** Rows fetched from the dump, and at most shown after filtering. */
const DUMP_ROWS = 500;
const SHOWN_ROWS = 200;

function NgramDetail({ feature }: { feature: string }) {
  const samples = useApi<FeatureSamples>(`/v1/samples?feature=${encodeURIComponent(feature)}&limit=10`);
  const d = samples.data;
  return (
    <section className="card" data-testid="ngram-detail">
      <h3 className="mono">{ngramOf(feature)}</h3>
      <div className="row">
        <button
          type="button"
          className="primary"
          data-testid="make-rule"
          onClick={() => navigate(`rules?feature=${encodeURIComponent(feature)}`)}
        >
          Make a rule from this
        </button>
      </div>
      {samples.loading && <p className="muted">Searching the store…</p>}
      {samples.error && <p className="error">{samples.error}</p>}
      {d && (
        <>
          <table data-testid="ngram-per-label">
            <thead>
              <tr>
                <th>label</th>
                <th className="num">samples with it</th>
                <th className="num">share of the label</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(d.scanned_per_label).map(([label, total]) => {
                const n = Object.entries(d.per_label).find(([l]) => l === label)?.[1] ?? 0;
                return (
                  <tr key={label}>
                    <td className="mono">{label || '(unlabelled)'}</td>
                    <td className="num">{n}</td>
                    <td className="num">
                      {total > 0 ? `${((100 * n) / total).toFixed(2)}%` : '–'} of {total}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {d.truncated && <p className="muted">Only the first {d.scanned} stored analyses were searched.</p>}
          <h4>Samples containing it</h4>
          <table>
            <tbody>
              {d.samples.map((s) => (
                <tr key={s.origin}>
                  <td>{s.label ?? '?'}</td>
                  <td className="mono">
                    <a href={`#/sample/${encodeURIComponent(s.origin)}`} data-testid="sample-link">
                      {s.id}
                    </a>
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
  const labels = model.data?.label_order ?? [];
  const [label, setLabel] = useState<string>('');
  const [bottom, setBottom] = useState(false);
  const [query, setQuery] = useState('');
  const selected = route.query.get('feature');
  // default: the last registered label (the malware label of a benign-first data set)
  const chosen = label || labels[labels.length - 1] || '';
  const dump = useApi<ModelDump>(
    chosen
      ? `/v1/model/dump?label=${encodeURIComponent(chosen)}&top=${DUMP_ROWS}${bottom ? '&bottom=true' : ''}`
      : null,
  );
  const q = query.trim().toLowerCase();
  const entries = (dump.data?.dumps[0]?.features ?? []).filter(
    (e) => !q || ngramOf(e.feature).toLowerCase().includes(q),
  );
  return (
    <div className="grid">
      <section className="card" data-testid="model-explorer">
        <h2>Model explorer</h2>
        {model.error && <p className="error">{model.error}</p>}
        {model.data && (
          <p className="muted">
            {model.data.method}, {model.data.samples.toLocaleString()} samples trained,{' '}
            {model.data.features.toLocaleString()} features. Weight = how much the n-gram pushes a sample
            towards the label.
          </p>
        )}
        <div className="row">
          <label>
            Label{' '}
            <select value={chosen} onChange={(e) => setLabel(e.target.value)} data-testid="label-select">
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
          <input
            placeholder="search API name"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            data-testid="ngram-search"
          />
        </div>
        {dump.error && <p className="error">{dump.error}</p>}
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th className="num">weight</th>
                <th>n-gram</th>
              </tr>
            </thead>
            <tbody>
              {entries.slice(0, SHOWN_ROWS).map((e) => (
                <tr key={e.feature} className={e.feature === selected ? 'selected' : ''}>
                  <td className="num">{e.weight.toFixed(6)}</td>
                  <td className="mono">
                    <a href={`#/model?feature=${encodeURIComponent(e.feature)}`} data-testid="ngram">
                      {ngramOf(e.feature)}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {dump.data && entries.length === 0 && <p className="muted">No n-gram matches.</p>}
      </section>
      {selected && <NgramDetail key={selected} feature={selected} />}
    </div>
  );
}

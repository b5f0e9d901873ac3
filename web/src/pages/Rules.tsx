// Rule workshop: list and edit the rules folder's rules (validation problems shown at their line),
// back-test the rule in the editor against the sample store with 95% intervals, save it (validated
// by the server, written atomically to the rules folder), and accept rules the model suggests.
import { useEffect, useState } from 'react';
import type { Route } from '../App';
import { ApiError, get, putText, send } from '../api';
import { interval } from '../components/format';
import { useApi } from '../components/useApi';
import type { Backtest, RuleList, Suggestion } from '../types';

interface Problem {
  line?: number;
  message: string;
}

/** `file:line: field: message` → line and message; other texts as they are. */
function parseProblem(text: string): Problem {
  const m = /^(?:invalid rule: )?[^\s:]+:(\d+): (.*)$/s.exec(text);
  return m ? { line: Number(m[1]), message: m[2] } : { message: text };
}

function problemsOf(e: unknown): Problem[] {
  if (e instanceof ApiError && e.body && typeof e.body === 'object') {
    const body = e.body as { error?: unknown; problems?: unknown };
    if (Array.isArray(body.problems) && body.problems.length > 0)
      return body.problems.map((p) => parseProblem(String(p)));
    if (typeof body.error === 'string') return [parseProblem(body.error)];
  }
  return [{ message: (e as Error).message }];
}

/** The rule id written in the YAML text (`id: ...` at the top level), if any. */
function idInYaml(yaml: string): string | undefined {
  return /^id:\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*$/m.exec(yaml)?.[1];
}

export function RulesPage({ route }: { route: Route }) {
  const list = useApi<RuleList>('/v1/rules');
  const [yaml, setYaml] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const [backtest, setBacktest] = useState<Backtest | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const feature = route.query.get('feature');
  const id = idInYaml(yaml);

  const open = (text: string) => {
    setYaml(text);
    setProblems([]);
    setSaved(null);
    setBacktest(null);
  };

  useEffect(() => {
    if (!feature) return;
    send<{ yaml: string }>('POST', '/v1/rules/draft', { feature })
      .then((d) => {
        setYaml(d.yaml);
        setProblems([]);
        setSaved(null);
        setBacktest(null);
      })
      .catch((e) => setProblems(problemsOf(e)));
  }, [feature]);

  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setProblems([]);
    try {
      await fn();
    } catch (e) {
      setProblems(problemsOf(e));
    } finally {
      setBusy(null);
    }
  };
  const edit = (ruleId: string) =>
    run('Loading…', async () =>
      open((await get<{ yaml: string }>(`/v1/rules/${encodeURIComponent(ruleId)}/yaml`)).yaml),
    );
  const save = () =>
    run('Saving…', async () => {
      setSaved(null);
      if (!id) throw new Error('the rule needs an "id:" line');
      const res = await putText<{ id: string; created: boolean }>(
        `/v1/rules/${encodeURIComponent(id)}`,
        yaml,
        'application/yaml',
      );
      setSaved(`${res.created ? 'Created' : 'Updated'} rule ${res.id}.`);
      list.reload();
    });
  const test = () =>
    run('Back-testing…', async () => {
      setBacktest(await send<Backtest>('POST', '/v1/rules/test', { yaml }));
    });
  const suggest = () =>
    run('Suggesting…', async () => {
      setSuggestions(
        (await send<{ suggestions: Suggestion[] }>('POST', '/v1/rules/suggest', { top: 10 })).suggestions,
      );
    });

  const lines = yaml.split('\n');
  return (
    <div className="grid" data-testid="rules">
      <section className="card">
        <h2>Rules</h2>
        {list.error && <p className="error">{list.error}</p>}
        {list.data && (
          <p className="muted">
            {list.data.rules.length} rules in {list.data.folder}
          </p>
        )}
        <div className="scroll">
          <table data-testid="rule-list">
            <tbody>
              {list.data?.rules.map((r) => (
                <tr key={r.id}>
                  <td className={`verdict-${r.verdict}`}>{r.verdict}</td>
                  <td>
                    <button type="button" className="link" onClick={() => edit(r.id)} data-testid="rule-link">
                      {r.id}
                    </button>
                  </td>
                  <td>{r.title}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {(list.data?.problems ?? []).length > 0 && (
          <details>
            <summary className="error">{list.data?.problems.length} problems in the rules folder</summary>
            <ul className="error">
              {list.data?.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </details>
        )}
        <div className="row">
          <button type="button" onClick={suggest} disabled={busy !== null} data-testid="suggest">
            Suggest rules from the model
          </button>
        </div>
        {suggestions && (
          <table data-testid="suggestions">
            <thead>
              <tr>
                <th>suggested rule</th>
                <th>precision</th>
                <th>FPR</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {suggestions.map((s) => (
                <tr key={s.id}>
                  <td>{s.title}</td>
                  <td>{interval(s.precision)}</td>
                  <td>{interval(s.fpr)}</td>
                  <td>
                    <button type="button" onClick={() => open(s.yaml)}>
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
        <h2>Editor {id && <span className="mono muted">{id}</span>}</h2>
        <div className="row">
          <button type="button" onClick={test} disabled={busy !== null || !yaml} data-testid="backtest">
            Back-test on the store
          </button>
          <button
            type="button"
            className="primary"
            onClick={save}
            disabled={busy !== null || !yaml}
            data-testid="save"
          >
            Validate & save
          </button>
          {busy && <span className="muted">{busy}</span>}
        </div>
        <textarea
          value={yaml}
          onChange={(e) => setYaml(e.target.value)}
          spellCheck={false}
          placeholder="A rule in YAML: pick one from the list, accept a suggestion, or make one from an n-gram in the model explorer."
          data-testid="rule-yaml"
        />
        {problems.length > 0 && (
          <div className="error" data-testid="rule-errors">
            {problems.map((p, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity
              <div key={i}>
                {p.line !== undefined ? `line ${p.line}: ` : ''}
                {p.message}
                {p.line !== undefined && lines[p.line - 1] !== undefined && (
                  <pre className="line-error">
                    {p.line} | {lines[p.line - 1]}
                  </pre>
                )}
              </div>
            ))}
          </div>
        )}
        {saved && (
          <p className="ok" data-testid="saved">
            {saved}
          </p>
        )}
        {backtest && (
          <>
            <p className="muted">
              Back-tested on {backtest.samples.toLocaleString()} stored analyses (positive label “
              {backtest.positive}”).
            </p>
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
                      {r.id}{' '}
                      <span className={`badge ${r.status}`} title={r.reason}>
                        {r.status}
                      </span>
                    </td>
                    <td>
                      {Object.entries(r.hits)
                        .map(([l, n]) => `${l}: ${n}`)
                        .join(' · ') || 'none'}
                    </td>
                    <td>{interval(r.precision)}</td>
                    <td>{interval(r.tpr)}</td>
                    <td>{interval(r.fpr)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </div>
  );
}

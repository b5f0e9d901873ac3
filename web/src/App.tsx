// The analyst UI: a hash-routed single page over the malgram HTTP API.
import { useEffect, useState } from 'react';
import { getToken, setToken } from './api';
import { EvaluationPage } from './pages/Evaluation';
import { LivePage } from './pages/Live';
import { ModelPage } from './pages/Model';
import { OverviewPage } from './pages/Overview';
import { RulesPage } from './pages/Rules';
import { SamplePage } from './pages/Sample';

const pages = [
  { path: 'overview', title: 'Overview' },
  { path: 'model', title: 'Model explorer' },
  { path: 'sample', title: 'Sample' },
  { path: 'evaluation', title: 'Evaluation' },
  { path: 'rules', title: 'Rule workshop' },
  { path: 'live', title: 'Live detections' },
] as const;

/** The current route: `#/page/rest?query`. */
export interface Route {
  page: string;
  rest: string;
  query: URLSearchParams;
}

function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const [page = 'overview', ...rest] = pathPart.split('/');
  return {
    page: page || 'overview',
    rest: rest.map(decodeURIComponent).join('/'),
    query: new URLSearchParams(queryPart),
  };
}

export function navigate(path: string): void {
  window.location.hash = `#/${path}`;
}

function TokenBox() {
  const [value, setValue] = useState(getToken());
  const [saved, setSaved] = useState(false);
  return (
    <form
      className="token"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
        setSaved(true);
        window.location.reload();
      }}
    >
      <label htmlFor="token">Token</label>
      <input
        id="token"
        type="password"
        autoComplete="off"
        value={value}
        placeholder="bearer token (if the server needs one)"
        onChange={(e) => {
          setValue(e.target.value);
          setSaved(false);
        }}
      />
      <button type="submit">{saved ? 'Saved' : 'Use'}</button>
    </form>
  );
}

export function App() {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return (
    <>
      <header>
        <h1>malgram</h1>
        <nav>
          {pages.map((p) => (
            <a key={p.path} href={`#/${p.path}`} className={route.page === p.path ? 'active' : ''}>
              {p.title}
            </a>
          ))}
        </nav>
        <TokenBox />
      </header>
      <main>
        {route.page === 'overview' && <OverviewPage />}
        {route.page === 'model' && <ModelPage route={route} />}
        {route.page === 'sample' && <SamplePage route={route} />}
        {route.page === 'evaluation' && <EvaluationPage />}
        {route.page === 'rules' && <RulesPage route={route} />}
        {route.page === 'live' && <LivePage />}
        {!pages.some((p) => p.path === route.page) && <p className="error">Unknown page “{route.page}”.</p>}
      </main>
    </>
  );
}

// Charts as static SVG, rendered headlessly with Vega-Lite (https://vega.github.io/vega-lite/):
// a Vega-Lite spec is compiled to Vega, run in a View with no renderer and serialised with
// `view.toSVG()`. The SVG is embedded in self-contained HTML pages (no scripts, no external
// requests), so a report opens offline in any browser.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type VegaLiteSpec = TopLevelSpec;

/** A loader that refuses every URL (belt and braces: specs with `data.url` are rejected before). */
const offlineLoader = {
  ...vega.loader(),
  load: async (uri: string) => {
    throw new Error(`charts: external data is not allowed (${uri})`);
  },
  sanitize: async (uri: string) => {
    throw new Error(`charts: external data is not allowed (${uri})`);
  },
} as unknown as ReturnType<typeof vega.loader>;

/** Renders a Vega-Lite spec (with inline `data.values`) to an SVG document string. */
export async function vegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = compile(spec).spec;
  for (const d of compiled.data ?? []) {
    if ('url' in d) throw new Error(`charts: external data is not allowed (${String(d.url)})`);
  }
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: offlineLoader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** One part of a page: a heading, optional explanatory text, and trusted HTML (SVG, tables). */
export interface HtmlSection {
  title: string;
  /** Plain text (escaped). */
  text?: string;
  /** Markup produced by this program (SVG from vegaLiteToSvg, tables built with escapeHtml). */
  html: string;
}

const pageStyle = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
section{margin-bottom:1.5rem}.charts{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}p.note{color:#555;font-size:.9rem}code{font-size:.85rem}
`;

/**
 * A complete, self-contained HTML page: inline style, inline SVG, no script and a
 * Content-Security-Policy that forbids loading anything from anywhere.
 */
export function htmlPage(title: string, sections: HtmlSection[], subtitle?: string): string {
  const body = sections
    .map(
      (s) =>
        `<section><h2>${escapeHtml(s.title)}</h2>${s.text ? `<p class="note">${escapeHtml(s.text)}</p>` : ''}${s.html}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${pageStyle}</style></head>
<body><h1>${escapeHtml(title)}</h1>${subtitle ? `<p class="note">${escapeHtml(subtitle)}</p>` : ''}
${body}
</body></html>
`;
}

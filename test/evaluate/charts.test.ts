import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, htmlPage, vegaLiteToSvg } from '../../src/core/charts.js';

test('vegaLiteToSvg renders marks for inline data', async () => {
  const svg = await vegaLiteToSvg({
    data: {
      values: [
        { x: 1, y: 2 },
        { x: 2, y: 5 },
        { x: 3, y: 4 },
      ],
    },
    mark: 'point',
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  });
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // one path per point symbol
  assert.equal((svg.match(/role-mark/g) ?? []).length > 0, true);
  assert.equal((svg.match(/<path /g) ?? []).length >= 3, true);
});

test('vegaLiteToSvg refuses external data', async () => {
  await assert.rejects(
    vegaLiteToSvg({
      data: { url: 'http://127.0.0.1:9/x.json' },
      mark: 'point',
      encoding: { x: { field: 'x', type: 'quantitative' } },
    }),
    /external data is not allowed/,
  );
});

test('htmlPage escapes titles and text and forbids external loads', () => {
  const html = htmlPage('<b>t</b>', [{ title: '__proto__ & co', text: '<script>', html: '<svg></svg>' }]);
  assert.match(html, /&lt;b&gt;t&lt;\/b&gt;/);
  assert.match(html, /__proto__ &amp; co/);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /default-src 'none'/);
  assert.equal(escapeHtml(`"'`), '&quot;&#39;');
});

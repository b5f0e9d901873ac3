import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Trace } from '../../src/core/trace.js';
import { applyLabel, parseLabelFrom, readLabelsFile, virustotalLabel } from '../../src/ingest/labels.js';
import { loadSamples } from '../../src/ingest/source.js';

const fixtures = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));

test('labels files: CSV with header, TSV, JSON; __proto__/constructor ids are plain keys', async () => {
  const csv = await readLabelsFile(`${fixtures}labels.csv`);
  assert.deepEqual(
    [...csv],
    [
      ['fast-1', 'benign'],
      ['__proto__', 'evil'],
    ],
  );
  const tsv = await readLabelsFile(`${fixtures}labels.tsv`);
  assert.deepEqual(
    [...tsv],
    [
      ['fast-1', 'benign-tsv'],
      ['constructor', 'x'],
    ],
  );
  const json = await readLabelsFile(`${fixtures}labels.json`);
  assert.deepEqual(
    [...json],
    [
      ['fast-1', 'benign-json'],
      ['__proto__', 'evil'],
    ],
  );
  assert.equal(json.get('toString'), undefined);
  await assert.rejects(readLabelsFile(`${fixtures}quoted.csv`), /quoted\.csv:3: empty id or label/);
  await assert.rejects(readLabelsFile(`${fixtures}nope.csv`), /nope\.csv: cannot read: ENOENT/);
});

test('virustotal:N threshold: >= N malware, 0 goodware, in between unlabelled', () => {
  assert.equal(parseLabelFrom('virustotal:5'), 5);
  assert.throws(() => parseLabelFrom('virustotal:0'), /--label-from/);
  assert.throws(() => parseLabelFrom('metadefender:3'), /--label-from/);
  assert.equal(virustotalLabel(5, 5), 'malware');
  assert.equal(virustotalLabel(4, 5), undefined);
  assert.equal(virustotalLabel(0, 5), 'goodware');
});

test('precedence: --label, then the labels file, then virustotal, then the input field', async () => {
  const traces = await loadSamples({ data: [`${fixtures}traces.jsonl`] });
  const labelOf = (policy: Parameters<typeof applyLabel>[1]) =>
    traces.map((t) => applyLabel(structuredClone(t) as Trace, policy).label);
  assert.deepEqual(labelOf({}), ['malware', 'goodware', '__proto__', undefined, undefined, 'malware']);
  assert.deepEqual(labelOf({ fixed: 'x' }), ['x', 'x', 'x', 'x', 'x', 'x']);
  const byId = await readLabelsFile(`${fixtures}labels.csv`);
  assert.deepEqual(labelOf({ byId, virustotalThreshold: 5 }), [
    'benign',
    undefined,
    undefined,
    'malware',
    'goodware',
    undefined,
  ]);
  // With a lower threshold the stored counts give another answer.
  assert.equal(labelOf({ virustotalThreshold: 2 })[5], 'malware');
});

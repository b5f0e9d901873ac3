// State: concurrent training and classifying lose no update; a crash (SIGKILL) loses no
// acknowledged training (the journal is replayed); a graceful stop saves the model and empties
// the journal; a torn journal tail (a crash mid-append, never acknowledged) is dropped.
import assert from 'node:assert/strict';
import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type JsonTrace, malbehavdTraces, unlabelled } from './data.js';
import { request, startServer, tempDir } from './server-process.js';

describe('state and concurrency', () => {
  const tmp = tempDir();
  const modelPath = join(tmp.dir, 'state.model');
  let traces: JsonTrace[];

  before(async () => {
    traces = await malbehavdTraces(17); // ~152 traces
  });
  after(() => tmp.cleanup());

  test('concurrent train + classify, SIGKILL, restart: every acknowledged sample is there', async () => {
    const server = await startServer(['--model', modelPath]);
    const batches: JsonTrace[][] = [];
    for (let i = 0; i + 5 <= traces.length; i += 5) batches.push(traces.slice(i, i + 5));
    const sent = batches.flat();
    const expected = new Map<string, number>();
    for (const t of sent) expected.set(t.label!, (expected.get(t.label!) ?? 0) + 1);

    // all at once: each train request interleaved with classify requests
    const answers = await Promise.all(
      batches.flatMap((batch, i) => [
        request(`${server.url}/v1/train`, { json: { traces: batch } }),
        request(`${server.url}/v1/classify`, { json: { traces: [unlabelled(traces[i])] } }),
      ]),
    );
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
    const trained = answers.filter((_, i) => i % 2 === 0).reduce((n, a) => n + a.body.trained, 0);
    assert.equal(trained, sent.length);

    const model = (await request(`${server.url}/v1/model`)).body;
    assert.equal(model.samples, sent.length);
    assert.deepEqual(new Map(Object.entries(model.labels)), expected);
    const scoresBefore = (
      await request(`${server.url}/v1/classify`, { json: { traces: [unlabelled(traces[0])] } })
    ).body.results[0].scores;
    assert.ok(statSync(`${modelPath}.journal`).size > 0);

    await server.kill(); // no chance to save
    const again = await startServer(['--model', modelPath]);
    try {
      assert.match(again.stderr(), new RegExp(`replayed ${batches.length} journaled change\\(s\\)`));
      const replayed = (await request(`${again.url}/v1/model`)).body;
      assert.equal(replayed.samples, sent.length);
      assert.deepEqual(new Map(Object.entries(replayed.labels)), expected);
      // training replayed in the acknowledged order gives the very same model
      const scoresAfter = (
        await request(`${again.url}/v1/classify`, { json: { traces: [unlabelled(traces[0])] } })
      ).body.results[0].scores;
      assert.deepEqual(scoresAfter, scoresBefore);
      assert.equal(replayed.journal_bytes, 0); // replayed, then checkpointed
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });

  test('a graceful stop saves; a torn journal tail is dropped with a message', async () => {
    const first = await startServer(['--model', modelPath]);
    const before = (await request(`${first.url}/v1/model`)).body.samples;
    const r = await request(`${first.url}/v1/train`, { json: { traces: traces.slice(0, 2) } });
    assert.equal(r.status, 200);
    assert.equal(await first.stop(), 0);
    assert.equal(statSync(`${modelPath}.journal`).size, 0);

    appendFileSync(`${modelPath}.journal`, '{"op":"train","items":[{"label":"1","tra'); // crash mid-append
    const second = await startServer(['--model', modelPath]);
    try {
      assert.match(second.stderr(), /incomplete last entry \(never acknowledged\) dropped/);
      assert.equal((await request(`${second.url}/v1/model`)).body.samples, before + 2);
    } finally {
      await second.stop();
    }
  });
});

// The training journal's crash windows, set up on disk as a crash would leave them: which
// journaled changes a model file already holds, decided by the checkpoint record.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TrainingJournal } from '../../src/serve/journal.js';
import { tempDir } from './server-process.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('checkpoints: replay exactly the changes the model file on disk does not hold', () => {
  const tmp = tempDir();
  try {
    const model = join(tmp.dir, 'm.model');
    const journalPath = `${model}.journal`;
    const j = TrainingJournal.open<{ n: number }>(journalPath);
    const issues: string[] = [];
    j.append({ n: 1 });
    j.append({ n: 2 });
    assert.deepEqual(
      j.pending(model, (m) => issues.push(m)),
      [{ n: 1 }, { n: 2 }],
    ); // no model file yet
    j.checkpoint(model, (p) => writeFileSync(p, 'M1'));
    assert.equal(readFileSync(model, 'utf8'), 'M1');
    assert.equal(j.bytes, 0);
    assert.deepEqual(
      j.pending(model, (m) => issues.push(m)),
      [],
    );
    j.append({ n: 3 });
    const size = j.bytes;
    j.close();

    // crash after the checkpoint record of a save of M2, before M2 was renamed into place:
    // the file is still M1, which lacks change 3
    const cp = `${journalPath}.checkpoint`;
    writeFileSync(cp, JSON.stringify({ model_sha256: sha('M2'), journal_bytes: size, fallback_bytes: 0 }));
    const j2 = TrainingJournal.open<{ n: number }>(journalPath);
    assert.deepEqual(
      j2.pending(model, (m) => issues.push(m)),
      [{ n: 3 }],
    );
    // crash after the rename, before the journal was emptied: M2 holds change 3 already
    writeFileSync(model, 'M2');
    assert.deepEqual(
      j2.pending(model, (m) => issues.push(m)),
      [],
    );
    j2.close();

    // a torn last line is dropped (and cut off), an unreadable one skipped
    appendFileSync(journalPath, '{"n": 4}\nnot json\n{"n": 5}\n{"n": 6');
    writeFileSync(cp, JSON.stringify({ model_sha256: sha('M2'), journal_bytes: size, fallback_bytes: 0 }));
    const j3 = TrainingJournal.open<{ n: number }>(journalPath);
    assert.deepEqual(
      j3.pending(model, (m) => issues.push(m)),
      [{ n: 4 }, { n: 5 }],
    );
    assert.equal(issues.length, 2);
    assert.match(issues[0], /unreadable entry skipped/);
    assert.match(issues[1], /incomplete last entry \(never acknowledged\) dropped/);
    assert.ok(readFileSync(journalPath, 'utf8').endsWith('{"n": 5}\n'));
    j3.close();
  } finally {
    tmp.cleanup();
  }
});

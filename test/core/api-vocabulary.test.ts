// The process-wide API-name interning that in-memory traces carry (`ProcessTrace.interned`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiVocabulary, apiVocabulary, internApiIds } from '../../src/core/api-vocabulary.js';
import type { Trace } from '../../src/core/trace.js';

describe('API vocabulary', () => {
  it('gives each name one stable id, hostile names included', () => {
    const v = new ApiVocabulary();
    const names = ['NtClose', '__proto__', 'constructor', 'toString', 'Nt Close', ''];
    const ids = names.map((n) => v.id(n));
    assert.deepEqual(ids, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(
      names.map((n) => v.id(n)),
      ids,
    );
    assert.deepEqual(
      ids.map((i) => v.name(i)),
      names,
    );
    assert.equal(v.size, names.length);
  });

  it('is bounded: past its size new names get no id, known names keep theirs', () => {
    const v = new ApiVocabulary(2);
    assert.equal(v.id('A'), 0);
    assert.equal(v.id('B'), 1);
    assert.equal(v.id('C'), -1);
    assert.equal(v.id('A'), 0);
    assert.equal(v.size, 2);
  });

  it('interns every process of a trace, in call order', () => {
    const t: Trace = {
      id: 't',
      format: 'test',
      processes: [
        { pid: 1, calls: ['LdrLoadDll', 'NtClose', 'LdrLoadDll'].map((api) => ({ api })) },
        { pid: 2, calls: [] },
      ],
    };
    internApiIds(t);
    assert.equal(t.processes[0].interned!.vocabulary, apiVocabulary.token);
    const ids = t.processes[0].interned!.ids;
    assert.equal(ids.length, 3);
    assert.equal(ids[0], ids[2]);
    assert.notEqual(ids[0], ids[1]);
    assert.deepEqual(
      [...ids].map((i) => apiVocabulary.name(i)),
      ['LdrLoadDll', 'NtClose', 'LdrLoadDll'],
    );
    assert.equal(t.processes[1].interned!.ids.length, 0);
    assert.notEqual(new ApiVocabulary().token, apiVocabulary.token);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/core/random.js';
import { ApiInterner, MAX_API_IDS, OVERFLOW_ID, ProcessTable } from '../../src/detect/state.js';

describe('process table', () => {
  it('creates state on first sight of an unknown pid, keyed by host and pid', () => {
    const t = new ProcessTable({ maxProcesses: 10, maxNgramsPerUnit: 10, tree: false }, 2, 2);
    const a = t.touch('h1', 5, undefined);
    const b = t.touch('h2', 5, undefined);
    assert.notEqual(a, b);
    assert.equal(t.touch('h1', 5, undefined), a);
    assert.equal(t.size, 2);
    assert.equal(t.created, 2);
    assert.equal(a.unit.running.length, 4); // two labels: sums and compensations
    assert.equal(a.unit.score(1), 0);
    assert.equal(a.window.length, 2);
  });

  it('evicts the least recently active process when full', () => {
    const evicted: number[] = [];
    const t = new ProcessTable({ maxProcesses: 3, maxNgramsPerUnit: 10, tree: false }, 1, 2, (s) =>
      evicted.push(s.pid),
    );
    t.touch('h', 1, undefined);
    t.touch('h', 2, undefined);
    t.touch('h', 3, undefined);
    t.touch('h', 1, undefined); // 2 is now the least recently active
    t.touch('h', 4, undefined);
    assert.deepEqual(evicted, [2]);
    assert.deepEqual(
      [...t.list()].map((s) => s.pid),
      [4, 1, 3],
    );
    t.touch('h', 5, undefined);
    assert.deepEqual(evicted, [2, 3]);
    assert.equal(t.evicted, 2);
    assert.equal(t.get('h', 2), undefined);
    // an evicted process that comes back starts over
    const again = t.touch('h', 2, undefined);
    assert.equal(again.calls, 0);
  });

  it('evicts exactly as a reference LRU list does, before and after the table first fills, with exits', () => {
    // mulberry32, seeded: touches and exits over 40 pids on 3 hosts, a table of 25
    const random = seededRandom(7);
    const evicted: string[] = [];
    const t = new ProcessTable({ maxProcesses: 25, maxNgramsPerUnit: 10, tree: false }, 1, 2, (s) =>
      evicted.push(`${s.host}/${s.pid}`),
    );
    const reference: string[] = []; // most recent first
    const expectedEvicted: string[] = [];
    for (let step = 0; step < 5000; step++) {
      // few distinct processes at first, so the table fills only after a while
      const pids = step < 1000 ? 20 : 40;
      const host = `h${Math.floor(random() * 3)}`;
      const pid = Math.floor(random() * (pids / 3)) + 1;
      const key = `${host}/${pid}`;
      const at = reference.indexOf(key);
      if (random() < 0.05) {
        assert.equal(t.exit(host, pid) !== undefined, at >= 0);
        if (at >= 0) reference.splice(at, 1);
      } else {
        t.touch(host, pid, undefined);
        if (at >= 0) reference.splice(at, 1);
        reference.unshift(key);
        if (reference.length > 25) expectedEvicted.push(reference.pop()!);
      }
      if (step % 97 === 0 || step > 4900) {
        assert.deepEqual(
          [...t.list()].map((s) => `${s.host}/${s.pid}`),
          reference,
          `step ${step}`,
        );
      }
    }
    assert.ok(expectedEvicted.length > 100, `${expectedEvicted.length} evictions`);
    assert.deepEqual(evicted, expectedEvicted);
    assert.equal(t.size, reference.length);
  });

  it('frees a process on exit and counts exits of unknown processes apart', () => {
    const t = new ProcessTable({ maxProcesses: 3, maxNgramsPerUnit: 10, tree: false }, 1, 2);
    t.touch('h', 1, undefined);
    t.touch('h', 2, undefined);
    assert.ok(t.exit('h', 1));
    assert.equal(t.exit('h', 1), undefined);
    assert.equal(t.size, 1);
    assert.deepEqual(
      [...t.list()].map((s) => s.pid),
      [2],
    );
  });

  it('with tree attribution a child shares its tracked parent unit; without, it does not', () => {
    const tree = new ProcessTable({ maxProcesses: 10, maxNgramsPerUnit: 10, tree: true }, 1, 2);
    const parent = tree.touch('h', 100, 1);
    const child = tree.touch('h', 200, 100);
    const other = tree.touch('h2', 300, 100); // parent on another host: not the same tree
    assert.equal(child.unit, parent.unit);
    assert.notEqual(other.unit, parent.unit);
    assert.equal(parent.unit.members, 2);
    const flat = new ProcessTable({ maxProcesses: 10, maxNgramsPerUnit: 10, tree: false }, 1, 2);
    assert.notEqual(flat.touch('h', 200, 100).unit, flat.touch('h', 100, 1).unit);
  });

  it('keeps host and pid strings out of plain objects', () => {
    const t = new ProcessTable({ maxProcesses: 10, maxNgramsPerUnit: 10, tree: false }, 1, 0);
    const s = t.touch('__proto__', 0, undefined);
    assert.equal(t.get('__proto__', 0), s);
    assert.equal(t.get('constructor', 0), undefined);
  });
});

describe('score unit', () => {
  it('tracks first/last time, out-of-order events and seconds since the first call', () => {
    const t = new ProcessTable({ maxProcesses: 10, maxNgramsPerUnit: 10, tree: false }, 1, 0);
    const u = t.touch('h', 1, undefined).unit;
    assert.equal(u.seconds(), 0);
    u.noteTime(100);
    u.noteTime(102.5);
    u.noteTime(101); // late event: counted, does not move the latest time
    assert.equal(u.outOfOrder, 1);
    assert.equal(u.seconds(), 2.5);
    u.noteTime(99); // earlier than the first: the first time moves back
    assert.equal(u.seconds(), 3.5);
    u.noteTime(undefined);
    assert.equal(u.outOfOrder, 2);
  });
});

describe('API interner', () => {
  it('gives stable ids from 1 and one overflow id past the cap', () => {
    const i = new ApiInterner();
    assert.equal(i.id('A'), 1);
    assert.equal(i.id('B'), 2);
    assert.equal(i.id('A'), 1);
    for (let k = 0; k < MAX_API_IDS; k++) i.id(`api${k}`);
    assert.equal(i.id('one-too-many'), OVERFLOW_ID);
    assert.ok(i.overflowed > 0);
    assert.equal(i.name(2), 'B');
  });
});

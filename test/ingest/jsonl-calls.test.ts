// The JSONL fast path for long lines (src/ingest/readers/jsonl-calls.ts): whenever it applies it
// gives exactly what JSON.parse gives, and it steps aside for anything unusual (the reader's use
// of it is tested in jsonl.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteNameTable } from '../../src/core/byte-names.js';
import { splitCallsList } from '../../src/ingest/readers/jsonl-calls.js';

const names = (n: number) =>
  Array.from({ length: n }, (_, i) => `Nt${['Open', 'Close', 'Read'][i % 3]}Key${i % 7}`);
const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(',')}]`;

/** The fast path's object: JSON.parse of the rest with the names put back. */
function viaFastPath(line: string): unknown {
  const split = splitCallsList(Buffer.from(line), new ByteNameTable(256));
  if (!split) return null;
  const obj = JSON.parse(split.rest);
  obj.calls = split.names;
  return obj;
}

test('gives what JSON.parse gives, whatever surrounds the calls list', () => {
  const calls = list(names(50));
  const lines = [
    `{"id":"a","label":"1","calls":${calls}}`,
    `  { "calls" : ${calls.replaceAll(',', ' ,\t')} , "id" : "b" }  `,
    `{"id":"c","meta":{"calls":["Inner"],"s":"a ] } [ { \\" ,"},"calls":${calls},"n":[1,{"x":[]}],"t":true,"z":null}`,
    `{"__proto__":{"polluted":1},"constructor":"x","calls":${calls},"label":"caf\u00e9 \\u00e9"}`,
    `{"id":"e","calls":[]}`,
    `{"id":"f","calls":["","DEL\u007f"],"n":-1.5e3}`,
  ];
  for (const line of lines) {
    const fast = viaFastPath(line);
    assert.notEqual(fast, null, line.slice(0, 80));
    assert.deepEqual(fast, JSON.parse(line), line.slice(0, 80));
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('steps aside for anything it does not read itself', () => {
  const ok = list(names(5));
  const aside = [
    `{"id":"a","calls":["Nt\\u004fpenKey"]}`, // escape in a name
    `{"id":"a","calls":["Ñt"]}`, // non-ASCII name
    `{"id":"a","calls":["Nt\tOpen"]}`, // raw control character (JSON.parse refuses it)
    `{"id":"a","calls":[{"api":"NtOpenKey"}]}`, // objects, not names
    `{"id":"a","calls":${ok},"calls":${ok}}`, // two lists: JSON.parse keeps the last
    `{"id":"a","calls":${ok},"\\u0063alls":["X"]}`, // an escaped key that spells calls
    `{"id":"a","calls":["A",]}`, // trailing comma
    `{"id":"a","processes":[{"calls":${ok}}]}`, // no top-level list
    `[${ok}]`,
    `{"id":"a","calls":${ok}`, // truncated
    `{"id":"a","calls":${ok}} x`,
    `{"id":"a","calls":"NtOpenKey"}`,
  ];
  for (const line of aside)
    assert.equal(splitCallsList(Buffer.from(line), new ByteNameTable(256)), null, line);
});

test('gives one string per name through the table', () => {
  const table = new ByteNameTable(1024);
  const a = splitCallsList(Buffer.from(`{"calls":${list(names(30))}}`), table)!;
  const b = splitCallsList(Buffer.from(`{"calls":${list(names(30))}}`), table)!;
  assert.deepEqual(a.names, names(30));
  assert.ok(a.names.every((n, i) => n === b.names[i]));
  // a table of one slot still gives the right names (each miss replaces the slot)
  assert.deepEqual(
    splitCallsList(Buffer.from(`{"calls":${list(names(30))}}`), new ByteNameTable(1))!.names,
    names(30),
  );
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DetectEvent,
  EventError,
  formatEvent,
  MAX_ARG_CHARS,
  MAX_ARGS,
  parseEvent,
} from '../../src/detect/events.js';
import { EventLineSplitter } from '../../src/detect/inputs/lines.js';

function collect(text: string | Buffer[], maxLineBytes = 1024) {
  const events: DetectEvent[] = [];
  const bad: Array<[string, string]> = [];
  const s = new EventLineSplitter(
    'in',
    { onEvent: (e) => events.push(e), onMalformed: (w, r) => bad.push([w, r]) },
    maxLineBytes,
  );
  for (const chunk of typeof text === 'string' ? [Buffer.from(text)] : text) s.push(chunk);
  s.end();
  return { events, bad };
}

describe('events format', () => {
  it('parses a call event with every field', () => {
    const e = parseEvent(
      '{"host":"h1","pid":4242,"ppid":1,"process":"a.exe","api":"NtOpenKey","args":{"ObjectAttributes":"HKLM\\\\x"},"ts":1732600000.123}',
    );
    assert.equal(e.kind, 'call');
    if (e.kind !== 'call') return;
    assert.equal(e.host, 'h1');
    assert.equal(e.pid, 4242);
    assert.equal(e.ppid, 1);
    assert.equal(e.api, 'NtOpenKey');
    assert.equal(e.args?.get('ObjectAttributes'), 'HKLM\\x');
    assert.equal(e.ts, 1732600000.123);
  });

  it('parses the exit extension and defaults the host', () => {
    assert.deepEqual(parseEvent('{"pid":7,"event":"exit"}'), {
      kind: 'exit',
      host: '-',
      pid: 7,
      ts: undefined,
    });
  });

  it('keeps __proto__ and constructor as plain names (API, process and argument names)', () => {
    const e = parseEvent(
      '{"pid":1,"api":"__proto__","process":"constructor","args":{"__proto__":"x","constructor":1}}',
    );
    assert.equal(e.kind, 'call');
    if (e.kind !== 'call') return;
    assert.equal(e.api, '__proto__');
    assert.ok(e.args instanceof Map);
    assert.equal(e.args.get('__proto__'), 'x');
    assert.equal(e.args.get('constructor'), 1);
    assert.equal(({} as Record<string, unknown>).x, undefined);
    // and back to JSON with the same own keys
    const again = parseEvent(formatEvent(e));
    assert.deepEqual(again, e);
  });

  it('bounds arguments: count, string length, nested values as cut JSON text', () => {
    const args: Record<string, unknown> = {};
    for (let i = 0; i < MAX_ARGS + 10; i++) args[`a${i}`] = i;
    args.a0 = 'x'.repeat(MAX_ARG_CHARS + 100);
    args.a1 = { deep: [1, 2, 3] };
    const e = parseEvent(JSON.stringify({ pid: 1, api: 'A', args }));
    assert.equal(e.kind, 'call');
    if (e.kind !== 'call') return;
    assert.equal(e.args?.size, MAX_ARGS);
    assert.equal(String(e.args?.get('a0')).length, MAX_ARG_CHARS);
    assert.equal(e.args?.get('a1'), '{"deep":[1,2,3]}');
  });

  it('rejects bad fields with a reason', () => {
    const bad: Array<[string, RegExp]> = [
      ['[1,2]', /not a JSON object/],
      ['{"api":"A"}', /missing "pid"/],
      ['{"pid":-1,"api":"A"}', /pid/],
      ['{"pid":1.5,"api":"A"}', /pid/],
      ['{"pid":1}', /missing "api"/],
      ['{"pid":1,"api":""}', /"api" is empty/],
      [`{"pid":1,"api":"${'x'.repeat(300)}"}`, /longer than 256/],
      ['{"pid":1,"api":"A","ts":"now"}', /"ts"/],
      ['{"pid":1,"api":"A","args":[1]}', /"args" must be an object/],
      ['{"pid":1,"event":"fork"}', /"event"/],
      ['{"pid":1,', /not JSON/],
    ];
    for (const [line, reason] of bad)
      assert.throws(
        () => parseEvent(line),
        (e: Error) => e instanceof EventError && reason.test(e.message),
        line,
      );
  });
});

describe('event lines', () => {
  it('reports a malformed line with its number and goes on', () => {
    const { events, bad } = collect('{"pid":1,"api":"A"}\nnot json\n\n{"pid":2}\r\n{"pid":3,"api":"C"}');
    assert.deepEqual(
      events.map((e) => e.pid),
      [1, 3],
    );
    assert.equal(bad.length, 2);
    assert.equal(bad[0][0], 'in:2');
    assert.match(bad[0][1], /not JSON/);
    assert.equal(bad[1][0], 'in:4');
    assert.match(bad[1][1], /missing "api"/);
  });

  it('joins lines split across chunks, byte by byte', () => {
    const text = Buffer.from('{"pid":1,"api":"Ä"}\n{"pid":2,"api":"B"}\n');
    const chunks = [...text].map((b) => Buffer.from([b]));
    const { events, bad } = collect(chunks);
    assert.equal(bad.length, 0);
    assert.deepEqual(
      events.map((e) => (e.kind === 'call' ? e.api : '')),
      ['Ä', 'B'],
    );
  });

  it('skips a line longer than the limit, in one chunk or many, and keeps counting lines', () => {
    const long = `{"pid":1,"api":"${'x'.repeat(2000)}"}`;
    for (const chunks of [
      [Buffer.from(`${long}\n{"pid":2,"api":"B"}\n`)],
      [...Buffer.from(`${long}\n{"pid":2,"api":"B"}\n`)].map((b) => Buffer.from([b])),
    ]) {
      const { events, bad } = collect(chunks, 100);
      assert.deepEqual(bad, [['in:1', 'line longer than 100 bytes']]);
      assert.deepEqual(
        events.map((e) => e.pid),
        [2],
      );
    }
  });
});

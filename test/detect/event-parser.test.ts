// Differential test of the fast event-line parser against the JSON.parse path (parseEvent): for
// every line, the same event (fields, their order, args entries in order, -0 vs 0) or the same
// EventError message. Lines: real replayed traces, hand-picked adversarial ones, and seeded random
// ones (valid and broken); as strings, and as bytes (invalid UTF-8 included, against parseEvent of
// their decoded text) inside a larger buffer, so the parser must not read past the line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/core/random.js';
import { EventLineParser } from '../../src/detect/event-parser.js';
import type { DetectEvent } from '../../src/detect/events.js';
import { EventError, formatEvent, parseEvent } from '../../src/detect/events.js';
import { EventLineSplitter } from '../../src/detect/inputs/lines.js';
import { newReplayClock, traceEvents } from '../../src/detect/replay.js';
import { loadSamples } from '../../src/ingest/source.js';
import { malbehavdCsv, sharedData } from '../helpers/cli.js';

type Outcome = { event: DetectEvent; keys: string[]; args?: Array<[string, unknown]> } | { error: string };

function outcome(parse: (line: string) => DetectEvent, line: string): Outcome {
  try {
    const event = parse(line);
    return {
      event,
      keys: Object.keys(event),
      args: event.kind === 'call' && event.args ? [...event.args] : undefined,
    };
  } catch (err) {
    if (!(err instanceof EventError)) throw err;
    return { error: err.message };
  }
}

/** Asserts the fast parser agrees with parseEvent on `line`; returns whether it was an event. */
function agrees(parser: EventLineParser, line: string): boolean {
  const slow = outcome(parseEvent, line);
  const fast = outcome((l) => parser.parse(l), line);
  assert.deepStrictEqual(fast, slow, `line: ${JSON.stringify(line)}`);
  return 'event' in slow;
}

/**
 * Asserts the parser agrees with parseEvent of the decoded bytes on `bytes`, parsed in the middle
 * of a buffer whose surrounding bytes would change the result if read; returns whether it was an event.
 */
function agreesBytes(parser: EventLineParser, bytes: Buffer): boolean {
  const before = Buffer.from('{"pid":9,');
  const after = Buffer.from('9,"api":"Z"}\n "x":1}');
  const buf = Buffer.concat([before, bytes, after]);
  const slow = outcome(parseEvent, bytes.toString('utf8'));
  const fast = outcome(() => parser.parseBytes(buf, before.length, before.length + bytes.length), '');
  assert.deepStrictEqual(fast, slow, `bytes: ${bytes.toString('hex')}`);
  return 'event' in slow;
}

// mulberry32: seeded, so a failure can be replayed.
function generator(seed: number) {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  return { random, pick };
}

const STRINGS = [
  '""',
  '"a"',
  '"NtOpenKey"',
  '"h1"',
  '"Ä"',
  '"日本語"',
  '"😀"',
  '"__proto__"',
  '"constructor"',
  '"exit"',
  '"call"',
  '"C:\\\\Windows\\\\system32\\\\x.dll"',
  '"a\\"b"',
  '"\\/\\b\\f\\n\\r\\t"',
  '"\\u0041\\u00e9\\u65e5"',
  '"\\ud800"',
  '"\\uDE00x"',
  '"\\uD83D\\uDE00"',
  '"\\x41"',
  '"\\u12"',
  '"\\u12g4"',
  '"tab\there"',
  '"nul\u0000"',
  '"\u2028"',
  `"${'x'.repeat(256)}"`,
  `"${'y'.repeat(257)}"`,
  `"${'z'.repeat(5000)}"`,
  '"0x00000000"',
];
const NUMBERS = [
  '0',
  '-0',
  '1',
  '4242',
  '-1',
  '1.5',
  '-0.0',
  '0.1',
  '1e3',
  '1E-3',
  '2e+2',
  '01',
  '1.',
  '.5',
  '-',
  '+1',
  '0x10',
  '1.2.3',
  '9007199254740991',
  '9007199254740993',
  '123456789012345',
  '1234567890123456',
  '1e400',
  '-1e400',
  '1e-400',
  '1732600000.123',
  '1732600000.0001',
  '1732600000.00009999999',
  '3.141592653589793238462643383279',
  '0.30000000000000004',
  '123.4567890123456789012345',
  '5e-324',
  '1.7976931348623157e308',
  'NaN',
  'Infinity',
];
const LITERALS = ['true', 'false', 'null', 'tru', 'nul', 'falsey', 'True'];
const NESTED = ['{}', '{"a":1}', '[]', '[1,"a"]', '{"a":{"b":[1,2]}}', '[', '{"a":'];
const TOP_KEYS = [
  'host',
  'pid',
  'ppid',
  'process',
  'api',
  'args',
  'ts',
  'ret',
  'status',
  'event',
  'tid',
  '__proto__',
  'constructor',
  '1',
  '',
  'p\\u0069d',
  'Pid',
  'pidx',
];
const ARG_KEYS = [
  'a',
  'b',
  'Handle',
  '__proto__',
  'constructor',
  '0',
  '1',
  '01',
  '',
  'k\\u00e9',
  'x'.repeat(300),
];
const SPACE = ['', '', '', ' ', '\t', '\r\n', '  '];
const JUNK = ['{', '}', '[', ']', '"', ',', ':', '\\', ' ', '0', 'a', '-', '\u0000', 'é'];

function randomLines(seed: number, count: number): string[] {
  const { random, pick } = generator(seed);
  const ws = () => pick(SPACE);
  const scalar = () => {
    const r = random();
    return r < 0.45 ? pick(STRINGS) : r < 0.85 ? pick(NUMBERS) : pick(LITERALS);
  };
  const value = (key: string): string => {
    const r = random();
    if (r < 0.08) return pick(NESTED);
    if (r < 0.2) return scalar();
    switch (key) {
      case 'pid':
      case 'ppid':
        return random() < 0.8 ? String(Math.floor(random() * 100000)) : pick(NUMBERS);
      case 'ts':
        return random() < 0.7 ? String(1732600000 + random() * 1000) : pick(NUMBERS);
      case 'status':
        return pick(LITERALS);
      case 'event':
        return pick(['"exit"', '"call"', '"fork"', '"exit"']);
      case 'args': {
        const n = random() < 0.05 ? 70 : Math.floor(random() * 5);
        const entries: string[] = [];
        for (let i = 0; i < n; i++) {
          const k = random() < 0.7 ? `k${Math.floor(random() * (n + 2))}` : pick(ARG_KEYS);
          entries.push(`${ws()}"${k}"${ws()}:${ws()}${random() < 0.1 ? pick(NESTED) : scalar()}${ws()}`);
        }
        return `{${entries.join(',')}}`;
      }
      default:
        return pick(STRINGS);
    }
  };
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    // mostly plausible events: pid and api first, then random extra fields (duplicates possible)
    const keys = random() < 0.8 ? ['pid', 'api'] : [];
    const extra = Math.floor(random() * 6);
    for (let k = 0; k < extra; k++) keys.push(random() < 0.85 ? pick(TOP_KEYS.slice(0, 10)) : pick(TOP_KEYS));
    if (random() < 0.5) keys.reverse();
    let line = `${ws()}{${ws()}${keys
      .map((k) => `"${k}"${ws()}:${ws()}${k === 'api' && random() < 0.8 ? '"NtClose"' : value(k)}`)
      .join(`${ws()},${ws()}`)}${ws()}}${ws()}`;
    const m = random();
    if (m < 0.1) line = line.slice(0, Math.floor(random() * line.length));
    else if (m < 0.2) {
      const at = Math.floor(random() * line.length);
      line = line.slice(0, at) + pick(JUNK) + line.slice(at + (random() < 0.5 ? 1 : 0));
    } else if (m < 0.23) line += pick([',', '}', ' x', '{}', '\u00a0']);
    lines.push(line);
  }
  return lines;
}

describe('fast event-line parser: the same result as JSON.parse + validation', () => {
  it('takes the fast path for every event replayed from real traces (CSV rows and a CAPE report with args)', async () => {
    const traces = [
      ...(await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' })).slice(0, 40),
      ...(await loadSamples({
        data: [`${sharedData}reports/capev2-2.4-lite_bits-bat_9088f800.json`],
        processes: 'all',
      })),
    ];
    const parser = new EventLineParser();
    let lines = 0;
    let withArgs = 0;
    for (const trace of traces) {
      for (const event of traceEvents(trace, 'lab-1', newReplayClock(1732600000))) {
        const line = formatEvent(event);
        assert.ok(agrees(parser, line));
        lines++;
        if (event.kind === 'call' && event.args && event.args.size > 0) withArgs++;
      }
    }
    assert.ok(lines > 1000 && withArgs > 100, `${lines} lines, ${withArgs} with args`);
    assert.equal(parser.fallbacks, 0);
  });

  it('agrees on adversarial lines', () => {
    const lines = [
      '',
      '   ',
      '{}',
      '[]',
      'null',
      '"x"',
      '{"pid":1,"api":"A"}',
      ' \t{ "pid" : 1 , "api" : "A" } \r',
      '{"pid":1,"api":"A"} x',
      '{"pid":1,"api":"A",}',
      '{"pid":1,"api":"A"',
      '{"pid":1,"api":"A}',
      '{"pid":1,"api":"A"}}',
      '{"pid":1,"api":"A","pid":2}',
      '{"pid":1,"api":"A","api":""}',
      '{"pid":1,"api":"","api":"B"}',
      '{"pid":-0,"api":"A"}',
      '{"pid":0,"api":"A"}',
      '{"pid":00,"api":"A"}',
      '{"pid":1e2,"api":"A"}',
      '{"pid":1.0,"api":"A"}',
      '{"pid":9007199254740991,"api":"A"}',
      '{"pid":9007199254740992,"api":"A"}',
      '{"pid":123456789012345,"api":"A"}',
      '{"pid":"1","api":"A"}',
      '{"pid":null,"api":"A"}',
      '{"pid":1,"api":null}',
      '{"pid":1,"api":"A","host":null,"process":null,"args":null,"ts":null,"ret":null,"status":null}',
      '{"pid":1,"api":"A","ts":1e400}',
      '{"pid":1,"api":"A","ts":-1e400,"event":"exit"}',
      '{"pid":1,"api":"A","ret":1e400}',
      '{"pid":1,"api":"A","ret":-0}',
      '{"pid":1,"api":"A","ret":"0xC0000034","status":false}',
      '{"pid":1,"api":"A","status":"true"}',
      '{"pid":1,"event":"exit","api":{"x":[1]},"status":7}',
      '{"pid":1,"event":"Exit"}',
      '{"pid":1,"event":null,"api":"A"}',
      '{"__proto__":{"pid":2},"pid":1,"api":"A"}',
      '{"pid":1,"api":"A","__proto__":null}',
      '{"pid":1,"api":"__proto__","process":"constructor","host":"hasOwnProperty"}',
      '{"pid":1,"api":"A","args":{"__proto__":"x","constructor":1,"toString":null}}',
      '{"pid":1,"api":"A","args":{"b":1,"2":2,"1":3}}',
      '{"pid":1,"api":"A","args":{"a":1,"a":2}}',
      '{"pid":1,"api":"A","args":{"a":1,"b":{"c":[1,{"d":2}]},"e":[]}}',
      '{"pid":1,"api":"A","args":[]}',
      '{"pid":1,"api":"A","args":"x"}',
      '{"pid":1,"api":"A","args":{}}',
      '{"pid":1,"api":"A","args":{ }}',
      '{"pid":1,"api":"A","args":{"a":-0,"b":1e400,"c":5e-324,"d":0.1}}',
      `{"pid":1,"api":"A","args":{"${'k'.repeat(300)}a":1,"${'k'.repeat(300)}b":2}}`,
      `{"pid":1,"api":"A","args":{${Array.from({ length: 70 }, (_, i) => `"a${i}":${i}`).join(',')},"a3":"late"}}`,
      `{"pid":1,"api":"A","args":{${Array.from({ length: 70 }, (_, i) => `"a${i}":${i}`).join(',')},"a69":"late"}}`,
      `{"pid":1,"api":"A","args":{"s":"${'é'.repeat(5000)}"}}`,
      `{"pid":1,"api":"A","args":{"s":"${'😀'.repeat(2100)}"}}`,
      '{"pid":1,"api":"A\\u0000B"}',
      '{"pid":1,"api":"A\tB"}',
      '{"pid":1,"api":"\\ud83d"}',
      '{"pid":1,"api":"\\uD83D\\uDE00","host":"\\u00e9","process":"a\\\\b.exe"}',
      '{"pid":1,"api":"A\\q"}',
      '{"pid":1,"api":"A\\u00"}',
      `{"pid":1,"api":"${'\\u0041'.repeat(256)}"}`,
      `{"pid":1,"api":"${'\\u0041'.repeat(257)}"}`,
      `{"pid":1,"api":"A","host":"${'h'.repeat(257)}"}`,
      `{"pid":1,"api":"A","ret":"${'r'.repeat(257)}"}`,
      '{"p\\u0069d":1,"api":"A"}',
      '{"pid":1,"api":"A","tid":7,"extra":"x","more":null,"flag":true}',
      '{"pid":1,"api":"A","extra":{"nested":1}}',
      '{"pid":1,"api":"A","ts":1732600000.00009999999}',
      '{"pid":1,"api":"A","ts":123.4567890123456789012345}',
      '{"pid":1,"api":"A","ts":0.30000000000000004}',
      '{"pid":1,"api":"A","ts":-5e-324}',
      '{"pid":1,"api":"A","ts":1.}',
      '{"pid":1,"api":"A","ts":.5}',
      '{"pid":1,"api":"A","ts":+1}',
      '{"pid":1,"api":"A","ts":1e}',
      '{"pid":1,"api":"A","ts":1e+}',
      '{"pid":1,"api":"A"}\u00a0',
      '\ufeff{"pid":1,"api":"A"}',
      '{"pid":1,"api":"A\ud800B"}',
    ];
    const parser = new EventLineParser();
    let events = 0;
    for (const line of lines) if (agrees(parser, line)) events++;
    assert.ok(events > 20 && events < lines.length, `${events} of ${lines.length} lines are events`);
    for (const line of lines) assert.equal(agreesBytes(parser, Buffer.from(line)), agrees(parser, line));
  });

  it('agrees on raw bytes: invalid UTF-8 in every kind of string and outside strings, lines cut short', () => {
    const bad = ['ff', 'c3', 'c0af', 'eda080', 'f09f98', 'e282ac', 'c3a9', 'f09f9880', '80', 'efbbbf'];
    const templates = [
      '{"pid":1,"api":"A@"}',
      '{"pid":1,"api":"@"}',
      '{"pid":1,"api":"@B","host":"h@","process":"@.exe"}',
      '{"pid":1,"api":"A","args":{"k":"@"}}',
      '{"pid":1,"api":"A","args":{"@":1}}',
      '{"pid":1,"api":"A","args":{"k":"x\\n@\\u0041@"}}',
      '{"pid":1,"api":"A","ret":"@"}',
      '{"pid":1,"api":"A","event":"@"}',
      '{"pid":1,"api":"A","@":2}',
      '{"pid":1,"api":"A"}@',
      '@{"pid":1,"api":"A"}',
      '{"pid":1,@"api":"A"}',
      '{"pid":1,"api":"A\\"@"}',
    ];
    const parser = new EventLineParser();
    let events = 0;
    let lines = 0;
    for (const t of templates)
      for (const b of bad) {
        const [head, ...rest] = t.split('@');
        const parts: Buffer[] = [Buffer.from(head)];
        for (const r of rest) parts.push(Buffer.from(b, 'hex'), Buffer.from(r));
        const bytes = Buffer.concat(parts);
        if (agreesBytes(parser, bytes)) events++;
        lines++;
        // every prefix: the parser must stop at the line's end, whatever follows it in the buffer
        for (let cut = 0; cut < bytes.length; cut++) agreesBytes(parser, bytes.subarray(0, cut));
      }
    assert.ok(events > lines / 3 && events < lines, `${events} of ${lines} lines are events`);
  });

  it('agrees on 20,000 random lines, valid and broken', () => {
    const parser = new EventLineParser();
    const lines = randomLines(20261127, 20000);
    let events = 0;
    for (const line of lines) if (agrees(parser, line)) events++;
    for (const line of lines) agreesBytes(new EventLineParser(), Buffer.from(line));
    // both outcomes are well represented, and most events take the fast path
    assert.ok(events > 4000 && events < 16000, `${events} events`);
    assert.ok(parser.fallbacks < lines.length - events / 2, `${parser.fallbacks} fallbacks`);
  });

  it('gives the interned names back unchanged when the intern table slots collide', () => {
    const parser = new EventLineParser();
    const names = Array.from({ length: 20000 }, (_, i) => `Api${i}`);
    for (const round of [0, 1])
      for (const api of names) {
        const e = parser.parse(`{"pid":${round},"api":"${api}","host":"h${api}"}`);
        assert.ok(e.kind === 'call' && e.api === api && e.host === `h${api}`);
      }
  });
});

describe('line splitter', () => {
  function collect(chunks: Buffer[], maxLineBytes = 1024) {
    const out: Array<string | [string, string]> = [];
    const s = new EventLineSplitter(
      'in',
      { onEvent: (e) => out.push(formatEvent(e)), onMalformed: (w, r) => out.push([w, r]) },
      maxLineBytes,
    );
    for (const chunk of chunks) s.push(chunk);
    s.end();
    return out;
  }

  it('gives the same lines for every way of cutting the input into two chunks', () => {
    const text = Buffer.from(
      '{"pid":1,"api":"Ä😀"}\r\n\nbad\n{"pid":2,"api":"日本"}\n{"pid":3,"api":"B","args":{"p":"C:\\\\x"}}\n{"pid":4,"api":"E"}',
    );
    const whole = collect([text]);
    assert.deepEqual(whole.length, 5);
    assert.deepEqual(whole[1], ['in:3', whole[1][1]]);
    for (let cut = 0; cut <= text.length; cut++) {
      assert.deepEqual(collect([text.subarray(0, cut), text.subarray(cut)]), whole, `cut at ${cut}`);
    }
  });

  it('gives, for a megabyte of real event lines in one chunk, what parseEvent gives line by line', async () => {
    const traces = (await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' })).slice(0, 200);
    const lines: string[] = [];
    for (const trace of traces)
      for (const event of traceEvents(trace, 'lab-1', newReplayClock(1732600000))) {
        const line = formatEvent(event);
        // every 97th line broken, every 89th with CRLF, every 83rd blank
        lines.push(
          lines.length % 97 === 5 ? line.slice(0, -1) : lines.length % 89 === 7 ? `${line}\r` : line,
        );
        if (lines.length % 83 === 0) lines.push('');
      }
    const text = `${lines.join('\n')}\n`;
    assert.ok(text.length > 1_000_000, `${text.length} bytes`);
    const expected: Array<string | [string, string]> = [];
    lines.forEach((line, i) => {
      const l = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (l === '') return;
      try {
        expected.push(formatEvent(parseEvent(l)));
      } catch (err) {
        expected.push([`in:${i + 1}`, (err as Error).message]);
      }
    });
    const got = collect([Buffer.from(text)], 4096);
    assert.ok(got.filter((x) => typeof x !== 'string').length > 50);
    assert.deepEqual(got, expected);
  });

  it('copies an unfinished line, so a caller may reuse its buffer', () => {
    const buf = Buffer.from('{"pid":1,"api":"AB"}\n{"pid":2,"ap');
    const out: DetectEvent[] = [];
    const s = new EventLineSplitter('in', { onEvent: (e) => out.push(e), onMalformed: () => {} }, 1024);
    s.push(buf);
    buf.fill(0x20);
    s.push(Buffer.from('i":"C"}\n'));
    s.end();
    assert.deepEqual(
      out.map((e) => (e.kind === 'call' ? e.api : '')),
      ['AB', 'C'],
    );
  });

  it('bounds lines in bytes, counted over chunks, and keeps the line numbers', () => {
    const long = `{"pid":1,"api":"${'é'.repeat(60)}"}`; // 138 bytes, 78 characters
    const text = Buffer.from(`${long}\n{"pid":2,"api":"B"}\n${long}`);
    const expected = [
      ['in:1', 'line longer than 100 bytes'],
      '{"host":"-","pid":2,"api":"B"}',
      ['in:3', 'line longer than 100 bytes'],
    ];
    assert.deepEqual(collect([text], 100), expected);
    assert.deepEqual(
      collect(
        [...text].map((b) => Buffer.from([b])),
        100,
      ),
      expected,
    );
  });
});

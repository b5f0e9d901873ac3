// The streaming JSON tokenizer and the selective builder: same values as JSON.parse however the
// bytes are split into chunks, skipped subtrees that contain every tricky byte, tolerance for what
// Python's json.dump writes, and syntax errors with exact byte offsets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ALL, type JsonValue, type Select, SelectiveBuilder, select } from '../../src/ingest/json/select.js';
import { JsonSyntaxError, type JsonTokenizer } from '../../src/ingest/json/tokenizer.js';
import { sharedData } from '../helpers/cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));

function build(bytes: Buffer, chunk: number, sel: Select = ALL, options = {}): JsonValue | undefined {
  const b = new SelectiveBuilder(sel, options);
  for (let i = 0; i < bytes.length; i += chunk) b.write(bytes.subarray(i, i + chunk));
  b.end();
  return b.root;
}

/** A comparable form: Maps and objects become entry lists, big-int strings their numbers. */
function plain(v: unknown, parsed: unknown): unknown {
  if (v instanceof Map) {
    const o = parsed as Record<string, unknown>;
    return [...v].map(([k, x]) => [k, plain(x, Object.getOwnPropertyDescriptor(o, k)?.value)]);
  }
  if (Array.isArray(v)) return v.map((x, i) => plain(x, (parsed as unknown[])[i]));
  if (typeof v === 'string' && typeof parsed === 'number' && /^-?\d{16,}$/.test(v)) return Number(v);
  return v;
}

function parsedPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(parsedPlain);
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, parsedPlain(x)]);
  return v;
}

function syntaxError(text: string | Buffer, chunk = 1 << 16): JsonSyntaxError {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  try {
    build(bytes, chunk);
  } catch (err) {
    assert.ok(err instanceof JsonSyntaxError, String(err));
    return err;
  }
  assert.fail(`accepted: ${bytes.toString().slice(0, 80)}`);
}

describe('JSON tokenizer', () => {
  test('builds what JSON.parse builds, for every chunk size, on real and hand-written reports', () => {
    const docs = [
      join(fixtures, 'cuckoo-1.2-full.json'),
      join(fixtures, 'cuckoo-2.0-full.json'),
      join(sharedData, 'reports', 'cuckoo-0.4.2-full_swizzor.json'),
    ];
    for (const path of docs) {
      const bytes = readFileSync(path);
      const parsed = JSON.parse(bytes.toString('utf8'));
      for (const chunk of [1, 2, 3, 7, 64, 4093, bytes.length]) {
        if (chunk < 7 && bytes.length > 100_000) continue; // byte-by-byte on the small ones only
        const ours = build(bytes, chunk);
        assert.deepEqual(plain(ours, parsed), parsedPlain(parsed), `${path} in chunks of ${chunk}`);
      }
    }
  });

  test('escapes, raw UTF-8 split across chunks, surrogate pairs and lone surrogates', () => {
    const text =
      '["a\\"b\\\\c\\/d\\n\\t\\r\\b\\f", "\\u00e9\\u0416", "é Ж 😀", "\\ud83d\\ude00", "\\ud83d x", "x \\udc00"]';
    const bytes = Buffer.from(text);
    for (const chunk of [1, 2, 3, 5, bytes.length]) {
      assert.deepEqual(build(bytes, chunk), [
        'a"b\\c/d\n\t\r\b\f',
        'éЖ',
        'é Ж 😀',
        '😀',
        '\ud83d x',
        'x \udc00',
      ]);
    }
    // invalid UTF-8 bytes become U+FFFD instead of failing the document
    assert.deepEqual(build(Buffer.from([0x5b, 0x22, 0xff, 0x41, 0x22, 0x5d]), 1), ['\ufffdA']);
  });

  test('numbers: exact integers beyond 2^53 stay text, everything else is a number', () => {
    const text =
      '[0, -0, 12345, -7, 1.5, -1.5e3, 2E-2, 9007199254740991, 9007199254740993, -18446744073709551615, 123456789012345678901234, 1e400, 100000000000000000000.5]';
    const want = [
      0,
      -0,
      12345,
      -7,
      1.5,
      -1500,
      0.02,
      9007199254740991,
      '9007199254740993',
      '-18446744073709551615',
      '123456789012345678901234',
      Number.POSITIVE_INFINITY,
      1e20,
    ];
    for (const chunk of [1, 4, 1000]) assert.deepEqual(build(Buffer.from(text), chunk), want);
    assert.equal(build(Buffer.from('42'), 1), 42, 'a bare top-level number ends with the input');
    assert.deepEqual(build(Buffer.from('[true,false,null]'), 2), [true, false, null]);
  });

  test('skipped members are passed over whatever they contain, at every split point', () => {
    const tricky =
      '{"skip": {"a": "x\\\\\\"}]", "b": ["\\\\", "}", "]", "\\"", {"c": [[[]]]}], "d": "\\u005c\\""}, "n": 5, "s": "\\\\", "keep": {"v": [1, "two"]}, "after": "x"}';
    const bytes = Buffer.from(tricky);
    assert.ok(JSON.parse(tricky), 'the test document is valid JSON');
    const sel = select({ keep: ALL, after: ALL });
    for (let cut = 1; cut < bytes.length; cut++) {
      const b = new SelectiveBuilder(sel);
      b.write(bytes.subarray(0, cut));
      b.write(bytes.subarray(cut));
      b.end();
      assert.deepEqual(
        b.root,
        new Map<string, JsonValue>([
          ['keep', new Map<string, JsonValue>([['v', [1, 'two']]])],
          ['after', 'x'],
        ]),
        `split at ${cut}`,
      );
    }
  });

  test('skipping is chosen by the handler from the member name', () => {
    const seen: string[] = [];
    let tokenizer: JsonTokenizer | undefined;
    const b = new SelectiveBuilder(
      select({
        keep: {
          ...select({ x: ALL }),
          onStart: () => {
            seen.push('start keep');
            tokenizer = b.tokenizer;
          },
        },
        items: {
          items: select({ id: ALL }),
          onItem: (v) => seen.push(JSON.stringify([...(v as Map<string, JsonValue>)])),
        },
      }),
    );
    b.write(
      Buffer.from('{"drop": {"keep": 1}, "keep": {"x": 1, "y": 2}, "items": [{"id": 1, "z": 0}, {"id": 2}]}'),
    );
    b.end();
    assert.ok(tokenizer?.done);
    assert.deepEqual(seen, ['start keep', '[["id",1]]', '[["id",2]]']);
    const root = b.root as Map<string, JsonValue>;
    assert.deepEqual([...root.keys()], ['keep', 'items']);
    assert.deepEqual(root.get('items'), [], 'streamed items are not kept');
  });

  test('a container where another kind was selected is skipped, not built', () => {
    const b = new SelectiveBuilder(select({ info: select({ version: ALL }) }));
    b.write(Buffer.from('{"info": [1, 2, {"version": "x"}], "other": 1}'));
    b.end();
    assert.deepEqual(b.root, new Map());
    const top = new SelectiveBuilder(select({ a: ALL }));
    top.write(Buffer.from('[{"a": 1}]'));
    top.end();
    assert.equal(top.rootKind, 'array');
    assert.equal(top.root, undefined);
  });

  test('strings longer than the limit are truncated, the rest of the document still read', () => {
    const long = 'x'.repeat(5000);
    const bytes = Buffer.from(JSON.stringify({ a: long, b: `\\${long}`, c: 'end' }));
    for (const chunk of [1000, bytes.length]) {
      const root = build(bytes, chunk, ALL, { maxString: 100 }) as Map<string, JsonValue>;
      assert.equal(root.get('a'), 'x'.repeat(100));
      assert.equal(root.get('b'), `\\${'x'.repeat(98)}`);
      assert.equal(root.get('c'), 'end');
    }
  });

  test('every truncation of a document is reported at its end offset', () => {
    const bytes = readFileSync(join(fixtures, 'cuckoo-1.1-url.json'));
    const end = bytes.length - 1; // the file ends with "}\n"
    for (let cut = 0; cut < end; cut += 7) {
      const err = syntaxError(bytes.subarray(0, cut), 13);
      assert.equal(err.offset, cut, `cut at ${cut}`);
      assert.match(err.reason, cut === 0 ? /empty input/ : /truncated JSON/);
    }
  });

  test('syntax errors name the offending byte and its offset', () => {
    const cases: [string, number, RegExp][] = [
      ['{"a": 1,}', 8, /member name/],
      ['[1 2]', 3, /expected ','/],
      ['{"a" 1}', 5, /expected ':'/],
      ['{} x', 3, /after the end/],
      ['[tru]', 1, /invalid number or literal "tru"/],
      ['[01]', 1, /invalid number/],
      ['[}', 1, /unexpected '}'/],
      ['{"skip": [}', 10, /unexpected '}'/],
      ['{"a": @}', 6, /unexpected '@'/],
    ];
    for (const [text, offset, reason] of cases) {
      for (const chunk of [1, 100]) {
        const err = syntaxError(text, chunk);
        assert.equal(err.offset, offset, `${text} (chunks of ${chunk}): ${err.message}`);
        assert.match(err.message, reason);
      }
    }
    const skipping = new SelectiveBuilder(select({}));
    assert.throws(() => {
      skipping.write(Buffer.from('{"skip": [1, {"a": ]}'));
    }, /unexpected '\]' at byte 19/);
  });

  test('nesting deeper than the limit is refused', () => {
    const deep = `${'['.repeat(600)}${']'.repeat(600)}`;
    assert.match(syntaxError(deep).message, /nesting too deep at byte 512/);
    assert.equal((build(Buffer.from(deep), 50, ALL, { maxDepth: 1000 }) as unknown[]).length, 1);
  });
});

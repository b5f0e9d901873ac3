// The RPC transport's own MessagePack pieces against the reference library (@msgpack/msgpack):
// cutting a byte stream into messages at every possible split point, and the response writer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, decodeMulti, encode } from '@msgpack/msgpack';
import { FrameError, FrameReader } from '../../src/serve/rpc/frame-reader.js';
import { Double, encodeRpc } from '../../src/serve/rpc/msgpack-writer.js';
import { assertOldMsgpack } from '../helpers/old-msgpack.js';

const messages: unknown[] = [
  [0, 1, 'classify', ['', [[[['api_call', 'NtOpenKey_NtQueryValueKey_NtClose']], [['n', 1.5]], []]]]],
  [0, 4294967295, 'x'.repeat(40), ['y'.repeat(300), 'z'.repeat(70_000)]], // str 8, 16, 32 (> 65535 bytes)
  [1, 2, null, { a: [true, false, null, -1, -33, -200, -70000, 255, 65536, 2 ** 40, 0.25] }],
  [0, 3, 'train', [new Uint8Array(10), new Uint8Array(300), new Uint8Array(70_000)]], // bin 8, 16, 32
  [0, 5, 'big', [Array.from({ length: 20 }, (_, i) => i), Array.from({ length: 70_000 }, () => 0)]], // array 16, 32
  [0, 6, 'map', [Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))]], // map 16
];

test('FrameReader cuts a stream into the same messages at every split point', () => {
  const small = Buffer.concat([encode(messages[0]), encode(messages[2]), encode(messages[5])]);
  for (let cut = 0; cut <= small.length; cut++) {
    const reader = new FrameReader(1 << 20);
    const frames = [...reader.push(small.subarray(0, cut)), ...reader.push(small.subarray(cut))];
    assert.deepEqual(
      frames.map((f) => decode(f)),
      [messages[0], messages[2], messages[5]],
      `cut at ${cut}`,
    );
    assert.equal(reader.pendingBytes, 0);
  }
});

test('FrameReader handles every length form, one byte at a time and all at once', () => {
  const all = Buffer.concat(messages.map((m) => encode(m)));
  // (copies: the reference decoder returns Buffer views of a Buffer input)
  const whole = new FrameReader(1 << 20).push(all);
  assert.deepEqual(
    whole.map((f) => decode(new Uint8Array(f))),
    messages,
  );
  const reader = new FrameReader(1 << 20);
  const frames: Buffer[] = [];
  for (let i = 0; i < all.length; i += 997) frames.push(...reader.push(all.subarray(i, i + 997)));
  assert.deepEqual(
    frames.map((f) => decode(new Uint8Array(f))),
    messages,
  );
});

test('FrameReader refuses a message over the bound from its header, and bytes that are not MessagePack', () => {
  const big = Buffer.from(encode(['x'.repeat(5000)]));
  assert.throws(() => new FrameReader(1000).push(big.subarray(0, 10)), FrameError);
  // an array announcing more elements than the bound can hold
  assert.throws(() => new FrameReader(1000).push(Buffer.from([0xdd, 0x00, 0x10, 0x00, 0x00])), FrameError);
  assert.throws(() => new FrameReader(1000).push(Buffer.from([0xc1])), /not MessagePack/);
});

test('the response writer: Maps as maps (any key), doubles as float 64, the rest as the reference encodes', () => {
  const labels = new Map<string, number>([
    ['constructor', 0],
    ['1', 7],
  ]);
  const decoded = decode(encodeRpc([1, 9, null, labels])) as unknown[];
  assert.deepEqual(decoded, [1, 9, null, { constructor: 0, '1': 7 }]);
  // the reference decoder refuses a "__proto__" key, so check the raw bytes: fixmap, fixstr key
  const bytes = encodeRpc(new Map([['__proto__', 3]]));
  assert.deepEqual([...bytes], [0x81, 0xa9, ...Buffer.from('__proto__'), 0x03]);
  const scores = encodeRpc([
    ['1', new Double(0)],
    ['0', new Double(-1.25)],
  ]);
  assert.deepEqual(decode(scores), [
    ['1', 0],
    ['0', -1.25],
  ]);
  assert.equal(scores[4], 0xcb); // 0 written as a double
  const mixed = [
    'é'.repeat(100),
    'x'.repeat(70_000),
    -1,
    -100,
    -40_000,
    -(2 ** 40),
    2 ** 40,
    300,
    1.5,
    true,
    new Uint8Array(300),
  ];
  assert.deepEqual(decode(new Uint8Array(encodeRpc(mixed))), decode(encode(mixed)));
  assert.deepEqual([...decodeMulti(Buffer.concat([encodeRpc([1]), encodeRpc([2])]))], [[1], [2]]);
});

test('the writer uses only the old MessagePack types (str 16 for 32..255 bytes); the old-spec check refuses str 8', () => {
  const strings = ['', 'a'.repeat(31), 'b'.repeat(32), 'é'.repeat(100), 'c'.repeat(255), 'd'.repeat(256)];
  const value = [
    strings,
    new Map(strings.map((k, i) => [k, i])),
    [1, -1, 300, -40_000, 2 ** 40, 1.5, true, null],
  ];
  const bytes = encodeRpc(value);
  assertOldMsgpack(bytes);
  assert.deepEqual(decode(bytes), [strings, Object.fromEntries(value[1] as Map<string, number>), value[2]]);
  assert.deepEqual([...encodeRpc('b'.repeat(32)).subarray(0, 3)], [0xda, 0x00, 32]);
  // the reference encoder writes str 8, which the check must catch
  assert.throws(() => assertOldMsgpack(encode(['b'.repeat(32)])), /byte 0xd9 at offset 1 is not in the old/);
  assert.throws(() => assertOldMsgpack(encode(new Uint8Array(3))), /byte 0xc4 at offset 0/);
});

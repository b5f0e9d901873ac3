// A small MessagePack encoder for RPC responses. Three things the general-purpose encoder of
// @msgpack/msgpack cannot do: write a JS `Map` as a MessagePack map (labels come from malware and
// are kept in Maps, never plain objects); write a score that happens to be integral (0, 1) as a
// float 64, which Jubatus's `estimate_result.score` (a double) is; and never write str 8.
// Jubatus's RPC stack is built on msgpack-c 0.5.9, which predates str 8 and bin: to it 0xd9 is a
// reserved byte and the whole message fails. Strings are written as MsgpackBuffer's (str 16 for
// 32..65,535 bytes, the old spec's raw 16). Binaries keep the bin family (only requests carry
// them; no response does).
// Format: https://github.com/msgpack/msgpack/blob/master/spec.md (section "Compatibility")
import { MsgpackBuffer } from '../../core/msgpack-buffer.js';

/** A number to be written as float 64 whatever its value. */
export class Double {
  constructor(readonly value: number) {}
}

export type RpcValue =
  | null
  | undefined
  | boolean
  | number
  | string
  | Uint8Array
  | Double
  | RpcValue[]
  | Map<string, RpcValue>;

export class MsgpackWriter extends MsgpackBuffer {
  constructor() {
    super(4096);
  }

  private integer(x: number): void {
    this.ensure(9);
    if (x >= 0) {
      if (x <= 0x7f) this.buf[this.pos++] = x;
      else if (x <= 0xffffffff) {
        this.buf[this.pos++] = 0xce;
        this.buf.writeUInt32BE(x, this.pos);
        this.pos += 4;
      } else {
        this.buf[this.pos++] = 0xcf;
        this.buf.writeBigUInt64BE(BigInt(x), this.pos);
        this.pos += 8;
      }
    } else if (x >= -32) {
      this.buf[this.pos++] = x & 0xff;
    } else if (x >= -0x80000000) {
      this.buf[this.pos++] = 0xd2;
      this.buf.writeInt32BE(x, this.pos);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = 0xd3;
      this.buf.writeBigInt64BE(BigInt(x), this.pos);
      this.pos += 8;
    }
  }

  private binary(b: Uint8Array): void {
    this.ensure(5 + b.length);
    if (b.length <= 0xff) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = b.length;
    } else if (b.length <= 0xffff) {
      this.buf[this.pos++] = 0xc5;
      this.buf.writeUInt16BE(b.length, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xc6;
      this.buf.writeUInt32BE(b.length, this.pos);
      this.pos += 4;
    }
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  write(v: RpcValue): this {
    if (v === null || v === undefined) {
      this.ensure(1);
      this.buf[this.pos++] = 0xc0;
    } else if (typeof v === 'boolean') {
      this.ensure(1);
      this.buf[this.pos++] = v ? 0xc3 : 0xc2;
    } else if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) this.integer(v);
      else this.float64(v);
    } else if (typeof v === 'string') {
      this.string(v);
    } else if (v instanceof Double) {
      this.float64(v.value);
    } else if (v instanceof Uint8Array) {
      this.binary(v);
    } else if (Array.isArray(v)) {
      this.header(v.length, 0x90, 0xdc, 0xdd);
      for (const x of v) this.write(x);
    } else {
      this.header(v.size, 0x80, 0xde, 0xdf);
      for (const [k, x] of v) {
        this.string(k);
        this.write(x);
      }
    }
    return this;
  }
}

/** Encodes one value. */
export function encodeRpc(v: RpcValue): Buffer {
  return new MsgpackWriter().write(v).bytes();
}

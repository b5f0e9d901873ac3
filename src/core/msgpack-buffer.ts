// The growing output buffer and the encodings shared by malgram's two hand-written MessagePack
// writers (src/serve/rpc/msgpack-writer.ts for RPC values, src/learn/jubatus-file.ts streaming a
// Jubatus model file); each adds its own integer rules on top. Both are read by Jubatus, whose
// MessagePack is msgpack-c 0.5.9: it predates str 8 (0xd9 is a reserved byte to it), so strings
// use only the old spec's forms, the spec's "compatibility mode".
// Format: https://github.com/msgpack/msgpack/blob/master/spec.md (section "Compatibility")
export class MsgpackBuffer {
  protected buf: Buffer;
  protected pos = 0;

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `n` more bytes. */
  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A container header: fix form (`fix | n`, n ≤ 15) or 16/32-bit count after `b16`/`b32`. */
  protected header(n: number, fix: number, b16: number, b32: number): void {
    this.ensure(5);
    if (n <= 15) this.buf[this.pos++] = fix | n;
    else if (n <= 0xffff) {
      this.buf[this.pos++] = b16;
      this.pos = this.buf.writeUInt16BE(n, this.pos);
    } else {
      this.buf[this.pos++] = b32;
      this.pos = this.buf.writeUInt32BE(n, this.pos);
    }
  }

  /** A UTF-8 string as fixstr, str 16 or str 32 (never str 8: see the header). */
  protected string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(5 + n);
    if (n <= 31) this.buf[this.pos++] = 0xa0 | n;
    else if (n <= 0xffff) {
      this.buf[this.pos++] = 0xda;
      this.pos = this.buf.writeUInt16BE(n, this.pos);
    } else {
      this.buf[this.pos++] = 0xdb;
      this.pos = this.buf.writeUInt32BE(n, this.pos);
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A float 64, whatever the value (0 and 1 included). */
  protected float64(x: number): void {
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.pos = this.buf.writeDoubleBE(x, this.pos);
  }

  /** The bytes written so far (a copy-free view; the writer must not be reused after). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

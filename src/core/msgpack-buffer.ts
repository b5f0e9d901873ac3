// The growing output buffer and the encodings shared by malgram's two hand-written MessagePack
// writers (src/serve/rpc/msgpack-writer.ts for RPC values, src/learn/jubatus-file.ts streaming a
// Jubatus model file); each adds its own string and integer rules on top.
// Format: https://github.com/msgpack/msgpack/blob/master/spec.md
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

// Finds where the first complete MessagePack object of a byte buffer ends, without decoding it,
// so the RPC transport can cut a TCP byte stream into messages: a message may arrive split over
// several packets, and one packet may hold several messages (pipelined requests).
//
// Format: https://github.com/msgpack/msgpack/blob/master/spec.md. Only lengths are read: a
// container adds its element count (maps: twice the entry count) to the number of objects still
// to skip, so nesting needs no stack and any depth costs nothing.

export type ScanResult =
  /** The first object is complete and `length` bytes long. */
  | { kind: 'complete'; length: number }
  /** More bytes are needed; the object is at least `atLeast` bytes long. */
  | { kind: 'incomplete'; atLeast: number }
  /** The bytes are not MessagePack, or the object would exceed `maxBytes`. */
  | { kind: 'invalid'; reason: string };

/** Size of the length field and fixed payload of the non-fix formats, by first byte. */
function headerOf(
  b: number,
): { head: number; lenBytes: 0 | 1 | 2 | 4; kind: 'raw' | 'ext' | 'array' | 'map' | 'scalar' } | undefined {
  switch (b) {
    case 0xc0: // nil
    case 0xc2: // false
    case 0xc3: // true
      return { head: 1, lenBytes: 0, kind: 'scalar' };
    case 0xc4:
      return { head: 2, lenBytes: 1, kind: 'raw' }; // bin 8
    case 0xc5:
      return { head: 3, lenBytes: 2, kind: 'raw' }; // bin 16
    case 0xc6:
      return { head: 5, lenBytes: 4, kind: 'raw' }; // bin 32
    case 0xc7:
      return { head: 3, lenBytes: 1, kind: 'ext' }; // ext 8 (+type byte)
    case 0xc8:
      return { head: 4, lenBytes: 2, kind: 'ext' }; // ext 16
    case 0xc9:
      return { head: 6, lenBytes: 4, kind: 'ext' }; // ext 32
    case 0xca:
      return { head: 5, lenBytes: 0, kind: 'scalar' }; // float 32
    case 0xcb:
      return { head: 9, lenBytes: 0, kind: 'scalar' }; // float 64
    case 0xcc:
    case 0xd0:
      return { head: 2, lenBytes: 0, kind: 'scalar' }; // (u)int 8
    case 0xcd:
    case 0xd1:
      return { head: 3, lenBytes: 0, kind: 'scalar' }; // (u)int 16
    case 0xce:
    case 0xd2:
      return { head: 5, lenBytes: 0, kind: 'scalar' }; // (u)int 32
    case 0xcf:
    case 0xd3:
      return { head: 9, lenBytes: 0, kind: 'scalar' }; // (u)int 64
    case 0xd4:
      return { head: 3, lenBytes: 0, kind: 'scalar' }; // fixext 1
    case 0xd5:
      return { head: 4, lenBytes: 0, kind: 'scalar' }; // fixext 2
    case 0xd6:
      return { head: 6, lenBytes: 0, kind: 'scalar' }; // fixext 4
    case 0xd7:
      return { head: 10, lenBytes: 0, kind: 'scalar' }; // fixext 8
    case 0xd8:
      return { head: 18, lenBytes: 0, kind: 'scalar' }; // fixext 16
    case 0xd9:
      return { head: 2, lenBytes: 1, kind: 'raw' }; // str 8
    case 0xda:
      return { head: 3, lenBytes: 2, kind: 'raw' }; // str 16
    case 0xdb:
      return { head: 5, lenBytes: 4, kind: 'raw' }; // str 32
    case 0xdc:
      return { head: 3, lenBytes: 2, kind: 'array' }; // array 16
    case 0xdd:
      return { head: 5, lenBytes: 4, kind: 'array' }; // array 32
    case 0xde:
      return { head: 3, lenBytes: 2, kind: 'map' }; // map 16
    case 0xdf:
      return { head: 5, lenBytes: 4, kind: 'map' }; // map 32
    default:
      return undefined;
  }
}

function readLength(buf: Uint8Array, at: number, bytes: 1 | 2 | 4): number {
  if (bytes === 1) return buf[at];
  if (bytes === 2) return (buf[at] << 8) | buf[at + 1];
  return ((buf[at] << 24) >>> 0) + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
}

/** Scans the first MessagePack object of `buf[0..end)`; objects longer than `maxBytes` are invalid. */
export function scanFrame(buf: Uint8Array, end: number, maxBytes: number): ScanResult {
  let pos = 0;
  let pending = 1; // objects still to skip
  while (pending > 0) {
    // Every pending object takes at least one byte.
    if (pos + pending > maxBytes) return { kind: 'invalid', reason: `message larger than ${maxBytes} bytes` };
    if (pos >= end) return { kind: 'incomplete', atLeast: pos + pending };
    const b = buf[pos];
    pending--;
    if (b <= 0x7f || b >= 0xe0) {
      pos += 1; // positive / negative fixint
    } else if (b <= 0x8f) {
      pos += 1;
      pending += 2 * (b & 0x0f); // fixmap
    } else if (b <= 0x9f) {
      pos += 1;
      pending += b & 0x0f; // fixarray
    } else if (b <= 0xbf) {
      pos += 1 + (b & 0x1f); // fixstr
    } else {
      const h = headerOf(b);
      if (!h)
        return { kind: 'invalid', reason: `byte 0x${b.toString(16)} at offset ${pos} is not MessagePack` };
      if (h.lenBytes === 0) {
        pos += h.head;
      } else {
        const lenAt = pos + 1;
        if (lenAt + h.lenBytes > end) return { kind: 'incomplete', atLeast: lenAt + h.lenBytes };
        const n = readLength(buf, lenAt, h.lenBytes);
        if (h.kind === 'array') {
          pos += h.head;
          pending += n;
        } else if (h.kind === 'map') {
          pos += h.head;
          pending += 2 * n;
        } else {
          pos += h.head + n;
        }
      }
    }
  }
  if (pos > maxBytes) return { kind: 'invalid', reason: `message larger than ${maxBytes} bytes` };
  if (pos > end) return { kind: 'incomplete', atLeast: pos };
  return { kind: 'complete', length: pos };
}

// A check that bytes use only the MessagePack types of the old specification (before str 8, bin
// and ext, 2013), which msgpack-c 0.5.9 — the library under Jubatus's RPC — reads. It walks one
// whole object and throws on any byte that spec reserved (0xc1, 0xc4–0xc9, 0xd4–0xd9), naming
// the byte and its offset. Spec: https://github.com/msgpack/msgpack/blob/master/spec.md
// (section "Compatibility": old deserializers cannot read bin or str 8).

/** Bytes after the type byte of nil, booleans, floats and ints. */
const FIXED_SIZES = new Map([
  [0xc0, 0],
  [0xc2, 0],
  [0xc3, 0],
  [0xca, 4],
  [0xcb, 8],
  [0xcc, 1],
  [0xcd, 2],
  [0xce, 4],
  [0xcf, 8],
  [0xd0, 1],
  [0xd1, 2],
  [0xd2, 4],
  [0xd3, 8],
]);

export function assertOldMsgpack(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const items = (n: number): void => {
    for (let i = 0; i < n; i++) one();
  };
  const one = (): void => {
    if (pos >= bytes.length) throw new Error(`truncated at ${pos}`);
    const b = bytes[pos++];
    if (b <= 0x7f || b >= 0xe0) return; // fixints
    if (b <= 0x8f)
      items(2 * (b & 0x0f)); // fixmap
    else if (b <= 0x9f) items(b & 0x0f); // fixarray
    if (b <= 0x9f) return;
    if (b <= 0xbf) {
      pos += b & 0x1f; // fixraw
      return;
    }
    const fixed = FIXED_SIZES.get(b);
    if (fixed !== undefined) {
      pos += fixed;
      return;
    }
    switch (b) {
      case 0xda:
        pos += 2 + view.getUint16(pos);
        return;
      case 0xdb:
        pos += 4 + view.getUint32(pos);
        return;
      case 0xdc:
        pos += 2;
        items(view.getUint16(pos - 2));
        return;
      case 0xdd:
        pos += 4;
        items(view.getUint32(pos - 4));
        return;
      case 0xde:
        pos += 2;
        items(2 * view.getUint16(pos - 2));
        return;
      case 0xdf:
        pos += 4;
        items(2 * view.getUint32(pos - 4));
        return;
      default:
        throw new Error(
          `byte 0x${b.toString(16)} at offset ${pos - 1} is not in the old MessagePack spec (str 8, bin, ext or reserved)`,
        );
    }
  };
  one();
  if (pos !== bytes.length) throw new Error(`one object ends at ${pos}, the message at ${bytes.length}`);
}

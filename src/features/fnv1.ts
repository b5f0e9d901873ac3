// 64-bit FNV-1 over the UTF-8 bytes of a feature name, as Jubatus's `hash_max_size` uses it
// (jubatus-reference.md §1.7, §2.2 step 7): h = 14695981039346656037; per byte h = h·1099511628211
// then h ^= byte, where the byte is a *signed char* (bytes >= 0x80 are sign-extended to 64 bits).
const OFFSET = 14695981039346656037n;
const PRIME = 1099511628211n;
const MASK = (1n << 64n) - 1n;

export function fnv1(name: string): bigint {
  let h = OFFSET;
  for (const b of Buffer.from(name, 'utf8')) {
    h = (h * PRIME) & MASK;
    const signed = b >= 0x80 ? (BigInt(b) | 0xffffffffffffff00n) & MASK : BigInt(b);
    h ^= signed;
  }
  return h;
}

/** The hashed feature name: the decimal string of FNV1(name) mod hashMaxSize. */
export function hashedName(name: string, hashMaxSize: number): string {
  return (fnv1(name) % BigInt(hashMaxSize)).toString();
}

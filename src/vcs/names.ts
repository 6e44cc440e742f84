/**
 * File names as the server and git give them: bytes, not always UTF-8 (a Latin-1 name made by hand, or committed long
 * ago). A name travels through this program as a string and must come back to the server byte for byte, so bytes
 * that are not UTF-8 are kept as lone surrogates U+DC80..U+DCFF (Python's "surrogateescape"): `decodeName` and
 * `encodeName` are exact inverses. A valid UTF-8 name is the plain string it reads as.
 */

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there does not start one. */
function sequence(b: Buffer, i: number): number {
  const c = b[i]
  if (c < 0x80) return 1
  const cont = (k: number) => i + k < b.length && (b[i + k] & 0xc0) === 0x80
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0
    const c1 = b[i + 1]
    if (c === 0xe0 && c1 < 0xa0) return 0 // overlong
    if (c === 0xed && c1 >= 0xa0) return 0 // a surrogate
    return 3
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0
    const c1 = b[i + 1]
    if (c === 0xf0 && c1 < 0x90) return 0
    if (c === 0xf4 && c1 >= 0x90) return 0
    return 4
  }
  return 0
}

/** Bytes to a string: UTF-8 where valid, each other byte as U+DC00 + byte. */
export function decodeName(b: Buffer): string {
  let out = ''
  let start = 0
  let i = 0
  while (i < b.length) {
    const n = sequence(b, i)
    if (n > 0) {
      i += n
      continue
    }
    out += b.subarray(start, i).toString('utf8') + String.fromCharCode(0xdc00 + b[i])
    i++
    start = i
  }
  return out + b.subarray(start).toString('utf8')
}

/** A string to the bytes it came from (the inverse of decodeName). */
export function encodeName(s: string): Buffer {
  if (!/[\udc80-\udcff]/.test(s)) return Buffer.from(s, 'utf8')
  const parts: Buffer[] = []
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // A lone low surrogate (not preceded by a high one) in U+DC80..U+DCFF stands for one byte.
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) {
      parts.push(Buffer.from(s.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]))
      start = i + 1
    }
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'))
  return Buffer.concat(parts)
}

/** Whether a name is valid UTF-8 (it holds no escaped byte). */
export function isUtf8Name(s: string): boolean {
  return !/[\udc80-\udcff]/.test(s)
}

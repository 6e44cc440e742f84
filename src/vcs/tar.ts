/**
 * A minimal POSIX tar writer (ustar headers, pax extended headers for long or non-ASCII names), enough to send
 * regular files and symbolic links to GNU tar on a server. Written here rather than taken from a package: it is ~80
 * lines, and the push method needs nothing else of a tar library.
 */

export interface TarEntry {
  path: string
  /** Regular file content, or absent for a symbolic link. */
  content?: Buffer
  /** Target of a symbolic link. */
  link?: string
  /** Permission bits (0o644, 0o755; links get 0o777). */
  mode: number
  /** Seconds since the epoch. */
  mtime: number
}

import { encodeName, isUtf8Name } from './names.js'

const BLOCK = 512

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`
}

function header(name: string, type: string, size: number, mode: number, mtime: number, link = ''): Buffer {
  const h = Buffer.alloc(BLOCK)
  h.write(name, 0, 100, 'utf8')
  h.write(octal(mode, 8), 100, 'ascii')
  h.write(octal(0, 8), 108, 'ascii')
  h.write(octal(0, 8), 116, 'ascii')
  h.write(octal(size, 12), 124, 'ascii')
  h.write(octal(mtime, 12), 136, 'ascii')
  h.write('        ', 148, 'ascii')
  h.write(type, 156, 'ascii')
  h.write(link, 157, 100, 'utf8')
  h.write('ustar\0', 257, 'ascii')
  h.write('00', 263, 'ascii')
  let sum = 0
  for (const b of h) sum += b
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii')
  return h
}

function pad(size: number): Buffer {
  const rest = size % BLOCK
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest)
}

/** A pax record `LEN key=value\n`, LEN counting the whole record in bytes; the value's bytes as the name had them. */
function paxRecord(key: string, value: string): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), encodeName(value), Buffer.from('\n')])
  let len = body.length + 1
  while (String(len).length + body.length !== len) len = String(len).length + body.length
  return Buffer.concat([Buffer.from(String(len)), body])
}

const plain = (s: string) => /^[\x20-\x7e]*$/.test(s) && Buffer.byteLength(s) < 100

/** The bytes of one entry (headers, content, padding). */
export function tarEntry(e: TarEntry): Buffer[] {
  const parts: Buffer[] = []
  const link = e.link ?? ''
  if (!plain(e.path) || !plain(link)) {
    const records = [paxRecord('path', e.path)]
    if (e.link !== undefined && !plain(link)) records.push(paxRecord('linkpath', link))
    // A name that is not UTF-8 is sent as its bytes: hdrcharset=BINARY tells tar not to convert it.
    if (!isUtf8Name(e.path) || !isUtf8Name(link)) records.unshift(paxRecord('hdrcharset', 'BINARY'))
    const body = Buffer.concat(records)
    parts.push(header('PaxHeader', 'x', body.length, 0o644, e.mtime), body, pad(body.length))
  }
  const name = plain(e.path) ? e.path : 'long-name'
  if (e.link !== undefined) {
    parts.push(header(name, '2', 0, 0o777, e.mtime, plain(link) ? link : 'long-link'))
  } else {
    const content = e.content ?? Buffer.alloc(0)
    parts.push(header(name, '0', content.length, e.mode, e.mtime), content, pad(content.length))
  }
  return parts
}

/** The end of an archive: two zero blocks. */
export function tarEnd(): Buffer {
  return Buffer.alloc(BLOCK * 2)
}

/**
 * Names at the edges: bytes that are not UTF-8 survive the trip through this program exactly (names.ts), the driver's
 * NUL-separated svn status keeps a name holding a newline whole, and paths longer than the system allows are refused
 * as input errors (255 bytes a name, 4095 a path).
 */
import { InputError } from '../../src/errors.js'
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseAbsolutePath, parseRelativePath, parseRelativePaths } from '../../src/validate.js'
import { decodeName, encodeName, isUtf8Name } from '../../src/vcs/names.js'
import { parseSvnStatusZ } from '../../src/vcs/svn-output.js'

describe('names that are not UTF-8', () => {
  it('decode and encode are exact inverses on any bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(1 + (i % 40))
      expect(encodeName(decodeName(bytes)).equals(bytes)).toBe(true)
    }
    const mixed = Buffer.concat([Buffer.from('café/'), Buffer.from([0xe9, 0xff, 0xed, 0xa0, 0x80, 0xc0, 0xaf]), Buffer.from('-😀.php')])
    expect(encodeName(decodeName(mixed)).equals(mixed)).toBe(true)
    expect(isUtf8Name(decodeName(mixed))).toBe(false)
  })

  it('a valid UTF-8 name is the plain string it reads as', () => {
    for (const s of ['café menu.php', 'a\nb', '-delete', '😀/x', '$(touch x)']) {
      expect(decodeName(Buffer.from(s))).toBe(s)
      expect(encodeName(s).equals(Buffer.from(s))).toBe(true)
      expect(isUtf8Name(s)).toBe(true)
    }
  })
})

describe('svn status records', () => {
  it('a name holding a newline and what looks like another entry stays one entry', () => {
    const z = ['?  ', 'mod/forum/x\n?       lib', 'M  ', 'index.php', '?  ', '-delete', ' MC', 'a b.php', '']
    const r = parseSvnStatusZ(z.join('\0'), ['-delete/f.php'])
    expect(r.files).toEqual([
      { path: 'mod/forum/x\n?       lib', status: 'untracked' },
      { path: 'index.php', status: 'modified' },
      { path: '-delete/f.php', status: 'untracked' },
      { path: 'a b.php', status: 'modified' },
    ])
    expect(r.conflicts).toEqual(['a b.php'])
  })
})

describe('paths longer than the system allows', () => {
  const err = (f: () => unknown) => {
    try {
      f()
    } catch (e) {
      return e as InputError
    }
    throw new Error('not refused')
  }

  it('a component of 256 bytes, or a path of 4096, is refused with the limit named; 255 and 4095 pass', () => {
    expect(parseRelativePath('paths', `mod/${'a'.repeat(255)}`)).toHaveLength(259)
    const long = err(() => parseRelativePath('paths', `mod/${'a'.repeat(256)}`))
    expect(long.input).toBe('paths')
    expect(long.message).toMatch(/component of 256 bytes \(a name has at most 255\)/)
    const parts = Array.from({ length: 17 }, () => 'b'.repeat(240)).join('/')
    expect(err(() => parseRelativePaths('paths', parts)).message).toMatch(/Input 'paths'.*4096 bytes long \(a path has at most 4095\)/)
    const atLimit = `${'c'.repeat(255)}/`.repeat(16).slice(0, 4095).replace(/\/$/, 'c')
    expect(Buffer.byteLength(atLimit)).toBe(4095)
    expect(parseRelativePath('keep', atLimit)).toBe(atLimit)
    expect(err(() => parseRelativePath('keep', `${atLimit}/d`)).message).toMatch(/Input 'keep'.*4097 bytes long \(a path has at most 4095\)/)
    expect(err(() => parseAbsolutePath('path', `/srv/${'m'.repeat(256)}`)).message).toMatch(/Input 'path'.*a name has at most 255/)
    expect(err(() => parseAbsolutePath('path', `/srv${'/m'.repeat(2100)}`)).message).toMatch(/Input 'path'.*a path has at most 4095/)
  })
})

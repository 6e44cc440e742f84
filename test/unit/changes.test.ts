/**
 * Parsing of git's NUL-separated change lists, including names with spaces, quotes, newlines and non-ASCII letters.
 */
import { describe, expect, it } from 'vitest'
import { inPaths, isKept, parseIgnoredZ, parseNameStatusZ, parsePorcelainZ } from '../../src/vcs/changes.js'

describe('git change lists', () => {
  it('parses name-status with renames and odd names', () => {
    const out = ['A', 'mod/forum/new file.php', 'M', 'lang/fr/é.php', 'D', 'lib/"quoted".php', 'R097', 'theme/a.php', 'theme/b.php', 'T', 'lib/link', 'C100', 'x.php', 'y.php', ''].join('\0')
    expect(parseNameStatusZ(out)).toEqual({
      added: ['mod/forum/new file.php', 'y.php'],
      modified: ['lang/fr/é.php', 'lib/link'],
      deleted: ['lib/"quoted".php'],
      renamed: [{ from: 'theme/a.php', to: 'theme/b.php' }],
    })
    expect(parseNameStatusZ('')).toEqual({ added: [], modified: [], deleted: [], renamed: [] })
  })

  it('parses porcelain status into drift entries', () => {
    const out = [' M index.php', '?? local/new\nline.php', ' D lib/old.php', 'A  staged.php', ' T lib/link', ''].join('\0')
    expect(parsePorcelainZ(out)).toEqual([
      { path: 'index.php', status: 'modified' },
      { path: 'local/new\nline.php', status: 'untracked' },
      { path: 'lib/old.php', status: 'deleted' },
      { path: 'staged.php', status: 'added' },
      { path: 'lib/link', status: 'type-changed' },
    ])
  })

  it('keeps ignored files out of the drift and lists them apart, a folder without its slash', () => {
    const out = [' M index.php', '!! cache/', '!! d2.log', '?? new.php', '!! mod/x/!! odd\nname.log', '!! ', ''].join('\0')
    expect(parsePorcelainZ(out)).toEqual([
      { path: 'index.php', status: 'modified' },
      { path: 'new.php', status: 'untracked' },
    ])
    expect(parseIgnoredZ(out)).toEqual(['cache', 'd2.log', 'mod/x/!! odd\nname.log'])
  })

  it('keep and paths match whole path segments only', () => {
    expect(isKept('config.php', ['config.php'])).toBe(true)
    expect(isKept('config.php.bak', ['config.php'])).toBe(false)
    expect(isKept('local/x/y.php', ['local/x'])).toBe(true)
    expect(isKept('local/xy.php', ['local/x'])).toBe(false)
    expect(inPaths('anything', [])).toBe(true)
  })
})

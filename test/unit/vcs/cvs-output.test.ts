/**
 * The cvs output parsers, on output as cvs 1.12 prints it (quoted names, merge messages, deletions on the error
 * stream), and the pserver password scrambling.
 */
import { describe, expect, it } from 'vitest'
import { cvsPassLine, parseCvsDrift, parseCvsUpdate, parseRevisions, scramble } from '../../../src/vcs/cvs-output.js'

describe('parseCvsUpdate', () => {
  const stdout = [
    'U mod/forum/new file.php',
    'P index.php',
    'U lost.php',
    'RCS file: /cvs/moodle/d/e/x.txt,v',
    'retrieving revision 1.1',
    'retrieving revision 1.2',
    'Merging differences between 1.1 and 1.2 into x.txt',
    'M d/e/x.txt',
    'M only-local.php',
    '? café ü.txt',
  ].join('\n')
  const stderr = ["cvs update: `lib/old.php' is no longer in the repository", "cvs update: warning: `gone too.php' is not (any longer) pertinent", "cvs update: warning: `lost.php' was lost"].join('\n')
  const before = new Map([
    ['index.php', '1.1'],
    ['lost.php', '1.3'],
    ['d/e/x.txt', '1.1'],
    ['only-local.php', '1.4'],
  ])
  const after = new Map([
    ['mod/forum/new file.php', '1.1'],
    ['index.php', '1.2'],
    ['lost.php', '1.3'],
    ['d/e/x.txt', '1.2'],
    ['only-local.php', '1.4'],
  ])

  it('counts a file as changed only when its revision moved; a restored or hand-changed one is not', () => {
    const r = parseCvsUpdate(stdout, stderr, before, after)
    expect(r.conflicts).toEqual([])
    expect(r.changes.added).toEqual(['mod/forum/new file.php'])
    expect(r.changes.modified).toEqual(['index.php', 'd/e/x.txt'])
    expect(r.changes.deleted).toEqual(['lib/old.php', 'gone too.php'])
  })

  it('in a dry run, counts every U and P', () => {
    const r = parseCvsUpdate(stdout, stderr, before)
    expect(r.changes.added).toEqual(['mod/forum/new file.php'])
    expect(r.changes.modified).toEqual(['index.php', 'lost.php'])
  })

  it('names conflicts from both streams', () => {
    const r = parseCvsUpdate(
      'C lib/setup.php\nC in way.txt\n',
      "rcsmerge: warning: conflicts during merge\ncvs update: conflicts found in lib/setup.php\ncvs update: conflict: `removed.php' is modified but no longer in the repository\ncvs update: move away `in way.txt'; it is in the way\n",
      new Map(),
      new Map(),
    )
    expect(r.conflicts).toEqual(['lib/setup.php', 'in way.txt', 'removed.php'])
  })
})

describe('parseCvsDrift', () => {
  it('reads cvs -nq update: hand changes, conflicts, unknown files (directories file by file), lost files', () => {
    const files = parseCvsDrift(
      'M README.txt\nC lib/setup.php\n? local\n? index.php.orig\nU index.php\nU moved-on.php\nA added.php\nR removed.php\n',
      "cvs update: warning: `index.php' was lost\n",
      ['local/plugin/a.php', 'local/b c.php'],
    )
    expect(files).toEqual([
      { path: 'README.txt', status: 'modified' },
      { path: 'lib/setup.php', status: 'modified' },
      { path: 'local/plugin/a.php', status: 'untracked' },
      { path: 'local/b c.php', status: 'untracked' },
      { path: 'index.php.orig', status: 'untracked' },
      { path: 'index.php', status: 'deleted' },
      { path: 'added.php', status: 'added' },
      { path: 'removed.php', status: 'deleted' },
    ])
  })
})

describe('parseRevisions', () => {
  it('reads NUL-separated path and revision pairs, odd names included', () => {
    expect(parseRevisions('a b.php\x001.2\x00café.php\x00\x00')).toEqual(
      new Map([
        ['a b.php', '1.2'],
        ['café.php', ''],
      ]),
    )
  })
})

describe('the pserver passfile', () => {
  it('scrambles as CVS does (scramble.c), and is its own inverse table', () => {
    // "A" then the substituted bytes; 'a' -> 'y', 'b' -> 'u', 'c' -> 'h' in CVS's table.
    expect(scramble('abc').toString('latin1')).toBe('Ayuh')
    expect(scramble('').toString()).toBe('A')
  })

  it('writes the line cvs looks up, with the default port', () => {
    expect(cvsPassLine(':pserver:anon@cvs.example.org:/cvsroot', 'abc')?.toString('latin1')).toBe('/1 :pserver:anon@cvs.example.org:2401/cvsroot Ayuh\n')
    expect(cvsPassLine(':pserver:u@127.0.0.1:3333/srv/cvs', 'abc')?.toString('latin1')).toBe('/1 :pserver:u@127.0.0.1:3333/srv/cvs Ayuh\n')
    expect(cvsPassLine('/var/lib/cvs', 'x')).toBeNull()
    expect(cvsPassLine(':pserver:host:/cvs', 'x')).toBeNull()
  })
})

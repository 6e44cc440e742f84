/**
 * The svn output parsers, on output svn itself prints (a file:// repository made here, with names holding spaces,
 * unicode and `@`), and on the lines of conflicts and summaries.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../helpers/proc.js'
import { parseSvnStatus, parseSvnSummarize, parseSvnUpdate } from '../../../src/vcs/svn-output.js'

let dir: string
const env = { ...process.env, LC_ALL: 'C.UTF-8' }
const sh = async (script: string, cwd = dir) => (await run('bash', ['-c', `set -e\n${script}`], { cwd, env, check: true })).stdout

beforeAll(async () => {
  dir = await mkdtemp('/tmp/dlv-svnparse-')
  await sh('svnadmin create repo && svn -q checkout "file://$PWD/repo" wc')
  await mkdir(`${dir}/wc/d/sub`, { recursive: true })
  await writeFile(`${dir}/wc/d/sub/a.txt`, 'a\n')
  await writeFile(`${dir}/wc/d/b c.txt`, 'b\n')
  await writeFile(`${dir}/wc/café ü.txt`, 'c\n')
  await writeFile(`${dir}/wc/icon@2x.png`, 'i\n')
  await sh('svn -q add --force . && svn -q commit -m 1', `${dir}/wc`)
  await sh(`echo 2 >> 'café ü.txt' && echo x > new.txt && svn -q add new.txt && svn -q rm d && svn -q commit -m 2`, `${dir}/wc`)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('parseSvnUpdate', () => {
  it('lists the files of externals as svn prints them, from the tree root; a removed external is all of its files', () => {
    const fetched = [
      "Updating '.':",
      ' U   mod',
      '',
      "Fetching external item into 'mod/attendance':",
      'U    mod/attendance/lib.php',
      'A    mod/attendance/new.php',
      'Updated external to revision 3.',
      '',
      'At revision 3.',
    ].join('\n')
    const r = parseSvnUpdate(fetched, new Set(['mod']), [])
    expect(r.changes).toEqual({ added: ['mod/attendance/new.php'], modified: ['mod/attendance/lib.php'], deleted: [], renamed: [] })
    const removed = ["Updating '.':", ' U   mod', "Removed external 'mod/attendance'", 'Updated to revision 4.'].join('\n')
    const gone = ['mod/attendance/lib.php', 'mod/attendance/new.php', 'mod/attendancex/keep.php']
    expect(parseSvnUpdate(removed, new Set(['mod']), gone).changes.deleted).toEqual(['mod/attendance/lib.php', 'mod/attendance/new.php'])
  })
  it('reads a real update: a deleted directory file by file from the files gone, odd names exactly', async () => {
    await sh('svn -q checkout -r 1 "file://$PWD/repo" t')
    const gone = ['d/sub/a.txt', 'd/b c.txt']
    const out = await sh('svn update -r 2', `${dir}/t`)
    expect(out).toContain('D    d')
    const r = parseSvnUpdate(out, new Set(), gone)
    expect(r.conflicts).toEqual([])
    expect(r.changes.deleted.sort()).toEqual(['d/b c.txt', 'd/sub/a.txt'])
    expect(r.changes.modified).toEqual(['café ü.txt'])
    expect(r.changes.added).toEqual(['new.txt'])
    const back = parseSvnUpdate(await sh('svn update -r 1', `${dir}/t`), new Set(['d', 'd/sub']), [])
    expect(back.changes.added.sort()).toEqual(['d/b c.txt', 'd/sub/a.txt'])
    expect(back.changes.deleted).toEqual(['new.txt'])
    expect(back.changes.modified).toEqual(['café ü.txt'])
  })

  it('names text, property and tree conflicts, and paths skipped because they remain in conflict', () => {
    const out = [
      "Updating '.':",
      'C    lib/setup.php',
      ' C   admin/settings.php',
      '   C obst.txt',
      'G    merged.php',
      ' U   .',
      ' U   exec.sh',
      "Skipped 'mod/forum' -- Node remains in conflict",
      'Updated to revision 7.',
      'Summary of conflicts:',
      '  Text conflicts: 1',
      '  Tree conflicts: 1',
    ].join('\n')
    const r = parseSvnUpdate(out, new Set(), [])
    expect(r.conflicts).toEqual(['lib/setup.php', 'admin/settings.php', 'obst.txt', 'mod/forum'])
    expect(r.changes.modified).toEqual(['merged.php', 'exec.sh'])
  })
})

describe('parseSvnStatus', () => {
  it('reads real status output: modified, missing, unversioned (a directory file by file), odd names', async () => {
    await sh("svn -q update -r 2 && echo m >> 'café ü.txt' && rm new.txt && mkdir -p 'plug in/x' && echo y > 'plug in/x/f@1.php' && echo z > 'loose file.txt'", `${dir}/t`)
    const out = await sh('svn status', `${dir}/t`)
    const r = parseSvnStatus(out, ['plug in/x/f@1.php'])
    expect(r.files).toEqual(
      expect.arrayContaining([
        { path: 'café ü.txt', status: 'modified' },
        { path: 'new.txt', status: 'deleted' },
        { path: 'plug in/x/f@1.php', status: 'untracked' },
        { path: 'loose file.txt', status: 'untracked' },
      ]),
    )
    expect(r.files).toHaveLength(4)
    expect(r.conflicts).toEqual([])
  })

  it('reads conflicts and ignores tree-conflict detail lines and summaries', () => {
    const out = ['C       m.txt', '?       m.txt.mine', 'D     C obst.txt', '      >   local file unversioned, incoming file add upon update', 'Summary of conflicts:', '  Text conflicts: 1', ' M      .'].join('\n')
    const r = parseSvnStatus(out)
    expect(r.conflicts).toEqual(['m.txt', 'obst.txt'])
    expect(r.files).toEqual([
      { path: 'm.txt', status: 'modified' },
      { path: 'm.txt.mine', status: 'untracked' },
      { path: 'obst.txt', status: 'deleted' },
    ])
  })
})

describe('parseSvnSummarize', () => {
  it('reads a real summary between revisions of a URL, decoding names and leaving directories out', async () => {
    const root = `file://${dir}/repo`
    const out = await sh(`svn diff --summarize -r 1:2 "${root}@2"`)
    const c = parseSvnSummarize(out, root)
    expect(c.modified).toEqual(['café ü.txt'])
    expect(c.added).toEqual(['new.txt'])
    expect(c.deleted.sort()).toEqual(['d/b c.txt', 'd/sub/a.txt'])
  })
})

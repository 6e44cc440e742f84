/**
 * Push manifests: their text form (odd names survive), the change list between two (renames by identical content),
 * drift against a scan, and the scan parser on what find and sha1sum really print.
 */
import { mkdtemp, mkdir, rm, symlink, writeFile, chmod } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { run } from '../../helpers/proc.js'
import { compareManifests, type FileState, manifestDrift, parseManifest, parseScan, serializeManifest, sha1 } from '../../../src/vcs/manifest.js'

const st = (content: string, mode = '644'): FileState => ({ sha1: sha1(Buffer.from(content)), mode })

describe('manifest text', () => {
  it('round-trips names with spaces, unicode, backslashes and newlines, and the adopted flag', () => {
    const files = new Map<string, FileState>([
      ['a b/c d.php', st('1')],
      ['café/ü.php', st('2', '755')],
      ['back\\slash.txt', st('3')],
      ['new\nline.txt', st('4')],
      ['link', st('target', '120000')],
    ])
    const text = serializeManifest({ revision: 'abc123', adopted: true, files })
    expect(text.split('\n')[0]).toBe('# delivery manifest 1 revision=abc123 adopted')
    expect(text).toContain(`\\${sha1(Buffer.from('4'))} 644 new\\nline.txt`)
    const back = parseManifest(text)
    expect(back.revision).toBe('abc123')
    expect(back.adopted).toBe(true)
    expect(back.files).toEqual(files)
  })

  it('refuses a damaged line', () => {
    expect(() => parseManifest('# delivery manifest 1 revision=x\nnot a line\n')).toThrow(/damaged manifest line/)
  })
})

describe('compareManifests', () => {
  const before = new Map([
    ['keep.php', st('k')],
    ['mod.php', st('m1')],
    ['mode.sh', st('s')],
    ['old/name.php', st('moved')],
    ['gone.php', st('g')],
    ['mod/forum/x.php', st('x')],
  ])
  const after = new Map([
    ['keep.php', st('k')],
    ['mod.php', st('m2')],
    ['mode.sh', st('s', '755')],
    ['new/name.php', st('moved')],
    ['fresh.php', st('f')],
    ['mod/forum/x.php', st('x2')],
  ])

  it('lists added, modified (content or mode), deleted, and renames of identical content', () => {
    expect(compareManifests(before, after)).toEqual({
      added: ['fresh.php'],
      modified: ['mod.php', 'mod/forum/x.php', 'mode.sh'],
      deleted: ['gone.php'],
      renamed: [{ from: 'old/name.php', to: 'new/name.php' }],
    })
  })

  it('keeps to the paths given, and deletes nothing for an adopted tree', () => {
    expect(compareManifests(before, after, ['mod/forum'])).toEqual({ added: [], modified: ['mod/forum/x.php'], deleted: [], renamed: [] })
    expect(compareManifests(before, after, [], true).deleted).toEqual([])
  })
})

describe('manifestDrift and parseScan', () => {
  it('finds modified, mode-changed, deleted, untracked and type-changed files in a real tree', async () => {
    const dir = await mkdtemp('/tmp/dlv-scan-')
    try {
      await mkdir(`${dir}/t/sp ace`, { recursive: true })
      await writeFile(`${dir}/t/sp ace/a b.php`, 'same\n')
      await writeFile(`${dir}/t/café.php`, 'changed\n')
      await writeFile(`${dir}/t/run.sh`, 'x\n')
      await chmod(`${dir}/t/run.sh`, 0o755)
      await writeFile(`${dir}/t/back\\slash.txt`, 'bs\n')
      await writeFile(`${dir}/t/untracked.txt`, 'u\n')
      await symlink('café.php', `${dir}/t/link.php`)
      await writeFile(`${dir}/t/was-link.php`, 'now a file\n')
      const list = (await run('bash', ['-c', "cd t && find . -type f -printf 'f\\0%m\\0%p\\0' -o -type l -printf 'l\\0%l\\0%p\\0'"], { cwd: dir, check: true })).stdout
      const sums = (await run('bash', ['-c', 'cd t && find . -type f -print0 | xargs -0 sha1sum --'], { cwd: dir, check: true })).stdout
      expect(sums).toContain('\\') // sha1sum escapes the backslash name
      const actual = parseScan(list, sums)
      expect(actual.get('sp ace/a b.php')).toEqual(st('same\n'))
      expect(actual.get('back\\slash.txt')).toEqual(st('bs\n'))
      expect(actual.get('run.sh')).toEqual(st('x\n', '755'))
      expect(actual.get('link.php')).toEqual(st('café.php', '120000'))
      const expected = new Map([
        ['sp ace/a b.php', st('same\n')],
        ['café.php', st('original\n')],
        ['run.sh', st('x\n')],
        ['back\\slash.txt', st('bs\n')],
        ['link.php', st('café.php', '120000')],
        ['was-link.php', st('target', '120000')],
        ['deleted.php', st('d')],
      ])
      expect(manifestDrift(expected, actual)).toEqual([
        { path: 'café.php', status: 'modified' },
        { path: 'deleted.php', status: 'deleted' },
        { path: 'run.sh', status: 'modified' },
        { path: 'untracked.txt', status: 'untracked' },
        { path: 'was-link.php', status: 'type-changed' },
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('submodules in a manifest', () => {
  it('are kept through serialize and parse, hostile paths included', () => {
    const submodules = new Map([
      ['mod/attendance', { commit: 'a'.repeat(40), url: 'https://***@git.example.org/attendance.git' }],
      ['mod/x\ty\nz\\t', { commit: 'b'.repeat(40), url: '../x.git' }],
    ])
    const m = { revision: 'c'.repeat(40), adopted: false, files: new Map([['index.php', { sha1: 'd'.repeat(40), mode: '644' }]]), submodules }
    const back = parseManifest(serializeManifest(m))
    expect(back.submodules).toEqual(submodules)
    expect(back.files).toEqual(m.files)
    expect(back.revision).toBe(m.revision)
  })
})

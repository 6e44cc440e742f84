/**
 * The submodule list kept per commit in the object store (`sub_list`, `.delivery/repo.git/delivery-sublist/COMMIT`):
 * the kept list is what listing the commit's tree gives; a disk that fills while it is written leaves no list cut
 * short (a later delivery would read it and leave a submodule out); a commit the store lacks is never kept as having
 * none. Real git and bash, a real tmpfs for the full disk (the tests run as root, as trees.test.ts's full disk does).
 * The list of a new commit is derived from a kept one and what differs between the two commits: a seeded property
 * test compares every derived list with the listing of the whole tree, over random histories whose gitlinks are
 * added, removed, bumped, moved, and turned into files or folders and back, under hostile names.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SUBMODULES } from '../../src/vcs/submodules.js'
import { prng } from '../helpers/prng.js'
import { run } from '../helpers/proc.js'

let dir: string
let gd: string
let commit: string
const SUB = '1234567890abcdef1234567890abcdef12345678'
const want = `lib/x y\0${SUB}\0\0\0mod/att\0${SUB}\0att\0https://example.org/att.git\0`

const git = async (...args: string[]) => (await run('git', args, { cwd: `${dir}/w`, check: true })).stdout.trim()
/** sub_list GD COMMIT through bash, as the server scripts run it. */
const subList = async (c: string) => {
  const r = await run('bash', ['-c', `set -euo pipefail\n${SUBMODULES}sub_list "$1" "$2"`, 'sub_list', gd, c])
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}
const memoDir = () => `${gd}/delivery-sublist`

beforeAll(async () => {
  dir = await mkdtemp('/tmp/dlv-sublist-')
  await run('git', ['init', '-q', `${dir}/w`], { check: true })
  await git('config', 'user.email', 't@example.org')
  await git('config', 'user.name', 't')
  await writeFile(`${dir}/w/.gitmodules`, '[submodule "att"]\n\tpath = mod/att\n\turl = https://example.org/att.git\n')
  await git('add', '.gitmodules')
  // Two gitlinks: one named in .gitmodules, one not (a path with a space).
  await git('update-index', '--add', '--cacheinfo', `160000,${SUB},mod/att`)
  await git('update-index', '--add', '--cacheinfo', `160000,${SUB},lib/x y`)
  await git('commit', '-q', '-m', 'subs')
  commit = await git('rev-parse', 'HEAD')
  gd = `${dir}/w/.git`
})

afterAll(async () => {
  await run('umount', ['-l', memoDir()])
  await rm(dir, { recursive: true, force: true })
})

describe('the submodule list kept per commit', () => {
  it('keeps no list cut short when the disk fills while it is written, and lists the commit all the same', async () => {
    // A disk with room for the tree listing sub_list writes first, and none for the list itself.
    await run('mkdir', ['-p', memoDir()], { check: true })
    await run('mount', ['-t', 'tmpfs', '-o', 'size=8k', 'tmpfs', memoDir()], { check: true })
    await run('bash', ['-c', `dd if=/dev/zero of="$1/fill" bs=4096 count=1 status=none`, 'fill', memoDir()], { check: true })
    expect(await subList(commit)).toBe(want)
    expect(await readdir(memoDir())).toEqual(['fill'])
    await run('umount', ['-l', memoDir()], { check: true })
  })

  it('keeps the list of a commit the store holds, and reads it back the same', async () => {
    expect(await subList(commit)).toBe(want)
    expect(await readFile(`${memoDir()}/${commit}`, 'utf8')).toBe(want)
    expect(await subList(commit)).toBe(want)
  })

  it('keeps nothing for a commit the store lacks, nor for a name that is not a commit id', async () => {
    const missing = 'f'.repeat(40)
    expect(await subList(missing)).toBe('')
    expect(await subList('HEAD')).toBe(want)
    expect((await readdir(memoDir())).sort()).toEqual([commit])
  })
})

/** Names of path components, hostile ones included. */
const PARTS = ['mod', 'att', 'x y', 'a', 'a-b', 'a.b', 'ab', 'a0', 'tab\tname', 'new\nline', 'quo"te', 'back\\slash',
  'ünï', '-dash', 'br]ack[et', '*', '$(touch pwned)', "it's", 'd', `:000000 160000 ${'1'.repeat(40)} ${'2'.repeat(40)} A`]

describe('the list of a new commit, derived from a kept one', () => {
  it('is what listing the whole tree gives, over random histories (the derivation taken where it can be)', async () => {
    const seed = process.env.DLV_SEED ? Number(process.env.DLV_SEED) : Math.floor(Math.random() * 2 ** 31)
    const rnd = prng(seed)
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]
    const hex = () => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('')
    const root = await mkdtemp('/tmp/dlv-sublist-prop-')
    const store = `${root}/store.git`
    const trace = `${root}/trace`
    const bash = (script: string, ...args: string[]) =>
      run('bash', ['-c', `set -euo pipefail\n${SUBMODULES}${script}`, 'prop', ...args], { cwd: root, env: { ...process.env, GIT_TRACE: trace } })
    const g = async (args: string[], input?: string) => {
      const r = await run('git', ['--git-dir', store, ...args], { input, env: { ...process.env, GIT_INDEX_FILE: `${root}/index` }, check: true })
      return r.stdout.trim()
    }
    try {
      await run('git', ['init', '-q', '--bare', store], { check: true })
      const blobs = [await g(['hash-object', '-w', '--stdin'], 'one\n'), await g(['hash-object', '-w', '--stdin'], 'two\n')]
      /** The tree as path -> [mode, sha]; no path is both a file and a folder. */
      let tree = new Map<string, [string, string]>([['README', ['100644', blobs[0]]], ['d/x', ['100644', blobs[1]]]])
      const put = (path: string, mode: string, sha: string) => {
        for (const k of [...tree.keys()]) if (k.startsWith(`${path}/`) || path.startsWith(`${k}/`)) tree.delete(k)
        tree.set(path, [mode, sha])
      }
      const links = () => [...tree.keys()].filter((k) => tree.get(k)![0] === '160000')
      const randomPath = () => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(PARTS)).join('/')
      const commits: string[] = []
      /** Each commit's tree, for the branches made from it. */
      const treeOf = new Map<string, Map<string, [string, string]>>()
      let derived = 0
      for (let i = 0; i < 60; i++) {
        // From a random earlier commit now and then (a branch), else from the last one; a root commit once in a while.
        const from = commits.length === 0 || rnd() < 0.1 ? undefined : rnd() < 0.2 ? pick(commits) : commits[commits.length - 1]
        if (from && from !== commits[commits.length - 1]) tree = new Map(treeOf.get(from)!)
        for (let n = 1 + Math.floor(rnd() * 4); n > 0; n--) {
          const ls = links()
          const r = rnd()
          if (r < 0.25 || ls.length === 0) put(randomPath(), '160000', hex())
          else if (r < 0.4) tree.delete(pick(ls))
          else if (r < 0.55) tree.set(pick(ls), ['160000', hex()])
          else if (r < 0.65) { const p = pick(ls); const v = tree.get(p)!; tree.delete(p); put(randomPath(), v[0], v[1]) }
          else if (r < 0.75) put(pick(ls), '100644', pick(blobs))
          else if (r < 0.85) put(`${pick(ls)}/${pick(PARTS)}`, '100755', pick(blobs))
          else if (r < 0.92) { const files = [...tree.keys()].filter((k) => tree.get(k)![0] !== '160000'); put(pick(files), '160000', hex()) }
          else put(randomPath(), '100644', pick(blobs))
        }
        // A .gitmodules naming some of the gitlinks (names and URLs come from it, and change with it).
        const esc = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`
        const named = links().filter(() => rnd() < 0.6)
        if (named.length) {
          const text = named.map((p, k) => `[submodule "s${k}"]\n\tpath = ${esc(p)}\n\turl = https://example.org/${i}/${k}.git\n`).join('')
          put('.gitmodules', '100644', await g(['hash-object', '-w', '--stdin'], text))
        } else tree.delete('.gitmodules')
        await rm(`${root}/index`, { force: true })
        const info = [...tree].map(([p, [m, sha]]) => `${m} ${sha}\t${p}\0`).join('')
        await g(['update-index', '-z', '--index-info'], info)
        const t = await g(['write-tree'])
        const c = await g(['commit-tree', t, '-m', `c${i}`, ...(from ? ['-p', from] : [])])
        commits.push(c)
        treeOf.set(c, new Map(tree))
        // A kept list of a commit the store lacks, kept last, now and then: a root commit cannot be derived from it.
        const bogus = rnd() < 0.1
        if (bogus) {
          await mkdir(`${store}/delivery-sublist`, { recursive: true })
          await writeFile(`${store}/delivery-sublist/${'e'.repeat(40)}`, `bogus\0${hex()}\0\0\0`)
        }
        // Kept lists lost now and then: the tree is listed whole.
        if (rnd() < 0.05) await rm(`${store}/delivery-sublist`, { recursive: true, force: true })
        const kept = await readdir(`${store}/delivery-sublist`).catch(() => [] as string[])
        // Derived from the parent's list when it is kept, else from the list kept last (the bogus one, when there).
        const derivable = (from !== undefined && kept.includes(from)) || (!bogus && kept.some((k) => /^[0-9a-f]{40}$/.test(k)))
        await rm(trace, { force: true })
        const got = await bash('sub_list "$1" "$2"', store, c)
        expect(got.code, got.stderr).toBe(0)
        // Which way it went, from git's own trace: a diff and no listing, or the listing.
        const traced = await readFile(trace, 'utf8')
        expect(/ ls-tree /.test(traced), `seed ${seed}, commit ${i}: listed whole`).toBe(!derivable)
        if (derivable) { expect(traced).toMatch(/ diff-tree /); derived++ }
        const full = await bash('git --git-dir="$1" ls-tree -r -z --full-tree "$2" | { grep -z "^160000 " || true; } | sub_records "$1" "$2"', store, c)
        expect(full.code, full.stderr).toBe(0)
        expect(got.stdout, `seed ${seed} (DLV_SEED=${seed} reruns it), commit ${i}`).toBe(full.stdout)
        expect(await readFile(`${store}/delivery-sublist/${c}`, 'utf8')).toBe(full.stdout)
        await rm(`${store}/delivery-sublist/${'e'.repeat(40)}`, { force: true })
      }
      expect(derived, `seed ${seed}`).toBeGreaterThan(30)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})

/**
 * The submodule list kept per commit in the object store (`sub_list`, `.delivery/repo.git/delivery-sublist/COMMIT`):
 * the kept list is what listing the commit's tree gives; a disk that fills while it is written leaves no list cut
 * short (a later delivery would read it and leave a submodule out); a commit the store lacks is never kept as having
 * none. Real git and bash, a real tmpfs for the full disk (the tests run as root, as trees.test.ts's full disk does).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SUBMODULES } from '../../src/vcs/submodules.js'
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

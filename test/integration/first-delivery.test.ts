/**
 * The first delivery after init costs no more than any other: init gives the second tree the first's timestamps, so
 * the first syncback (rsync comparing size and nanosecond mtime) finds nothing to copy. Two git worktrees, two svn
 * working copies and two cvs checkouts of one revision are written at different instants; an adopted directory is
 * copied twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { type CvsRepo, makeCvsMoodle } from '../helpers/cvsrepo.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { makeSvnRepo, type SvnRepo } from '../helpers/svnrepo.js'

let t: Target
let git: MoodleRepo
let svn: SvnRepo & { revs: { v1: string; v2: string; v3: string } }
let cvs: CvsRepo

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  ;[git, svn, cvs] = await Promise.all([makeMoodleRepo(t.sshd.user), makeSvnRepo(t.sshd.user), makeCvsMoodle(t.sshd.user)])
}, 180_000)

afterAll(async () => {
  await t?.stop()
  await git?.remove()
  await svn?.remove()
  await cvs?.remove()
})

type Steps = { name: string; outcome: string; detail?: string }[]
const stepsOf = (r: Awaited<ReturnType<typeof runAction>>) => r.report!.hosts[0].steps as Steps

/** init, then a delivery: the delivery's syncback changed nothing. */
async function firstDelivery(name: string, init: Record<string, string>, deliver: Record<string, string>) {
  const base = { ...t.base, path: `${t.root}/${name}` }
  const i = await runAction({ ...base, mode: 'init', ...init })
  expect(i.code, i.stdout).toBe(0)
  expect(stepsOf(i).find((s) => s.name === 'same timestamps')).toMatchObject({ outcome: 'success' })
  // Both trees hold the same files with the same modification times (nanoseconds), VCS metadata aside.
  const [a, b] = (await t.sh(`ls ${base.path}/trees`)).trim().split('\n')
  const times = (tree: string) =>
    t.sh(`cd ${base.path}/trees/${tree} && find . \\( -name .git -o -name .svn -o -name CVS \\) -prune -o -printf '%P %T@ %s\\n' | LC_ALL=C sort`)
  expect(await times(b)).toBe(await times(a))
  const d = await runAction({ ...base, mode: 'deliver', ...deliver })
  expect(d.code, d.stdout).toBe(0)
  const sb = stepsOf(d).find((s) => s.name === 'syncback')
  expect(sb?.detail, name).toMatch(/, 0 entries changed(;|$)/)
}

// Each method has its own repository and delivery root: the cases run at once.
describe.concurrent('the first delivery after init', () => {
  it('git: two worktrees checked out apart; the first syncback copies nothing', async () => {
    await firstDelivery('git', { repository: git.dir, ref: 'v1' }, { repository: git.dir, ref: 'v2' })
  })

  it('svn: two working copies; the first syncback copies nothing', async () => {
    await firstDelivery('svn', { method: 'svn', repository: svn.trunk, ref: svn.revs.v1 }, { method: 'svn', repository: svn.trunk, ref: svn.revs.v2 })
  })

  it('cvs: two checkouts; the first syncback copies nothing', async () => {
    const source = `${cvs.root}#moodle`
    await firstDelivery('cvs', { method: 'cvs', repository: source, ref: 'v1' }, { method: 'cvs', repository: source, ref: 'v2' })
  })
})

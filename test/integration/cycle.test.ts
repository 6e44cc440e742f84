/**
 * The delivery cycle end to end through the bundled Action against a real sshd: init, deliver, goback, backtoprod,
 * syncback, update of paths, supersyncback, status, and the refusals of modes that do not fit the state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'

interface State {
  state: string
  live: string
  safe: string
  work?: string
  trees: Record<string, { id: string; revision: string; head?: string; served: boolean; dirty: boolean }>
}

let t: Target
let repo: MoodleRepo

beforeAll(async () => {
  t = await startTarget()
  // The fixture is Moodle-shaped; the Moodle steps are tested on their own (moodle.test.ts).
  t.base.app = 'none'
  repo = await makeMoodleRepo(t.sshd.user)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
const liveTarget = async () => (await t.sh(`readlink ${t.root}/live`)).trim()
const journal = async () =>
  (await t.sh(`cat ${t.root}/.delivery/journal.jsonl`))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; mode: string })

describe('the delivery cycle over a real sshd', () => {
  it('init checks out the repository into two trees and points live at one', async () => {
    const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const s = await state()
    expect(s.state).toBe('production')
    expect(Object.keys(s.trees)).toHaveLength(2)
    expect(s.live).not.toBe(s.safe)
    expect(await liveTarget()).toBe(`trees/${s.live}`)
    expect(s.trees[s.live].revision).toBe(repo.commits.v1)
    expect(await t.sh(`cat ${t.root}/live/lib/old.php`)).toContain('<?php')
    expect(r.outputs.state).toBe('production')
    expect(r.outputs['live-tree']).toBe(s.live)
    expect(r.outputs['revision-after']).toBe(repo.commits.v1)
    // The trees share one object store: each is a worktree of .delivery/repo.git.
    expect(await t.sh(`cat ${t.root}/trees/${s.safe}/.git`)).toContain(`${t.root}/.delivery/repo.git/worktrees/`)
    expect(await t.sh(`test ! -e ${t.root}/trees/${s.safe}/.git/objects && echo shared`)).toContain('shared')
  })

  it('init refuses when a layout exists, and changes nothing', async () => {
    const before = await t.sh(`cat ${t.root}/.delivery/state.json; ls ${t.root}/trees`)
    const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })
    expect(r.code).toBe(1)
    expect(r.report?.outcome).toBe('refused')
    expect(r.report?.hosts[0].error).toMatch(/already exists.*run mode status/)
    expect(await t.sh(`cat ${t.root}/.delivery/state.json; ls ${t.root}/trees`)).toBe(before)
  })

  it('update and backtoprod are refused in production, naming the mode to run', async () => {
    for (const mode of ['update', 'backtoprod']) {
      const r = await runAction({ ...t.base, mode, repository: repo.dir, ref: 'v2' })
      expect(r.code).toBe(1)
      expect(r.report?.outcome).toBe('refused')
      expect(r.report?.hosts[0].error).toMatch(/run goback/)
    }
  })

  it('deliver runs syncback, goback, update and backtoprod, and reports every changed file', async () => {
    const before = await state()
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2', comment: 'forum fixes' })
    expect(r.code, r.stdout).toBe(0)
    const s = await state()
    expect(s.state).toBe('production')
    // The former live tree, updated, went live under a fresh id; the copy that served meanwhile is the safe tree.
    expect(s.live).not.toBe(before.live)
    expect(s.live).not.toBe(before.safe)
    expect(s.trees[s.live].revision).toBe(repo.commits.v2)
    expect(s.trees[s.safe].revision).toBe(repo.commits.v1)
    expect(await liveTarget()).toBe(`trees/${s.live}`)
    const files = r.report!.hosts[0].files
    expect(files.added.sort()).toEqual(['admin/tool/demo/lang/en/tool_demo.php', 'mod/forum/newfile.php'])
    expect(files.modified.sort()).toEqual(['index.php', 'mod/forum/lib.php'])
    expect(files.deleted).toEqual(['lib/old.php'])
    expect(files.renamed).toEqual([{ from: 'theme/boost/config.php', to: 'theme/boost/settings.php' }])
    expect(r.outputs['changed-files']).toBe('7')
    expect(r.outputs['revision-before']).toBe(repo.commits.v1)
    expect(r.outputs['revision-after']).toBe(repo.commits.v2)
    expect(r.summary).toContain('theme/boost/config.php -> theme/boost/settings.php')
    expect(r.summary).toContain('<details>')
    const steps = r.report!.hosts[0].steps.map((x) => x.name)
    expect(steps).toEqual(expect.arrayContaining(['syncback', 'switch', 'update', 'fresh path']))
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v2')
    expect(await t.sh(`test -e ${t.root}/live/lib/old.php || echo gone`)).toContain('gone')
    const events = (await journal()).map((e) => e.event)
    expect(events).toEqual(expect.arrayContaining(['start', 'syncback', 'switch', 'update', 'rename', 'end']))
    expect(await t.sh(`test -e ${t.root}/.delivery/lock || echo unlocked`)).toContain('unlocked')
  })

  it('goback returns to the previous version at once, and backtoprod undoes it', async () => {
    const before = await state()
    const r = await runAction({ ...t.base, mode: 'goback' })
    expect(r.code, r.stdout).toBe(0)
    const s = await state()
    expect(s.state).toBe('delivering')
    expect(s.live).toBe(before.safe) // not changed since it served: no new id needed
    expect(s.work).toBe(before.live)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).not.toContain('v2')
    const again = await runAction({ ...t.base, mode: 'goback' })
    expect(again.code).toBe(1)
    expect(again.report?.hosts[0].error).toMatch(/run backtoprod/)
    for (const mode of ['syncback', 'supersyncback']) {
      const refused = await runAction({ ...t.base, mode })
      expect(refused.report?.outcome).toBe('refused')
      expect(refused.report?.hosts[0].error).toMatch(/run backtoprod \(or deliver\)/)
    }
    const back = await runAction({ ...t.base, mode: 'backtoprod' })
    expect(back.code, back.stdout).toBe(0)
    const s2 = await state()
    expect(s2.state).toBe('production')
    expect(s2.live).toBe(before.live) // unchanged content: same real path
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v2')
  })

  it('a partial update takes only the paths given, and the next whole update completes the tree', async () => {
    expect((await runAction({ ...t.base, mode: 'syncback' })).code).toBe(0)
    expect((await runAction({ ...t.base, mode: 'goback' })).code).toBe(0)
    const r = await runAction({ ...t.base, mode: 'update', repository: repo.dir, ref: 'v3', paths: 'mod/forum' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.hosts[0].files.modified).toEqual(['mod/forum/view.php'])
    expect(r.report!.hosts[0].files.added).toEqual([])
    const s = await state()
    const work = `${t.root}/trees/${s.work}`
    expect(await t.sh(`cat ${work}/mod/forum/view.php`)).toContain('v3')
    expect(await t.sh(`cat ${work}/lib/setup.php`)).not.toContain('setupversion = 3')
    // No drift: the tree's HEAD says exactly what it holds.
    expect(await t.sh(`git -C ${work} status --porcelain`)).toBe('')
    const whole = await runAction({ ...t.base, mode: 'update', repository: repo.dir, ref: 'v3' })
    expect(whole.code, whole.stdout).toBe(0)
    expect(whole.report!.hosts[0].files.modified.sort()).toEqual(['lib/setup.php', 'version.php'])
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).code).toBe(0)
    expect(await t.sh(`cat ${t.root}/live/lib/setup.php`)).toContain('setupversion = 3')
  })

  it('supersyncback also refreshes trees/supersave; status reports the layout read-only', async () => {
    const r = await runAction({ ...t.base, mode: 'supersyncback' })
    expect(r.code, r.stdout).toBe(0)
    expect(await t.sh(`cat ${t.root}/trees/supersave/lib/setup.php`)).toContain('setupversion = 3')
    const before = await t.sh(`cat ${t.root}/.delivery/state.json ${t.root}/.delivery/journal.jsonl | md5sum`)
    const st = await runAction({ ...t.base, mode: 'status' })
    expect(st.code, st.stdout).toBe(0)
    expect(st.report?.hosts[0].status?.state).toBe('production')
    expect(await t.sh(`cat ${t.root}/.delivery/state.json ${t.root}/.delivery/journal.jsonl | md5sum`)).toBe(before)
  })
})

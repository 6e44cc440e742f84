/**
 * Recovery and refusals over a real sshd: what a run that died mid-way leaves is reconciled by the next run (a rename
 * done but not recorded, a rename recorded but not done, `live` missing, a switch not recorded), a layout changed by
 * hand, a damaged state.json, a method mismatch and missing server tools are refused changing nothing, and
 * `auto-rollback: false` leaves a failed delivery live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'

interface State {
  state: string
  live: string
  safe: string
  work?: string
  trees: Record<string, { id: string; revision: string; movingTo?: string; served?: boolean }>
}

let t: Target
let repo: MoodleRepo

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeMoodleRepo(t.sshd.user)
  const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })
  expect(r.code, r.stdout).toBe(0)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

const stateOf = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
const writeStateJson = (s: State) => t.sh(`cat > ${t.root}/.delivery/state.json <<'EOF2'\n${JSON.stringify(s, null, 2)}\nEOF2`)
const snapshot = () => t.sh(`cd ${t.root} && cat .delivery/state.json && readlink live; ls trees; wc -l < .delivery/journal.jsonl`)
const trees = () => t.sh(`cd ${t.root} && cat .delivery/state.json && readlink live; ls trees; find trees -path '*/.git' -prune -o -type f -print0 | sort -z | xargs -0 sha1sum | sha1sum`)
const lastReconcile = async () => {
  const lines = (await t.sh(`grep '"event":"reconcile"' ${t.root}/.delivery/journal.jsonl || true`)).trim().split('\n').filter(Boolean)
  return lines.length ? (JSON.parse(lines[lines.length - 1]) as { fixed: string[] }).fixed : []
}

describe('reconcile: what a run that died mid-way left', () => {
  it('a rename done but not recorded is recorded', async () => {
    const s = await stateOf()
    const from = s.safe
    const to = `${from}-renamed`
    // The run recorded movingTo, renamed the tree (git worktree move), and died before recording the new id.
    s.trees[from].movingTo = to
    await writeStateJson(s)
    await t.sh(`git --git-dir=${t.root}/.delivery/repo.git worktree move ${t.root}/trees/${from} ${t.root}/trees/${to}`)
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code, r.stdout).toBe(0)
    expect(await lastReconcile()).toEqual([`recorded the rename of trees/${from} to trees/${to}`])
    const after = await stateOf()
    expect(after.safe).toBe(to)
    expect(after.trees[from]).toBeUndefined()
    expect(after.trees[to].movingTo).toBeUndefined()
  })

  it('a rename recorded but not done keeps the tree\'s id', async () => {
    const s = await stateOf()
    s.trees[s.safe].movingTo = `${s.safe}-never`
    await writeStateJson(s)
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code, r.stdout).toBe(0)
    expect(await lastReconcile()).toEqual([`trees/${s.safe} was not renamed; kept its id`])
    const after = await stateOf()
    expect(after.safe).toBe(s.safe)
    expect(after.trees[s.safe].movingTo).toBeUndefined()
  })

  it('a missing live is pointed at the live tree again', async () => {
    const s = await stateOf()
    await t.sh(`rm ${t.root}/live`)
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code, r.stdout).toBe(0)
    expect(await lastReconcile()).toEqual([`live was missing: pointed it at trees/${s.live}`])
    expect((await t.sh(`readlink ${t.root}/live`)).trim()).toBe(`trees/${s.live}`)
  })

  it('a goback whose switch was not recorded: the state becomes delivering', async () => {
    const s = await stateOf()
    // The switch of live to the safe tree happened; the run died before writing the state.
    await t.sh(`ln -sfn trees/${s.safe} ${t.root}/live`)
    const r = await runAction({ ...t.base, mode: 'update', repository: repo.dir, ref: 'v2' })
    expect(r.code, r.stdout).toBe(0)
    expect((await lastReconcile())[0]).toMatch(new RegExp(`live had been switched back to trees/${s.safe} by a run that then stopped: state is delivering`))
    const after = await stateOf()
    expect(after.state).toBe('delivering')
    expect(after.live).toBe(s.safe)
    expect(after.work).toBe(s.live)
  })

  it('a backtoprod whose switch was not recorded: the state becomes production', async () => {
    const s = await stateOf()
    expect(s.state).toBe('delivering')
    await t.sh(`ln -sfn trees/${s.work} ${t.root}/live`)
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code, r.stdout).toBe(0)
    expect((await lastReconcile())[0]).toMatch(new RegExp(`live had been switched to trees/${s.work} by a run that then stopped: state is production`))
    const after = await stateOf()
    expect(after.state).toBe('production')
    expect(after.live).toBe(s.work)
    expect(after.safe).toBe(s.live)
    expect(after.trees[after.live].revision).toBe(repo.commits.v2)
  })

  it('a layout changed by hand is refused, changing nothing', async () => {
    const s = await stateOf()
    await t.sh(`mkdir -p ${t.root}/elsewhere && ln -sfn ../elsewhere ${t.root}/live`)
    const before = await trees()
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code).toBe(1)
    expect(r.report?.hosts[0].error).toMatch(/live points at "\.\.\/elsewhere" but state\.json says trees\/\S+: someone changed the layout by hand/)
    // The journal records the refused run; nothing else changed.
    expect(await trees()).toBe(before)
    await t.sh(`ln -sfn trees/${s.live} ${t.root}/live && rmdir ${t.root}/elsewhere`)
  })
})

describe('refusals that change nothing', () => {
  it('a damaged state.json fails every writing mode, naming the file; status reports it', async () => {
    const good = await t.sh(`cat ${t.root}/.delivery/state.json`)
    await t.sh(`printf '{"layout": 1, "state": "produ' > ${t.root}/.delivery/state.json`)
    const before = await snapshot()
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code).toBe(1)
    expect(r.report?.hosts[0].error).toMatch(/state\.json/)
    expect(await snapshot()).toBe(before)
    const st = await runAction({ ...t.base, mode: 'status' })
    expect(st.code).toBe(0)
    expect(st.report?.hosts[0].status).toMatchObject({ layout: 'damaged', error: expect.stringMatching(/state\.json is not valid JSON.*restore it from the journal/) })
    await t.sh(`cat > ${t.root}/.delivery/state.json <<'EOF2'\n${good}EOF2`)
    expect(await t.sh(`cat ${t.root}/.delivery/state.json`)).toBe(good)
  })

  it('a method other than the layout\'s is refused, naming the method to set', async () => {
    await runAction({ ...t.base, mode: 'goback' })
    const before = await snapshot()
    const r = await runAction({ ...t.base, mode: 'update', method: 'svn', repository: 'file:///nonexistent/svn/trunk' })
    expect(r.report?.outcome).toBe('refused')
    expect(r.report?.hosts[0].error).toMatch(/initialised with method git, not svn: set method: git/)
    expect(await snapshot()).toBe(before)
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).code).toBe(0)
  })

  it('a server without the method\'s tools is refused before anything changes', async () => {
    // The same delivery root, through an sshd whose PATH has every program but git.
    const shim = `/tmp/dlv-nogit-${process.pid}`
    await t.sh(`mkdir -p ${shim} && for f in /usr/bin/* /usr/local/bin/*; do b=$(basename "$f"); [ "$b" = git ] || ln -sf "$f" ${shim}/"$b"; done`)
    const s = await startTarget({ extraConfig: `SetEnv PATH=${shim}` })
    try {
      const before = await snapshot()
      const r = await runAction({ ...s.base, app: 'none', path: t.root, mode: 'deliver', repository: repo.dir, ref: 'v3' })
      expect(r.code).toBe(1)
      expect(r.report?.hosts[0].error).toMatch(/the server lacks git, needed by method git: install it on the server/)
      expect(await snapshot()).toBe(before)
    } finally {
      await s.stop()
      await t.sh(`rm -rf ${shim}`)
    }
  })
})

describe('auto-rollback: false', () => {
  // An after-switch command that fails only once the given version serves (deliver also runs it after its goback).
  const failsOn = (v: 'v2' | 'v3') => `if [ "$(git -C "$DELIVERY_LIVE" rev-parse HEAD)" = ${repo.commits[v]} ]; then echo reload failed >&2; exit 4; fi`

  it('a failed after-switch leaves the new code live and says so', async () => {
    const before = await stateOf()
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3', 'after-switch': failsOn('v3'), 'auto-rollback': 'false' })
    expect(r.code).toBe(1)
    expect(r.outputs['rolled-back']).toBe('false')
    expect(r.report?.hosts[0].error).toMatch(/after-switch command failed \(exit code 4\): reload failed\. auto-rollback is off: trees\/\S+ stays live; run goback/)
    const after = await stateOf()
    expect(after.state).toBe('production')
    expect(after.live).not.toBe(before.live)
    expect(after.trees[after.live].revision).toBe(repo.commits.v3)
    expect(await t.sh(`cat ${t.root}/live/mod/forum/view.php`)).toContain('v3')
    // The same failure with auto-rollback on goes back to the tree that served before.
    const back = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2', 'after-switch': failsOn('v2') })
    expect(back.code).toBe(1)
    expect(back.outputs['rolled-back']).toBe('true')
    expect(await t.sh(`cat ${t.root}/live/mod/forum/view.php`)).toContain('v3')
  })
})

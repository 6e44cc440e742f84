/**
 * method push with submodules, through the bundled Action against a real sshd: the runner's checkout made as
 * actions/checkout makes it with `submodules: recursive` (submodule git directories under .git/modules) is sent
 * whole, the files of every submodule (nested ones too) at the commits the superproject records; a checkout without
 * its submodules fails before anything is sent, saying how to check out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { run } from '../helpers/proc.js'
import { makeSubmoduleSite, type SubmoduleSite } from '../helpers/subrepos.js'
import type { SubmoduleChange } from '../../src/domain.js'

let t: Target
let site: SubmoduleSite
let runner: string
/** A checkout with its submodules (recursive), and one without. */
let withSubs: string
let without: string

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  site = await makeSubmoduleSite(t.sshd.user)
  runner = await mkdtemp('/tmp/dlv-runner-ws-')
  await writeFile(`${runner}/.gitconfig`, '[safe]\n\tdirectory = *\n[protocol "file"]\n\tallow = always\n')
  const env = { ...process.env, HOME: runner }
  withSubs = `${runner}/with`
  without = `${runner}/without`
  const sh = (script: string) => run('bash', ['-c', `set -e\n${script}`], { check: true, env, cwd: runner })
  await sh(`git clone -q "${site.site}" with; cd with; git checkout -q v2; git submodule -q update --init --recursive`)
  await sh(`git clone -q "${site.site}" without; cd without; git checkout -q v2`)
}, 120_000)

afterAll(async () => {
  await t?.stop()
  await site?.remove()
  if (runner) await rm(runner, { recursive: true, force: true })
})

const act = (inputs: Record<string, string>, ws: string) => runAction({ ...t.base, method: 'push', ...inputs }, { env: { GITHUB_WORKSPACE: ws } })
const state = () => readServerJson<{ live: string; safe: string }>(t, `${t.root}/.delivery/state.json`)

describe('method push with submodules over a real sshd', () => {
  it('a checkout without its submodules fails before anything is sent, saying how to check out', async () => {
    const r = await act({ mode: 'init', ref: 'v1' }, without)
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/submodule mod\/attendance .* is not in the checkout .*submodules: recursive/)
    expect(await t.sh(`ls -A ${t.root}/trees 2>/dev/null | wc -l`)).toMatch(/^0/)
  })

  it('init sends every submodule\'s files, nested ones too, at the commits the superproject records', async () => {
    const r = await act({ mode: 'init', ref: 'v1' }, withSubs)
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const s = await state()
    for (const id of [s.live, s.safe]) {
      expect(await t.sh(`cat ${t.root}/trees/${id}/mod/attendance/lib.php ${t.root}/trees/${id}/mod/attendance/vendor/attlib/attlib.php`)).toMatch(/attendance a1[\s\S]*attlib l1/)
    }
    expect((r.report!.hosts[0].submodules as SubmoduleChange[]).map((x) => [x.path, x.after, x.url])).toEqual([
      ['mod/attendance', site.commits.attendance.a1, '../attendance.git'],
      ['mod/attendance/vendor/attlib', site.commits.attlib.l1, '../attlib.git'],
    ])
  })

  it('deliver lists the files inside submodules from the tree root, and every submodule before and after', async () => {
    const r = await act({ mode: 'deliver', ref: 'v2' }, withSubs)
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const h = r.report!.hosts[0]
    expect([...h.files.modified].sort()).toEqual(['.gitmodules', 'mod/attendance/lib.php', 'mod/attendance/vendor/attlib/attlib.php'])
    expect([...h.files.added].sort()).toEqual(['mod/attendance/lang/en/attendance.php', 'mod/certificate/lib.php', 'mod/certificate/version.php'])
    expect((h.submodules as SubmoduleChange[]).map((x) => [x.path, x.before, x.after])).toEqual([
      ['mod/attendance', site.commits.attendance.a1, site.commits.attendance.a2],
      ['mod/attendance/vendor/attlib', site.commits.attlib.l1, site.commits.attlib.l2],
      ['mod/certificate', undefined, site.commits.certificate],
    ])
    expect(await t.sh(`cat ${t.root}/live/mod/certificate/lib.php ${t.root}/live/mod/attendance/vendor/attlib/attlib.php`)).toMatch(/certificate[\s\S]*attlib l2/)
    expect(r.stdout + r.stderr).not.toMatch(/does not send submodules/)
  }, 120_000)
})

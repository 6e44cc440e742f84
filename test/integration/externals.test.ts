/**
 * svn externals through the bundled Action against a real sshd: a site in Subversion whose plugin comes from another
 * repository through `svn:externals` (pinned to a revision, as sites do) is delivered with the plugin; a bump of the
 * pin lists the plugin's changed files from the tree root; drift inside the external is found; a removed external is
 * all of its files; an external the server cannot read fails deliver before anything is switched, naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { runAs } from '../helpers/proc.js'
import { makeSvnRepo, type SvnRepo } from '../helpers/svnrepo.js'
import type { SubmoduleChange } from '../../src/domain.js'

interface State {
  state: string
  live: string
  safe: string
  trees: Record<string, { id: string; revision: string }>
}

let t: Target
let repo: SvnRepo
/** The plugin's repository (file://) and its revisions. */
const plugin = { url: '', p1: '', p2: '' }
const site = { e1: '', e2: '', e3: '', e4: '' }

const env = 'set -e; umask 022; export LC_ALL=C.UTF-8'
const asOwner = async (cmd: string, args: string[] = []) => (await runAs(t.sshd.user, `${env}\n${cmd}`, { cwd: repo.work, args, check: true })).stdout.trim()
/** Sets svn:externals on mod/ and commits; resolves with the new revision. */
const setExternals = (def: string) =>
  asOwner('if [ -n "$1" ]; then svn -q propset svn:externals "$1" mod; else svn -q propdel svn:externals mod; fi; svn -q commit -m externals; svn -q update --ignore-externals; svn info --show-item revision .', [def])

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeSvnRepo(t.sshd.user)
  const root = repo.dir.replace(/\/repo$/, '')
  plugin.url = `file://${root}/plugin/trunk`
  plugin.p1 = await asOwner(`svnadmin create "$1/plugin"; svn -q mkdir -m layout "file://$1/plugin/trunk"
w=$(mktemp -d); svn -q checkout "file://$1/plugin/trunk" "$w/p"; cd "$w/p"
printf '<?php // attendance p1\\n' > lib.php; printf '<?php $plugin->component = "mod_attendance";\\n' > version.php
svn -q add lib.php version.php; svn -q commit -m p1; svn -q update; svn info --show-item revision .`, [root])
  plugin.p2 = await asOwner(`w=$(mktemp -d); svn -q checkout "file://$1/plugin/trunk" "$w/p"; cd "$w/p"
printf '<?php // attendance p2\\n' > lib.php; printf '<?php // new in p2\\n' > new.php
svn -q add new.php; svn -q commit -m p2; svn -q update; svn info --show-item revision .`, [root])
  site.e1 = await setExternals(`${plugin.url}@${plugin.p1} attendance`)
  site.e2 = await setExternals(`${plugin.url}@${plugin.p2} attendance`)
  site.e3 = await setExternals('')
  site.e4 = await setExternals(`file://${root}/nothere/trunk certificate`)
}, 120_000)

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
const sorted = (a: string[]) => [...a].sort()
const svnBase = () => ({ ...t.base, method: 'svn', repository: repo.trunk })

describe('svn externals over a real sshd', () => {
  it('init checks the external out in both trees, at its pinned revision', async () => {
    const r = await runAction({ ...svnBase(), mode: 'init', ref: site.e1 })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const s = await state()
    for (const id of [s.live, s.safe]) expect(await t.sh(`cat ${t.root}/trees/${id}/mod/attendance/lib.php`)).toContain('attendance p1')
  })

  it('deliver of a bumped pin lists the external\'s files from the tree root, finds drift inside it, and reports its revisions', async () => {
    await t.sh(`echo '// hand fix' >> ${t.root}/live/mod/attendance/version.php`)
    const r = await runAction({ ...svnBase(), mode: 'deliver', ref: site.e2 })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const h = r.report!.hosts[0]
    expect(h.files.modified).toEqual(['mod/attendance/lib.php'])
    expect(h.files.added).toEqual(['mod/attendance/new.php'])
    expect(h.drift.find((d) => d.role === 'live')?.files).toEqual([{ path: 'mod/attendance/version.php', status: 'modified' }])
    expect(h.submodules as SubmoduleChange[]).toEqual([{ path: 'mod/attendance', url: plugin.url, before: plugin.p1, after: plugin.p2 }])
    expect(await t.sh(`cat ${t.root}/live/mod/attendance/lib.php ${t.root}/live/mod/attendance/new.php`)).toMatch(/attendance p2[\s\S]*new in p2/)
    // svn merged the hand-made change, as it does for any file; put both trees back as the repository has them.
    const s = await state()
    for (const id of [s.live, s.safe]) await t.sh(`cd ${t.root}/trees/${id} && svn revert -q mod/attendance/version.php`)
  }, 120_000)

  it('a removed external is all of its files', async () => {
    const r = await runAction({ ...svnBase(), mode: 'deliver', ref: site.e3 })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const h = r.report!.hosts[0]
    expect(sorted(h.files.deleted)).toEqual(['mod/attendance/lib.php', 'mod/attendance/new.php', 'mod/attendance/version.php'])
    expect(h.submodules as SubmoduleChange[]).toEqual([{ path: 'mod/attendance', url: plugin.url, before: plugin.p2 }])
    expect(await t.sh(`test -e ${t.root}/live/mod/attendance || echo gone`)).toContain('gone')
  }, 120_000)

  it('an external the server cannot read fails deliver before anything is switched, naming it', async () => {
    const before = await t.sh(`cat ${t.root}/.delivery/state.json; readlink ${t.root}/live`)
    const r = await runAction({ ...svnBase(), mode: 'deliver', ref: site.e4 })
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/cannot fetch the svn external 'mod\/certificate' from file:\/\/.*\/nothere\/trunk/)
    expect(r.report!.hosts[0].steps.map((x) => x.name)).not.toContain('switch')
    expect(await t.sh(`cat ${t.root}/.delivery/state.json; readlink ${t.root}/live`)).toBe(before)
  }, 120_000)
})

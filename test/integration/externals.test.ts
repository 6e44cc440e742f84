/**
 * svn externals through the bundled Action against a real sshd: a site in Subversion whose plugin comes from another
 * repository through `svn:externals` (pinned to a revision, as sites do) is delivered with the plugin; a bump of the
 * pin lists the plugin's changed files from the tree root; drift inside the external is found; a removed external is
 * all of its files; an external the server cannot read fails deliver before anything is switched, naming it. A dry run
 * lists the files the update that follows changes inside externals (added, removed, pinned with `-r N` or `@N`, moved
 * to another revision or URL, following HEAD, under hostile names), and writes nothing.
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
const site = { e1: '', e2: '', e3: '', e4: '', f1: '', f2: '', f4: '' }
/** More of the plugin: p3 on trunk (a file changed, one deleted, hostile names added), a branch b1 of it. */
const more = { p3: '', branch: '', b1: '' }

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
  more.branch = `file://${root}/plugin/branches/b1`
  more.p3 = await asOwner(`w=$(mktemp -d); svn -q checkout "file://$1/plugin/trunk" "$w/p"; cd "$w/p"
printf '<?php // attendance p3\\n' > lib.php; svn -q rm new.php; mkdir 'sub dir'; printf 'x\\n' > ./-x\\ n.php; printf 'y\\n' > 'sub dir/f @.php'
svn -q add -- ./-x\\ n.php 'sub dir'; svn -q commit -m p3; svn -q update; svn info --show-item revision .`, [root])
  more.b1 = await asOwner(`svn -q mkdir -m branches "file://$1/plugin/branches"; svn -q copy -m b0 "file://$1/plugin/trunk@$2" "file://$1/plugin/branches/b1"
w=$(mktemp -d); svn -q checkout "file://$1/plugin/branches/b1" "$w/p"; cd "$w/p"
printf '<?php // branch b1\\n' > version.php; svn -q commit -m b1; svn -q update; svn info --show-item revision .`, [root, more.p3])
  // Two externals appear, one pinned with -r N under a name with a space and a leading dash.
  site.f1 = await setExternals(`${plugin.url}@${plugin.p2} attendance\n-r ${plugin.p1} ${plugin.url} "-my plug"`)
  // attendance moves to p3, "-my plug" to another URL, and one following HEAD appears.
  site.f2 = await setExternals(`${plugin.url}@${more.p3} attendance\n${more.branch}@${more.b1} "-my plug"\n${plugin.url} latest`)
  // "-my plug" goes.
  site.f4 = await setExternals(`${plugin.url}@${more.p3} attendance\n${plugin.url} latest`)
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

/** Every name, type, size, mode, time, link target and content of the trees, live and .delivery. */
const manifest = () =>
  t.sh(`cd ${t.root} && find trees .delivery live -printf '%p|%y|%s|%m|%T@|%l\\n' | LC_ALL=C sort && find trees .delivery -type f -exec sha256sum -- {} + | LC_ALL=C sort`)
const files = (r: Awaited<ReturnType<typeof runAction>>) => {
  const f = r.report!.hosts[0].files
  return { added: sorted(f.added), modified: sorted(f.modified), deleted: sorted(f.deleted), renamed: f.renamed }
}

describe('svn externals in a dry run', () => {
  /** A dry run of deliver to `ref`, which must write nothing, then the real deliver; resolves with both lists. */
  const dryThenReal = async (ref: string) => {
    const before = await manifest()
    const dry = await runAction({ ...svnBase(), mode: 'deliver', ref, 'dry-run': 'true' })
    expect(dry.code, dry.stdout + dry.stderr).toBe(0)
    expect(await manifest()).toBe(before)
    const real = await runAction({ ...svnBase(), mode: 'deliver', ref })
    expect(real.code, real.stdout + real.stderr).toBe(0)
    return { dry: files(dry), real: files(real) }
  }

  it('lists the files of externals that appear, one pinned with -r N under a hostile name, as deliver then does', async () => {
    const { dry, real } = await dryThenReal(site.f1)
    expect(real.added).toEqual(['mod/-my plug/lib.php', 'mod/-my plug/version.php', 'mod/attendance/lib.php', 'mod/attendance/new.php', 'mod/attendance/version.php'])
    expect(dry).toEqual(real)
  }, 240_000)

  it('lists the files of externals moved to another revision and another URL, and of one that appears following HEAD', async () => {
    const { dry, real } = await dryThenReal(site.f2)
    expect(real.modified).toEqual(expect.arrayContaining(['mod/-my plug/lib.php', 'mod/-my plug/version.php', 'mod/attendance/lib.php']))
    expect(real.added).toEqual(expect.arrayContaining(['mod/attendance/-x n.php', 'mod/attendance/sub dir/f @.php', 'mod/latest/lib.php']))
    expect(real.deleted).toEqual(['mod/attendance/new.php'])
    expect(dry).toEqual(real)
  }, 240_000)

  it('lists all the files of an external that goes', async () => {
    const { dry, real } = await dryThenReal(site.f4)
    expect(real.deleted).toEqual(['mod/-my plug/-x n.php', 'mod/-my plug/lib.php', 'mod/-my plug/sub dir/f @.php', 'mod/-my plug/version.php'])
    expect(dry).toEqual(real)
  }, 240_000)

  it('lists the files changed inside an external that follows HEAD when the site changes elsewhere', async () => {
    await asOwner(`w=$(mktemp -d); svn -q checkout "$1" "$w/p"; cd "$w/p"; printf '<?php // p4\\n' > lib.php; svn -q commit -m p4`, [plugin.url])
    await asOwner('svn -q update --ignore-externals; printf "<?php // v5\\n" > index.php; svn -q commit -m v5; svn -q update --ignore-externals')
    const ref = await asOwner('svn info --show-item revision .')
    const { dry, real } = await dryThenReal(ref)
    expect(real.modified).toEqual(['index.php', 'mod/latest/lib.php'])
    expect(dry).toEqual(real)
  }, 240_000)
})

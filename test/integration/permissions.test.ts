/**
 * The permission audit against a real sshd: files of the live tree that are world-writable, owned by the web user, or
 * group-writable with a group of the web user, and layout folders anyone could write, are reported (bounded: counts
 * plus the first findings) by status and by the modes that write. They warn; they never fail a run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { run } from '../helpers/proc.js'
import { makeUser } from '../helpers/sshd.js'

const WEB = 'dlvpermweb'

let t: Target
let repo: MoodleRepo

const asRoot = async (cmd: string) => (await run('bash', ['-c', `set -e\n${cmd}`], { check: true })).stdout

interface Audit {
  webUser: string
  tree: string
  total: number
  counts: Record<string, number>
  truncated: boolean
  note?: string
}

beforeAll(async () => {
  await makeUser(WEB)
  t = await startTarget()
  t.base['web-user'] = WEB
  t.base.app = 'none'
  repo = await makeMoodleRepo(t.sshd.user)
  const init = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })
  if (init.code !== 0) throw new Error(`init failed: ${init.stdout}`)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

describe('the permission audit', () => {
  it('finds nothing in a tree the code owner alone may write', async () => {
    const r = await runAction({ ...t.base, mode: 'status' })
    expect(r.code, r.stdout).toBe(0)
    const h = r.report!.hosts[0]
    expect(h.permissionAudit).toMatchObject({ webUser: WEB, total: 0, truncated: false })
    expect(h.permissions).toEqual([])
    expect(r.stdout).not.toContain('permissions:')
  })

  it('status flags what the web user or anyone could write, bounded, and still succeeds', async () => {
    const live = `${t.root}/live`
    await asRoot(`
chmod o+w ${live}/index.php
chown ${WEB} ${live}/lib/setup.php
chgrp ${WEB} ${live}/mod/forum/lib.php && chmod g+w ${live}/mod/forum/lib.php
chmod o+w ${t.root}/trees
mkdir ${live}/zz-junk && for i in $(seq 1 60); do : > ${live}/zz-junk/f$i.php; done && chmod o+w ${live}/zz-junk/*
ln -s index.php ${live}/link.php`)
    const r = await runAction({ ...t.base, mode: 'status' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.outcome).toBe('success')
    const h = r.report!.hosts[0]
    const audit = h.permissionAudit as Audit
    expect(audit.counts).toEqual({ 'world-writable': 62, 'owned-by-web-user': 1, 'writable-by-web-user': 1 })
    expect(audit.total).toBe(64)
    expect(audit.truncated).toBe(true)
    const findings = h.permissions as { path: string; problem: string }[]
    expect(findings).toHaveLength(50)
    // In path order: the layout folder, then the tree's files, named through live/ as the web server sees them.
    expect(findings.slice(0, 5)).toEqual([
      { path: `${t.root}/trees`, problem: 'world-writable' },
      { path: `${live}/index.php`, problem: 'world-writable' },
      { path: `${live}/lib/setup.php`, problem: 'owned-by-web-user' },
      { path: `${live}/mod/forum/lib.php`, problem: 'writable-by-web-user' },
      { path: `${live}/zz-junk/f1.php`, problem: 'world-writable' },
    ])
    expect(findings.some((f) => f.path.endsWith('/link.php'))).toBe(false) // symlinks are always 0777: not flagged
    expect((h.status as { permissions: { total: number } }).permissions.total).toBe(64)
    expect(r.stdout).toMatch(/::warning::.*permissions: 62 world-writable, 1 owned by dlvpermweb, 1 group-writable by a group of dlvpermweb/)
    expect(r.summary).toContain(`Permissions (web user ${WEB})`)
    expect(r.summary).toContain('and 44 more')
  })

  it('a delivery warns about the new live tree, and succeeds', async () => {
    await asRoot(`rm -rf ${t.root}/live/zz-junk ${t.root}/live/link.php`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2' })
    expect(r.code, r.stdout).toBe(0)
    const h = r.report!.hosts[0]
    const audit = h.permissionAudit as Audit
    expect(audit.tree).toBe(h.liveTreeAfter)
    // trees/ is still world-writable: no delivery changes the layout's folders. (What the update rewrote in the tree
    // is git's business: a forced checkout rewrites the files whose metadata changed, with the code owner's.)
    expect(audit.counts['world-writable']).toBeGreaterThanOrEqual(1)
    expect((h.permissions as { path: string; problem: string }[])[0]).toEqual({ path: `${t.root}/trees`, problem: 'world-writable' })
    expect(r.stdout).toMatch(/::warning::.*permissions: \d+ world-writable/)
  })

  it('a web user unknown to the server is said, and only world-writable files are looked for', async () => {
    await asRoot(`chmod -R o-w ${t.root}/trees && chown -R ${t.sshd.user} ${t.root}/trees`)
    const r = await runAction({ ...t.base, mode: 'status', 'web-user': 'dlvnosuchuser' })
    expect(r.code, r.stdout).toBe(0)
    const audit = r.report!.hosts[0].permissionAudit as Audit
    expect(audit.total).toBe(0)
    expect(audit.note).toContain('dlvnosuchuser does not exist on the server')
  })

  it('a delivery audits only the paths it changed and the folders above them; status still audits the whole tree', async () => {
    const live = `${t.root}/live`
    // v2 -> v3 changes mod/forum/view.php, lib/setup.php and version.php: mod/forum is a folder above a changed path,
    // theme/boost lies outside the change. (Folders: the update's forced checkout rewrites files whose metadata changed.)
    await asRoot(`chmod o+w ${live}/mod/forum ${live}/theme/boost`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3' })
    expect(r.code, r.stdout).toBe(0)
    const h = r.report!.hosts[0]
    const audit = h.permissionAudit as Audit & { changedPaths?: number }
    expect(audit.changedPaths).toBe(3)
    expect(h.permissions).toEqual([{ path: `${live}/mod/forum`, problem: 'world-writable' }])
    expect(r.stdout).toMatch(/::warning::.*permissions: 1 world-writable in the 3 paths this delivery changed \(and the folders above them\)/)
    const st = await runAction({ ...t.base, mode: 'status' })
    expect(st.code, st.stdout).toBe(0)
    const all = st.report!.hosts[0].permissions as { path: string; problem: string }[]
    expect(all).toEqual([
      { path: `${live}/mod/forum`, problem: 'world-writable' },
      { path: `${live}/theme/boost`, problem: 'world-writable' },
    ])
    expect((st.report!.hosts[0].permissionAudit as { changedPaths?: number }).changedPaths).toBeUndefined()
  })
})

/**
 * Kept files keep their group, set up as a careful Moodle admin does: the SSH user `dlvtest` deploys, the code owner
 * `dlvkgowner` (sudo-user) owns the code and is NOT in the web server's group (it would then be able to write
 * moodledata), the web user `dlvkgweb` reads the code. The existing site's config.php is `640 dlvkgowner:dlvkgweb`: a
 * copy made by the code owner cannot keep that group, and the site would answer "Permission denied" for every page.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { makePlainGitRepo, moodleV1, type GitRepo } from '../helpers/gitrepo.js'
import { run, runAs } from '../helpers/proc.js'
import { makeUser } from '../helpers/sshd.js'

const OWNER = 'dlvkgowner'
const WEB = 'dlvkgweb'
const sudoers = `/etc/sudoers.d/dlvtest-kg-${randomBytes(4).toString('hex')}`
const CONFIG = "<?php\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n$CFG->dbtype = 'pgsql';\n$CFG->dbpass = 'secret';\n"

let t: Target
let moodle: GitRepo
const made: string[] = []
const mounts: string[] = []

const asRoot = async (cmd: string, ...args: string[]) => (await run('bash', ['-c', cmd, 'x', ...args], { check: true })).stdout
const tag = () => randomBytes(4).toString('hex')

/** A delivery root owned by the code owner, open to the web server's group only (as root). */
async function deliveryRoot(): Promise<string> {
  const dir = `/tmp/dlv-kg-root-${tag()}`
  await mkdir(dir)
  made.push(dir)
  await asRoot(`chown ${OWNER}:${WEB} "$1" && chmod 0750 "$1"`, dir)
  return dir
}

/** The existing site: a git checkout made by the code owner, config.php 640 owner:web (as the admin left it). */
async function existingSite(parent: string): Promise<string> {
  const site = `${parent}/moodle`
  await asRoot(`mkdir -p "$1" && chown ${OWNER}:${WEB} "$1" && chmod 0750 "$1"`, parent)
  const r = await runAs(OWNER, 'set -e; umask 022; git clone -q -- "$1" "$2"; cat > "$2/config.php"', { args: [moodle.dir, site], input: CONFIG })
  if (r.code !== 0) throw new Error(r.stderr)
  await asRoot(`chgrp ${WEB} "$1/config.php" && chmod 0640 "$1/config.php"`, site)
  return site
}

/** Mode, owner and group of `file`, as root sees them. */
const meta = async (file: string) => (await asRoot('stat -c "%a %U:%G" -- "$1"', file)).trim()

/** What the web user gets when it reads config.php through live. */
const webReads = async (root: string) => {
  const r = await runAs(WEB, 'cat -- "$1"', { args: [`${root}/live/config.php`] })
  return r.code === 0 ? r.stdout : `cannot read: ${r.stderr.trim()}`
}

const trees = async (root: string) => (await asRoot('ls -- "$1/trees" | grep -v supersave || true', root)).trim().split('\n').filter(Boolean)

beforeAll(async () => {
  await Promise.all([makeUser(OWNER), makeUser(WEB)])
  // The code owner must not be in the web server's group: that is the point of this suite.
  expect((await run('id', ['-nG', OWNER], { check: true })).stdout.split(/\s+/)).not.toContain(WEB)
  t = await startTarget()
  t.base['web-user'] = WEB
  t.base['sudo-user'] = OWNER
  const cli = '<?php\nexit(0);\n'
  moodle = await makePlainGitRepo(OWNER, {
    ...moodleV1,
    'admin/cli/upgrade.php': cli,
    'admin/cli/purge_caches.php': cli,
    'admin/cli/maintenance.php': cli,
    'admin/cli/cron.php': cli,
  })
  const tmp = `/tmp/dlv-sudoers-${tag()}`
  await writeFile(tmp, `dlvtest ALL=(${OWNER}) NOPASSWD: ALL\ndlvtest ALL=(${WEB}) NOPASSWD: /usr/bin/php\n`, { mode: 0o440 })
  await run('visudo', ['-cf', tmp], { check: true })
  await run('mv', ['-f', tmp, sudoers], { check: true })
  await chmod(sudoers, 0o440)
})

afterAll(async () => {
  await rm(sudoers, { force: true })
  await t?.stop()
  await moodle?.remove()
  for (const m of mounts) await run('umount', [m])
  for (const d of made) await rm(d, { recursive: true, force: true })
})

describe('kept files keep their group without the code owner in the web group', () => {
  it('init with adopt, deliver and syncback keep config.php 640 owner:web in both trees; the web user reads it in live', async () => {
    const root = await deliveryRoot()
    const parent = `/tmp/dlv-kg-site-${tag()}`
    made.push(parent)
    const site = await existingSite(parent)
    expect(await meta(`${site}/config.php`)).toBe(`640 ${OWNER}:${WEB}`)

    const init = await runAction({ ...t.base, path: root, mode: 'init', adopt: site, app: 'moodle' })
    expect(init.code, init.stdout).toBe(0)
    for (const id of await trees(root)) expect(await meta(`${root}/trees/${id}/config.php`)).toBe(`640 ${OWNER}:${WEB}`)
    expect(await webReads(root)).toBe(CONFIG)
    const keepStep = init.report!.hosts[0].steps.find((s) => s.name === 'keep files')
    expect((keepStep as { detail?: string } | undefined)?.detail).toContain(`config.php: linked to ${site}`)

    const next = await moodle.commit('a forum fix', { 'mod/forum/lib.php': '<?php\n// fixed\n' })
    const d = await runAction({ ...t.base, path: root, mode: 'deliver', repository: moodle.dir, ref: next })
    expect(d.code, d.stdout).toBe(0)
    expect(await asRoot('cat -- "$1/live/mod/forum/lib.php"', root)).toContain('fixed')
    for (const id of await trees(root)) expect(await meta(`${root}/trees/${id}/config.php`)).toBe(`640 ${OWNER}:${WEB}`)
    expect(await webReads(root)).toBe(CONFIG)
    // Neither drift nor a permission finding: the kept file is the same in both trees.
    expect(d.report!.hosts[0].permissionAudit).toMatchObject({ webUser: WEB, total: 0 })

    // The admin edits config.php in live by hand (a new file, as editors and sed -i do): carried by syncback.
    await asRoot(`cp -p -- "$1/live/config.php" /tmp/kg.$$ && printf '%s' "$2" > /tmp/kg.$$ && mv -f /tmp/kg.$$ "$1/live/config.php" && chown ${OWNER}:${WEB} "$1/live/config.php" && chmod 640 "$1/live/config.php"`, root, `${CONFIG}$CFG->wwwroot = 'https://edited';\n`)
    const s = await runAction({ ...t.base, path: root, mode: 'syncback' })
    expect(s.code, s.stdout).toBe(0)
    for (const id of await trees(root)) {
      expect(await meta(`${root}/trees/${id}/config.php`)).toBe(`640 ${OWNER}:${WEB}`)
      expect(await asRoot('cat -- "$1"', `${root}/trees/${id}/config.php`)).toContain('https://edited')
    }
    // The adopted directory's file is untouched: the edit replaced live's link, never wrote through it.
    expect(await asRoot('cat -- "$1/config.php"', site)).toBe(CONFIG)
    const g = await runAction({ ...t.base, path: root, mode: 'goback' })
    expect(g.code, g.stdout).toBe(0)
    expect(await webReads(root)).toContain('https://edited')
    const st = await runAction({ ...t.base, path: root, mode: 'status' })
    expect(st.code, st.stdout).toBe(0)
    expect(JSON.stringify(st.report!.hosts[0])).not.toContain('"config.php"')
  })

  it('a carry that can neither copy nor link the group fails before the switch, naming the file and the fix', async () => {
    const root = await deliveryRoot()
    const parent = `/tmp/dlv-kg-site-${tag()}`
    made.push(parent)
    const site = await existingSite(parent)
    const init = await runAction({ ...t.base, path: root, mode: 'init', adopt: site, app: 'moodle' })
    expect(init.code, init.stdout).toBe(0)
    // root replaces live's config.php by its own, 640 root:web: the code owner may neither read it (to copy it) nor,
    // under protected_hardlinks, link another user's file.
    const live = (await asRoot('readlink -- "$1/live"', root)).trim()
    await asRoot(`printf '%s' "$2" > "$1.new" && chown root:${WEB} "$1.new" && chmod 640 "$1.new" && mv -f "$1.new" "$1"`, `${root}/${live}/config.php`, CONFIG)
    const next = await moodle.commit('another fix', { 'mod/forum/lib.php': '<?php\n// fixed again\n' })
    const d = await runAction({ ...t.base, path: root, mode: 'deliver', repository: moodle.dir, ref: next })
    expect(d.code).toBe(1)
    const host = d.report!.hosts[0]
    expect(host.error).toContain('config.php')
    expect(host.error).toContain(`config.php must hold ${root}/${live}/config.php with its mode and group ('640 ${WEB}'), or the web server may not read it; it is '640 ${OWNER}:${WEB}'`)
    expect(host.error).toContain('cannot read it and cannot link it')
    expect(host.error).toContain(`Fix: as root: chown ${OWNER} -- ${root}/${live}/config.php (then`)
    expect(host.steps.find((s) => s.name === 'switch')).toBeUndefined()
    expect((await asRoot('readlink -- "$1/live"', root)).trim()).toBe(live)
    expect(await webReads(root)).toBe(CONFIG)
    // The fix the message gives, as root, then the same delivery again: it goes through.
    const fix = /Fix: as root: (chown \S+ -- \S+) /.exec(host.error ?? '')
    expect(fix).not.toBeNull()
    await asRoot(fix![1])
    const again = await runAction({ ...t.base, path: root, mode: 'deliver', repository: moodle.dir, ref: next })
    expect(again.code, again.stdout).toBe(0)
    expect(await asRoot('cat -- "$1/live/mod/forum/lib.php"', root)).toContain('fixed again')
    expect(await meta(`${root}/live/config.php`)).toBe(`640 ${OWNER}:${WEB}`)
    expect(await webReads(root)).toBe(CONFIG)
  })

  it('init with adopt from another file system, where neither a copy nor a link keeps the group, fails before live exists', async () => {
    const root = await deliveryRoot()
    const parent = `/tmp/dlv-kg-other-${tag()}`
    await mkdir(parent)
    made.push(parent)
    await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', parent], { check: true })
    mounts.push(parent)
    const site = await existingSite(parent)
    const r = await runAction({ ...t.base, path: root, mode: 'init', adopt: site, app: 'moodle' })
    expect(r.code).toBe(1)
    const host = r.report!.hosts[0]
    expect(host.error).toContain('config.php')
    expect(host.error).toContain(`config.php must hold ${site}/config.php with its mode and group ('640 ${WEB}'), or the web server may not read it; it is '640 ${OWNER}:${OWNER}'.`)
    expect(host.error).toContain(`cannot give a copy group ${WEB} (not a member) and cannot link it`)
    expect(host.error).toContain('cross-device')
    expect(host.error).toContain(`adopt a directory on the file system of ${root}`)
    expect(await asRoot('ls -A -- "$1"; ls -A -- "$1/.delivery"', root)).not.toMatch(/^live$|state\.json/m)
  })
})

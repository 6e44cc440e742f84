/**
 * The Moodle steps of backtoprod, goback and deliver through the bundled Action against a real sshd and Debian's real
 * PHP CLI. The trees hold a FIXTURE in place of Moodle's admin/cli scripts (test/fixtures/moodle-cli: they follow
 * Moodle's documented options and exit codes and record their arguments, the user they ran as, the tree they belong
 * to, where `live` pointed, and the order of the calls). Moodle's CLI runs as a separate web user through sudo. The
 * health URL is served by `php -S` on the server's loopback, reached through the SSH connection (and, on a server that
 * refuses forwarding, by a client on the server).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, type Target, startTarget } from '../helpers/action.js'
import { type GitRepo, makePlainGitRepo } from '../helpers/gitrepo.js'
import { run, sleep } from '../helpers/proc.js'
import { makeUser } from '../helpers/sshd.js'

const FIXTURE = `${ROOT}test/fixtures/moodle-cli`
const WEB = 'dlvweb'
const SUDOERS = `/etc/sudoers.d/dlv-moodle-test-${process.pid}`

interface Call {
  seq: number
  script: string
  path: string
  args: string[]
  user: string
  tree: string
  live: string
  /** The version the caches were built for at the call (null: purged). */
  cache: string | null
}

const versionPhp = (version: string, release: string, branch: string) =>
  `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$version  = ${version};\n$release  = '${release}';\n$branch   = '${branch}';\n$maturity = MATURITY_STABLE;\n`
const V42 = versionPhp('2023042400.00', '4.2 (Build: 20230424)', '402')
const V43 = versionPhp('2023100900.00', '4.3 (Build: 20231009)', '403')
const V51 = versionPhp('2025100600.00', '5.1 (Build: 20251006)', '501')
const CLI = ['upgrade.php', 'maintenance.php', 'purge_caches.php', 'cron.php', 'cfg.php', 'fixture_lib.php']

/** A whole Moodle-shaped tree (pre-5.1 layout, or 5.1's public/ with `under = 'public/'`). */
function tree(version: string, index: string, under = ''): Record<string, string> {
  const files: Record<string, string> = {
    '.gitignore': '/config.php\n',
    [`${under}version.php`]: version,
    [`${under}lib/setup.php`]: "<?php\ndefined('MOODLE_INTERNAL') || die();\n",
    [`${under}index.php`]: index,
    [`${under}mod/forum/lib.php`]: "<?php\ndefined('MOODLE_INTERNAL') || die();\n",
  }
  for (const f of CLI) files[`${under}admin/cli/${f}`] = readFileSync(`${FIXTURE}/admin/cli/${f}`, 'utf8')
  return files
}
const ok = (text: string) => `<?php\necho ${JSON.stringify(text)};\n`
const broken = "<?php\nhttp_response_code(500);\necho 'Exception - broken';\n"

let t: Target
let repo: GitRepo
let web: ChildProcess
let webPort = 0
const c: Record<string, string> = {}
const cleanup: string[] = []

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

beforeAll(async () => {
  t = await startTarget({ allowTcpForwarding: true })
  await makeUser(WEB)
  // A wider rule than PHP alone keeps working (test/integration/moodle-sudo.test.ts holds only the php rule).
  await writeFile(SUDOERS, `${t.sshd.user} ALL=(${WEB}) NOPASSWD: ALL\n`, { mode: 0o440 })
  repo = await makePlainGitRepo(t.sshd.user, tree(V42, ok('Moodle 4.2 front page')))
  c.v42 = repo.head
  c.v42b = await repo.commit('4.2 code-only change', { 'index.php': ok('Moodle 4.2 front page, fixed'), 'mod/forum/lib.php': "<?php\n// fixed\n" })
  c.v42broken = await repo.commit('4.2 broken front page', { 'index.php': broken })
  c.v43 = await repo.commit('4.3', tree(V43, ok('Moodle 4.3 front page')))
  c.v43broken = await repo.commit('4.3 broken front page', { 'index.php': broken })
  const gone: Record<string, null> = { 'version.php': null, 'lib/setup.php': null, 'index.php': null, 'mod/forum/lib.php': null }
  for (const f of CLI) gone[`admin/cli/${f}`] = null
  c.v51 = await repo.commit('5.1: public/ layout', { ...gone, ...tree(V51, ok('Moodle 5.1 front page'), 'public/') })
  webPort = await freePort()
  web = spawn('php', ['-S', `127.0.0.1:${webPort}`, 'router.php'], { cwd: FIXTURE, stdio: 'ignore' })
  for (let i = 0; i < 50; i++) {
    if ((await run('php', ['-r', `exit(@fsockopen('127.0.0.1', ${webPort}) ? 0 : 1);`])).code === 0) break
    await sleep(100)
  }
}, 120_000)

afterAll(async () => {
  web?.kill()
  await rm(SUDOERS, { force: true })
  await t?.stop()
  await repo?.remove()
  for (const d of cleanup) await rm(d, { recursive: true, force: true })
})

interface Site {
  root: string
  data: string
  inputs: Record<string, string>
  healthUrl: string
  calls(): Promise<Call[]>
  /** Real path of the tree live points at. */
  live(): Promise<string>
  control(c: Record<string, unknown>): Promise<void>
  dbVersion(): Promise<string>
  maintenance(): boolean
  /** Real path of the safe tree (after a backtoprod: the one that served during the delivery). */
  safe(): Promise<string>
}

/** A fresh delivery root initialised at `ref`, its config.php in both trees, its "database" at `db`. */
async function site(ref: string, db: string, extra: Record<string, string> = {}, target: Target = t): Promise<Site> {
  const id = Math.random().toString(36).slice(2, 10)
  const root = `/tmp/dlv-moodle-${id}`
  const data = `/tmp/dlv-mdata-${id}`
  cleanup.push(root, data)
  await target.sh(`mkdir -p ${root}`)
  await run('install', ['-d', '-o', WEB, '-m', '0755', data], { check: true })
  await writeFile(`${data}/fixture-db-version`, db)
  await run('chown', [WEB, `${data}/fixture-db-version`], { check: true })
  const healthUrl = `http://127.0.0.1:${webPort}/?root=${root}&data=${data}`
  const inputs = { ...target.base, path: root, 'web-user': WEB, repository: repo.dir, ...extra }
  const r = await runAction({ ...inputs, mode: 'init', ref })
  expect(r.report?.hosts[0].error).toBeUndefined()
  expect(r.code).toBe(0)
  const config = `<?php\n$CFG->dataroot = '${data}';\n$CFG->fixturelive = '${root}/live';\n`
  for (const tr of readdirSync(`${root}/trees`)) {
    await target.sh(`cat > ${root}/trees/${tr}/config.php <<'EOF'\n${config}EOF`)
  }
  const s: Site = {
    root,
    data,
    inputs,
    healthUrl,
    calls: async () =>
      existsSync(`${data}/fixture-calls.jsonl`)
        ? (await readFile(`${data}/fixture-calls.jsonl`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Call)
        : [],
    live: async () => (await run('realpath', [`${root}/live`], { check: true })).stdout.trim(),
    control: (ctl) => writeFile(`${data}/fixture-control.json`, JSON.stringify(ctl)),
    dbVersion: async () => (await readFile(`${data}/fixture-db-version`, 'utf8')).trim(),
    maintenance: () => existsSync(`${data}/climaintenance.html`),
    safe: async () => `${root}/trees/${(JSON.parse(await readFile(`${root}/.delivery/state.json`, 'utf8')) as { safe: string }).safe}`,
  }
  return s
}

/** The calls after the first `upgrade.php --is-pending` (backtoprod's own), as `script args` strings. */
const backtoprodCalls = (calls: Call[]) => {
  const i = calls.findIndex((x) => x.script === 'upgrade.php' && x.args.includes('--is-pending'))
  return i < 0 ? [] : calls.slice(i)
}
/** The steps between the maintenance on and off of a report (the maintenance window), in order. */
const inWindow = (h: { steps: { name: string }[] }) => {
  const n = h.steps.map((x) => x.name)
  const on = n.indexOf('maintenance on')
  return on < 0 ? [] : n.slice(on + 1, n.indexOf('maintenance off', on))
}
const names = (calls: Call[]) => calls.map((x) => `${x.script}${x.args.length ? ` ${x.args.join(' ')}` : ''}`)
const hostOf = (r: Awaited<ReturnType<typeof runAction>>) => r.report?.hosts[0] as NonNullable<typeof r.report>['hosts'][0] & {
  upgradeOutput?: string
  restore?: string
  health?: { ok: boolean; via?: string; status: number }
  appVersionBefore?: string
  appVersionAfter?: string
}

describe('Moodle steps in backtoprod (fixture CLI, real PHP, real sshd, CLI as the web user through sudo)', () => {
  it('detects Moodle at init and reports the code version', async () => {
    const s = await site(c.v42, '2023042400.00')
    const st = JSON.parse(await readFile(`${s.root}/.delivery/state.json`, 'utf8')) as { app: string }
    expect(st.app).toBe('moodle')
    const r = await runAction({ ...s.inputs, mode: 'status' })
    expect(r.code).toBe(0)
    expect(r.outputs['app-version-after']).toBe('4.2 (Build: 20230424)')
    const trees = (r.report?.hosts[0].status as { trees: Record<string, { app: string; version: string; branch: string }> }).trees
    for (const v of Object.values(trees)) expect(v).toMatchObject({ app: '4.2 (Build: 20230424)', version: '2023042400.00', branch: '402' })
    // The site as Moodle's CLI sees it through the live tree, as the web user.
    const siteOf = (x: typeof r) => (x.report?.hosts[0].status as { site: Record<string, unknown> }).site
    expect(siteOf(r)).toEqual({ maintenance: 'off', cron: 'enabled', database: '2023042400.00', code: '2023042400.00' })
    expect(r.report?.hosts[0].message).not.toMatch(/maintenance|cron/)
    // Maintenance set on the web by the admin, cron off, a database ahead of the code: each is said, with what to do.
    await writeFile(`${s.data}/fixture-config.json`, JSON.stringify({ maintenance_enabled: '1' }))
    await run('install', ['-o', WEB, '/dev/null', `${s.data}/fixture-cron-disabled`], { check: true })
    await writeFile(`${s.data}/fixture-db-version`, '2023100900.00')
    const odd = await runAction({ ...s.inputs, mode: 'status' })
    expect(odd.code).toBe(0)
    expect(siteOf(odd)).toMatchObject({ maintenance: 'on (web: maintenance_enabled)', cron: 'disabled', database: '2023100900.00', code: '2023042400.00' })
    const warnings = (siteOf(odd).warnings as string[]).join('\n')
    expect(warnings).toContain(`the site is in maintenance mode (web: maintenance_enabled): if no one meant it (a run that stopped half-way), end it with sudo -u ${WEB}`)
    expect(warnings).toContain(`${s.root}/live/admin/cli/cron.php --enable`)
    expect(warnings).toContain('the database (2023100900.00) is newer than the live code (4.2 (Build: 20230424) (2023042400.00)): Moodle cannot serve it')
    expect(odd.report?.hosts[0].message).toContain('cron is disabled')
    // A live tree whose config.php is gone: status still answers, and says why the site's state is unknown.
    const live = await s.live()
    await run('mv', [`${live}/config.php`, `${live}/config.php.aside`], { check: true })
    try {
      const blind = await runAction({ ...s.inputs, mode: 'status' })
      expect(blind.code).toBe(0)
      expect(String(siteOf(blind).error)).toMatch(/^the site's state could not be read: /)
    } finally {
      await run('mv', [`${live}/config.php.aside`, `${live}/config.php`], { check: true })
    }
  })

  it('code-only delivery: no upgrade pending -> switch, purge caches, no maintenance; health through the SSH connection', async () => {
    const s = await site(c.v42, '2023042400.00')
    const before = await s.live()
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v42b, 'health-url': s.healthUrl, 'health-expect': '200 fixed' })
    expect(hostOf(r).error).toBeUndefined()
    expect(r.code).toBe(0)
    const after = await s.live()
    expect(after).not.toBe(before)
    const calls = backtoprodCalls(await s.calls())
    // The maintenance state is read (the admin's maintenance would stay, and skip the health check): none here.
    expect(names(calls)).toEqual(['upgrade.php --is-pending', 'cfg.php --name=maintenance_enabled', 'purge_caches.php'])
    // Asked of the work tree while the safe tree served; the purge ran in the new tree once it was live.
    const served = await s.safe()
    expect(calls[0]).toMatchObject({ live: served, user: WEB })
    expect(calls[0].tree).not.toBe(served)
    expect(calls[1]).toMatchObject({ tree: served, live: served, user: WEB })
    expect(calls[2]).toMatchObject({ tree: after, live: after, user: WEB })
    expect((await s.calls()).every((x) => x.user === WEB)).toBe(true)
    expect(hostOf(r).health).toMatchObject({ ok: true, status: 200, via: 'ssh-forward' })
    expect(r.outputs['app-version-before']).toBe('4.2 (Build: 20230424)')
    expect(r.outputs['app-version-after']).toBe('4.2 (Build: 20230424)')
    expect(r.outputs['rolled-back']).toBe('false')
    expect(hostOf(r).steps.find((x) => x.name === 'maintenance on')?.outcome).toBe('skipped')
  })

  it('upgrade pending, maintenance required: before-upgrade, cron held, fresh path, kept files, then maintenance on, switch, upgrade and maintenance off, purge, cron on', async () => {
    const s = await site(c.v42, '2023042400.00')
    const before = await s.live()
    // A visitor's page builds the caches for the 4.2 code before the delivery.
    const page = await fetch(s.healthUrl, { headers: { connection: 'close' } })
    expect([page.status, await page.text()]).toEqual([200, 'Moodle 4.2 front page'])
    expect(readFileSync(`${s.data}/fixture-cache-version`, 'utf8')).toBe('2023042400.00')
    const marker = `${s.root}/dumped`
    const r = await runAction({
      ...s.inputs,
      mode: 'deliver',
      ref: c.v43,
      'before-upgrade': `echo "dump before upgrade" > ${marker}; test -L "$DELIVERY_LIVE" || test -d "$DELIVERY_LIVE"`,
      'health-url': s.healthUrl,
      'health-expect': '200 4.3 front page',
    })
    expect(hostOf(r).error).toBeUndefined()
    expect(r.code).toBe(0)
    const after = await s.live()
    const calls = backtoprodCalls(await s.calls())
    expect(names(calls)).toEqual([
      'upgrade.php --is-pending',
      'upgrade.php --help',
      'upgrade.php --is-maintenance-required',
      'cfg.php --name=maintenance_enabled',
      'cron.php --help',
      'cfg.php --name=cron_enabled',
      'cron.php --disable-wait',
      'maintenance.php --enable',
      'upgrade.php --non-interactive',
      'maintenance.php --disable',
      'purge_caches.php',
      'cron.php --enable',
    ])
    expect(calls.every((x) => x.user === WEB)).toBe(true)
    // The maintenance window is the switch and the upgrade: the cron hold, the fresh path and the kept files come
    // before it; maintenance off follows the upgrade in its command, the purge comes after it.
    const h0 = hostOf(r)
    expect(inWindow(h0)).toEqual(['switch', 'upgrade'])
    // Visitors come back to purged caches: the upgrade purged them itself (as Moodle's does), before maintenance off.
    expect(calls.find((x) => x.script === 'maintenance.php' && x.args.includes('--disable'))?.cache).toBeNull()
    expect(calls.find((x) => x.script === 'upgrade.php' && x.args.includes('--non-interactive'))?.cache).toBe('2023042400.00')
    const order = h0.steps.map((x) => x.name)
    for (const before of ['before-upgrade', 'cron hold', 'fresh path', 'keep files']) {
      expect(order.lastIndexOf(before), before).toBeGreaterThan(-1)
      expect(order.lastIndexOf(before), before).toBeLessThan(order.indexOf('maintenance on'))
    }
    expect(order.indexOf('cron on')).toBeGreaterThan(order.indexOf('maintenance off'))
    // The admin's state read, maintenance and the cron hold through the old tree before the switch; everything after
    // it in the new tree.
    const served = await s.safe()
    expect(served).not.toBe(after)
    expect(before).not.toBe(after)
    for (const x of calls.slice(3, 8)) expect(x).toMatchObject({ tree: served, live: served })
    for (const x of calls.slice(8)) expect(x).toMatchObject({ tree: after, live: after })
    expect(await s.dbVersion()).toBe('2023100900')
    expect(s.maintenance()).toBe(false)
    expect(existsSync(`${s.data}/fixture-cron-disabled`)).toBe(false)
    expect(readFileSync(marker, 'utf8')).toBe('dump before upgrade\n')
    const h = hostOf(r)
    expect(h.steps.find((x) => x.name === 'before-upgrade')?.outcome).toBe('success')
    expect(h.upgradeOutput).toContain('completed successfully')
    expect(r.outputs['app-version-before']).toBe('4.2 (Build: 20230424)')
    expect(r.outputs['app-version-after']).toBe('4.3 (Build: 20231009)')
    expect(h.health).toMatchObject({ ok: true })
    expect(r.summary).toContain('Upgrade output')
  })

  it('goback is refused across an applied upgrade, allowed with allow-downgrade', async () => {
    const s = await site(c.v42, '2023042400.00')
    const r1 = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r1.code).toBe(0)
    const live = await s.live()
    const n = (await s.calls()).length
    const r = await runAction({ ...s.inputs, mode: 'goback' })
    expect(r.code).toBe(1)
    expect(r.report?.outcome).toBe('refused')
    expect(hostOf(r).error).toMatch(/older than the database \(2023100900\).*allow-downgrade/)
    expect(await s.live()).toBe(live)
    const asked = (await s.calls()).slice(n)
    expect(names(asked)).toEqual(['cfg.php --name=version'])
    expect(asked[0]).toMatchObject({ user: WEB, tree: live })
    const forced = await runAction({ ...s.inputs, mode: 'goback', 'allow-downgrade': 'true' })
    expect(forced.code).toBe(0)
    expect(await s.live()).not.toBe(live)
    // Caches of the newer code are purged after going back to older code.
    expect(names((await s.calls()).slice(n + 1))).toEqual(['purge_caches.php'])
  })

  it('upgrade not requiring maintenance: no maintenance mode, upgrade with --maintenance=false', async () => {
    const s = await site(c.v42, '2023042400.00')
    await s.control({ maintenanceRequired: false })
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(hostOf(r).error).toBeUndefined()
    const got = names(backtoprodCalls(await s.calls()))
    expect(got).not.toContain('maintenance.php --enable')
    expect(got).toContain('upgrade.php --non-interactive --maintenance=false')
    expect(got).toContain('cron.php --disable-wait')
    expect(hostOf(r).steps.find((x) => x.name === 'maintenance on')).toMatchObject({ outcome: 'skipped', detail: 'the upgrade does not require maintenance mode' })
  })

  it('maintenance: always puts even a code-only switch in maintenance; maintenance: never keeps it off for an upgrade', async () => {
    const s = await site(c.v42, '2023042400.00')
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v42b, maintenance: 'always' })
    expect(r.code).toBe(0)
    expect(names(backtoprodCalls(await s.calls()))).toEqual(['upgrade.php --is-pending', 'cfg.php --name=maintenance_enabled', 'maintenance.php --enable', 'purge_caches.php', 'maintenance.php --disable'])
    expect(inWindow(hostOf(r))).toEqual(['switch', 'purge caches'])
    const n = (await s.calls()).length
    const r2 = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, maintenance: 'never' })
    expect(r2.code).toBe(0)
    const got = names(backtoprodCalls((await s.calls()).slice(n)))
    expect(got.filter((x) => x.startsWith('maintenance.php'))).toEqual([])
    expect(got).toContain('upgrade.php --non-interactive')
  })

  it('a Moodle without --is-maintenance-required or cron --disable-wait: maintenance assumed required, cron not held', async () => {
    const s = await site(c.v42, '2023042400.00')
    await s.control({ oldMoodle: true })
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(hostOf(r).error).toBeUndefined()
    expect(names(backtoprodCalls(await s.calls()))).toEqual([
      'upgrade.php --is-pending',
      'upgrade.php --help',
      'cfg.php --name=maintenance_enabled',
      'cron.php --help',
      'maintenance.php --enable',
      'upgrade.php --non-interactive',
      'maintenance.php --disable',
      'purge_caches.php',
    ])
    expect(hostOf(r).steps.find((x) => x.name === 'cron hold')?.outcome).toBe('skipped')
  })

  it('a failed upgrade leaves the site in maintenance, never goes back, and says what to restore', async () => {
    const s = await site(c.v42, '2023042400.00')
    await s.control({ fail: ['upgrade.php --non-interactive'] })
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, 'before-upgrade': 'true', 'health-url': s.healthUrl })
    expect(r.code).toBe(1)
    const h = hostOf(r)
    expect(h.outcome).toBe('failure')
    expect(h.rolledBack).toBe(false)
    expect(r.outputs['rolled-back']).toBe('false')
    expect(s.maintenance()).toBe(true)
    const live = await s.live()
    const calls = backtoprodCalls(await s.calls())
    expect(names(calls).slice(-1)).toEqual(['upgrade.php --non-interactive'])
    expect(calls.at(-1)).toMatchObject({ tree: live, live })
    expect(h.steps.find((x) => x.name === 'upgrade')?.outcome).toBe('failure')
    expect(h.steps.find((x) => x.name === 'health')).toBeUndefined()
    expect(h.upgradeOutput).toContain('simulated failure')
    expect(h.restore).toContain(`sudo -u ${WEB} /usr/bin/php ${live}/admin/cli/upgrade.php --non-interactive`)
    expect(h.restore).toContain('maintenance.php --disable')
    expect(h.restore).toContain('cron.php --enable')
    expect(h.restore).toMatch(/restore the database.*before-upgrade: true.*run mode goback/)
    expect(h.error).toMatch(/stays in maintenance mode/)
    expect(r.summary).toContain('To restore by hand')
    const st = JSON.parse(await readFile(`${s.root}/.delivery/state.json`, 'utf8')) as { state: string }
    expect(st.state).toBe('production')
  })

  it('a failed upgrade that did not require maintenance puts the site into maintenance', async () => {
    const s = await site(c.v42, '2023042400.00')
    await s.control({ maintenanceRequired: false, fail: ['upgrade.php --non-interactive'] })
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r.code).toBe(1)
    expect(names(backtoprodCalls(await s.calls())).slice(-2)).toEqual(['upgrade.php --non-interactive --maintenance=false', 'maintenance.php --enable'])
    expect(s.maintenance()).toBe(true)
    expect(hostOf(r).rolledBack).toBe(false)
    expect(hostOf(r).error).toMatch(/stays in maintenance mode/)
  })

  it('a failed purge after an upgrade still turns maintenance off and cron on; no goback', async () => {
    const s = await site(c.v42, '2023042400.00')
    await s.control({ fail: ['purge_caches.php'] })
    const live0 = await s.live()
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r.code).toBe(1)
    expect(names(backtoprodCalls(await s.calls())).slice(-4)).toEqual(['upgrade.php --non-interactive', 'maintenance.php --disable', 'purge_caches.php', 'cron.php --enable'])
    expect(s.maintenance()).toBe(false)
    expect(hostOf(r).rolledBack).toBe(false)
    expect(await s.live()).not.toBe(live0)
    expect(hostOf(r).restore).toContain('purge_caches.php')
  })

  it('maintenance off failing after the upgrade: the site stays in maintenance, the purge and cron on still run, no goback, the command said', async () => {
    const s = await site(c.v42, '2023042400.00')
    await s.control({ fail: ['maintenance.php --disable'] })
    const live0 = await s.live()
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r.code).toBe(1)
    const h = hostOf(r)
    expect(names(backtoprodCalls(await s.calls())).slice(-4)).toEqual(['upgrade.php --non-interactive', 'maintenance.php --disable', 'purge_caches.php', 'cron.php --enable'])
    expect(s.maintenance()).toBe(true)
    expect(await s.dbVersion()).toBe('2023100900')
    expect(h.rolledBack).toBe(false)
    expect(await s.live()).not.toBe(live0)
    expect(h.steps.find((x) => x.name === 'upgrade')?.outcome).toBe('success')
    expect(h.steps.find((x) => x.name === 'maintenance off')).toMatchObject({ outcome: 'failure', detail: expect.stringContaining('simulated failure') })
    expect(h.error).toMatch(/maintenance\.php --disable failed.*upgrade to 4\.3.*succeeded/s)
    expect(h.restore).toContain(`turn maintenance mode off: sudo -u ${WEB} /usr/bin/php ${await s.live()}/admin/cli/maintenance.php --disable`)
    expect(h.restore).not.toContain('purge_caches.php')
  })

  it('a failed health check after a code-only switch goes back to the safe tree and purges its caches', async () => {
    const s = await site(c.v42, '2023042400.00')
    const live0 = await s.live()
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v42broken, 'health-url': s.healthUrl, 'after-switch': `echo switched >> ${s.root}/after-switch.log` })
    expect(r.code).toBe(1)
    const h = hostOf(r)
    expect(h.rolledBack).toBe(true)
    expect(r.outputs['rolled-back']).toBe('true')
    expect(h.health).toMatchObject({ ok: false, status: 500 })
    expect(h.error).toMatch(/health check failed.*HTTP 500.*Went back/s)
    const live = await s.live()
    expect(live).not.toBe(live0) // the safe copy took a new id (fresh path) when it went live during deliver's goback
    const calls = backtoprodCalls(await s.calls())
    // Before going back by itself, it checks that the safe tree can serve the database (cfg.php through the live tree).
    expect(names(calls)).toEqual(['upgrade.php --is-pending', 'cfg.php --name=maintenance_enabled', 'purge_caches.php', 'cfg.php --name=version', 'purge_caches.php'])
    expect(calls[4]).toMatchObject({ tree: live, live })
    expect(calls[2].tree).not.toBe(live)
    // after-switch ran after every switch: deliver's goback, backtoprod's switch, and the automatic goback.
    expect(readFileSync(`${s.root}/after-switch.log`, 'utf8')).toBe('switched\nswitched\nswitched\n')
    const st = JSON.parse(await readFile(`${s.root}/.delivery/state.json`, 'utf8')) as { state: string }
    expect(st.state).toBe('delivering')
  })

  it('a failed health check after an upgrade never goes back: maintenance back on, restore said', async () => {
    const s = await site(c.v42, '2023042400.00')
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43broken, 'health-url': s.healthUrl, 'auto-rollback': 'true' })
    expect(r.code).toBe(1)
    const h = hostOf(r)
    expect(h.rolledBack).toBe(false)
    expect(await s.dbVersion()).toBe('2023100900')
    expect(s.maintenance()).toBe(true)
    expect(names(backtoprodCalls(await s.calls())).slice(-4)).toEqual(['maintenance.php --disable', 'purge_caches.php', 'cron.php --enable', 'maintenance.php --enable'])
    expect(h.restore).toMatch(/maintenance mode.*health check failed.*cannot serve it.*maintenance\.php --disable/s)
  })

  it('upgrade: false with an upgrade pending refuses the switch and changes nothing live', async () => {
    const s = await site(c.v42, '2023042400.00')
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, upgrade: 'false' })
    expect(r.code).toBe(1)
    expect(r.report?.outcome).toBe('refused')
    expect(hostOf(r).error).toMatch(/needs a database upgrade and upgrade is false/)
    expect(names(backtoprodCalls(await s.calls()))).toEqual(['upgrade.php --is-pending'])
    expect(await s.dbVersion()).toBe('2023042400.00')
    expect(s.maintenance()).toBe(false)
    // A dry run of backtoprod (state delivering now) asks the work tree and says what a real run would do.
    const n = (await s.calls()).length
    const live = await s.live()
    const dry = await runAction({ ...s.inputs, mode: 'backtoprod', 'dry-run': 'true' })
    expect(hostOf(dry).error).toBeUndefined()
    expect(dry.code).toBe(0)
    expect(hostOf(dry).plan?.join('\n')).toMatch(/a database upgrade is pending: cron held, fresh path and kept files, maintenance mode on, switch, upgrade\.php --non-interactive, maintenance mode off \(in the same command\), purge_caches\.php, cron on/)
    expect(names((await s.calls()).slice(n))).toEqual(['upgrade.php --is-pending', 'upgrade.php --help', 'upgrade.php --is-maintenance-required'])
    expect(await s.live()).toBe(live)
    expect(s.maintenance()).toBe(false)
  })

  it('a failed before-upgrade fails the run before anything is switched', async () => {
    const s = await site(c.v42, '2023042400.00')
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, 'before-upgrade': 'echo no space left >&2; exit 7' })
    expect(r.code).toBe(1)
    const live = await s.live()
    const calls = backtoprodCalls(await s.calls())
    // Only reads before before-upgrade: the admin's maintenance and cron state.
    expect(names(calls)).toEqual(['upgrade.php --is-pending', 'upgrade.php --help', 'upgrade.php --is-maintenance-required', 'cfg.php --name=maintenance_enabled', 'cron.php --help', 'cfg.php --name=cron_enabled'])
    expect(calls[0].tree).not.toBe(live)
    expect(hostOf(r).steps.find((x) => x.name === 'before-upgrade')?.outcome).toBe('failure')
    expect(hostOf(r).steps.filter((x) => x.name === 'switch')).toHaveLength(1) // deliver's goback only
    expect(s.maintenance()).toBe(false)
  })

  it('a failing cron hold turns cron back on, never turns maintenance on, and switches nothing', async () => {
    const s = await site(c.v42, '2023042400.00')
    await s.control({ fail: ['cron.php --disable-wait'] })
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r.code).toBe(1)
    expect(names(backtoprodCalls(await s.calls())).slice(-3)).toEqual(['cfg.php --name=cron_enabled', 'cron.php --disable-wait', 'cron.php --enable'])
    expect(hostOf(r).steps.find((x) => x.name === 'maintenance on')).toBeUndefined()
    expect(s.maintenance()).toBe(false)
    expect(await s.dbVersion()).toBe('2023042400.00')
  })

  it('a fresh path that fails (before the maintenance window) turns cron on again through the old tree; maintenance never went on', async () => {
    const s = await site(c.v42, '2023042400.00')
    // before-upgrade makes trees/ read-only: the work tree cannot take its fresh path, so nothing is switched.
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, 'before-upgrade': 'chmod 555 "$DELIVERY_ROOT/trees"' })
    await t.sh(`chmod 755 ${s.root}/trees`)
    expect(r.code).toBe(1)
    expect(hostOf(r).steps.find((x) => x.name === 'fresh path')?.outcome).toBe('failure')
    const live = await s.live()
    const calls = backtoprodCalls(await s.calls())
    expect(names(calls).slice(3)).toEqual(['cfg.php --name=maintenance_enabled', 'cron.php --help', 'cfg.php --name=cron_enabled', 'cron.php --disable-wait', 'cron.php --enable'])
    for (const x of calls.slice(-2)) expect(x).toMatchObject({ tree: live, live })
    expect(hostOf(r).steps.find((x) => x.name === 'maintenance on')).toBeUndefined()
    expect(s.maintenance()).toBe(false)
    expect(existsSync(`${s.data}/fixture-cron-disabled`)).toBe(false)
    expect(await s.dbVersion()).toBe('2023042400.00')
  })

  it("Moodle 5.1's public/ layout: refused without confirm-public-root, then upgraded through public/admin/cli", async () => {
    const s = await site(c.v43, '2023100900.00')
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v51 })
    expect(r.code).toBe(1)
    expect(r.report?.outcome).toBe('refused')
    expect(hostOf(r).error).toMatch(/live\/public.*confirm-public-root: true/)
    expect(s.maintenance()).toBe(false)
    const r2 = await runAction({
      ...s.inputs,
      mode: 'backtoprod',
      'confirm-public-root': 'true',
      'health-url': s.healthUrl,
      'health-expect': '200 5.1 front page',
    })
    expect(hostOf(r2).error).toBeUndefined()
    expect(r2.code).toBe(0)
    const live = await s.live()
    const calls = backtoprodCalls(await s.calls()).filter((x) => x.tree === live && x.live === live)
    expect(names(calls)).toEqual(['upgrade.php --non-interactive', 'maintenance.php --disable', 'purge_caches.php', 'cron.php --enable'])
    for (const x of calls) expect(x.path).toBe(`${live}/public/admin/cli/${x.script}`)
    expect(await s.dbVersion()).toBe('2025100600')
    expect(r2.outputs['app-version-after']).toBe('5.1 (Build: 20251006)')
  })

  it('a web user that sudo refuses: a clear message, nothing switched', async () => {
    await makeUser('dlvweb2')
    const s = await site(c.v42, '2023042400.00')
    const live = await s.live()
    const r = await runAction({ ...s.inputs, mode: 'goback', 'web-user': 'dlvweb2' })
    expect(r.code).toBe(1)
    expect(hostOf(r).error).toMatch(/may not run \/usr\/bin\/php as web-user dlvweb2 .*NOPASSWD: \/usr\/bin\/php/)
    expect(await s.live()).toBe(live)
  })

  it('bad Moodle inputs are refused before any connection', async () => {
    const before = t.sshd.connectionCount()
    for (const [input, value, msg] of [
      ['maintenance', 'sometimes', /maintenance/],
      ['health-expect', 'ok', /health-expect/],
      ['health-url', 'ftp://127.0.0.1/', /health-url/],
      ['php', 'php; rm -rf /', /php/],
      ['web-user', 'www data', /web-user/],
      ['upgrade', 'yes please', /upgrade/],
    ] as const) {
      const r = await runAction({ ...t.base, mode: 'backtoprod', [input]: value })
      expect(r.code).toBe(1)
      expect(r.report).toBeUndefined()
      expect(r.stdout + r.stderr).toMatch(msg)
    }
    expect(t.sshd.connectionCount()).toBe(before)
  })
})

describe('health check on a server that refuses SSH forwarding', () => {
  let t2: Target
  beforeAll(async () => {
    t2 = await startTarget() // AllowTcpForwarding no
    await run('sh', ['-c', `grep -q '^${t2.sshd.user} ' ${SUDOERS} || echo '${t2.sshd.user} ALL=(${WEB}) NOPASSWD: ALL' >> ${SUDOERS}`], { check: true })
  })
  afterAll(async () => {
    await t2?.stop()
  })

  it('falls back to a client on the server, and still tells a failure', async () => {
    const s = await site(c.v42, '2023042400.00', {}, t2)
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v42b, 'health-url': s.healthUrl, 'health-expect': '200 fixed' })
    expect(hostOf(r).error).toBeUndefined()
    expect(hostOf(r).health?.via).toMatch(/^server-(curl|php|wget)$/)
    // A port nobody listens on: no answer, and the run goes back to the safe tree.
    const dead = await freePort()
    const r2 = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v42, 'health-url': `http://127.0.0.1:${dead}/` })
    expect(r2.code).toBe(1)
    expect(hostOf(r2).rolledBack).toBe(true)
    expect(hostOf(r2).health?.status).toBe(0)
  }, 120_000)
})

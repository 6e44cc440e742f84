/**
 * Moodle as its admins run it, against a real sshd, the real sudo and Debian's real PHP CLI, with the fixture's Moodle
 * CLI (test/fixtures/moodle-cli):
 * - the deploy account holds only the sudoers rule Moodle admins write for it, `dlvtest ALL=(web) NOPASSWD:
 *   /usr/bin/php`: a whole delivery with an upgrade runs through it; a rule for another program is refused before
 *   anything changes, naming the rule to add;
 * - the admin's own state is respected: a site the admin keeps in maintenance (CLI or web) stays so, cron the admin
 *   disabled stays disabled; cron tasks that outlast `--disable-wait` and a code version below stable stop the delivery
 *   before the switch; the fixture's web page tells a health check when code and database differ.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { chmod, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, type Target, startTarget } from '../helpers/action.js'
import { type GitRepo, makePlainGitRepo } from '../helpers/gitrepo.js'
import { run, runAs, sleep } from '../helpers/proc.js'
import { makeUser } from '../helpers/sshd.js'

const FIXTURE = `${ROOT}test/fixtures/moodle-cli`
const WEB = 'dlvphpweb' // a web user of its own: other suites grant sudo rules to their own users meanwhile
const SUDOERS = `/etc/sudoers.d/dlv-moodle-php-${randomBytes(4).toString('hex')}`
const PHP = '/usr/bin/php'

interface Call {
  script: string
  args: string[]
  user: string
  tree: string
  live: string
}

const versionPhp = (version: string, release: string, maturity = 'MATURITY_STABLE') =>
  `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$version  = ${version};\n$release  = '${release}';\n$branch   = '403';\n$maturity = ${maturity};\n`
const CLI = ['upgrade.php', 'maintenance.php', 'purge_caches.php', 'cron.php', 'cfg.php', 'fixture_lib.php']

function tree(version: string, index: string): Record<string, string> {
  const files: Record<string, string> = {
    '.gitignore': '/config.php\n',
    'version.php': version,
    'lib/setup.php': "<?php\ndefined('MOODLE_INTERNAL') || die();\n",
    'index.php': `<?php\necho ${JSON.stringify(index)};\n`,
  }
  for (const f of CLI) files[`admin/cli/${f}`] = readFileSync(`${FIXTURE}/admin/cli/${f}`, 'utf8')
  return files
}

let t: Target
let repo: GitRepo
let web: ChildProcess
let webPort = 0
const c: Record<string, string> = {}
const cleanup: string[] = []

/** Writes the sudoers file, checked by visudo first. */
async function setSudoers(line: string): Promise<void> {
  const tmp = `/tmp/dlv-sudoers-${randomBytes(4).toString('hex')}`
  await writeFile(tmp, `${line}\n`, { mode: 0o440 })
  await run('visudo', ['-cf', tmp], { check: true })
  await run('mv', ['-f', tmp, SUDOERS], { check: true })
  await chmod(SUDOERS, 0o440)
}

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
  await setSudoers(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP}`)
  repo = await makePlainGitRepo(t.sshd.user, tree(versionPhp('2023042400.00', '4.2 (Build: 20230424)'), 'Moodle 4.2 front page'))
  c.v42 = repo.head
  c.v43 = await repo.commit('4.3', tree(versionPhp('2023100900.00', '4.3 (Build: 20231009)'), 'Moodle 4.3 front page'))
  c.v44beta = await repo.commit('4.4 beta', tree(versionPhp('2024041200.00', '4.4beta (Build: 20240412)', 'MATURITY_BETA'), 'Moodle 4.4 beta front page'))
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
  live(): Promise<string>
  /** The `$version` of the code live serves. */
  liveVersion(): Promise<string>
  /** Runs a fixture CLI script of the live tree as the web user, as the admin would. */
  admin(script: string, ...args: string[]): Promise<string>
  control(c: Record<string, unknown>): Promise<void>
  dbVersion(): Promise<string>
}

/** A delivery root initialised at 4.2 (its database at 4.2), config.php in both trees, moodledata the web user's. */
async function site(): Promise<Site> {
  const id = randomBytes(4).toString('hex')
  const root = `/tmp/dlv-mphp-${id}`
  const data = `/tmp/dlv-mphp-data-${id}`
  cleanup.push(root, data)
  await t.sh(`mkdir -p ${root}`)
  // moodledata as Moodle wants it: the web user's alone.
  await run('install', ['-d', '-o', WEB, '-g', WEB, '-m', '0700', data], { check: true })
  await writeFile(`${data}/fixture-db-version`, '2023042400.00')
  await run('chown', [WEB, `${data}/fixture-db-version`], { check: true })
  const inputs = { ...t.base, path: root, 'web-user': WEB, repository: repo.dir }
  const r = await runAction({ ...inputs, mode: 'init', ref: c.v42 })
  expect(r.report?.hosts[0].error).toBeUndefined()
  for (const tr of readdirSync(`${root}/trees`)) {
    await t.sh(`cat > ${root}/trees/${tr}/config.php <<'EOF'\n<?php\n$CFG->dataroot = '${data}';\n$CFG->fixturelive = '${root}/live';\nEOF`)
  }
  const asRoot = async (cmd: string) => (await run('bash', ['-c', cmd], { check: true })).stdout
  const s: Site = {
    root,
    data,
    inputs,
    healthUrl: `http://127.0.0.1:${webPort}/?root=${root}&data=${data}`,
    calls: async () => {
      const text = await asRoot(`cat ${data}/fixture-calls.jsonl 2>/dev/null || true`)
      return text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l) as Call) : []
    },
    live: async () => (await run('realpath', [`${root}/live`], { check: true })).stdout.trim(),
    liveVersion: async () => /\$version\s*=\s*([0-9.]+)/.exec(await readFile(`${root}/live/version.php`, 'utf8'))?.[1] ?? '',
    admin: async (script, ...args) => (await run('runuser', ['-u', WEB, '--', PHP, `${root}/live/admin/cli/${script}`, ...args])).stdout,
    control: async (ctl) => {
      await writeFile(`${data}/fixture-control.json`, JSON.stringify(ctl))
    },
    dbVersion: async () => (await readFile(`${data}/fixture-db-version`, 'utf8')).trim(),
  }
  return s
}

const names = (calls: Call[]) => calls.map((x) => `${x.script}${x.args.length ? ` ${x.args.join(' ')}` : ''}`)
const exists = async (path: string) => (await run('test', ['-e', path])).code === 0
type Host = Omit<NonNullable<Awaited<ReturnType<typeof runAction>>['report']>['hosts'][0], 'steps'> & {
  steps: { name: string; outcome: string; detail?: string }[]
  sudo?: { user: string; input: string; command: string; rule: string }[]
  health?: { ok: boolean; status: number }
}
const hostOf = (r: Awaited<ReturnType<typeof runAction>>) => r.report?.hosts[0] as Host

describe('Moodle with only the php sudoers rule (real sudo)', () => {
  it('the rule allows php as the web user and nothing else', async () => {
    await setSudoers(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP}`)
    expect((await runAs(t.sshd.user, `cd / && sudo -n -u ${WEB} ${PHP} -r 'echo posix_getpwuid(posix_geteuid())["name"];'`)).stdout).toBe(WEB)
    for (const cmd of ['bash -c true', 'true', `test -d /`, 'id -un']) {
      expect((await runAs(t.sshd.user, `cd / && sudo -n -u ${WEB} ${cmd}`)).code, cmd).not.toBe(0)
    }
  })

  it('delivers an upgrade through it: every CLI call as the web user, the report names the rule form used', async () => {
    await setSudoers(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP}`)
    const s = await site()
    const before = await s.live()
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, 'health-url': s.healthUrl, 'health-expect': '200 4.3 front page' })
    const h = hostOf(r)
    expect(h.error).toBeUndefined()
    expect(r.code).toBe(0)
    expect(await s.dbVersion()).toBe('2023100900')
    expect(await s.live()).not.toBe(before)
    const calls = await s.calls()
    expect(names(calls)).toEqual(
      expect.arrayContaining(['upgrade.php --is-pending', 'maintenance.php --enable', 'cron.php --disable-wait', 'upgrade.php --non-interactive', 'purge_caches.php', 'maintenance.php --disable', 'cron.php --enable']),
    )
    // Cron is held before maintenance goes on; inside the window only the switch and the upgrade (maintenance off in
    // the upgrade's command), the purge after it.
    const seq = names(calls)
    expect(seq.slice(seq.indexOf('cron.php --disable-wait'))).toEqual([
      'cron.php --disable-wait',
      'maintenance.php --enable',
      'upgrade.php --non-interactive',
      'maintenance.php --disable',
      'purge_caches.php',
      'cron.php --enable',
    ])
    const steps = h.steps.map((x) => x.name)
    const on = steps.indexOf('maintenance on')
    expect(steps.slice(on + 1, steps.indexOf('maintenance off', on))).toEqual(['switch', 'upgrade'])
    expect(steps.lastIndexOf('keep files')).toBeLessThan(on)
    expect(calls.every((x) => x.user === WEB)).toBe(true)
    expect(await exists(`${s.data}/climaintenance.html`)).toBe(false)
    expect(await exists(`${s.data}/fixture-cron-disabled`)).toBe(false)
    expect(h.health).toMatchObject({ ok: true, status: 200 })
    expect(h.sudo).toEqual([{ user: WEB, input: 'web-user', command: `sudo -n -u ${WEB} ${PHP} SCRIPT ARGS...`, rule: `${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP}` }])
    expect(h.steps.find((x) => x.name === 'sudo')?.detail).toBe(`${t.sshd.user} may run sudo -n -u ${WEB} ${PHP} SCRIPT ARGS...`)
    // goback asks the database's version through the same rule (cfg.php), and refuses to go under it.
    const back = await runAction({ ...s.inputs, mode: 'goback' })
    expect(hostOf(back).error).toMatch(/older than the database \(2023100900\)/)
  })

  it('php given as a bare name is resolved to its absolute path (the path sudoers names); a missing one is refused', async () => {
    await setSudoers(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP}`)
    const s = await site()
    const r = await runAction({ ...s.inputs, mode: 'status', php: 'php' })
    expect(r.code).toBe(0)
    expect(hostOf(r).sudo?.[0].command).toBe(`sudo -n -u ${WEB} ${PHP} SCRIPT ARGS...`)
    // status read the site through Moodle's CLI (reads only), as the web user with the resolved PHP.
    const read = await s.calls()
    expect(read.map((x) => `${x.script} ${x.args.join(' ')}`).sort()).toEqual(['cfg.php --name=cron_enabled', 'cfg.php --name=maintenance_enabled', 'cfg.php --name=version'])
    const missing = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, php: 'php-none-such' })
    expect(missing.code).toBe(1)
    expect(hostOf(missing).error).toContain('php: the SSH user dlvtest finds no program php-none-such on the server')
    expect((await s.calls()).slice(read.length)).toEqual([])
  })

  it('a php-cli without the posix functions: the preflight proves the web user from /proc/self/status', async () => {
    const s = await site()
    // A PHP the way some distributions build php-cli: posix_geteuid() missing (here: disabled).
    const dir = `/tmp/dlv-php-noposix-${randomBytes(4).toString('hex')}`
    cleanup.push(dir)
    await run('install', ['-d', '-m', '0755', dir], { check: true })
    await writeFile(`${dir}/php`, `#!/bin/sh\nexec ${PHP} -d disable_functions=posix_geteuid,posix_getuid "$@"\n`, { mode: 0o755 })
    expect((await run(`${dir}/php`, ['-r', 'echo function_exists("posix_geteuid") ? "posix" : "none";'])).stdout).toBe('none')
    await setSudoers(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP}, ${dir}/php`)
    try {
      const r = await runAction({ ...s.inputs, mode: 'status', php: `${dir}/php` })
      expect(hostOf(r).error).toBeUndefined()
      expect(hostOf(r).sudo?.[0].rule).toBe(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${dir}/php`)
    } finally {
      await setSudoers(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP}`)
    }
  })

  it('a rule for another program is refused before anything changes, naming the php rule to add', async () => {
    const s = await site()
    await setSudoers(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: /usr/bin/bash`)
    try {
      const before = (await run('bash', ['-c', `cd ${s.root} && find . -printf '%p %m %s\\n' | sort && cat .delivery/state.json`], { check: true })).stdout
      const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
      expect(r.code).toBe(1)
      const h = hostOf(r)
      expect(h.error).toContain(`the SSH user ${t.sshd.user} may not run ${PHP} as web-user ${WEB} through sudo without a password`)
      expect(h.error).toContain(`: ${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP} (`)
      expect(h.error).toContain('Nothing was changed')
      expect(h.steps.map((x) => `${x.name}:${x.outcome}`)).toEqual(['connect:success', 'sudo:failure'])
      expect((await run('bash', ['-c', `cd ${s.root} && find . -printf '%p %m %s\\n' | sort && cat .delivery/state.json`], { check: true })).stdout).toBe(before)
      expect(await s.calls()).toEqual([])
      expect(await s.dbVersion()).toBe('2023042400.00')
    } finally {
      await setSudoers(`${t.sshd.user} ALL=(${WEB}) NOPASSWD: ${PHP}`)
    }
  })
})

describe("the admin's own maintenance and cron state", () => {
  it('a site the admin keeps in CLI maintenance stays in it; the health check says why it did not judge', async () => {
    const s = await site()
    await s.admin('maintenance.php', '--enable')
    const n = (await s.calls()).length
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, 'health-url': s.healthUrl })
    const h = hostOf(r)
    expect(h.error).toBeUndefined()
    expect(r.code).toBe(0)
    expect(await s.dbVersion()).toBe('2023100900')
    const got = names((await s.calls()).slice(n))
    expect(got.filter((x) => x.startsWith('maintenance.php'))).toEqual([])
    expect(got).toContain('upgrade.php --non-interactive')
    expect(await exists(`${s.data}/climaintenance.html`)).toBe(true)
    expect(h.steps.find((x) => x.name === 'maintenance on')).toMatchObject({ outcome: 'skipped' })
    expect(h.steps.find((x) => x.name === 'health')).toMatchObject({ outcome: 'skipped' })
    expect(h.steps.find((x) => x.name === 'health')?.detail).toContain('CLI maintenance mode')
    // The web page still answers with the maintenance page.
    const page = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', s.healthUrl])
    expect(page.stdout).toBe('503')
  })

  it('web maintenance (maintenance_enabled) and cron disabled by the admin are both as they were after the delivery', async () => {
    const s = await site()
    await s.admin('cfg.php', '--name=maintenance_enabled', '--set=1')
    await s.admin('cron.php', '--disable')
    const n = (await s.calls()).length
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(hostOf(r).error).toBeUndefined()
    expect(r.code).toBe(0)
    const got = names((await s.calls()).slice(n))
    // CLI maintenance covered the upgrade (Moodle's --enable clears maintenance_enabled): the setting is put back
    // before the CLI maintenance ends; cron.php only waited for running tasks and is not enabled.
    expect(got).toContain('maintenance.php --enable')
    expect(got).toContain('cron.php --disable-wait')
    expect(got).not.toContain('cron.php --enable')
    expect(got).not.toContain('maintenance.php --disable')
    expect(got.indexOf('cfg.php --name=maintenance_enabled --set=1')).toBeGreaterThan(got.indexOf('upgrade.php --non-interactive'))
    expect((await s.admin('cfg.php', '--name=maintenance_enabled')).trim()).toBe('1')
    expect((await s.admin('cfg.php', '--name=cron_enabled')).trim()).toBe('0')
    expect(await exists(`${s.data}/climaintenance.html`)).toBe(false)
    expect(await s.dbVersion()).toBe('2023100900')
  })

  it('a site not in maintenance, cron on: both as before (maintenance off, cron on) after an upgrade', async () => {
    const s = await site()
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r.code).toBe(0)
    expect((await s.admin('cfg.php', '--name=cron_enabled')).trim()).toBe('1')
    expect((await s.admin('maintenance.php')).trim()).toBe('Maintenance mode is not enabled')
  })

  it('cron tasks still running after --disable-wait: nothing switched, maintenance off and cron on again', async () => {
    const s = await site()
    await s.control({ cronTasksRunning: 1 })
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r.code).toBe(1)
    expect(hostOf(r).error).toMatch(/cron\.php --disable-wait failed \(exit code 1\).*still running/s)
    expect(await s.liveVersion()).toBe('2023042400.00')
    expect(hostOf(r).steps.filter((x) => x.name === 'switch')).toHaveLength(1) // deliver's goback only
    expect(await s.dbVersion()).toBe('2023042400.00')
    expect(await exists(`${s.data}/climaintenance.html`)).toBe(false)
    expect((await s.admin('cfg.php', '--name=cron_enabled')).trim()).toBe('1')
  })

  it('code below MATURITY_STABLE is refused before anything changes (upgrade.php would refuse it after the switch)', async () => {
    const s = await site()
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v44beta })
    expect(r.code).toBe(1)
    expect(r.report?.outcome).toBe('refused')
    expect(hostOf(r).error).toContain('is MATURITY_BETA, not a stable release')
    expect(await s.liveVersion()).toBe('2023042400.00')
    expect(hostOf(r).steps.filter((x) => x.name === 'switch')).toHaveLength(1) // deliver's goback only
    expect(names(await s.calls()).filter((x) => /^(maintenance|cron)\.php|--non-interactive/.test(x))).toEqual([])
    // The fixture's upgrade.php refuses it as Moodle's does.
    const work = readdirSync(`${s.root}/trees`)
      .map((x) => `${s.root}/trees/${x}`)
      .find((x) => readFileSync(`${x}/version.php`, 'utf8').includes('MATURITY_BETA')) as string
    const u = await run('runuser', ['-u', WEB, '--', PHP, `${work}/admin/cli/upgrade.php`, '--non-interactive'])
    expect(u.code).toBe(1)
    expect(u.stderr).toContain('--allow-unstable')
  })

  it("the fixture's web page answers as Moodle does when code and database differ", async () => {
    const s = await site()
    const code = async () => (await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', s.healthUrl])).stdout
    expect(await code()).toBe('200 ')
    await writeFile(`${s.data}/fixture-db-version`, '2022112800.00')
    expect(await code()).toMatch(/^303 .*\/admin\/index\.php$/)
    await writeFile(`${s.data}/fixture-db-version`, '2023100900.00')
    expect(await code()).toBe('500 ')
  })
})

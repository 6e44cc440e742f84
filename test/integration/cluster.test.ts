/**
 * A web cluster: three real sshd nodes, each with its own delivery root at the same path (a mount namespace each, as
 * separate machines), sharing one moodledata and one "database" (the Moodle CLI fixture keeps both in the shared
 * dataroot: test/fixtures/moodle-cli). Each node has its own local cache and alternative component cache. The
 * fixture's call log, on the shared side, records which node ran each call and where every node's `live` pointed at
 * that moment: it proves that the upgrade ran once, with every node switched, between maintenance on and off.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction } from '../helpers/action.js'
import { type Fleet, startFleet } from '../helpers/fleet.js'
import { type GitRepo, makePlainGitRepo } from '../helpers/gitrepo.js'
import { run } from '../helpers/proc.js'
import { runWithCut } from '../helpers/cut.js'
import { makeUser } from '../helpers/sshd.js'

const FIXTURE = `${ROOT}test/fixtures/moodle-cli`
const WEB = 'dlvweb'
const SUDOERS = `/etc/sudoers.d/dlv-cluster-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
const CLI = ['upgrade.php', 'maintenance.php', 'purge_caches.php', 'cron.php', 'cfg.php', 'alternative_component_cache.php', 'fixture_lib.php']

interface Call {
  seq: number
  script: string
  args: string[]
  user: string
  tree: string
  node?: string
  nodes?: Record<string, string | null>
}

const versionPhp = (version: string, release: string, branch: string) =>
  `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$version  = ${version};\n$release  = '${release}';\n$branch   = '${branch}';\n$maturity = MATURITY_STABLE;\n`
const V42 = versionPhp('2023042400.00', '4.2 (Build: 20230424)', '402')
const V43 = versionPhp('2023100900.00', '4.3 (Build: 20231009)', '403')
const V44 = versionPhp('2024042200.00', '4.4 (Build: 20240422)', '404')
const V45 = versionPhp('2024100700.00', '4.5 (Build: 20241007)', '405')
const V451 = versionPhp('2024100701.00', '4.5.1 (Build: 20241010)', '405')

function tree(version: string, index: string): Record<string, string> {
  const files: Record<string, string> = {
    '.gitignore': '/config.php\n',
    'version.php': version,
    'lib/setup.php': "<?php\ndefined('MOODLE_INTERNAL') || die();\n",
    'index.php': index,
  }
  for (const f of CLI) files[`admin/cli/${f}`] = readFileSync(`${FIXTURE}/admin/cli/${f}`, 'utf8')
  return files
}

let fleet: Fleet
let repo: GitRepo
let health: http.Server
let healthUrl: string
let data: string
const c: Record<string, string> = {}
const NODES = ['node1', 'node2', 'node3']

const calls = async (): Promise<Call[]> =>
  existsSync(`${data}/fixture-calls.jsonl`) ? (await readFile(`${data}/fixture-calls.jsonl`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Call) : []
const names = (cs: Call[]) => cs.map((x) => `${x.node} ${x.script}${x.args.length ? ` ${x.args.join(' ')}` : ''}`)
const lives = () => Promise.all(fleet.servers.map(async (s) => (await run('realpath', [`${s.dir}/live`], { check: true })).stdout.trim()))
const states = () => Promise.all(fleet.servers.map(async (s) => JSON.parse(await readFile(`${s.dir}/.delivery/state.json`, 'utf8')) as { state: string; live: string }))
const dbVersion = async () => (await readFile(`${data}/fixture-db-version`, 'utf8')).trim()
const maintenance = () => existsSync(`${data}/climaintenance.html`)
const localCache = (i: number) => `${data}-local${i + 1}`
const componentCache = (i: number) => `${data}-components${i + 1}/cache.php`
let inputs: Record<string, string>

beforeAll(async () => {
  fleet = await startFleet(3, { allowTcpForwarding: true })
  await makeUser(WEB)
  await writeFile(SUDOERS, `${fleet.servers[0].sshd.user} ALL=(${WEB}) NOPASSWD: /usr/bin/php\n`, { mode: 0o440 })
  repo = await makePlainGitRepo(fleet.servers[0].sshd.user, tree(V42, "<?php\necho 'Moodle 4.2';\n"))
  c.v42 = repo.head
  c.v42b = await repo.commit('4.2 code-only change', { 'index.php': "<?php\necho 'Moodle 4.2, fixed';\n" })
  c.v43 = await repo.commit('4.3', tree(V43, "<?php\necho 'Moodle 4.3';\n"))
  c.v44 = await repo.commit('4.4', tree(V44, "<?php\necho 'Moodle 4.4';\n"))
  c.v45 = await repo.commit('4.5', tree(V45, "<?php\necho 'Moodle 4.5';\n"))
  health = http.createServer((_req, res) => res.writeHead(200).end('ok'))
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve))
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/`
  // One shared moodledata (and database); a local cache and a component cache of its own on each node.
  data = `${fleet.path}-moodledata`
  await run('install', ['-d', '-o', WEB, '-m', '0755', data], { check: true })
  await writeFile(`${data}/fixture-db-version`, '2023042400.00')
  await run('chown', [WEB, `${data}/fixture-db-version`], { check: true })
  for (let i = 0; i < 3; i++) {
    await run('install', ['-d', '-o', WEB, '-m', '0755', localCache(i), `${data}-components${i + 1}`], { check: true })
  }
  inputs = { ...fleet.base, app: 'auto', 'web-user': WEB, repository: repo.dir, cluster: 'true' }
  const init = await runAction({ ...inputs, mode: 'init', ref: c.v42 })
  expect(init.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined, undefined])
  const everyLive = Object.fromEntries(fleet.servers.map((s, i) => [NODES[i], `${s.dir}/live`]))
  for (const [i, s] of fleet.servers.entries()) {
    const config = [
      '<?php',
      `$CFG->dataroot = '${data}';`,
      `$CFG->localcachedir = '${localCache(i)}';`,
      `$CFG->alternative_component_cache = '${componentCache(i)}';`,
      `$CFG->fixturenode = '${NODES[i]}';`,
      "$CFG->wwwroot = 'https://moodle.example.test';",
      `$CFG->fixturenodes = ${JSON.stringify(everyLive).replace(/^\{/, '[').replace(/\}$/, ']').replace(/":"/g, '" => "')};`,
      '',
    ].join('\n')
    for (const t of await readdir(`${s.dir}/trees`)) await writeFile(`${s.dir}/trees/${t}/config.php`, config)
    await run('chown', ['-R', `${s.sshd.user}:${s.sshd.user}`, `${s.dir}/trees`], { check: true })
  }
}, 180_000)

afterAll(async () => {
  await rm(SUDOERS, { force: true })
  await fleet?.stop()
  await repo?.remove()
  await new Promise((resolve) => health?.close(resolve))
  if (data) for (const d of [data, ...[0, 1, 2].flatMap((i) => [localCache(i), `${data}-components${i + 1}`])]) await rm(d, { recursive: true, force: true })
})

describe('cluster: the nodes of one Moodle site', () => {
  it('refuses cluster together with shared-code before connecting', async () => {
    const before = fleet.servers.map((s) => s.sshd.connectionCount())
    const r = await runAction({ ...inputs, mode: 'deliver', ref: c.v42b, 'shared-code': 'true' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/Input 'cluster': is true together with shared-code: true\. Choose one/)
    expect(fleet.servers.map((s) => s.sshd.connectionCount())).toEqual(before)
  })

  it('code-only delivery: no maintenance, every node switched (rolling), shared caches purged once, each node its own', async () => {
    for (let i = 0; i < 3; i++) await run('install', ['-o', WEB, '/dev/null', `${localCache(i)}/stale`], { check: true })
    const before = await lives()
    const n = (await calls()).length
    const r = await runAction({ ...inputs, mode: 'deliver', ref: c.v42b, strategy: 'rolling', 'health-url': healthUrl })
    expect(r.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined, undefined])
    expect(r.code).toBe(0)
    const after = await lives()
    after.forEach((l, i) => expect(l).not.toBe(before[i]))
    const made = names((await calls()).slice(n)).filter((x) => !x.includes('--help'))
    expect(made.filter((x) => x.includes('maintenance.php') || x.includes('cron.php'))).toEqual([])
    // Asked once, of the first node's work tree; the full purge once, when every node served the new code.
    expect(made.filter((x) => x.includes('upgrade.php'))).toEqual(['node1 upgrade.php --is-pending'])
    expect(made.filter((x) => x.includes('purge_caches.php')).sort()).toEqual(['node1 purge_caches.php --other', 'node1 purge_caches.php', 'node2 purge_caches.php --other', 'node3 purge_caches.php --other'].sort())
    const full = (await calls()).slice(n).find((x) => x.script === 'purge_caches.php' && !x.args.length)!
    expect(Object.values(full.nodes!)).toEqual(after)
    expect(made.filter((x) => x.includes('alternative_component_cache.php')).sort()).toEqual(NODES.map((x) => `${x} alternative_component_cache.php --rebuild`))
    for (let i = 0; i < 3; i++) {
      expect(existsSync(`${localCache(i)}/stale`)).toBe(false)
      // Written from inside the node, where its root is at the one path.
      expect(readFileSync(componentCache(i), 'utf8').trim()).toBe(`${fleet.path}/trees/${basename(after[i])}`)
    }
    expect((await calls()).slice(n).every((x) => x.user === WEB)).toBe(true)
    for (const [i, h] of r.report!.hosts.entries()) {
      expect(h.cluster).toEqual({ role: i === 0 ? 'site' : 'node', site: fleet.servers[0].label })
      expect(h.steps.filter((s) => s.name === 'switch' || s.name === 'health').map((s) => s.outcome)).toEqual(['success', 'success', 'success'])
    }
    expect(r.report?.hosts[1].steps.some((s) => s.name === 'upgrade check')).toBe(false)
  })

  it('goback: a node failing its switch sends the switched ones back; one whose connection drops after its switch is named, and backtoprod on it alone undoes it', async () => {
    const third = fleet.servers[2]
    const before = await lives()
    // The third node's delivery root cannot take the new `live` link.
    await run('chmod', ['a-w', third.dir], { check: true })
    let r
    try {
      r = await runAction({ ...inputs, mode: 'goback' })
    } finally {
      await run('chmod', ['u+w', third.dir], { check: true })
    }
    expect(r.code).toBe(1)
    expect(r.report?.hosts[2].error).toMatch(/switch live|Permission denied/)
    for (const h of r.report!.hosts.slice(0, 2)) {
      expect(h.error).toContain(`goback undone: ${third.label} failed its switch; every node serves the code it served before (state production)`)
    }
    expect(await lives()).toEqual(before)
    for (const s of await states()) expect(s.state).toBe('production')

    // The third node's connection drops right after its switch ran, before its state records it.
    const { result, cut } = await runWithCut({ ...inputs, mode: 'goback' }, (what) => (what.startsWith('switch live') ? 'after' : undefined), {
      runId: '5252',
      port: third.sshd.port,
    })
    expect(cut).toBe(true)
    expect(result.exitCode).toBe(1)
    for (const h of result.report!.hosts.slice(0, 2)) {
      expect(h.error).toMatch(/goback undone: .* failed its switch; .* lost its connection during its switch \(trees\/\S+ -> trees\/\S+\), which may have happened: check it with mode status .* and run backtoprod on it alone if it went back; the other nodes serve the code they served before \(state production\)/)
    }
    const after = await lives()
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2))
    expect(after[2]).not.toBe(before[2])
    for (const s of fleet.servers) expect(existsSync(`${s.dir}/.delivery/lock`)).toBe(false)
    // What the report says: backtoprod on the third node alone records what is on disk (its goback happened) and
    // undoes it.
    const undo = await runAction({ ...inputs, hosts: third.label, mode: 'backtoprod' })
    expect(undo.report?.hosts.map((h) => h.error)).toEqual([undefined])
    expect(await readFile(`${third.dir}/.delivery/journal.jsonl`, 'utf8')).toContain('live had been switched back to trees/')
    for (const s of await states()) expect(s.state).toBe('production')
    const served = await Promise.all(fleet.servers.map((s) => readFile(`${s.dir}/live/index.php`, 'utf8')))
    for (const x of served) expect(x).toContain('Moodle 4.2, fixed')
  })

  it('goback switches every node', async () => {
    const before = await lives()
    const r = await runAction({ ...inputs, mode: 'goback' })
    expect(r.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined, undefined])
    const after = await lives()
    after.forEach((l, i) => expect(l).not.toBe(before[i]))
    for (const s of await states()) expect(s.state).toBe('delivering')
    for (const s of fleet.servers) expect(await readFile(`${s.dir}/live/index.php`, 'utf8')).toContain("'Moodle 4.2'")
  })

  it('a node failing before the switch leaves every node on the old code and the site out of maintenance', async () => {
    const third = fleet.servers[2]
    // Hand-made change in the third node's work tree, with on-drift: fail: that node stops in its update.
    const st = (await states())[2] as { work?: string }
    await third.sh(`echo '<?php // by hand' > trees/${st.work}/hotfix.php`)
    const before = await lives()
    const n = (await calls()).length
    const r = await runAction({ ...inputs, mode: 'deliver', ref: c.v43, 'on-drift': 'fail' })
    await third.sh(`rm trees/${st.work}/hotfix.php`)
    expect(r.code).toBe(1)
    expect(r.report?.hosts[2].error).toMatch(/drift|changed by hand/i)
    for (const h of r.report!.hosts.slice(0, 2)) expect(h.error).toMatch(new RegExp(`not switched: ${third.label.replace(/[.]/g, '\\.')} failed before the switch`))
    expect(await lives()).toEqual(before)
    const made = (await calls()).slice(n)
    expect(made.filter((x) => x.script === 'maintenance.php' || x.script === 'cron.php' || x.args.includes('--non-interactive'))).toEqual([])
    expect(maintenance()).toBe(false)
    expect(await dbVersion()).toBe('2023042400.00')
  })

  it('a node failing its switch after others switched, before the upgrade: the switched ones go back, maintenance off', async () => {
    const third = fleet.servers[2]
    // The third node's delivery root cannot take the new `live` link.
    await run('chmod', ['a-w', third.dir], { check: true })
    const before = await lives()
    const n = (await calls()).length
    let r
    try {
      r = await runAction({ ...inputs, mode: 'deliver', ref: c.v43 })
    } finally {
      await run('chmod', ['u+w', third.dir], { check: true })
    }
    expect(r.code).toBe(1)
    expect(r.report?.hosts[2].error).toMatch(/switch live/)
    for (const h of r.report!.hosts.slice(0, 2)) {
      expect(h.error).toMatch(/switched back: .* failed its switch before the upgrade; every node serves the code it served before, the database was not upgraded, and the site is out of maintenance again/)
      expect(h.rolledBack).toBe(true)
      expect(h.steps.filter((s) => s.name === 'switch').map((s) => s.outcome)).toEqual(['success', 'success'])
    }
    expect(await lives()).toEqual(before)
    const made = names((await calls()).slice(n)).filter((x) => / (maintenance|cron)\.php |--non-interactive/.test(x) && !x.includes('--help'))
    expect(made).toEqual(['node1 cron.php --disable-wait', 'node1 maintenance.php --enable', 'node1 maintenance.php --disable', 'node1 cron.php --enable'])
    expect(maintenance()).toBe(false)
    expect(await dbVersion()).toBe('2023042400.00')
    for (const s of await states()) expect(s.state).toBe('delivering')
  })

  it('upgrade: cron held, maintenance on once, every node switched, the upgrade once on the first node, maintenance off once, health on each', async () => {
    const before = await lives()
    const n = (await calls()).length
    // Every node's lock is held until the whole sequence is over: after-switch (the last step, on each node) finds all three.
    const locked = fleet.servers.map((s) => `test -e ${s.dir}/.delivery/lock`).join(' && ')
    const r = await runAction({ ...inputs, mode: 'deliver', ref: c.v43, 'health-url': healthUrl, 'after-switch': locked })
    expect(r.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined, undefined])
    expect(r.code).toBe(0)
    const after = await lives()
    after.forEach((l, i) => expect(l).not.toBe(before[i]))
    const made = (await calls()).slice(n).filter((x) => !x.args.includes('--help'))
    const site = made.filter((x) => ['maintenance.php', 'cron.php', 'upgrade.php'].includes(x.script) || (x.script === 'purge_caches.php' && !x.args.length))
    expect(names(site)).toEqual([
      'node1 upgrade.php --is-pending',
      'node1 upgrade.php --is-maintenance-required',
      'node1 cron.php --disable-wait',
      'node1 maintenance.php --enable',
      'node1 upgrade.php --non-interactive',
      'node1 maintenance.php --disable',
      'node1 purge_caches.php',
      'node1 cron.php --enable',
    ])
    const at = (script: string, arg: string) => made.find((x) => x.script === script && x.args.includes(arg))!
    // Maintenance went on while every node served the old code; the upgrade ran once every node served the new code.
    expect(Object.values(at('maintenance.php', '--enable').nodes!)).toEqual(before)
    expect(Object.values(at('upgrade.php', '--non-interactive').nodes!)).toEqual(after)
    expect(Object.values(at('maintenance.php', '--disable').nodes!)).toEqual(after)
    // Each node rebuilt its component cache after its switch, before the upgrade; the others purged their local cache
    // after the shared purge, once visitors were back (Moodle's upgrade purged every cache and set localcachedirpurged,
    // which makes each node drop its local cache at its next request).
    const rebuilt = made.filter((x) => x.script === 'alternative_component_cache.php')
    expect(rebuilt.map((x) => x.node).sort()).toEqual(NODES)
    for (const x of rebuilt) expect(x.seq).toBeLessThan(at('upgrade.php', '--non-interactive').seq)
    const local = made.filter((x) => x.script === 'purge_caches.php' && x.args.includes('--other'))
    expect(local.map((x) => x.node).sort()).toEqual(['node2', 'node3'])
    for (const x of local) expect(x.seq).toBeGreaterThan(made.find((y) => y.script === 'purge_caches.php' && !y.args.length)!.seq)
    expect(await dbVersion()).toBe('2023100900')
    expect(maintenance()).toBe(false)
    for (const [i, h] of r.report!.hosts.entries()) {
      expect(h.cluster).toEqual({ role: i === 0 ? 'site' : 'node', site: fleet.servers[0].label, upgradedBy: fleet.servers[0].label })
      expect(h.steps.find((s) => s.name === 'health')?.outcome).toBe('success')
      expect(h.steps.filter((s) => s.name === 'after-switch').map((s) => s.outcome)).toEqual(['success'])
      expect(h.steps.some((s) => s.name === 'upgrade')).toBe(i === 0)
    }
    expect(r.outputs['app-version-after']).toBe('4.3 (Build: 20231009)')
    // The job summary says it too, node by node.
    expect(r.summary).toContain('this node ran the site-wide steps; the upgrade ran on this node')
    expect(r.summary).toContain(`node; site-wide steps on ${fleet.servers[0].label}; the upgrade ran on ${fleet.servers[0].label}`)
  })

  it('goback across the upgrade is refused once for the cluster (the database is newer), and nothing moves', async () => {
    const before = await lives()
    const n = (await calls()).length
    const r = await runAction({ ...inputs, mode: 'goback' })
    expect(r.code).toBe(1)
    expect(r.report?.outcome).toBe('refused')
    expect(r.report?.hosts[0].error).toMatch(/older than the database/)
    expect(r.report?.hosts[1].error).toMatch(/goback refused on .* for the cluster/)
    expect(names((await calls()).slice(n))).toEqual(['node1 cfg.php --name=version'])
    expect(await lives()).toEqual(before)
  })

  it("a node whose connection drops right after its switch, before the upgrade: named as unsure; the next run puts every node right", async () => {
    const third = fleet.servers[2]
    const before = await lives()
    const n = (await calls()).length
    let switches = 0
    // The first switch is the goback of the preparation (to a copy of the same code); the second, the delivery's: the
    // link is switched on the server, then the connection drops before the state records it.
    const { result, cut } = await runWithCut({ ...inputs, mode: 'deliver', ref: c.v44 }, (what) => (what.startsWith('switch live') && ++switches === 2 ? 'after' : undefined), {
      runId: '5151',
      port: third.sshd.port,
    })
    expect(cut).toBe(true)
    expect(result.exitCode).toBe(1)
    const hosts = result.report!.hosts
    for (const h of hosts.slice(0, 2)) {
      expect(h.error).toMatch(/switched back: .* failed its switch before the upgrade; .* lost its connection during its switch .* which may have happened: check it with mode status/)
      expect(h.rolledBack).toBe(true)
    }
    expect(hosts[2].error).toMatch(/connection/i)
    // The first two serve the old code again (the copy the preparation switched to); the third's switch happened.
    const served = await Promise.all(fleet.servers.map((s) => readFile(`${s.dir}/live/index.php`, 'utf8')))
    expect(served.map((x) => /Moodle 4\.\d/.exec(x)?.[0])).toEqual(['Moodle 4.3', 'Moodle 4.3', 'Moodle 4.4'])
    expect((await lives())[2]).not.toBe(before[2])
    const made = names((await calls()).slice(n)).filter((x) => / (maintenance|cron)\.php |--non-interactive/.test(x) && !x.includes('--help'))
    expect(made).toEqual(['node1 cron.php --disable-wait', 'node1 maintenance.php --enable', 'node1 maintenance.php --disable', 'node1 cron.php --enable'])
    expect(await dbVersion()).toBe('2023100900')
    expect(maintenance()).toBe(false)
    // Every lock was released (the third over a fresh connection).
    for (const s of fleet.servers) expect(existsSync(`${s.dir}/.delivery/lock`)).toBe(false)
    // The next run records what happened on the third node, and delivers the whole cluster.
    const r = await runAction({ ...inputs, mode: 'deliver', ref: c.v44 })
    expect(r.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined, undefined])
    expect(await dbVersion()).toBe('2024042200')
    for (const s of fleet.servers) expect(await readFile(`${s.dir}/live/index.php`, 'utf8')).toContain('Moodle 4.4')
    expect((await calls()).filter((x) => x.args.includes('--non-interactive')).map((x) => x.node)).toEqual(['node1', 'node1'])
  })

  it('a dry run plans the coordinated sequence on every node and changes nothing', async () => {
    const before = await lives()
    const n = (await calls()).length
    const r = await runAction({ ...inputs, mode: 'deliver', ref: c.v45, 'dry-run': 'true' })
    expect(r.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined, undefined])
    for (const [i, h] of r.report!.hosts.entries()) {
      expect(h.plan?.[0]).toBe(
        `cluster: ${i === 0 ? 'this node runs' : `${fleet.servers[0].label} runs`} the site-wide steps once (maintenance, cron, upgrade, purge); every node switches together and runs its own caches, after-switch and health check`,
      )
    }
    expect(await lives()).toEqual(before)
    expect((await calls()).slice(n).filter((x) => ['maintenance.php', 'cron.php', 'purge_caches.php'].includes(x.script) || x.args.includes('--non-interactive'))).toEqual([])
  })

  it('a node failing after the upgrade: no node goes back, the site goes back into maintenance, every report says what to restore', async () => {
    const second = fleet.servers[1]
    // after-switch fails on the second node alone (its delivery root holds the marker).
    await second.sh('touch refuse-after-switch')
    const n = (await calls()).length
    let r
    try {
      // (deliver's preparation switches too, to a copy of the old code: the hook fails only once 4.5 is live.)
      const hook = `! { test -e ${fleet.path}/refuse-after-switch && grep -q 'Moodle 4.5' ${fleet.path}/live/index.php; }`
      r = await runAction({ ...inputs, mode: 'deliver', ref: c.v45, 'after-switch': hook })
    } finally {
      await second.sh('rm -f refuse-after-switch')
    }
    expect(r.code).toBe(1)
    expect(await dbVersion()).toBe('2024100700')
    for (const s of fleet.servers) expect(await readFile(`${s.dir}/live/index.php`, 'utf8')).toContain('Moodle 4.5')
    for (const s of await states()) expect(s.state).toBe('production')
    expect(maintenance()).toBe(true)
    for (const h of r.report!.hosts) {
      expect(h.rolledBack).toBe(false)
      expect(h.restore).toMatch(/put back into maintenance mode.*after-switch.*nothing went back.*maintenance\.php --disable/s)
      expect((h.cluster as { upgradedBy?: string } | undefined)?.upgradedBy).toBe(fleet.servers[0].label)
    }
    expect(r.report?.hosts[1].error).toMatch(/after-switch/)
    expect(r.report?.hosts[0].error).toMatch(/To restore:/)
    expect((await calls()).slice(n).filter((x) => x.args.includes('--non-interactive')).map((x) => x.node)).toEqual(['node1'])
    expect(r.summary).toContain('To restore by hand')
    await run('rm', ['-f', `${data}/climaintenance.html`], { check: true })
  })

  it('without cluster: true, nodes of one site delivered at once never both upgrade its database: one upgrades, the others are refused naming cluster: true', async () => {
    c.v451 = await repo.commit('4.5.1', tree(V451, "<?php\necho 'Moodle 4.5.1';\n"))
    const n = (await calls()).length
    // The first host to find the upgrade pending waits in before-upgrade, so that the others find it pending too.
    const r = await runAction({ ...inputs, cluster: 'false', mode: 'deliver', ref: c.v451, 'before-upgrade': 'sleep 3' })
    expect(r.code).toBe(1)
    const hosts = r.report!.hosts
    const upgraders = hosts.filter((h) => h.steps.some((s) => s.name === 'upgrade'))
    expect(upgraders).toHaveLength(1)
    expect(upgraders[0].error).toBeUndefined()
    for (const h of hosts.filter((x) => x !== upgraders[0])) {
      expect(h.outcome).toBe('refused')
      expect(h.error).toContain(`${upgraders[0].host}, another host of this run, is upgrading the database of the same Moodle site (wwwroot https://moodle.example.test)`)
      expect(h.error).toContain('Deliver them with cluster: true')
    }
    // The refused nodes still serve the code they served.
    for (const s of fleet.servers) {
      const served = await readFile(`${s.dir}/live/index.php`, 'utf8')
      expect(served.includes('Moodle 4.5.1')).toBe(s.label === upgraders[0].host)
    }
    expect((await calls()).slice(n).filter((x) => x.args.includes('--non-interactive'))).toHaveLength(1)
    expect(await dbVersion()).toBe('2024100701')
    // With cluster: true the others follow, code only: the database is upgraded already.
    const again = await runAction({ ...inputs, mode: 'deliver', ref: c.v451 })
    expect(again.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined, undefined])
    for (const s of fleet.servers) expect(await readFile(`${s.dir}/live/index.php`, 'utf8')).toContain('Moodle 4.5.1')
    expect((await calls()).slice(n).filter((x) => x.args.includes('--non-interactive'))).toHaveLength(1)
  })
})

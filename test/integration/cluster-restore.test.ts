/**
 * goback with `restore-database: true` on a web cluster: two real sshd nodes, each with its own delivery root at the
 * same path (a mount namespace each, as separate machines), one shared moodledata and one real PostgreSQL on loopback
 * (test/helpers/databases.ts). The trees hold the fixture CLI (test/fixtures/moodle-cli): its upgrade.php changes the
 * real schema, rows and version; its call log, on the shared side, records which node ran each call and where every
 * node's `live` pointed at that moment. As a careful admin sets it up: the trees and the state belong to a code owner
 * the deploy account becomes through sudo, and the deploy account may run only `/usr/bin/php` as the web user.
 */
import { existsSync, readFileSync } from 'node:fs'
import { readFile, rm, writeFile, readdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction } from '../helpers/action.js'
import { type DbServer, startDatabase } from '../helpers/databases.js'
import { type Fleet, startFleet } from '../helpers/fleet.js'
import { type GitRepo, makePlainGitRepo } from '../helpers/gitrepo.js'
import { run } from '../helpers/proc.js'
import { runWithCut } from '../helpers/cut.js'
import { makeUser } from '../helpers/sshd.js'

const FIXTURE = `${ROOT}test/fixtures/moodle-cli`
const WEB = 'dlvcrweb'
/** The code owner, apart from the deploy account (which logs in) and from the web user. */
const OWNER = 'dlvcrowner'
const SUDOERS = `/etc/sudoers.d/dlv-cluster-restore-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
const CLI = ['upgrade.php', 'maintenance.php', 'purge_caches.php', 'cron.php', 'cfg.php', 'fixture_lib.php']
const V42 = '2023042400.00'
const V43 = '2023100900.00'
const NODES = ['node1', 'node2']

const versionPhp = (version: string, release: string) =>
  `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$version  = ${version};\n$release  = '${release}';\n$branch   = '${release.slice(0, 3).replace('.', '0')}';\n$maturity = MATURITY_STABLE;\n`

function tree(version: string, release: string): Record<string, string> {
  const files: Record<string, string> = {
    '.gitignore': '/config.php\n',
    'version.php': versionPhp(version, release),
    'lib/setup.php': "<?php\ndefined('MOODLE_INTERNAL') || die();\n",
    'index.php': `<?php\necho 'Moodle ${release}';\n`,
  }
  for (const f of CLI) files[`admin/cli/${f}`] = readFileSync(`${FIXTURE}/admin/cli/${f}`, 'utf8')
  return files
}

interface Call {
  seq: number
  script: string
  args: string[]
  node?: string
  nodes?: Record<string, string | null>
}
type Host = NonNullable<Awaited<ReturnType<typeof runAction>>['report']>['hosts'][0] & {
  restore?: string
  cluster?: { role: string; site: string; upgradedBy?: string; restoredBy?: string }
}

let fleet: Fleet
let db: DbServer
let repo: GitRepo
let data: string
const dbname = `dlv_cr_${Math.random().toString(36).slice(2, 8)}`
const c: Record<string, string> = {}
let inputs: Record<string, string>

const calls = async (): Promise<Call[]> =>
  existsSync(`${data}/fixture-calls.jsonl`) ? (await readFile(`${data}/fixture-calls.jsonl`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Call) : []
const names = (cs: Call[]) => cs.map((x) => `${x.node} ${x.script}${x.args.length ? ` ${x.args.join(' ')}` : ''}`)
const lives = () => Promise.all(fleet.servers.map(async (s) => (await run('realpath', [`${s.dir}/live`], { check: true })).stdout.trim()))
const served = () => Promise.all(fleet.servers.map(async (s) => /Moodle 4\.\d/.exec(await readFile(`${s.dir}/live/index.php`, 'utf8'))?.[0]))
const states = () =>
  Promise.all(fleet.servers.map(async (s) => JSON.parse(await readFile(`${s.dir}/.delivery/state.json`, 'utf8')) as { state: string; live: string; snapshots?: { file: string }[]; restoring?: unknown }))
const journal = async (i: number) =>
  (await readFile(`${fleet.servers[i].dir}/.delivery/journal.jsonl`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
const restores = async (i: number) => (await journal(i)).filter((e) => e.event === 'database-restore')
const version = () => db.sql(dbname, "SELECT value FROM mdl_config WHERE name = 'version'")
const contents = async () =>
  [
    await db.sql(dbname, "SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1"),
    ...(await Promise.all(['mdl_config', 'mdl_course'].map((tb) => db.sql(dbname, `SELECT * FROM ${tb} ORDER BY 1`)))),
  ].join('\n--\n')
const maintenance = () => existsSync(`${data}/climaintenance.html`)
const cronHeld = () => existsSync(`${data}/fixture-cron-disabled`)
const localCache = (i: number) => `${data}-local${i + 1}`
const hosts = (r: Awaited<ReturnType<typeof runAction>>) => r.report!.hosts as Host[]

beforeAll(async () => {
  fleet = await startFleet(2)
  await Promise.all([makeUser(WEB), makeUser(OWNER)])
  // The deploy account becomes the code owner for the trees and the state, and runs only PHP as the web user.
  const deploy = fleet.servers[0].sshd.user
  await writeFile(SUDOERS, `${deploy} ALL=(${OWNER}) NOPASSWD: ALL\n${deploy} ALL=(${WEB}) NOPASSWD: /usr/bin/php\n`, { mode: 0o440 })
  for (const s of fleet.servers) {
    await run('chown', [`${OWNER}:${OWNER}`, s.dir], { check: true })
    await run('chmod', ['0755', s.dir], { check: true })
  }
  repo = await makePlainGitRepo(OWNER, tree(V42, '4.2 (Build: 20230424)'))
  c.v42 = repo.head
  c.v43 = await repo.commit('4.3', tree(V43, '4.3 (Build: 20231009)'))
  db = await startDatabase('pgsql')
  await db.createDatabase(dbname)
  await db.sql(
    dbname,
    `SET ROLE ${db.user};
    CREATE TABLE mdl_config (id BIGSERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE, value TEXT NOT NULL);
    CREATE TABLE mdl_course (id BIGSERIAL PRIMARY KEY, fullname VARCHAR(254) NOT NULL);
    INSERT INTO mdl_config (name, value) VALUES ('version', '${V42}'), ('release', '4.2');
    INSERT INTO mdl_course (fullname) VALUES ('Site home'), ('Maths 101');`,
  )
  // One shared moodledata; a local cache of its own on each node.
  data = `${fleet.path}-moodledata`
  await run('install', ['-d', '-o', WEB, '-m', '0755', data, localCache(0), localCache(1)], { check: true })
  inputs = { ...fleet.base, app: 'auto', 'web-user': WEB, 'sudo-user': OWNER, repository: repo.dir, cluster: 'true' }
  const init = await runAction({ ...inputs, mode: 'init', ref: c.v42 })
  expect(init.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined])
  const everyLive = NODES.map((n, i) => `'${n}' => '${fleet.servers[i].dir}/live'`).join(', ')
  for (const [i, s] of fleet.servers.entries()) {
    const config = `<?php
$CFG->dataroot = '${data}';
$CFG->localcachedir = '${localCache(i)}';
$CFG->fixturenode = '${NODES[i]}';
$CFG->fixturenodes = [${everyLive}];
$CFG->dbtype = 'pgsql';
$CFG->dbhost = '127.0.0.1';
$CFG->dbname = '${dbname}';
$CFG->dbuser = '${db.user}';
$CFG->dbpass = '${db.password}';
$CFG->prefix = 'mdl_';
$CFG->dboptions = ['dbport' => ${db.port}];
`
    for (const t of await readdir(`${s.dir}/trees`)) await writeFile(`${s.dir}/trees/${t}/config.php`, config)
    await run('chown', ['-R', `${OWNER}:${OWNER}`, `${s.dir}/trees`], { check: true })
  }
}, 240_000)

afterAll(async () => {
  await rm(SUDOERS, { force: true })
  await fleet?.stop()
  await db?.stop()
  await repo?.remove()
  if (data) for (const d of [data, localCache(0), localCache(1)]) await rm(d, { recursive: true, force: true })
})

/** A delivery of 4.3 on the cluster: the upgrade once, on the first node, after its snapshot of the database. */
async function upgrade(): Promise<{ file: string }> {
  const r = await runAction({ ...inputs, mode: 'deliver', ref: c.v43 })
  expect(r.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined])
  expect(await version()).toBe('2023100900')
  expect(await served()).toEqual(['Moodle 4.3', 'Moodle 4.3'])
  const [first, second] = await states()
  // The snapshot is the first node's: it ran the site-wide steps.
  expect(second.snapshots ?? []).toEqual([])
  return first.snapshots!.at(-1)!
}

describe('cluster: goback with restore-database across an applied upgrade (real PostgreSQL)', () => {
  it('restores the database once, on the first node, in maintenance; every node switches back; caches purged before the site opens', async () => {
    const before = await contents()
    const snap = await upgrade()
    expect(await contents()).not.toBe(before)
    // Without restore-database the cluster's goback is refused, and says how to go back with the snapshot.
    const refused = await runAction({ ...inputs, mode: 'goback' })
    expect(refused.report?.outcome).toBe('refused')
    expect(hosts(refused)[0].error).toContain('run goback with restore-database: true')

    // So is its dry run: the guard is the first node's, and its refusal is every node's.
    const dryRefused = await runAction({ ...inputs, mode: 'goback', 'dry-run': 'true' })
    expect(dryRefused.report?.outcome).toBe('refused')
    expect(hosts(dryRefused)[0].error).toContain('run goback with restore-database: true')
    expect(hosts(dryRefused)[1].error).toMatch(new RegExp(`^goback refused on ${fleet.servers[0].label.replace(/[.]/g, '\\.')} for the cluster: goback refused: the safe tree`))

    const dry = await runAction({ ...inputs, mode: 'goback', 'restore-database': 'true', 'dry-run': 'true' })
    expect(dry.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined])
    expect(hosts(dry)[0].plan?.join('\n')).toContain(`restore the database from ${snap.file}`)
    expect(hosts(dry)[1].plan?.join('\n')).toContain(`the downgrade guard and the database restore run once for the cluster, on ${fleet.servers[0].label}`)
    expect(await version()).toBe('2023100900')

    // Each node's local cache holds what the upgrade's code built.
    for (let i = 0; i < 2; i++) await run('install', ['-o', WEB, '/dev/null', `${localCache(i)}/built-by-4.3`], { check: true })
    const upgraded = await lives()
    const n = (await calls()).length
    const r = await runAction({ ...inputs, mode: 'goback', 'restore-database': 'true' })
    expect(r.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined])
    expect(r.code).toBe(0)
    expect(await contents()).toBe(before)
    expect(await version()).toBe(V42)
    expect(await served()).toEqual(['Moodle 4.2', 'Moodle 4.2'])
    const after = await lives()
    expect(maintenance()).toBe(false)
    expect(cronHeld()).toBe(false)
    for (let i = 0; i < 2; i++) expect(existsSync(`${localCache(i)}/built-by-4.3`)).toBe(false)

    const made = (await calls()).slice(n).filter((x) => !x.args.includes('--help'))
    const at = (node: string, script: string, args: string) => made.find((x) => x.node === node && x.script === script && x.args.join(' ') === args)!
    expect(names(made.filter((x) => x.script !== 'cfg.php'))).toEqual([
      'node1 maintenance.php --enable',
      'node1 cron.php --disable-wait',
      'node1 purge_caches.php',
      'node2 purge_caches.php --other',
      'node1 maintenance.php --disable',
      'node1 cron.php --enable',
    ])
    // Maintenance went on while every node served the upgrade; the purges and maintenance off, once every node served
    // the restored version (the restore itself, pg_restore, is not a Moodle CLI call).
    expect(Object.values(at('node1', 'maintenance.php', '--enable').nodes!)).toEqual(upgraded)
    expect(Object.values(at('node1', 'purge_caches.php', '').nodes!)).toEqual(after)
    expect(Object.values(at('node2', 'purge_caches.php', '--other').nodes!)).toEqual(after)
    expect(Object.values(at('node1', 'maintenance.php', '--disable').nodes!)).toEqual(after)

    const [h1, h2] = hosts(r)
    const site = fleet.servers[0].label
    expect(h1.cluster).toEqual({ role: 'site', site, restoredBy: site })
    expect(h2.cluster).toEqual({ role: 'node', site, restoredBy: site })
    expect(h1.steps.find((s) => s.name === 'database restore')?.outcome).toBe('success')
    expect(h2.steps.some((s) => s.name === 'database restore')).toBe(false)
    expect(h2.steps.find((s) => s.name === 'local cache')?.outcome).toBe('success')
    expect(r.summary).toContain('this node ran the site-wide steps; the database was restored on this node')
    expect(r.summary).toContain(`node; site-wide steps on ${site}; the database was restored on ${site}`)
    // Each node's journal records the restore; the second names the node that ran it.
    expect(await restores(0)).toEqual([expect.objectContaining({ snapshot: snap.file, from: '2023100900', to: V42 })])
    expect(await restores(1)).toEqual([expect.objectContaining({ snapshot: snap.file, from: '2023100900', to: V42, by: site })])
    // Written by the code owner, never by the deploy account: the state, each journal, the snapshot.
    const owners = (await run('stat', ['-c', '%U', ...fleet.servers.flatMap((x) => [`${x.dir}/.delivery/state.json`, `${x.dir}/.delivery/journal.jsonl`]), snap.file.replace(fleet.path, fleet.servers[0].dir)], { check: true })).stdout
    expect(owners.trim().split('\n')).toEqual([OWNER, OWNER, OWNER, OWNER, OWNER])
  })

  it('a node that cannot switch after the restore: no node goes back onto the upgrade, the site stays in maintenance, and the report says what to run', async () => {
    // From 4.2 (state delivering after the goback): deliver 4.3 again, with a fresh snapshot.
    await upgrade()
    const second = fleet.servers[1]
    const upgraded = await lives()
    // The second node's delivery root cannot take the new `live` link.
    await run('chmod', ['a-w', second.dir], { check: true })
    let r
    try {
      r = await runAction({ ...inputs, mode: 'goback', 'restore-database': 'true' })
    } finally {
      await run('chmod', ['u+w', second.dir], { check: true })
    }
    expect(r.code).toBe(1)
    expect(await version()).toBe(V42)
    expect(await served()).toEqual(['Moodle 4.2', 'Moodle 4.3'])
    expect((await lives())[1]).toBe(upgraded[1])
    expect(maintenance()).toBe(true)
    expect(cronHeld()).toBe(true)
    const [h1, h2] = hosts(r)
    expect(h2.error).toMatch(/switch live|Permission denied/)
    for (const h of [h1, h2]) {
      expect(h.rolledBack).not.toBe(true)
      expect(h.restore).toContain(`The database was restored to ${V42}`)
      expect(h.restore).toContain('run goback with restore-database: true on the cluster again')
    }
    expect(h1.error).toContain(`${second.label} could not switch to its safe tree`)
    expect((await journal(0)).filter((e) => e.event === 'failed-after-restore')).toHaveLength(1)

    // What the report says: goback with restore-database on the cluster again. The first node (whose restore did not
    // finish) restores the same snapshot again and does not switch again; the second switches; maintenance and the
    // cron hold end.
    const again = await runAction({ ...inputs, mode: 'goback', 'restore-database': 'true' })
    expect(again.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined])
    const [a1, a2] = hosts(again)
    expect(a1.steps.find((s) => s.name === 'database restore')?.outcome).toBe('success')
    expect(a1.steps.some((s) => s.name === 'switch')).toBe(false)
    expect(a2.steps.find((s) => s.name === 'switch')?.outcome).toBe('success')
    expect(await served()).toEqual(['Moodle 4.2', 'Moodle 4.2'])
    expect(await version()).toBe(V42)
    expect(maintenance()).toBe(false)
    expect(cronHeld()).toBe(false)
    for (const st of await states()) expect(st.restoring).toBeUndefined()
  })

  it('an upgrade failing half-way in maintenance, with restore-database: the first node restores the snapshot, every node goes back, the site opens on the old code', async () => {
    const before = await contents()
    for (let i = 0; i < 2; i++) await run('install', ['-o', WEB, '/dev/null', `${localCache(i)}/built-by-4.3`], { check: true })
    await writeFile(`${data}/fixture-control.json`, JSON.stringify({ upgradeFailsHalfway: true }))
    const n = (await calls()).length
    let r
    try {
      r = await runAction({ ...inputs, mode: 'deliver', ref: c.v43, 'restore-database': 'true' })
    } finally {
      await rm(`${data}/fixture-control.json`, { force: true })
    }
    expect(r.code).toBe(1)
    const snap = (await states())[0].snapshots!.at(-1)!
    for (const h of hosts(r)) {
      expect(h.error).toContain(`The database was restored from ${snap.file} on ${fleet.servers[0].label} and every node went back to the code it served`)
      expect(h.rolledBack).toBe(true)
      expect(h.cluster?.restoredBy).toBe(fleet.servers[0].label)
    }
    // The half-upgrade (a new table, a new column, changed rows) is gone; every node serves the code it served.
    expect(await contents()).toBe(before)
    expect(await served()).toEqual(['Moodle 4.2', 'Moodle 4.2'])
    const back = await lives()
    for (const [i, st] of (await states()).entries()) {
      expect(st.state).toBe('delivering')
      expect(back[i]).toBe(`${fleet.servers[i].dir}/trees/${st.live}`)
    }
    expect(maintenance()).toBe(false)
    expect(cronHeld()).toBe(false)
    for (let i = 0; i < 2; i++) expect(existsSync(`${localCache(i)}/built-by-4.3`)).toBe(false)
    const made = (await calls()).slice(n).filter((x) => !x.args.includes('--help') && x.script !== 'cfg.php')
    const at = (node: string, script: string, args: string) => made.find((x) => x.node === node && x.script === script && x.args.join(' ') === args)!
    // The upgrade ran once; the purges and maintenance off came once every node served the old code again.
    expect(made.filter((x) => x.args.includes('--non-interactive')).map((x) => x.node)).toEqual(['node1'])
    expect(Object.values(at('node1', 'purge_caches.php', '').nodes!)).toEqual(back)
    expect(Object.values(at('node2', 'purge_caches.php', '--other').nodes!)).toEqual(back)
    expect(Object.values(at('node1', 'maintenance.php', '--disable').nodes!)).toEqual(back)
    expect(at('node2', 'purge_caches.php', '--other').seq).toBeLessThan(at('node1', 'maintenance.php', '--disable').seq)
    expect((await restores(1)).at(-1)).toMatchObject({ snapshot: snap.file, to: V42, by: fleet.servers[0].label })
  })

  it('the same, with a node whose connection drops as it goes back: the site stays in maintenance, and the report names the node and what to run', async () => {
    const second = fleet.servers[1]
    const before = await contents()
    await writeFile(`${data}/fixture-control.json`, JSON.stringify({ upgradeFailsHalfway: true }))
    const upgrades = async () => (await calls()).filter((x) => x.args.includes('--non-interactive')).length
    const upgraded = await upgrades()
    // The way back after the failed upgrade (the first switch once the upgrade ran): the connection drops before it
    // runs.
    const { result, cut } = await runWithCut(
      { ...inputs, mode: 'deliver', ref: c.v43, 'restore-database': 'true' },
      async (what) => (what.startsWith('switch live') && (await upgrades()) > upgraded ? 'before' : undefined),
      { runId: '6262', port: second.sshd.port },
    ).finally(() => rm(`${data}/fixture-control.json`, { force: true }))
    expect(cut).toBe(true)
    expect(result.exitCode).toBe(1)
    // The database is restored; the first node went back, the second still serves the upgrade's code: no visitor
    // is served meanwhile.
    expect(await contents()).toBe(before)
    expect(await served()).toEqual(['Moodle 4.2', 'Moodle 4.3'])
    expect(maintenance()).toBe(true)
    expect(cronHeld()).toBe(true)
    const [h1, h2] = result.report!.hosts as unknown as Host[]
    for (const h of [h1, h2]) {
      expect(h.restore).toContain(`${second.label} could not be switched back`)
      expect(h.restore).toContain('The site stays in maintenance mode with cron held: fix the cause, then run goback with restore-database: true on the cluster')
      expect(h.error).toContain('To restore: The database was restored from')
    }
    // status says what an admin must know: maintenance on and cron held on the site, and the second node's code
    // newer than the restored database.
    const st = await runAction({ ...inputs, mode: 'status' })
    expect(st.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined])
    const site = (i: number) => (st.report!.hosts[i].status as { site: { maintenance: string; cron: string; database: string; code: string; warnings?: string[] } }).site
    expect(site(0)).toMatchObject({ maintenance: 'on (CLI)', cron: 'disabled', database: V42, code: V42 })
    expect(site(1)).toMatchObject({ maintenance: 'on (CLI)', cron: 'disabled', database: V42, code: V43 })
    // The first node's restore did not finish: its status says so, and not to end maintenance by hand.
    expect(site(0).warnings).toBeUndefined()
    expect(site(1).warnings?.[0]).toBe(
      `the site is in maintenance mode (CLI): if no one meant it (a run that stopped half-way), end it with sudo -u ${WEB} /usr/bin/php ${fleet.path}/live/admin/cli/maintenance.php --disable`,
    )
    expect(site(1).warnings?.[2]).toBe('the live code (4.3 (Build: 20231009) (2023100900.00)) is newer than the database (2023042400.00): an upgrade is pending (admin/cli/upgrade.php)')
    expect(st.report?.hosts[1].message).toContain('an upgrade is pending')

    expect(st.report?.hosts[0].message).toContain('did not finish: the database may be partly restored')
    // Nothing moves code onto that database meanwhile.
    expect((await runAction({ ...inputs, mode: 'deliver', ref: c.v43 })).report?.outcome).toBe('refused')

    // What the report says: goback with restore-database on the cluster; the second node goes back, the site opens.
    const again = await runAction({ ...inputs, mode: 'goback', 'restore-database': 'true' })
    expect(again.report?.hosts.map((h) => h.error)).toEqual([undefined, undefined])
    expect(await served()).toEqual(['Moodle 4.2', 'Moodle 4.2'])
    expect(await contents()).toBe(before)
    expect(maintenance()).toBe(false)
    expect(cronHeld()).toBe(false)
    for (const s of fleet.servers) expect(existsSync(`${s.dir}/.delivery/lock`)).toBe(false)
    const fine = await runAction({ ...inputs, mode: 'status' })
    for (const h of fine.report!.hosts) {
      expect((h.status as { site: unknown }).site).toEqual({ maintenance: 'off', cron: 'enabled', database: V42, code: V42 })
    }
  })
})

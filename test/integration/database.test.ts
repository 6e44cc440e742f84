/**
 * The database snapshot before a Moodle upgrade and `goback` with `restore-database: true`, through the bundled Action
 * against a real sshd, with a real PostgreSQL and a real MariaDB started here on loopback (test/helpers/databases.ts).
 * The trees hold the fixture CLI (test/fixtures/moodle-cli) whose config.php points at the real database: its
 * `upgrade.php` changes the schema (a new table, a new column, changed rows) and the version row of `{prefix}config`.
 * The site also holds a table without the prefix, which is not Moodle's and must never be dumped or touched.
 */
import { readFileSync, statSync, existsSync } from 'node:fs'
import { readFile, rm, writeFile, appendFile, truncate, mkdir, symlink, readdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, type Target, startTarget } from '../helpers/action.js'
import { type DbServer, type Engine, startDatabase } from '../helpers/databases.js'
import { type GitRepo, makePlainGitRepo } from '../helpers/gitrepo.js'
import { run } from '../helpers/proc.js'
import { runWithCut } from '../helpers/cut.js'
import { makeUser } from '../helpers/sshd.js'

const FIXTURE = `${ROOT}test/fixtures/moodle-cli`
const WEB = 'dlvdbweb'
const SUDOERS = `/etc/sudoers.d/dlv-db-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
const CLI = ['upgrade.php', 'maintenance.php', 'purge_caches.php', 'cron.php', 'cfg.php', 'fixture_lib.php']
const V42 = '2023042400.00'
const V43 = '2023100900.00'

const versionPhp = (version: string, release: string) =>
  `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$version  = ${version};\n$release  = '${release}';\n$branch   = '${release.slice(0, 3).replace('.', '0')}';\n$maturity = MATURITY_STABLE;\n`
const pluginPhp = (component: string, version: string) =>
  `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$plugin->version   = ${version};\n$plugin->requires  = 2022112800;\n$plugin->component = '${component}';\n`

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

let t: Target
let noDump: Target
let repo: GitRepo
const c: Record<string, string> = {}
const cleanup: string[] = []
const shim = `/tmp/dlv-nodump-${process.pid}`

beforeAll(async () => {
  t = await startTarget()
  await makeUser(WEB)
  await writeFile(SUDOERS, `${t.sshd.user} ALL=(${WEB}) NOPASSWD: /usr/bin/php\n`, { mode: 0o440 })
  repo = await makePlainGitRepo(t.sshd.user, {
    ...tree(V42, '4.2 (Build: 20230424)'),
    'mod/forum/version.php': pluginPhp('mod_forum', '2023042400'),
    'blocks/old/version.php': pluginPhp('block_old', '2022112800'),
    'mod/forum/tests/fixtures/version.php': pluginPhp('mod_fixture', '1'),
  })
  c.v42 = repo.head
  c.v43 = await repo.commit('4.3', {
    ...tree(V43, '4.3 (Build: 20231009)'),
    'mod/forum/version.php': pluginPhp('mod_forum', '2023100900'),
    'blocks/old/version.php': null as unknown as string,
    'local/newthing/version.php': pluginPhp('local_newthing', '2023100100'),
  })
  // A server without PostgreSQL's and MariaDB's dump tools: its PATH holds every other program.
  await mkdir(shim, { recursive: true })
  for (const dir of ['/usr/local/bin', '/usr/bin', '/usr/sbin']) {
    for (const f of await readdir(dir)) {
      if (['pg_dump', 'mysqldump', 'mariadb-dump'].includes(f) || existsSync(`${shim}/${f}`)) continue
      await symlink(`${dir}/${f}`, `${shim}/${f}`)
    }
  }
  noDump = await startTarget({ extraConfig: `SetEnv PATH=${shim}` })
}, 180_000)

afterAll(async () => {
  await rm(SUDOERS, { force: true })
  await t?.stop()
  await noDump?.stop()
  await repo?.remove()
  await rm(shim, { recursive: true, force: true })
  for (const d of cleanup) await rm(d, { recursive: true, force: true })
})

interface Site {
  root: string
  data: string
  dbname: string
  inputs: Record<string, string>
  live(): Promise<string>
  /** The Moodle $version of the code live serves. */
  liveVersion(): Promise<string>
  safe(): Promise<string>
  state(): Promise<{ state: string; snapshots?: { file: string; sha256: string; fromVersion: string; toVersion: string; bytes: number }[]; restoring?: Record<string, unknown> }>
  control(c: Record<string, unknown>): Promise<void>
  version(): Promise<string>
  /** Every column of every table, and the rows of the prefixed tables and of the foreign one. */
  contents(): Promise<string>
  maintenance(): boolean
  cronHeld(): boolean
  journal(): Promise<string>
}

async function site(db: DbServer, opts: { target?: Target; dbpass?: string; extra?: Record<string, string> } = {}): Promise<Site> {
  const target = opts.target ?? t
  const id = Math.random().toString(36).slice(2, 10)
  const root = `/tmp/dlv-dbsite-${id}`
  const data = `/tmp/dlv-dbdata-${id}`
  const dbname = `dlv_${id}`
  cleanup.push(root, data)
  await target.sh(`mkdir -p ${root}`)
  await run('install', ['-d', '-o', WEB, '-m', '0755', data], { check: true })
  await db.createDatabase(dbname)
  const pg = db.engine === 'pgsql'
  const serial = pg ? 'BIGSERIAL PRIMARY KEY' : 'BIGINT AUTO_INCREMENT PRIMARY KEY'
  const as = pg ? `SET ROLE ${db.user};` : ''
  await db.sql(dbname, `${as}
    CREATE TABLE mdl_config (id ${serial}, name VARCHAR(255) NOT NULL UNIQUE, value TEXT NOT NULL);
    CREATE TABLE mdl_course (id ${serial}, fullname VARCHAR(254) NOT NULL);
    CREATE TABLE mdl_user (id ${serial}, username VARCHAR(100) NOT NULL);
    CREATE TABLE other_app_table (id INT PRIMARY KEY, note VARCHAR(50));
    INSERT INTO mdl_config (name, value) VALUES ('version', '${V42}'), ('release', '4.2');
    INSERT INTO mdl_course (fullname) VALUES ('Site home'), ('Maths 101'), ('Quotes '' and "double" \\\\ back');
    INSERT INTO mdl_user (username) VALUES ('admin'), ('guest');
    INSERT INTO other_app_table VALUES (1, 'not Moodle');`)
  const inputs = { ...target.base, path: root, 'web-user': WEB, repository: repo.dir, ...opts.extra }
  const r = await runAction({ ...inputs, mode: 'init', ref: c.v42 })
  expect(r.report?.hosts[0].error).toBeUndefined()
  const pass = opts.dbpass ?? db.password
  const config = `<?php
$CFG->dataroot = '${data}';
$CFG->fixturelive = '${root}/live';
$CFG->dbtype = '${pg ? 'pgsql' : 'mariadb'}';
$CFG->dbhost = '127.0.0.1';
$CFG->dbname = '${dbname}';
$CFG->dbuser = '${db.user}';
$CFG->dbpass = '${pass}';
${pass !== db.password ? `$CFG->fixturedbpass = '${db.password}';\n` : ''}$CFG->prefix = 'mdl_';
$CFG->dboptions = ['dbport' => ${db.port}];
`
  for (const tr of await readdir(`${root}/trees`)) await target.sh(`cat > ${root}/trees/${tr}/config.php <<'EOF'\n${config}EOF`)
  const stateOf = async () => JSON.parse(await readFile(`${root}/.delivery/state.json`, 'utf8'))
  return {
    root,
    data,
    dbname,
    inputs,
    live: async () => (await run('realpath', [`${root}/live`], { check: true })).stdout.trim(),
    liveVersion: async () => /\$version\s*=\s*([0-9.]+)/.exec(await readFile(`${root}/live/version.php`, 'utf8'))![1],
    safe: async () => `${root}/trees/${(await stateOf()).safe}`,
    state: stateOf,
    control: (ctl) => writeFile(`${data}/fixture-control.json`, JSON.stringify(ctl)),
    version: () => db.sql(dbname, "SELECT value FROM mdl_config WHERE name = 'version'"),
    contents: async () => {
      const cols = pg
        ? "SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1"
        : "SELECT CONCAT(table_name, '.', column_name, ':', data_type) FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY 1"
      const rows = await Promise.all(['mdl_config', 'mdl_course', 'mdl_user', 'other_app_table'].map((tb) => db.sql(dbname, `SELECT * FROM ${tb} ORDER BY 1`)))
      return [await db.sql(dbname, cols), ...rows].join('\n--\n')
    },
    maintenance: () => existsSync(`${data}/climaintenance.html`),
    cronHeld: () => existsSync(`${data}/fixture-cron-disabled`),
    journal: () => readFile(`${root}/.delivery/journal.jsonl`, 'utf8'),
  }
}

type Host = NonNullable<Awaited<ReturnType<typeof runAction>>['report']>['hosts'][0] & {
  snapshot?: { file: string; bytes: number; ms: number; sha256: string; fromVersion: string; toVersion: string; windowGrowthMs: number }
  upgradePlan?: { components: { component: string; before?: string; after?: string }[]; maintenance: boolean; snapshotBytes?: number }
  restore?: string
}
const hostOf = (r: Awaited<ReturnType<typeof runAction>>) => r.report?.hosts[0] as Host
const stepNames = (h: Host) => h.steps.map((s) => s.name)
const stepOf = (h: Host, name: string) => h.steps.find((s) => s.name === name) as { name: string; outcome: string; detail?: string } | undefined
const everything = (r: Awaited<ReturnType<typeof runAction>>) => `${r.stdout}${r.stderr}${r.summary}${Object.values(r.reportFiles).join('')}`

for (const engine of ['pgsql', 'mariadb'] as Engine[]) {
  describe(`database snapshot and restore (${engine}, real server on loopback)`, () => {
    let db: DbServer
    beforeAll(async () => {
      db = await startDatabase(engine)
    }, 180_000)
    afterAll(async () => {
      await db?.stop()
    })

    it('snapshot in maintenance before the switch, upgrade; goback with restore-database brings back schema, rows and version', async () => {
      const s = await site(db)
      const before = await s.contents()
      // Moodle's cache configuration in moodledata, as 4.2 wrote it (owned by the web user, as Moodle leaves it).
      await run('install', ['-d', '-o', WEB, '-m', '0777', `${s.data}/muc`], { check: true })
      await writeFile(`${s.data}/muc/config.php`, '<?php // fixture cache configuration written by version 2023042400.00\n')
      await run('chown', [WEB, `${s.data}/muc/config.php`], { check: true })

      const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
      const h = hostOf(r)
      expect(h.error).toBeUndefined()
      expect(r.code).toBe(0)
      expect(await s.version()).toBe('2023100900') // as Moodle stores it: the float as PHP prints it
      expect(await s.contents()).not.toBe(before)
      expect(await s.contents()).toContain('mdl_fixture_upgraded')
      // Maintenance on and cron held before the dump; the dump before the switch.
      const names = stepNames(h)
      expect(stepOf(h, 'database snapshot')?.outcome).toBe('success')
      expect(names.indexOf('maintenance on')).toBeLessThan(names.indexOf('database snapshot'))
      expect(names.indexOf('cron hold')).toBeLessThan(names.indexOf('database snapshot'))
      expect(names.indexOf('database snapshot')).toBeLessThan(names.lastIndexOf('switch'))
      // Inside the maintenance window only the snapshot, the switch and the upgrade (maintenance off in its command).
      const on = names.indexOf('maintenance on')
      expect(names.slice(on + 1, names.indexOf('maintenance off', on))).toEqual(['database snapshot', 'switch', 'upgrade'])
      // The snapshot: 0600 in a 0700 folder under .delivery, named by time, run and versions, its checksum beside it.
      const snap = h.snapshot!
      expect(snap.file.startsWith(`${s.root}/.delivery/backups/moodle-db-`)).toBe(true)
      expect(snap.file).toContain(`-${V42}-to-${V43}.`)
      expect(statSync(snap.file).mode & 0o777).toBe(0o600)
      expect(statSync(`${s.root}/.delivery/backups`).mode & 0o777).toBe(0o700)
      expect(statSync(snap.file).size).toBe(snap.bytes)
      const sum = (await run('sha256sum', [snap.file], { check: true })).stdout.split(' ')[0]
      expect(sum).toBe(snap.sha256)
      expect((await readFile(`${snap.file}.sha256`, 'utf8')).split(' ')[0]).toBe(sum)
      expect(stepOf(h, 'database snapshot')?.detail).toMatch(/maintenance window grew by [0-9.]+ s/)
      // Only the site's tables.
      const listing = engine === 'pgsql' ? (await run('pg_restore', ['-l', snap.file], { check: true })).stdout : await readFile(snap.file, 'utf8')
      expect(listing).toContain('mdl_course')
      expect(listing).not.toContain('other_app_table')
      // Recorded for goback; the password never leaves in any report, log or journal.
      const st = await s.state()
      expect(st.snapshots?.map((x) => [x.file, x.fromVersion, x.toVersion])).toEqual([[snap.file, V42, V43]])
      expect(await s.journal()).toContain('"event":"database-snapshot"')
      expect(everything(r)).not.toContain(db.password)
      expect(await s.journal()).not.toContain(db.password)
      // The upgrade plan of the real run.
      expect(h.upgradePlan?.components).toEqual([
        { component: 'core', before: V42, after: V43 },
        { component: 'block_old', before: '2022112800' },
        { component: 'local_newthing', after: '2023100100' },
        { component: 'mod_forum', before: '2023042400', after: '2023100900' },
      ])

      // Without the flag: refused, and the refusal says how.
      const safeBefore = await s.safe()
      const refused = await runAction({ ...s.inputs, mode: 'goback' })
      expect(refused.code).not.toBe(0)
      expect(hostOf(refused).error).toContain('restore-database: true')
      expect(hostOf(refused).error).toContain(snap.file)
      // The dry run says what it would do and changes nothing.
      const dry = await runAction({ ...s.inputs, mode: 'goback', 'restore-database': 'true', 'dry-run': 'true' })
      expect(hostOf(dry).error).toBeUndefined()
      expect(hostOf(dry).plan?.join('\n')).toContain(`restore the database from ${snap.file}`)
      expect(await s.version()).toBe('2023100900') // as Moodle stores it: the float as PHP prints it

      // The upgrade rewrote moodledata's cache configuration for 4.3, which 4.2 cannot load.
      expect(await readFile(`${s.data}/muc/config.php`, 'utf8')).toContain('written by version 2023100900.00')
      const back = await runAction({ ...s.inputs, mode: 'goback', 'restore-database': 'true' })
      const hb = hostOf(back)
      expect(hb.error).toBeUndefined()
      // The configuration kept with the snapshot (4.2's) is back; the newer one is kept beside it.
      expect(await readFile(`${s.data}/muc/config.php`, 'utf8')).toContain('written by version 2023042400.00')
      expect(stepOf(hb, 'cache configuration')?.detail).toMatch(/as it was before the upgrade .*; the newer one is kept as .*muc\/config\.php\.before-restore-/)
      expect(back.code).toBe(0)
      expect(await s.version()).toBe(V42)
      expect(await s.contents()).toBe(before)
      expect(await s.live()).toBe(safeBefore)
      expect(await s.liveVersion()).toBe(V42)
      expect(s.maintenance()).toBe(false)
      expect(s.cronHeld()).toBe(false)
      const bn = stepNames(hb)
      expect(stepOf(hb, 'database restore')?.outcome).toBe('success')
      expect(bn.indexOf('maintenance on')).toBeLessThan(bn.indexOf('database restore'))
      expect(bn.indexOf('database restore')).toBeLessThan(bn.indexOf('switch'))
      expect(bn.indexOf('switch')).toBeLessThan(bn.indexOf('maintenance off'))
      expect(stepOf(hb, 'database version')?.detail).toContain(V42)
      expect(await s.journal()).toContain('"event":"database-restore"')
      expect(everything(back)).not.toContain(db.password)
    }, 240_000)

    it('a dump that cannot connect (wrong password in config.php) stops the delivery before the switch: maintenance off, cron on', async () => {
      const wrong = 'Wrong-Pass-7731'
      const s = await site(db, { dbpass: wrong })
      const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
      const h = hostOf(r)
      expect(r.code).not.toBe(0)
      expect(stepOf(h, 'database snapshot')?.outcome).toBe('failure')
      expect(h.error).toMatch(/snapshot failed/)
      expect(await s.liveVersion()).toBe(V42)
    expect((await s.state()).state).toBe('delivering')
      expect(await s.version()).toBe(V42)
      expect(s.maintenance()).toBe(false)
      expect(s.cronHeld()).toBe(false)
      expect(stepNames(h)).not.toContain('upgrade')
      expect(everything(r)).not.toContain(wrong)
      expect(await readdir(`${s.root}/.delivery/backups`)).toEqual([])
    }, 180_000)

    it('a restore cut off as it runs leaves a database that may be partly restored: every switch is refused until goback with restore-database restores it again and finishes', async () => {
      const s = await site(db)
      const before = await s.contents()
      const up = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
      expect(hostOf(up).error).toBeUndefined()
      const upgraded = await s.live()
      // The connection drops as the restore is sent: it never runs. Then the version row alone goes back, as a
      // MySQL restore (table by table) cut off after {prefix}config would leave it.
      const { result, cut } = await runWithCut({ ...s.inputs, mode: 'goback', 'restore-database': 'true' }, (what) => (what.startsWith('restore ') ? 'before' : undefined), { runId: '7373' })
      expect(cut).toBe(true)
      expect(result.exitCode).toBe(1)
      await db.sql(s.dbname, `UPDATE mdl_config SET value = '${V42}' WHERE name = 'version'`)
      expect(s.maintenance()).toBe(true)
      expect(s.cronHeld()).toBe(true)
      expect((await s.state()).restoring).toMatchObject({ runId: '7373-1', cron: true })

      // Nothing switches code onto that database: neither goback (whose guard the version row would pass) nor deliver.
      for (const mode of ['goback', 'deliver']) {
        const r = await runAction({ ...s.inputs, mode, ref: c.v43 })
        expect(r.report?.outcome).toBe('refused')
        expect(hostOf(r).error).toContain('did not finish: the database may be partly restored')
        expect(hostOf(r).error).toContain('Run goback with restore-database: true to restore it again')
      }
      expect(await s.live()).toBe(upgraded)
      const st = await runAction({ ...s.inputs, mode: 'status' })
      expect(hostOf(st).message).toContain('did not finish: the database may be partly restored')

      // The way out for an admin who restored the database by hand, in a dry run: nothing changes.
      const forget = await runAction({ ...s.inputs, mode: 'goback', 'allow-downgrade': 'true', 'dry-run': 'true' })
      expect(hostOf(forget).plan?.[0]).toMatch(/^forget the unfinished restore from .*\(allow-downgrade: true\), then switch live from trees\//)
      expect((await s.state()).restoring).toBeDefined()

      // goback with restore-database restores again from the same snapshot, whatever the version row says, or with no
      // config table at all (a MySQL restore cut off between its DROP and CREATE), and finishes.
      await db.sql(s.dbname, 'DROP TABLE mdl_config')
      const back = await runAction({ ...s.inputs, mode: 'goback', 'restore-database': 'true' })
      expect(hostOf(back).error).toBeUndefined()
      expect(stepOf(hostOf(back), 'maintenance on')?.outcome).toBe('skipped')
      expect(await s.contents()).toBe(before)
      expect(await s.liveVersion()).toBe(V42)
      expect(s.maintenance()).toBe(false)
      expect(s.cronHeld()).toBe(false)
      expect((await s.state()).restoring).toBeUndefined()
      const events = (await s.journal()).trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event)
      expect(events.filter((e) => e.startsWith('database-restore'))).toEqual(['database-restore-start', 'database-restore-start', 'database-restore', 'database-restore-end'])
    }, 180_000)

    it('a restore cut off after its switch (maintenance still on): goback with restore-database restores again without switching, and ends maintenance and the cron hold', async () => {
      const s = await site(db)
      const before = await s.contents()
      expect(hostOf(await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })).error).toBeUndefined()
      // The purge after the switch: the connection drops before it runs.
      const { cut } = await runWithCut({ ...s.inputs, mode: 'goback', 'restore-database': 'true' }, (what) => (what.startsWith('moodle purge_caches.php') ? 'before' : undefined), { runId: '7474' })
      expect(cut).toBe(true)
      const st = await s.state()
      expect(st.state).toBe('delivering')
      expect(st.restoring).toBeDefined()
      expect(await s.liveVersion()).toBe(V42)
      expect(s.maintenance()).toBe(true)
      const live = await s.live()
      const back = await runAction({ ...s.inputs, mode: 'goback', 'restore-database': 'true' })
      expect(hostOf(back).error).toBeUndefined()
      expect(stepNames(hostOf(back))).not.toContain('switch')
      expect(await s.live()).toBe(live)
      expect(await s.contents()).toBe(before)
      expect(s.maintenance()).toBe(false)
      expect(s.cronHeld()).toBe(false)
      expect((await s.state()).restoring).toBeUndefined()
      // Once finished, goback is refused again as usual (it already happened).
      expect((await runAction({ ...s.inputs, mode: 'goback', 'restore-database': 'true' })).report?.outcome).toBe('refused')
    }, 180_000)
  })
}

describe('database snapshot failures and refusals (pgsql)', () => {
  let db: DbServer
  beforeAll(async () => {
    db = await startDatabase('pgsql')
  }, 180_000)
  afterAll(async () => {
    await db?.stop()
  })

  it('a server without pg_dump: refused with the package to install, nothing switched', async () => {
    const s = await site(db, { target: noDump })
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r.code).not.toBe(0)
    expect(hostOf(r).error).toContain('pg_dump is not installed on the server')
    expect(await s.liveVersion()).toBe(V42)
    expect((await s.state()).state).toBe('delivering')
    expect(await s.version()).toBe(V42)
    expect(s.maintenance()).toBe(false)
    expect(s.cronHeld()).toBe(false)
  }, 180_000)

  it('not enough free space for the snapshot (a full disk): refused before the dump, nothing left behind', async () => {
    const dir = `/tmp/dlv-dbfull-${Math.random().toString(36).slice(2, 8)}`
    await mkdir(dir)
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { check: true })
    try {
      await run('chown', [t.sshd.user, dir], { check: true })
      const s = await site(db, { extra: { 'backup-dir': `${dir}/snapshots` } })
      const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
      expect(r.code).not.toBe(0)
      expect(hostOf(r).error).toContain(`not enough free space in ${dir}/snapshots`)
      expect(await s.liveVersion()).toBe(V42)
    expect((await s.state()).state).toBe('delivering')
      expect(await s.version()).toBe(V42)
      expect(s.maintenance()).toBe(false)
      expect(s.cronHeld()).toBe(false)
      expect(await readdir(`${dir}/snapshots`)).toEqual([])
    } finally {
      await run('umount', [dir])
      await rm(dir, { recursive: true, force: true })
    }
  }, 180_000)

  it('goback refuses a damaged snapshot (checksum) and a snapshot of another version than the safe tree; a failed restore stays in maintenance and says what the database holds', async () => {
    const s = await site(db)
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43 })
    expect(r.code).toBe(0)
    const snap = hostOf(r).snapshot!
    const live = await s.live()
    const upgraded = await s.contents()

    await appendFile(snap.file, 'x')
    const damaged = await runAction({ ...s.inputs, mode: 'goback', 'restore-database': 'true' })
    expect(damaged.code).not.toBe(0)
    expect(hostOf(damaged).error).toContain('is damaged')
    expect(await s.live()).toBe(live)
    expect(await s.contents()).toBe(upgraded)
    expect(s.maintenance()).toBe(false)
    await truncate(snap.file, snap.bytes)

    // The safe tree edited by hand to another version than the snapshot's.
    const safe = await s.safe()
    await t.sh(`sed -i 's/${V42}/2023042401.00/' ${safe}/version.php`)
    const other = await runAction({ ...s.inputs, mode: 'goback', 'restore-database': 'true' })
    expect(other.code).not.toBe(0)
    expect(hostOf(other).error).toContain(`holds the database at ${V42}`)
    expect(hostOf(other).error).toContain('2023042401.00')
    expect(await s.live()).toBe(live)
    expect(await s.contents()).toBe(upgraded)
    expect(s.maintenance()).toBe(false)

    // A restore that fails (the database refuses the password): maintenance stays on, the error says what the
    // database holds, nothing is switched.
    await t.sh(`sed -i 's/${V42.replace('.', '\\.')}.*;/${V42};/; s/2023042401.00/${V42}/' ${safe}/version.php`)
    for (const tr of await readdir(`${s.root}/trees`)) {
      await t.sh(`sed -i "s/^\\$CFG->dbpass = .*/\\$CFG->dbpass = 'Wrong-Pass-9';\\n\\$CFG->fixturedbpass = '${db.password}';/" ${s.root}/trees/${tr}/config.php`)
    }
    const failed = await runAction({ ...s.inputs, mode: 'goback', 'restore-database': 'true' })
    const hf = hostOf(failed)
    expect(failed.code).not.toBe(0)
    expect(stepOf(hf, 'database restore')?.outcome).toBe('failure')
    expect(hf.error).toContain('rolled back (one transaction): the database is as it was before the restore')
    expect(hf.error).toContain('stays in maintenance mode')
    expect(s.maintenance()).toBe(true)
    expect(await s.live()).toBe(live)
    expect(await s.contents()).toBe(upgraded)
    expect(everything(failed)).not.toContain('Wrong-Pass-9')
    // Rolled back, so nothing is left half done: no restore record, and ending maintenance on the current code is
    // offered (the command names the script where this run found it).
    expect((await s.state()).restoring).toBeUndefined()
    expect(hf.restore).toContain(`or turn maintenance off on the current code: sudo -u ${WEB} /usr/bin/php ${live}/admin/cli/maintenance.php --disable`)
  }, 240_000)

  it('an upgrade failing half-way in maintenance: with restore-database the snapshot is restored and the site goes back; retention keeps backup-keep', async () => {
    const s = await site(db, { extra: { 'backup-keep': '1' } })
    const before = await s.contents()
    await s.control({ upgradeFailsHalfway: true })
    const r = await runAction({ ...s.inputs, mode: 'deliver', ref: c.v43, 'restore-database': 'true' })
    const h = hostOf(r)
    expect(r.code).not.toBe(0)
    expect(h.error).toContain('The database was restored from')
    expect(h.rolledBack).toBe(true)
    expect(await s.liveVersion()).toBe(V42)
    expect((await s.state()).state).toBe('delivering')
    expect(await s.contents()).toBe(before)
    expect(s.maintenance()).toBe(false)
    expect(s.cronHeld()).toBe(false)
    expect((await s.state()).state).toBe('delivering')

    // The plan of the next try, then the try: a second snapshot replaces the first (backup-keep: 1).
    await s.control({})
    const dry = await runAction({ ...s.inputs, mode: 'backtoprod', 'dry-run': 'true', 'maintenance-notice': '5' })
    const plan = hostOf(dry).plan?.join('\n') ?? ''
    expect(hostOf(dry).error).toBeUndefined()
    expect(plan).toContain(`core ${V42} -> ${V43}`)
    expect(plan).toContain('new: local_newthing 2023100100')
    expect(plan).toContain('removed: block_old')
    expect(plan).toContain('cron held, fresh path and kept files, announce maintenance to users 5 min ahead (maintenance.php --enablelater=5) and wait, maintenance mode on, database snapshot, switch')
    expect(plan).toMatch(/a database snapshot would be taken into .*\.delivery\/backups .*the site's tables take [0-9.]+ kB/)
    const again = await runAction({ ...s.inputs, mode: 'backtoprod' })
    expect(hostOf(again).error).toBeUndefined()
    expect(await s.version()).toBe('2023100900') // as Moodle stores it: the float as PHP prints it
    const files = await readdir(`${s.root}/.delivery/backups`)
    expect(files.filter((f) => !f.endsWith('.sha256'))).toEqual([hostOf(again).snapshot!.file.split('/').pop()])
    expect((await s.state()).snapshots?.length).toBe(1)
  }, 240_000)
})

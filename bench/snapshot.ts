/**
 * Database snapshot: what the snapshot before an upgrade adds to the maintenance window, and how the dump and the
 * restore of `goback` with `restore-database: true` grow with the database. A real PostgreSQL and a real MariaDB on
 * loopback (test/helpers/databases.ts), a real sshd, the bundled Action (dist/main.js), and the fixture Moodle CLI
 * (test/fixtures/moodle-cli) whose config.php points at the database: its upgrade changes the schema and the version
 * (and takes well under a second: a real Moodle upgrade takes tens of seconds, see FACTS in the README).
 *
 * For each engine and size (MB of table data, filled with random hex text in `{prefix}logstore_standard_log`): one
 * site, `deliver` of 4.2 -> 4.3 (snapshot, upgrade), then `goback` with `restore-database: true`. Reported from the
 * run's report.json: the dump's time and size, the upgrade's time, the maintenance window (from `maintenance on` to
 * `maintenance off`, summed step times) and the rest of it, and the restore's time.
 *
 *   node bench/run.mjs snapshot [--engines pgsql,mariadb] [--sizes 10,100] [--rounds 1]
 */
import { readFileSync } from 'node:fs'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ROOT, runAction, startTarget } from '../test/helpers/action.js'
import { type Engine, startDatabase } from '../test/helpers/databases.js'
import { makePlainGitRepo } from '../test/helpers/gitrepo.js'
import { run } from '../test/helpers/proc.js'
import { makeUser } from '../test/helpers/sshd.js'
import { writeResults } from './lib/util.js'

const args = process.argv.slice(2)
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : def
}
const engines = opt('engines', 'pgsql,mariadb').split(',') as Engine[]
const sizes = opt('sizes', '10,100').split(',').map(Number)
const rounds = Number(opt('rounds', '1'))

const WEB = 'dlvbenchweb'
const SUDOERS = `/etc/sudoers.d/dlv-bench-snapshot-${process.pid}`
const CLI = ['upgrade.php', 'maintenance.php', 'purge_caches.php', 'cron.php', 'cfg.php', 'fixture_lib.php']
const V42 = '2023042400.00'
const tree = (version: string, release: string): Record<string, string> => {
  const files: Record<string, string> = {
    '.gitignore': '/config.php\n',
    'version.php': `<?php\ndefined('MOODLE_INTERNAL') || die();\n$version = ${version};\n$release = '${release}';\n`,
    'lib/setup.php': "<?php\ndefined('MOODLE_INTERNAL') || die();\n",
    'index.php': "<?php\necho 'ok';\n",
  }
  for (const f of CLI) files[`admin/cli/${f}`] = readFileSync(join(ROOT, 'test/fixtures/moodle-cli/admin/cli', f), 'utf8')
  return files
}

interface Row {
  engine: string
  mb: number
  round: number
  tableBytes: number
  dumpBytes: number
  dumpS: number
  upgradeS: number
  windowS: number
  restS: number
  restoreS: number
  gobackS: number
}

const sum = (steps: { name: string; ms: number }[], from: string, to: string) => {
  const a = steps.findIndex((s) => s.name === from)
  const b = steps.map((s) => s.name).lastIndexOf(to)
  return a < 0 || b < 0 ? 0 : steps.slice(a, b + 1).reduce((n, s) => n + s.ms, 0)
}

async function main() {
  const t = await startTarget()
  await makeUser(WEB)
  await writeFile(SUDOERS, `${t.sshd.user} ALL=(${WEB}) NOPASSWD: /usr/bin/php\n`, { mode: 0o440 })
  const repo = await makePlainGitRepo(t.sshd.user, tree(V42, '4.2'))
  const v42 = repo.head
  const v43 = await repo.commit('4.3', tree('2023100900.00', '4.3'))
  const rows: Row[] = []
  try {
    for (const engine of engines) {
      const db = await startDatabase(engine)
      try {
        for (const mb of sizes) {
          for (let round = 0; round < rounds; round++) {
            const id = Math.random().toString(36).slice(2, 8)
            const root = `/tmp/dlv-site-bench-${id}`
            const data = `/tmp/dlv-bench-data-${id}`
            const dbname = `bench_${id}`
            await t.sh(`mkdir -p ${root}`)
            await run('install', ['-d', '-o', WEB, '-m', '0755', data], { check: true })
            await db.createDatabase(dbname)
            const pg = engine === 'pgsql'
            const serial = pg ? 'BIGSERIAL PRIMARY KEY' : 'BIGINT AUTO_INCREMENT PRIMARY KEY'
            const rowsN = Math.ceil((mb * 1024 * 1024) / 300)
            const hex = pg ? Array(8).fill('md5(random()::text)').join(' || ') : `CONCAT(${Array(8).fill('MD5(RAND())').join(', ')})`
            await db.sql(dbname, `${pg ? `SET ROLE ${db.user};` : ''}
              CREATE TABLE mdl_config (id ${serial}, name VARCHAR(255) NOT NULL UNIQUE, value TEXT NOT NULL);
              CREATE TABLE mdl_course (id ${serial}, fullname VARCHAR(254) NOT NULL);
              CREATE TABLE mdl_logstore_standard_log (id ${serial}, data TEXT NOT NULL);
              INSERT INTO mdl_config (name, value) VALUES ('version', '${V42}');
              INSERT INTO mdl_course (fullname) VALUES ('Site home');
              INSERT INTO mdl_logstore_standard_log (data) SELECT ${hex} FROM ${pg ? `generate_series(1, ${rowsN})` : `seq_1_to_${rowsN}`};`)
            const tableBytes = Number(
              await db.sql(dbname, pg ? "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'mdl\\_%'" : "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = DATABASE()"),
            )
            const inputs = { ...t.base, path: root, 'web-user': WEB, repository: repo.dir }
            const init = await runAction({ ...inputs, mode: 'init', ref: v42 })
            if (init.code !== 0) throw new Error(`init: ${init.report?.hosts[0].error}`)
            const config = `<?php\n$CFG->dataroot = '${data}';\n$CFG->dbtype = '${pg ? 'pgsql' : 'mariadb'}';\n$CFG->dbhost = '127.0.0.1';\n$CFG->dbname = '${dbname}';\n$CFG->dbuser = '${db.user}';\n$CFG->dbpass = '${db.password}';\n$CFG->prefix = 'mdl_';\n$CFG->dboptions = ['dbport' => ${db.port}];\n`
            for (const tr of await readdir(`${root}/trees`)) await t.sh(`cat > ${root}/trees/${tr}/config.php <<'EOF'\n${config}EOF`)
            const d = await runAction({ ...inputs, mode: 'deliver', ref: v43 })
            const h = d.report?.hosts[0] as unknown as { error?: string; steps: { name: string; ms: number }[]; snapshot?: { bytes: number; ms: number } }
            if (d.code !== 0) throw new Error(`deliver: ${h?.error}`)
            const g0 = Date.now()
            const g = await runAction({ ...inputs, mode: 'goback', 'restore-database': 'true' })
            const gobackS = (Date.now() - g0) / 1000
            const gh = g.report?.hosts[0] as unknown as { error?: string; steps: { name: string; ms: number; outcome: string }[] }
            if (g.code !== 0) throw new Error(`goback: ${gh?.error}`)
            if (gh.steps.find((x) => x.name === 'database restore')?.outcome !== 'success') throw new Error('goback did not restore the database')
            const step = (steps: { name: string; ms: number }[], n: string) => (steps.find((s) => s.name === n)?.ms ?? 0) / 1000
            const windowS = sum(h.steps, 'maintenance on', 'maintenance off') / 1000
            const row: Row = {
              engine,
              mb,
              round: round + 1,
              tableBytes,
              dumpBytes: h.snapshot?.bytes ?? 0,
              dumpS: step(h.steps, 'database snapshot'),
              upgradeS: step(h.steps, 'upgrade'),
              windowS,
              restS: windowS - step(h.steps, 'database snapshot') - step(h.steps, 'upgrade'),
              restoreS: step(gh.steps, 'database restore'),
              gobackS,
            }
            if (process.env.BENCH_DEBUG) console.log(JSON.stringify(gh.steps))
            rows.push(row)
            console.log(JSON.stringify(row))
            await run('rm', ['-rf', root, data])
            await db.sql(pg ? 'postgres' : 'mysql', `DROP DATABASE ${dbname}`)
          }
        }
      } finally {
        await db.stop()
      }
    }
  } finally {
    await run('rm', ['-f', SUDOERS])
    await t.stop()
    await repo.remove()
  }
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1)
  console.log('\n| engine | table data | tables on disk | dump file | dump | upgrade | maintenance window | rest of the window | restore | goback with restore |')
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    console.log(`| ${r.engine} | ${r.mb} MB | ${mib(r.tableBytes)} MiB | ${mib(r.dumpBytes)} MiB | ${r.dumpS.toFixed(2)} s | ${r.upgradeS.toFixed(2)} s | ${r.windowS.toFixed(2)} s | ${r.restS.toFixed(2)} s | ${r.restoreS.toFixed(2)} s | ${r.gobackS.toFixed(1)} s |`)
  }
  writeResults('snapshot', { engines, sizes, rounds, rows })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

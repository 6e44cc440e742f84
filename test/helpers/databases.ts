/**
 * Throwaway database servers for the tests: a real PostgreSQL (`initdb` + `pg_ctl`) or a real MariaDB
 * (`mariadb-install-db` + `mariadbd`), each in a temporary folder, run by a user of its own, listening on 127.0.0.1 on a
 * free port, with a superuser the tests use to set up and inspect, and an application user for the site (password
 * authentication, as a Moodle site connects). Fails when the server cannot start: the suites never skip.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { run, runAs, sleep } from './proc.js'
import { makeUser } from './sshd.js'

export type Engine = 'pgsql' | 'mariadb'

export interface DbServer {
  engine: Engine
  port: number
  /** The application user and its password (what config.php names). */
  user: string
  password: string
  /** Runs SQL as the superuser in database `db`; returns the rows, tab-separated, one per line. */
  sql(db: string, query: string): Promise<string>
  /** Creates database `db`, owned by (or granted to) the application user. */
  createDatabase(db: string): Promise<void>
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** The folder of PostgreSQL's server programs (Debian keeps them out of PATH). */
function pgBin(): string {
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(`${base}/${v}/bin/initdb`)) return `${base}/${v}/bin`
  throw new Error('PostgreSQL server programs not found under /usr/lib/postgresql: apt-get install postgresql')
}

async function waitFor(what: string, ready: () => Promise<boolean>, log: () => Promise<string>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await ready()) return
    await sleep(100)
  }
  throw new Error(`${what} did not start: ${await log()}`)
}

const SUPER_PASSWORD = 'super-Secret-1'

export async function startDatabase(engine: Engine): Promise<DbServer> {
  const osUser = engine === 'pgsql' ? 'dlvpgsrv' : 'dlvmysrv'
  await makeUser(osUser)
  const dir = await mkdtemp(`/tmp/dlv-${engine}-`)
  await run('chown', [osUser, dir], { check: true })
  const port = await freePort()
  const user = 'moodleapp'
  const password = `app-Pass-${Math.random().toString(36).slice(2, 10)}`
  let child: ChildProcess | undefined
  if (engine === 'pgsql') {
    const bin = pgBin()
    await writeFile(`${dir}/pw`, SUPER_PASSWORD)
    await run('chown', [osUser, `${dir}/pw`], { check: true })
    await runAs(osUser, `"$1/initdb" -D "$2/data" -U postgres --auth=scram-sha-256 --pwfile="$2/pw" -E UTF8 --locale=C.UTF-8 >"$2/initdb.log" 2>&1`, { args: [bin, dir], cwd: dir, check: true })
    const r = await runAs(osUser, `"$1/pg_ctl" -D "$2/data" -l "$2/server.log" -w -t 60 -o "-p $3 -k $2 -c listen_addresses=127.0.0.1 -c fsync=off" start`, { args: [bin, dir, String(port)], cwd: dir })
    if (r.code !== 0) throw new Error(`PostgreSQL did not start: ${r.stderr}${r.stdout}`)
  } else {
    const r = await run('mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, `--user=${osUser}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { cwd: dir })
    if (r.code !== 0) throw new Error(`mariadb-install-db failed: ${r.stderr}`)
    child = spawn('mariadbd', ['--no-defaults', `--datadir=${dir}/data`, `--user=${osUser}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${dir}/sock`, `--pid-file=${dir}/pid`, '--skip-log-bin', '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M', '--innodb-flush-log-at-trx-commit=0'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d))
    await waitFor('MariaDB', async () => existsSync(`${dir}/sock`) && (await run('mariadb', ['--no-defaults', `--socket=${dir}/sock`, '-u', 'root', '-e', 'SELECT 1'])).code === 0, async () => log)
    await run('mariadb', ['--no-defaults', `--socket=${dir}/sock`, '-u', 'root', '-e', `ALTER USER 'root'@'localhost' IDENTIFIED BY '${SUPER_PASSWORD}'; CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'; CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}';`], { check: true })
  }
  const sql = async (db: string, query: string): Promise<string> => {
    const r =
      engine === 'pgsql'
        ? await run(`${pgBin()}/psql`, ['-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-c', query], { env: { ...process.env, PGPASSWORD: SUPER_PASSWORD } })
        : await run('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-u', 'root', '-N', '-B', '-D', db, '-e', query], { env: { ...process.env, MYSQL_PWD: SUPER_PASSWORD } })
    if (r.code !== 0) throw new Error(`${query}: ${r.stderr}`)
    return r.stdout.trim()
  }
  if (engine === 'pgsql') await sql('postgres', `CREATE ROLE ${user} LOGIN PASSWORD '${password}'`)
  return {
    engine,
    port,
    user,
    password,
    sql,
    async createDatabase(db: string) {
      if (engine === 'pgsql') {
        await sql('postgres', `CREATE DATABASE ${db} OWNER ${user}`)
      } else {
        await sql('mysql', `CREATE DATABASE ${db} CHARACTER SET utf8mb4; GRANT ALL ON ${db}.* TO '${user}'@'127.0.0.1'; GRANT ALL ON ${db}.* TO '${user}'@'localhost';`)
      }
    },
    async stop() {
      if (engine === 'pgsql') await runAs(osUser, `"$1/pg_ctl" -D "$2/data" -m immediate -w stop`, { args: [pgBin(), dir], cwd: dir })
      else if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve))
        child.kill('SIGTERM')
        await Promise.race([exited, sleep(10_000)])
        if (child.exitCode === null) child.kill('SIGKILL')
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Moodle's database around an upgrade: its settings read from a tree's `config.php` (moodle-config.ts), a snapshot of the site's tables before the upgrade (`pg_dump -Fc`, or `mysqldump --single-transaction`),
 * its checksum and retention, and the restore that lets `goback` cross the upgrade again.
 *
 * The password never reaches a command line: it comes back from PHP in the JSON, is masked like every secret, and
 * travels to the dump or restore script on its standard input, which hands it to the tool through its environment
 * (PGPASSWORD, MYSQL_PWD). Snapshots are 0600 files in a 0700 folder, named by time, run and versions, each with a
 * `.sha256` beside it.
 */
import { Refusal, StepFailure } from '../errors.js'
import { compareVersions } from './moodle-version.js'
import type { HostContext } from '../steps/context.js'
import { saveState, journal, step } from '../steps/context.js'
import type { ServerState, SnapshotRecord } from '../remote/state.js'
import { compactTime } from '../domain.js'
import { type DbConfig, lastLines, readCacheConfig, putCacheConfig } from './moodle-config.js'
import { DUMP, PRUNE, RESTORE, SIZE, VERIFY, connArgs, isPg, kv } from './moodle-db-scripts.js'

export type { SnapshotRecord }

/** Where snapshots go: `backup-dir`, or `.delivery/backups` under the delivery root. */
export function backupDir(ctx: HostContext): string {
  return ctx.settings.backupDir ?? `${ctx.layout.meta}/backups`
}

/** `moodle-db-<time>-<run>-<from>-to-<to>.<pgdump|sql>`: time first, so names sort by age. */
export function snapshotName(now: Date, runId: string, dbtype: string, from: string, to: string): string {
  const stamp = compactTime(now)
  const clean = (s: string) => s.replace(/[^A-Za-z0-9.]/g, '').slice(0, 24) || 'unknown'
  return `moodle-db-${stamp}-${clean(runId)}-${clean(from)}-to-${clean(to)}.${isPg(dbtype) ? 'pgdump' : 'sql'}`
}

/** Human size: 1.5 MB. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

/** The bytes the site's tables take now (the size a snapshot is checked against). */
export async function databaseSize(ctx: HostContext, c: DbConfig): Promise<number> {
  const r = await ctx.sh.run(`measure the database ${c.dbname}`, SIZE, connArgs(c), { stdin: `${c.dbpass}\n`, secrets: [c.dbpass], timeoutMs: 300_000 })
  return Number(kv(r.stdout).size ?? 0)
}

/**
 * Takes the snapshot (maintenance on and cron held by the caller), records it in state.json and the journal, then
 * applies `backup-keep`. Throws StepFailure when the dump fails (nothing is left behind).
 */
export async function takeSnapshot(
  ctx: HostContext,
  c: DbConfig,
  v: { from: string; fromRelease?: string; to: string; toRelease?: string; quiet: boolean },
): Promise<SnapshotRecord> {
  const dir = backupDir(ctx)
  const name = snapshotName(ctx.now(), ctx.settings.run.runId, c.dbtype, v.from, v.to)
  const started = Date.now()
  const rec = await step(
    ctx,
    'database snapshot',
    async () => {
      const r = await ctx.sh.run(`snapshot the database ${c.dbname}`, DUMP, [...connArgs(c), dir, name], {
        stdin: `${c.dbpass}\n`,
        secrets: [c.dbpass],
        nothrow: true,
        timeoutMs: 6 * 3600_000,
      })
      if (r.code !== 0) throw new StepFailure(`database snapshot failed: ${lastLines(r.stderr || r.stdout)}`)
      const o = kv(r.stdout)
      const muc = await saveCacheConfig(ctx, `${dir}/${name}.muc`)
      const record: SnapshotRecord = {
        ...(muc ? { muc } : {}),
        file: `${dir}/${name}`,
        sha256: o.sha256,
        bytes: Number(o.bytes),
        dbtype: c.dbtype,
        dbname: c.dbname,
        prefix: c.prefix,
        fromVersion: v.from,
        fromRelease: v.fromRelease,
        toVersion: v.to,
        toRelease: v.toRelease,
        tree: ctx.state?.live ?? '',
        runId: ctx.settings.run.runId,
        at: ctx.now().toISOString(),
        ms: Date.now() - started,
        quiet: v.quiet,
      }
      return record
    },
    (r) => `${r.file} (${humanBytes(r.bytes)}, ${c.dbtype}) in ${(r.ms / 1000).toFixed(1)} s; database ${v.from} before the upgrade to ${v.to}; the maintenance window grew by ${(r.ms / 1000).toFixed(1)} s`,
  )
  ctx.report.snapshot = { file: rec.file, bytes: rec.bytes, ms: rec.ms, sha256: rec.sha256, dbtype: rec.dbtype, fromVersion: rec.fromVersion, toVersion: rec.toVersion, windowGrowthMs: rec.ms }
  if (ctx.state) {
    const state: ServerState = ctx.state
    state.snapshots = [...(state.snapshots ?? []), rec]
    await saveState(ctx, state)
  }
  await journal(ctx, 'database-snapshot', { snapshot: rec })
  // Retention only once the new snapshot is safely written.
  const pruned = await ctx.sh.run('apply backup-keep', PRUNE, [dir, String(ctx.settings.backupKeep)], { nothrow: true })
  const gone = pruned.stdout.split('\n').map((s) => s.trim()).filter(Boolean)
  if (pruned.code !== 0) ctx.log.warning(`could not remove old snapshots in ${dir}: ${lastLines(pruned.stderr)}`)
  if (gone.length && ctx.state) {
    ctx.state.snapshots = (ctx.state.snapshots ?? []).filter((s) => !gone.some((g) => s.file === `${dir}/${g}`))
    await saveState(ctx, ctx.state, 'database-snapshot-removed', { files: gone.map((g) => `${dir}/${g}`), keep: ctx.settings.backupKeep })
  }
  return rec
}

/**
 * Keeps the cache configuration that goes with the database being dumped (0600, beside the dump); undefined when
 * moodledata holds none or it cannot be read (a warning: the restore then lets Moodle build its default one).
 */
async function saveCacheConfig(ctx: HostContext, file: string): Promise<string | undefined> {
  try {
    const text = await readCacheConfig(ctx, ctx.layout.tree(ctx.state!.live))
    if (!text) return undefined
    await ctx.sh.run(`keep the cache configuration in ${file}`, 'umask 077; cat > "$1.tmp"; mv -f -- "$1.tmp" "$1"', [file], { stdin: text })
    return file
  } catch (e) {
    ctx.log.warning(`the cache configuration (muc/config.php) was not kept with the snapshot: ${(e as Error).message}`)
    return undefined
  }
}

/**
 * After a restore: the cache configuration kept with the snapshot goes back into moodledata (the newer one, which the
 * older code cannot load, is kept beside it); with none kept, the current one is set aside and Moodle builds its
 * default again.
 */
export async function restoreCacheConfig(ctx: HostContext, dir: string, s: SnapshotRecord): Promise<void> {
  await step(ctx, 'cache configuration', async () => {
    let text: Buffer | undefined
    if (s.muc) {
      const r = await ctx.sh.run(`read ${s.muc}`, 'base64 -w0 < "$1"', [s.muc])
      text = Buffer.from(r.stdout.trim(), 'base64')
    }
    return { aside: await putCacheConfig(ctx, dir, text), kept: Boolean(text) }
  }, (r) => `${r.kept ? `muc/config.php as it was before the upgrade (${s.muc})` : "no cache configuration was kept with the snapshot: Moodle builds its default one (cache stores configured by hand must be set again)"}${r.aside ? `; the newer one is kept as ${r.aside}` : ''}`)
}

/** Checks the snapshot against its checksum; throws Refusal when it is missing or damaged. */
export async function verifySnapshot(ctx: HostContext, s: SnapshotRecord): Promise<void> {
  await step(ctx, 'snapshot checksum', async () => {
    const r = await ctx.sh.run(`verify the snapshot ${s.file}`, VERIFY, [s.file], { nothrow: true, timeoutMs: 3600_000 })
    if (r.code !== 0) throw new Refusal(`goback refused: ${lastLines(r.stderr)}; nothing was changed`)
    if (kv(r.stdout).sha256 !== s.sha256) {
      throw new Refusal(`goback refused: the snapshot ${s.file} is not the one recorded (sha256 ${kv(r.stdout).sha256}, state.json says ${s.sha256}); nothing was changed`)
    }
    return s.sha256
  }, (h) => `${s.file}: sha256 ${h.slice(0, 16)}… matches`)
}

/** Restores the snapshot into the database config.php names. Throws StepFailure saying what state the database is in. */
export async function restoreSnapshot(ctx: HostContext, c: DbConfig, s: SnapshotRecord): Promise<void> {
  await step(ctx, 'database restore', async () => {
    const r = await ctx.sh.run(`restore ${s.file} into ${c.dbname}`, RESTORE, [...connArgs(c), s.file], {
      stdin: `${c.dbpass}\n`,
      secrets: [c.dbpass],
      nothrow: true,
      timeoutMs: 6 * 3600_000,
    })
    if (r.code !== 0) throw new StepFailure(`database restore failed: ${lastLines(r.stderr || r.stdout)}`)
  }, () => `${s.file} restored into ${c.dbname} (${c.dbtype}): the database is at ${s.fromVersion} again`)
}

/** The snapshot taken just before the upgrade that produced `dbVersion`, when state.json records one. */
export function snapshotFor(state: ServerState, dbVersion: string | undefined): SnapshotRecord | undefined {
  if (!dbVersion) return undefined
  // Moodle keeps the version as PHP prints a float (2023100900, not 2023100900.00): compared as numbers.
  return [...(state.snapshots ?? [])].reverse().find((s) => compareVersions(s.toVersion, dbVersion) === 0)
}

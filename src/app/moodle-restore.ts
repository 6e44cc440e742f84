/**
 * Going back across an applied Moodle upgrade: the database is restored from the snapshot taken just before that
 * upgrade, then `live` goes back to the safe tree that holds the snapshot's version. Only with `restore-database: true`.
 * Order: maintenance on, cron held, restore, switch, purge caches, maintenance off, cron on, health check, and the
 * database's version checked to be the snapshot's. A failed restore leaves maintenance on and says what the database
 * holds.
 */
import { Refusal, StepFailure } from '../errors.js'
import { ConnectionError } from '../transport/run.js'
import type { ServerState, TreeRecord } from '../remote/state.js'
import { type HostContext, journal, plan, saveState, skipped, step } from '../steps/context.js'
import { healthCheck } from '../steps/health.js'
import type { SwitchPlan } from './app.js'
import { type DbConfig, readDbConfig } from './moodle-config.js'
import { cliMaintenanceOn } from './moodle-maintenance.js'
import { type SnapshotRecord, humanBytes, restoreCacheConfig, restoreSnapshot, snapshotFor, verifySnapshot } from './moodle-db.js'
import { type MoodlePlan, MoodleApp } from './moodle.js'
import { compareVersions, describeVersion } from './moodle-version.js'

export interface RestorePlan {
  app: MoodleApp
  snapshot: SnapshotRecord
  db: DbConfig
  /** The database's version now (the upgrade's). */
  dbVersion: string
  /** The tree the site goes back to. */
  safe: TreeRecord
  /** Whether that tree has Moodle 5.1's `public/` layout. */
  publicRoot?: boolean
}

/**
 * goback with `restore-database: true`: checks that a restore is needed and possible (a snapshot taken just before the
 * upgrade that produced the database's version, of the safe tree's version, whose checksum holds, of the same
 * database). Refuses otherwise; undefined when the safe tree can serve the database as it is (no restore needed).
 */
export async function prepareRestore(ctx: HostContext, state: ServerState, safe: TreeRecord): Promise<RestorePlan | undefined> {
  if (!(ctx.app instanceof MoodleApp)) throw new Refusal('restore-database: true restores a Moodle database: this site is not Moodle (app). Nothing was changed')
  const app = ctx.app
  const safeV = await app.version(safe)
  const read = await app.databaseVersion(ctx)
  if (!safeV) throw new Refusal(`goback refused: the safe tree trees/${safe.id} holds no readable Moodle version.php. Nothing was changed`)
  // A restore that began and did not finish is made again from its snapshot, whatever version the database now
  // reports, or none (a partly restored database may lack its config table): it may be partly restored.
  const unfinished = state.restoring
  if (!read && !unfinished) {
    throw new Refusal('goback refused: the database version could not be read (admin/cli/cfg.php --name=version through the live tree), so no snapshot can be matched to it. Nothing was changed')
  }
  const dbVersion = read ?? 'unknown (partly restored)'
  if (!unfinished && compareVersions(safeV.version, dbVersion) >= 0) {
    skipped(ctx, 'database restore', `not needed: the safe tree's code (${describeVersion(safeV)}) serves the database (${dbVersion}) as it is`)
    return undefined
  }
  const snap = unfinished ? state.snapshots?.find((x) => x.file === unfinished.snapshot) : snapshotFor(state, dbVersion)
  if (unfinished && !snap) {
    throw new Refusal(
      `goback refused: the unfinished restore's snapshot ${unfinished.snapshot} is no longer recorded in state.json. Restore the database from your own backup, then run goback with allow-downgrade: true. Nothing was changed`,
    )
  }
  if (!snap) {
    const known = (state.snapshots ?? []).map((s) => `${s.file} (${s.fromVersion} -> ${s.toVersion})`)
    throw new Refusal(
      `goback refused: no snapshot taken before the upgrade to ${dbVersion} (the database's version) is recorded${known.length ? `; state.json records ${known.join(', ')}` : ''}. Restore the database from your own backup, then run goback with allow-downgrade: true. Nothing was changed`,
    )
  }
  if (compareVersions(snap.fromVersion, safeV.version) !== 0) {
    throw new Refusal(
      `goback refused: the snapshot ${snap.file} holds the database at ${snap.fromVersion}, but the safe tree trees/${safe.id} holds Moodle ${describeVersion(safeV)}: that code cannot serve that database. Nothing was changed`,
    )
  }
  await verifySnapshot(ctx, snap)
  const db = await step(ctx, 'restore check', async () => {
    const c = await readDbConfig(ctx, ctx.layout.tree(safe.id))
    if (c.dbtype !== snap.dbtype || c.dbname !== snap.dbname || c.prefix !== snap.prefix) {
      throw new Refusal(
        `goback refused: the snapshot ${snap.file} is of ${snap.dbtype} database ${snap.dbname} (prefix ${snap.prefix}), but config.php names ${c.dbtype} database ${c.dbname} (prefix ${c.prefix}). Nothing was changed`,
      )
    }
    return c
  }, () => `the snapshot ${snap.file} (${humanBytes(snap.bytes)}, taken ${snap.at}) takes the database from ${dbVersion} back to ${snap.fromVersion}, the safe tree's version${unfinished ? ` (again: the restore of run ${unfinished.runId} did not finish)` : ''}`)
  return { app, snapshot: snap, db, dbVersion, safe, publicRoot: safeV.publicRoot }
}

/** The dry run's sentences for a goback that restores. */
export function planRestore(ctx: HostContext, r: RestorePlan): void {
  plan(
    ctx,
    `restore the database from ${r.snapshot.file} (checksum verified; ${r.dbVersion} -> ${r.snapshot.fromVersion}): maintenance mode on, cron held, restore, switch, purge_caches.php, maintenance mode off, cron on${ctx.settings.healthUrl ? ', health check' : ''}; changes made in the database since the upgrade are lost`,
  )
}

/**
 * Maintenance on and cron held through the live tree (whose code matches the database), then the restore. Before the
 * restore, state.json records it as begun (`restoring`): until `finishRestore` ends it, a run that finds it restores
 * again and no other switch is made. A restore made again keeps the cron hold of the one that began (cron is off).
 */
export async function restoreBeforeSwitch(ctx: HostContext, r: RestorePlan, held: { maintenance: boolean; cron: boolean } = { maintenance: false, cron: ctx.state?.restoring?.cron ?? false }): Promise<{ maintenance: boolean; cron: boolean }> {
  const live = ctx.layout.tree(ctx.state!.live)
  // Made again: the cut-off run put the site in maintenance. Moodle's maintenance.php starts Moodle, which a partly
  // restored database may not let it do: when the maintenance file is there, it is left as it is.
  if (!held.maintenance && ctx.state?.restoring && (await cliMaintenanceOn(r.app, ctx, live).catch(() => false))) {
    held.maintenance = true
    skipped(ctx, 'maintenance on', 'the site is still in the maintenance mode the unfinished restore turned on')
  }
  if (!held.maintenance) {
    await must(ctx, r.app, 'maintenance on', live, 'maintenance.php', ['--enable'])
    held.maintenance = true
  }
  if (!held.cron) {
    const help = await r.app.cli(ctx, live, 'cron.php', ['--help'], 60_000)
    if (help.code === 0 && help.out.includes('--disable-wait')) {
      held.cron = true
      await must(ctx, r.app, 'cron hold', live, 'cron.php', ['--disable-wait'], 900_000).catch((e: Error) => {
        throw new StepFailure(`${e.message}. Nothing was restored or switched; the site is in maintenance mode: turn it off with ${command(ctx, r, live, 'maintenance.php', '--disable')} and ${command(ctx, r, live, 'cron.php', '--enable')}`)
      })
    } else skipped(ctx, 'cron hold', 'cron.php has no --disable-wait (Moodle before 4.2)')
  }
  const state = ctx.state!
  state.restoring = { snapshot: r.snapshot.file, runId: ctx.settings.run.runId, at: ctx.now().toISOString(), cron: held.cron }
  await saveState(ctx, state, 'database-restore-start', { snapshot: r.snapshot.file, from: r.dbVersion, to: r.snapshot.fromVersion })
  try {
    await restoreSnapshot(ctx, r.db, r.snapshot)
  } catch (e) {
    const why = (e as Error).message
    // PostgreSQL restores in one transaction: a restore that failed (not one cut off) changed nothing.
    const unchanged = r.db.dbtype === 'pgsql' && !(e instanceof ConnectionError)
    ctx.report.restore = `The database restore failed; the site stays in maintenance mode on trees/${ctx.state!.live} (code ${r.dbVersion})${held.cron ? ' with cron held' : ''}. ${why}. Fix the cause and run goback with restore-database: true again${unchanged ? `, or turn maintenance off on the current code: ${command(ctx, r, live, 'maintenance.php', '--disable')}` : ' (the database may be partly restored: keep the site in maintenance until then)'}`
    if (unchanged) {
      delete state.restoring
      await saveState(ctx, state, 'database-restore-failed', { snapshot: r.snapshot.file, error: why })
    } else await journal(ctx, 'database-restore-failed', { snapshot: r.snapshot.file, error: why })
    throw new StepFailure(ctx.report.restore)
  }
  await journal(ctx, 'database-restore', { snapshot: r.snapshot.file, from: r.dbVersion, to: r.snapshot.fromVersion })
  try {
    await restoreCacheConfig(ctx, live, r.snapshot)
  } catch (e) {
    ctx.report.restore = `${(e as Error).message}. The database was restored to ${r.snapshot.fromVersion}; the site stays in maintenance mode on trees/${ctx.state!.live}: put moodledata's muc/config.php back as it was before the upgrade (or move it aside), then run goback with allow-downgrade: true`
    throw new StepFailure(ctx.report.restore)
  }
  return held
}

/**
 * After the switch to the safe tree: purge caches, maintenance off, cron on, health check, database version checked.
 * `beforeOpen` (a cluster: the other nodes' own caches) runs after the purge, while the site is still in maintenance.
 */
export async function finishRestore(ctx: HostContext, r: RestorePlan, held: { maintenance: boolean; cron: boolean }, beforeOpen?: () => Promise<void>): Promise<void> {
  const live = ctx.layout.tree(ctx.state!.live)
  const problems: string[] = []
  await must(ctx, r.app, 'purge caches', live, 'purge_caches.php', []).catch((e: Error) => problems.push(e.message))
  if (beforeOpen) await beforeOpen().catch((e: Error) => problems.push(e.message))
  const after = await r.app.databaseVersion(ctx)
  await step(ctx, 'database version', async () => {
    if (after === undefined || compareVersions(after, r.snapshot.fromVersion) !== 0) throw new StepFailure(`after the restore the database reports version ${after ?? 'unknown'}, not the snapshot's ${r.snapshot.fromVersion}`)
    return after
  }, (v) => `${v} (the snapshot's), served by trees/${ctx.state!.live}`).catch((e: Error) => problems.push(e.message))
  if (problems.length) {
    throw new StepFailure(`${problems.join('; ')}. The site stays in maintenance mode on trees/${ctx.state!.live}: fix the cause, then ${command(ctx, r, live, 'maintenance.php', '--disable')}${held.cron ? ` and ${command(ctx, r, live, 'cron.php', '--enable')}` : ''}`)
  }
  if (held.maintenance) await must(ctx, r.app, 'maintenance off', live, 'maintenance.php', ['--disable']).then(() => (held.maintenance = false))
  if (held.cron) await must(ctx, r.app, 'cron on', live, 'cron.php', ['--enable']).then(() => (held.cron = false))
  const state = ctx.state!
  delete state.restoring
  await saveState(ctx, state, 'database-restore-end', { snapshot: r.snapshot.file })
  if (ctx.settings.healthUrl) await healthCheck(ctx)
}

/**
 * backtoprod: the upgrade failed while maintenance mode was on and cron held (nothing wrote since the snapshot), and
 * `restore-database: true`: restore the snapshot and go back to the safe tree. Returns false when that is not allowed.
 */
export function mayRestoreAfterFailedUpgrade(ctx: HostContext, p: SwitchPlan): p is MoodlePlan & { snapshot: SnapshotRecord } {
  const m = p as MoodlePlan
  return Boolean(ctx.settings.restoreDatabase && ctx.settings.autoRollback && ctx.app instanceof MoodleApp && m.snapshot?.quiet && m.failedInMaintenance)
}

export async function restoreAfterFailedUpgrade(
  ctx: HostContext,
  p: MoodlePlan & { snapshot: SnapshotRecord },
  safe: TreeRecord,
  doSwitch: () => Promise<void>,
  beforeOpen?: () => Promise<void>,
): Promise<void> {
  const app = ctx.app as MoodleApp
  await verifySnapshot(ctx, p.snapshot)
  const db = await readDbConfig(ctx, ctx.layout.tree(safe.id))
  const r: RestorePlan = { app, snapshot: p.snapshot, db, dbVersion: p.to?.version ?? p.snapshot.toVersion, safe, publicRoot: p.from?.publicRoot }
  const held = await restoreBeforeSwitch(ctx, r, { maintenance: p.maintenance, cron: p.cronHeld })
  await doSwitch()
  p.maintenance = held.maintenance
  p.cronHeld = held.cron
  await finishRestore(ctx, r, held, beforeOpen)
  p.maintenance = held.maintenance
  p.cronHeld = held.cron
}

async function must(ctx: HostContext, app: MoodleApp, name: string, dir: string, script: string, args: string[], timeoutMs?: number): Promise<void> {
  await step(ctx, name, async () => {
    const r = await app.cli(ctx, dir, script, args, timeoutMs)
    if (r.code !== 0) throw new StepFailure(`${script} ${args.join(' ')} failed (exit code ${r.code})${r.out ? `: ${r.out.split('\n').slice(-5).join('\n')}` : ''}`)
  })
}

/** The command an admin runs by hand: `script args` of the tree in `dir`, as the web user. */
function command(ctx: HostContext, r: RestorePlan, dir: string, script: string, args: string): string {
  return r.app.commandFor(ctx, dir, script, args, r.publicRoot)
}

/**
 * After the switch: the upgrade, maintenance off, the caches purged, cron back on; and what an operator must do when
 * one of them fails. When the upgrade ran in maintenance mode, maintenance off follows it in the same server command
 * (no round trip between them), and the purge waits until visitors are back: Moodle's upgrade.php, run with
 * maintenance, purges every cache itself at its end (`upgrade_noncore`: `purge_all_caches()` after the last plugin,
 * also bumping `localcachedirpurged` so each node drops its local cache), so the maintenance window is the upgrade and
 * `maintenance.php --disable` alone.
 */
import type { HostContext } from '../steps/context.js'
import { StepFailure } from '../errors.js'
import { step } from '../steps/context.js'
import { UnsafeToGoBack } from './app.js'
import { lastLine, tail } from './moodle-cli.js'
import { maintenanceOff } from './moodle-maintenance.js'
import { describeVersion } from './moodle-version.js'
import type { MoodleApp, MoodlePlan } from './moodle.js'

const UPGRADE_MS = 4 * 3600_000

/** `afterSwitch` of a Moodle site: see the file's comment. Throws UnsafeToGoBack once the database changed. */
export async function finishSwitch(app: MoodleApp, ctx: HostContext, p: MoodlePlan, dir: string, nodes?: () => Promise<void>): Promise<void> {
  const problems: string[] = []
  let offTried = false
  if (p.upgrade) {
    p.databaseChanged = true
    const args = ['--non-interactive', ...(p.outageless ? ['--maintenance=false'] : [])]
    // CLI maintenance this delivery turned on ends in the upgrade's own command; the admin's web maintenance needs
    // its setting back before the file goes (maintenanceOff), so it keeps its own steps.
    const together = p.maintenance && p.adminMaintenance !== 'web'
    // The work tree's layout is known (its version.php was read): no round trip to find the scripts.
    if (p.to) app.knowScripts(dir, Boolean(p.to.publicRoot), ['upgrade.php', 'maintenance.php'])
    const r = together ? await upgradeThenOff(app, ctx, p, dir, args) : { failure: await upgrade(app, ctx, p, dir, args) }
    if (r.failure) await upgradeFailed(app, ctx, p, dir, r.failure)
    if (together) {
      offTried = true
      if ('off' in r && r.off) problems.push(r.off)
    }
  }
  let purgeError: Error | undefined
  const purge = async () => {
    await app.must(ctx, 'purge caches', dir, 'purge_caches.php', []).catch((e: Error) => (purgeError = e))
    if (nodes) await nodes().catch((e: Error) => (purgeError = purgeError ? new Error(`${purgeError.message}; ${e.message}`) : e))
  }
  // After an upgrade in maintenance mode the caches were purged by upgrade.php: purge_caches.php runs once visitors are
  // back, as after a code-only switch. Otherwise (no upgrade; --maintenance=false, which leaves caches stale) first.
  const purgedByUpgrade = p.upgrade && !p.outageless
  if (!purgedByUpgrade) await purge()
  // Maintenance off and cron back on run once the upgrade succeeded, also when the purge failed.
  if (p.maintenance && !offTried) {
    await maintenanceOff(app, ctx, p.adminMaintenance, dir).then(
      () => (p.maintenance = false),
      (e: Error) => problems.push(e.message),
    )
  }
  if (purgedByUpgrade) await purge()
  if (p.cronHeld) {
    await app.must(ctx, 'cron on', dir, 'cron.php', ['--enable']).then(
      () => (p.cronHeld = false),
      (e: Error) => problems.push(e.message),
    )
  }
  if (purgeError) problems.unshift(purgeError.message)
  if (!problems.length) return
  const why = problems.join('; ')
  if (!p.upgrade) throw new StepFailure(why)
  const cmd = (s: string, a: string) => app.command(ctx, dir, s, a, p.to?.publicRoot)
  throw new UnsafeToGoBack(
    `${why}. The database upgrade to ${describeVersion(p.to)} succeeded, so the site does not go back to the older code`,
    [
      purgeError ? `purge Moodle's caches: ${cmd('purge_caches.php', '')}` : '',
      p.maintenance ? `turn maintenance mode off: ${cmd('maintenance.php', '--disable')}` : '',
      p.cronHeld ? `turn cron back on: ${cmd('cron.php', '--enable')}` : '',
    ]
      .filter(Boolean)
      .join('; then '),
  )
}

const upgradeDetail = (p: MoodlePlan) => `${describeVersion(p.from)} -> ${describeVersion(p.to)}${p.outageless ? ' (no maintenance needed: --maintenance=false)' : ''}`
const stream = (ctx: HostContext) => (line: string) => ctx.log.info(`${ctx.target.label}: upgrade: ${line}`)

/** The upgrade alone, as a step; returns why it failed. */
async function upgrade(app: MoodleApp, ctx: HostContext, p: MoodlePlan, dir: string, args: string[]): Promise<string | undefined> {
  let failure: string | undefined
  await step(
    ctx,
    'upgrade',
    async () => {
      const r = await app.cli(ctx, dir, 'upgrade.php', args, UPGRADE_MS, stream(ctx)).catch((e: Error) => ({ code: -1, out: e.message, stdout: '' }))
      ctx.report.upgradeOutput = r.out
      if (r.code !== 0) {
        failure = `upgrade.php --non-interactive failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}`
        throw new StepFailure(failure)
      }
    },
    () => upgradeDetail(p),
  ).catch(() => undefined)
  return failure
}

/**
 * The upgrade, then (only when it succeeded) `maintenance.php --disable`, in one server command; the two steps are
 * recorded with the time each took on the server. Returns why the upgrade failed, or why maintenance stayed on.
 */
async function upgradeThenOff(app: MoodleApp, ctx: HostContext, p: MoodlePlan, dir: string, args: string[]): Promise<{ failure?: string; off?: string }> {
  const started = Date.now()
  ctx.log.info(`${ctx.target.label}: upgrade`)
  const r = await app
    .cliThen(ctx, dir, ['upgrade.php', args], ['maintenance.php', ['--disable']], UPGRADE_MS, stream(ctx))
    .catch((e: Error) => ({ first: { code: -1, out: e.message, stdout: '', ms: undefined }, then: undefined }))
  const { first, then } = r
  ctx.report.upgradeOutput = first.out
  const upMs = first.ms ?? Date.now() - started
  if (first.code !== 0) {
    const failure = `upgrade.php --non-interactive failed (exit code ${first.code})${first.out ? `: ${tail(first.out)}` : ''}`
    ctx.report.steps.push({ name: 'upgrade', outcome: 'failure', ms: upMs, detail: failure })
    return { failure }
  }
  ctx.report.steps.push({ name: 'upgrade', outcome: 'success', ms: upMs, detail: `${upgradeDetail(p)}; maintenance off in the same command` })
  ctx.log.info(`${ctx.target.label}: maintenance off`)
  const offMs = then?.ms ?? Math.max(0, Date.now() - started - upMs)
  if (!then || then.code !== 0) {
    const off = then ? `maintenance.php --disable failed (exit code ${then.code})${then.out ? `: ${tail(then.out)}` : ''}` : 'maintenance.php --disable did not report (the connection ended after the upgrade)'
    ctx.report.steps.push({ name: 'maintenance off', outcome: 'failure', ms: offMs, detail: off })
    return { off }
  }
  ctx.report.steps.push({ name: 'maintenance off', outcome: 'success', ms: offMs, detail: lastLine(then.stdout) || 'done' })
  p.maintenance = false
  return {}
}

/** The upgrade failed: the site stays (or is put) in maintenance, and the run fails with what to restore. */
async function upgradeFailed(app: MoodleApp, ctx: HostContext, p: MoodlePlan, dir: string, failure: string): Promise<never> {
  p.failedInMaintenance = p.maintenance
  // A half-upgraded database can be served by no code: an upgrade that ran without maintenance mode (not required)
  // gets it now, unless maintenance: never.
  if (!p.maintenance && p.adminMaintenance !== 'cli' && ctx.settings.maintenance !== 'never') {
    await app.must(ctx, 'maintenance on', dir, 'maintenance.php', ['--enable']).then(
      () => (p.maintenance = true),
      (e: Error) => ctx.log.warning(`could not turn maintenance mode on after the failed upgrade: ${e.message}`),
    )
  }
  throw new UnsafeToGoBack(
    `${failure}. The database may be half-upgraded: the site ${p.maintenance || p.adminMaintenance === 'cli' ? 'stays in maintenance mode' : `is NOT in maintenance mode (${ctx.settings.maintenance === 'never' ? 'maintenance: never' : 'it could not be turned on'})`} and will not go back by itself`,
    restoreAfterFailedUpgrade(app, ctx, p, dir),
  )
}

/** A step after the upgrade failed (after-switch, health): maintenance on again; returns what an operator must do. */
export async function holdAfterFailure(app: MoodleApp, ctx: HostContext, p: MoodlePlan, dir: string, why: string): Promise<string> {
  let held = ''
  if (p.adminMaintenance === 'cli') held = 'The site stays in the maintenance mode its admin had set. '
  else if (ctx.settings.maintenance !== 'never') {
    await app.must(ctx, 'maintenance on', dir, 'maintenance.php', ['--enable']).then(
      () => {
        p.maintenance = true
        held = 'The site was put back into maintenance mode. '
      },
      (e: Error) => (held = `Maintenance mode could not be turned back on (${e.message}). `),
    )
  }
  return `${held}${why} after the database was upgraded to ${describeVersion(p.to)}: the older code in the safe tree cannot serve it, so nothing went back. Fix the cause on trees/${ctx.state?.live} (or restore the database from the backup taken before the upgrade${p.beforeUpgrade ? ' by before-upgrade' : ''} and run goback), then turn maintenance mode off: ${app.command(ctx, dir, 'maintenance.php', '--disable', p.to?.publicRoot)}`
}

function restoreAfterFailedUpgrade(app: MoodleApp, ctx: HostContext, p: MoodlePlan, dir: string): string {
  const safe = ctx.state ? `trees/${ctx.state.safe}` : 'the safe tree'
  const safeDir = ctx.state ? ctx.layout.tree(ctx.state.safe) : dir
  // Only what the delivery changed: a site its admin kept in CLI maintenance stays in it; web maintenance comes back.
  const off = (d: string, pub?: boolean) =>
    [
      p.adminMaintenance === 'cli' ? '' : app.command(ctx, d, 'maintenance.php', '--disable', pub),
      p.adminMaintenance === 'web' ? app.command(ctx, d, 'cfg.php', '--name=maintenance_enabled --set=1', pub) : '',
      p.cronHeld ? app.command(ctx, d, 'cron.php', '--enable', pub) : '',
    ]
      .filter(Boolean)
      .join(' and ') || 'leave maintenance mode on, as the admin had it'
  return [
    `Either fix the cause and finish the upgrade: ${app.command(ctx, dir, 'upgrade.php', '--non-interactive', p.to?.publicRoot)}, then ${off(dir, p.to?.publicRoot)}.`,
    `Or restore the database and moodledata from the backup taken before the upgrade${p.beforeUpgrade ? ` (before-upgrade: ${ctx.settings.beforeUpgrade})` : ''}, run mode goback (live back to ${safe}, ${describeVersion(p.from)}), then ${off(safeDir, p.from?.publicRoot)}.`,
  ].join(' ')
}

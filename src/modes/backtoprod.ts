/**
 * backtoprod: switches `live` to the updated work tree; the tree that served meanwhile becomes the safe tree (the
 * rollback target). What can be done while the site serves (before-upgrade, cron held, fresh path, kept files) comes
 * before the maintenance window opens. Then the application's steps, `after-switch`, and the health check. A failure after a code-only
 * switch goes back to the safe tree when `auto-rollback` is on; after a database upgrade it never does.
 */
import { StepFailure } from '../errors.js'
import { UnsafeToGoBack } from '../app/app.js'
import { mayRestoreAfterFailedUpgrade, restoreAfterFailedUpgrade } from '../app/moodle-restore.js'
import { treeRevision } from '../remote/state.js'
import { type HostContext, journal, mustState, plan, step } from '../steps/context.js'
import { healthCheck } from '../steps/health.js'
import { runHook } from '../steps/hooks.js'
import { freshPath, keepFiles, switchTo } from '../steps/switch.js'

export async function backtoprod(ctx: HostContext): Promise<void> {
  const state = mustState(ctx)
  const safeId = state.live
  const work = state.trees[state.work ?? '']
  ctx.report.revisionAfter ??= treeRevision(work)
  if (ctx.vcs.checkReady) await step(ctx, 'ready', () => ctx.vcs.checkReady!(work))
  if (ctx.settings.dryRun) {
    const rename = work.served && work.dirty ? ' under a fresh id' : ''
    plan(ctx, `switch live from trees/${safeId} to the work tree trees/${work.id}${rename}; trees/${safeId} becomes the safe tree`)
    for (const sentence of await ctx.app.planSwitch(ctx, work, state.trees[safeId])) plan(ctx, sentence)
    if (ctx.settings.afterSwitch) plan(ctx, 'run the after-switch command')
    if (ctx.settings.healthUrl) plan(ctx, `check ${ctx.settings.healthUrl}`)
    return
  }
  const switchPlan = await ctx.app.beforeSwitch(ctx, work, state.trees[safeId])
  let id: string
  try {
    // Outside the maintenance window: the fresh path and the kept files; inside it only the switch, the snapshot,
    // the upgrade and the purge.
    id = await freshPath(ctx, state, work.id)
    await keepFiles(ctx, state, id)
    await ctx.app.enterWindow(ctx, switchPlan)
    await switchTo(ctx, state, id, { state: 'production', live: id, safe: safeId }, { kept: true })
  } catch (e) {
    // Nothing was switched (the old tree still serves): undo maintenance mode and the cron hold.
    if (ctx.state?.live === safeId) await ctx.app.cancelSwitch(ctx, switchPlan)
    throw e
  }
  ctx.report.liveTreeAfter = id
  try {
    await ctx.app.afterSwitch(ctx, switchPlan)
    if (ctx.settings.afterSwitch) await runHook(ctx, 'after-switch', ctx.settings.afterSwitch)
    if (ctx.settings.healthUrl) await healthCheck(ctx)
  } catch (e) {
    if (e instanceof UnsafeToGoBack && mayRestoreAfterFailedUpgrade(ctx, switchPlan)) {
      // The upgrade failed in maintenance mode (nothing wrote since the snapshot) and restore-database: true.
      await restoreAfterFailedUpgrade(ctx, switchPlan, state.trees[safeId], async () => {
        await switchTo(ctx, state, safeId, { state: 'delivering', live: safeId, safe: safeId, work: id })
        ctx.report.rolledBack = true
        ctx.report.liveTreeAfter = safeId
        await journal(ctx, 'rollback', { from: id, to: safeId, error: e.message, databaseRestored: switchPlan.snapshot.file })
      }).catch((err: Error) => failAfterUpgrade(ctx, `${e.message}. Restoring the database failed: ${err.message}`, ctx.report.restore ?? e.restore))
      throw new StepFailure(
        `${e.message}. The database was restored from ${switchPlan.snapshot.file} and the site went back to trees/${safeId} (state delivering, trees/${id} is the work tree): fix the cause, then run backtoprod (or deliver) again`,
      )
    }
    if (e instanceof UnsafeToGoBack) return failAfterUpgrade(ctx, e.message, e.restore)
    const why = (e as Error).message
    if (switchPlan.databaseChanged) {
      // The database was upgraded: the older code cannot serve it. Never go back by itself.
      return failAfterUpgrade(ctx, why, await ctx.app.holdAfterFailure(ctx, switchPlan, why))
    }
    if (!ctx.settings.autoRollback) {
      throw new StepFailure(`${why}. auto-rollback is off: trees/${id} stays live; run goback to return to trees/${safeId}`)
    }
    try {
      await ctx.app.checkGoback(ctx, state.trees[safeId])
    } catch (refused) {
      throw new StepFailure(`${why}. Could not go back by itself: ${(refused as Error).message}`)
    }
    ctx.log.warning(`${why}: going back to trees/${safeId}`)
    await switchTo(ctx, state, safeId, { state: 'delivering', live: safeId, safe: safeId, work: id })
    ctx.report.rolledBack = true
    ctx.report.liveTreeAfter = safeId
    await journal(ctx, 'rollback', { from: id, to: safeId, error: why })
    await ctx.app.afterGoback(ctx)
    if (ctx.settings.afterSwitch) {
      await runHook(ctx, 'after-switch', ctx.settings.afterSwitch).catch((err: Error) => ctx.log.warning(`after-switch after going back: ${err.message}`))
    }
    throw new StepFailure(
      `${why}. Went back to trees/${safeId} (state delivering, trees/${id} is the work tree): fix the code, then run update and backtoprod (or deliver)`,
    )
  }
}

/** A failure once the database changed: the report and the email say what to restore; nothing goes back. */
async function failAfterUpgrade(ctx: HostContext, why: string, restore: string): Promise<never> {
  ctx.report.restore = restore
  await journal(ctx, 'failed-after-upgrade', { error: why, restore })
  throw new StepFailure(`${why}. To restore: ${restore}`)
}

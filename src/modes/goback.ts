/**
 * goback: switches `live` to the safe tree; the former live tree becomes the work tree (state delivering). After a bad
 * delivery this is the rollback. For Moodle it is refused when the safe tree's code is older than the database.
 */
import { finishRestore, planRestore, prepareRestore, restoreBeforeSwitch } from '../app/moodle-restore.js'
import { treeRevision, unfinishedRestore } from '../remote/state.js'
import { Refusal } from '../errors.js'
import { type HostContext, mustState, plan, saveState } from '../steps/context.js'
import { runHook } from '../steps/hooks.js'
import { freshPath, switchTo } from '../steps/switch.js'

export async function goback(ctx: HostContext, afterSyncback = false): Promise<void> {
  const state = mustState(ctx)
  const former = state.live
  const safe = state.trees[state.safe]
  // A database restore that began and did not finish (state.restoring): restore again, or the admin answers for it.
  const unfinished = afterSyncback ? undefined : state.restoring
  if (unfinished && !ctx.settings.restoreDatabase) {
    if (!ctx.settings.allowDowngrade) throw new Refusal(`goback refused: ${unfinishedRestore(state)}`)
    ctx.log.warning(`${ctx.target.label}: allow-downgrade: true: the unfinished restore from ${unfinished.snapshot} is forgotten; the database is as you left it`)
    if (ctx.settings.dryRun) {
      plan(ctx, `forget the unfinished restore from ${unfinished.snapshot} (allow-downgrade: true)${state.state === 'production' ? `, then switch live from trees/${former} to the safe tree trees/${safe.id}` : ''}`)
      return
    }
    delete state.restoring
    await saveState(ctx, state, 'database-restore-abandoned', { snapshot: unfinished.snapshot })
    // Went back already (the restore stopped after its switch): nothing more to switch.
    if (state.state === 'delivering') return
  }
  // A cluster's dry run: the downgrade guard and the restore are the first node's, once for the site (src/cluster/goback.ts).
  const site = !afterSyncback && ctx.report.cluster?.role === 'node' ? ctx.report.cluster.site : undefined
  // restore-database: true (Moodle): the database goes back to the snapshot taken before the applied upgrade.
  const restore = ctx.settings.restoreDatabase && !afterSyncback && !site ? await prepareRestore(ctx, state, safe) : undefined
  // deliver's dry run: the safe tree would be a copy of the live one by now, which serves the database already.
  if (!restore && !site && !(afterSyncback && ctx.settings.dryRun)) await ctx.app.checkGoback(ctx, safe)
  if (ctx.settings.dryRun) {
    if (site) plan(ctx, `the downgrade guard${ctx.settings.restoreDatabase ? ' and the database restore' : ''} run once for the cluster, on ${site}`)
    const rename = safe.served && safe.dirty ? ' under a fresh id (its content changed since it was last served)' : ''
    if (restore) planRestore(ctx, restore)
    if (state.state === 'production') plan(ctx, `switch live from trees/${former} to the safe tree trees/${safe.id}${rename}; trees/${former} becomes the work tree`)
    return
  }
  const sameCode = treeRevision(safe) === treeRevision(state.trees[former])
  const held = restore ? await restoreBeforeSwitch(ctx, restore) : undefined
  // A restore made again after it stopped past its switch: live already serves the safe tree.
  if (state.state === 'production') {
    const id = await freshPath(ctx, state, safe.id)
    await switchTo(ctx, state, id, { state: 'delivering', live: id, safe: id, work: former })
    ctx.report.liveTreeAfter = id
  }
  // Caches built by newer code (Moodle: strings, templates, JS) must not serve the older one.
  if (restore && held) await finishRestore(ctx, restore, held)
  else if (!sameCode) await ctx.app.afterGoback(ctx)
  if (ctx.settings.afterSwitch) await runHook(ctx, 'after-switch', ctx.settings.afterSwitch)
}

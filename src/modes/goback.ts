/**
 * goback: switches `live` to the safe tree; the former live tree becomes the work tree (state delivering). After a bad
 * delivery this is the rollback.
 */
import { type HostContext, mustState, plan } from '../steps/context.js'
import { freshPath, switchTo } from '../steps/switch.js'

export async function goback(ctx: HostContext): Promise<void> {
  const state = mustState(ctx)
  const former = state.live
  const safe = state.trees[state.safe]
  await ctx.app.checkGoback(ctx, safe)
  if (ctx.settings.dryRun) {
    const rename = safe.served && safe.dirty ? ' under a fresh id (its content changed since it was last served)' : ''
    plan(ctx, `switch live from trees/${former} to the safe tree trees/${safe.id}${rename}; trees/${former} becomes the work tree`)
    return
  }
  const id = await freshPath(ctx, state, safe.id)
  await switchTo(ctx, state, id, { state: 'delivering', live: id, safe: id, work: former })
  ctx.report.liveTreeAfter = id
}

/**
 * deliver: the whole cycle in one run — syncback (whole), goback, update (whole or `paths`), backtoprod. Run while a
 * delivery is in progress, it resumes: update, then backtoprod.
 */
import type { DriftReport } from '../report/model.js'
import { type HostContext, mustState, plan, step } from '../steps/context.js'
import { checkDrift } from '../steps/drift.js'
import { backtoprod } from './backtoprod.js'
import { goback } from './goback.js'
import { syncback } from './syncback.js'
import { update } from './update.js'

export async function deliver(ctx: HostContext): Promise<void> {
  if (await prepareDelivery(ctx)) await backtoprod(ctx)
}

/**
 * deliver up to its backtoprod: the work tree updated while the site serves (a cluster's nodes each run this, then
 * switch together). Returns whether backtoprod is to follow (not in a dry run, which has planned it).
 */
export async function prepareDelivery(ctx: HostContext): Promise<boolean> {
  const state = mustState(ctx)
  if (state.state === 'delivering') {
    plan(ctx, 'resume the delivery in progress: update, then backtoprod')
    await update(ctx)
    if (ctx.settings.dryRun) await backtoprod(ctx)
    return !ctx.settings.dryRun
  }
  // Everything that can fail before a change is checked first: the ref can be had, and (as the live tree becomes
  // the work tree) the live tree's hand-made changes, so that on-drift: fail stops before anything changes.
  // The three are independent reads, run at once (each on its own channel of the one connection).
  const live = state.trees[state.live]
  const fetch = ctx.vcs.fetch?.bind(ctx.vcs)
  const checks = await Promise.allSettled([
    !ctx.settings.dryRun && fetch ? step(ctx, 'fetch', () => fetch(ctx.settings.ref), (c) => `${ctx.settings.ref || 'default branch'} is ${c}`) : undefined,
    checkDrift(ctx, live, 'live'),
    checkDrift(ctx, state.trees[state.safe], 'safe'),
  ])
  const failed = checks.find((c) => c.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
  const fetched = (checks[0] as PromiseFulfilledResult<string | undefined>).value
  if (fetched) ctx.commit = ctx.fetched = fetched
  const drift = (i: number) => (checks[i] as PromiseFulfilledResult<DriftReport | null>).value
  await syncback(ctx, { drift: { live: drift(1), safe: drift(2) } })
  if (ctx.settings.dryRun) {
    await goback(ctx, true)
    await update(ctx, live, true)
    plan(ctx, `switch live back to trees/${live.id}, updated, under a fresh id; the copy that served meanwhile becomes the safe tree`)
    return false
  }
  await goback(ctx)
  await update(ctx, undefined, true)
  return true
}

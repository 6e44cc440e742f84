/**
 * syncback: makes the safe tree identical to the live tree (whole, or only `paths`); supersyncback also refreshes
 * trees/supersave. Hand-made changes in the safe tree are saved before it is overwritten.
 */
import { type HostContext, journal, mustState, plan, saveState, step } from '../steps/context.js'
import { copyTree, keepExcludes, syncKeep } from '../steps/copy.js'
import { checkDrift } from '../steps/drift.js'

export async function syncback(ctx: HostContext, paths: string[], supersave: boolean, safeChecked = false): Promise<void> {
  const state = mustState(ctx)
  const live = state.trees[state.live]
  const safe = state.trees[state.safe]
  const what = paths.length ? paths.join(', ') : 'the whole tree'
  if (!safeChecked) await checkDrift(ctx, safe, 'safe')
  const dry = ctx.settings.dryRun
  const changed = await step(
    ctx,
    'syncback',
    () => copyTree(ctx, ctx.layout.tree(live.id), ctx.layout.tree(safe.id), paths, [...ctx.vcs.syncExcludes, ...(paths.length ? [] : keepExcludes(ctx.keep))], dry),
    (n) => `${what}: trees/${live.id} -> trees/${safe.id}${n >= 0 ? `, ${n} entr${n === 1 ? 'y' : 'ies'} ${dry ? 'would change' : 'changed'}` : ''}`,
  )
  if (dry) {
    plan(ctx, `copy ${what} from the live tree trees/${live.id} into the safe tree trees/${safe.id}${changed >= 0 ? ` (${changed} entries differ)` : ''}`)
    if (supersave) plan(ctx, `copy the live tree into trees/supersave`)
    return
  }
  // The kept files (left out of the copy above) are carried as before a switch: a copy cannot always keep their group.
  await step(ctx, 'keep files', () => syncKeep(ctx, ctx.layout.tree(live.id), ctx.layout.tree(safe.id)), (c) =>
    c.length ? `carried ${c.join(', ')}` : 'already identical',
  )
  const patch = await step(ctx, 'record syncback', () => ctx.vcs.afterSync(live, safe, paths))
  state.trees[safe.id] = { ...safe, ...patch, dirty: true, updatedAt: ctx.now().toISOString() }
  await saveState(ctx, state)
  await journal(ctx, 'syncback', { from: live.id, to: safe.id, paths, changed })
  if (supersave) {
    await step(ctx, 'supersave', () => copyTree(ctx, ctx.layout.tree(live.id), ctx.layout.supersave, [], ctx.vcs.syncExcludes))
    state.supersave = { revision: live.head ?? live.revision, updatedAt: ctx.now().toISOString() }
    await saveState(ctx, state)
    await journal(ctx, 'supersave', { from: live.id })
  }
}

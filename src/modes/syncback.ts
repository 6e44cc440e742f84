/**
 * syncback: makes the safe tree identical to the live tree (whole, or only `paths`); supersyncback also refreshes
 * trees/supersave. Hand-made changes in the safe tree are saved before it is overwritten.
 *
 * Two ways to find what differs. The full comparison (rsync of the whole trees) costs a look at every file on both
 * sides. The fast path, for deliver's syncback, copies only what can differ: what differs between the commits the
 * two trees record, the drift the checks just found in each, and the ignored files (git does not watch them). It is
 * used only when that knowledge is complete; otherwise, and with `verify: full`, and for syncback run on its own,
 * the whole trees are compared. The report and the journal say which ran and why.
 */
import type { DriftReport } from '../report/model.js'
import type { ServerState, TreeRecord } from '../remote/state.js'
import { type HostContext, mustState, plan, saveState, step } from '../steps/context.js'
import { copyList, copyTree, keepExcludes, type ListedPath, syncKeep } from '../steps/copy.js'
import { checkDrift } from '../steps/drift.js'
import { isKept } from '../vcs/changes.js'

export interface SyncbackOptions {
  /** Only these paths (a partial syncback); the whole tree when empty or absent. */
  paths?: string[]
  /** Also copy the live tree into trees/supersave (supersyncback). */
  supersave?: boolean
  /**
   * The drift checks of both trees have just run in this run (deliver): their findings, null when a tree is clean.
   * Given, the safe tree is not checked again, and the fast path may be used.
   */
  drift?: { live: DriftReport | null; safe: DriftReport | null }
}

/** A tree record as syncback marks it while it copies into the tree (an older state simply lacks the mark). */
type Marked = TreeRecord & { syncing?: { runId: string; at: string } }

/** Which comparison ran, and why. */
interface Comparison {
  kind: 'fast' | 'full'
  why: string
}

export async function syncback(ctx: HostContext, opts: SyncbackOptions = {}): Promise<void> {
  const paths = opts.paths ?? []
  const supersave = opts.supersave ?? false
  const state = mustState(ctx)
  const live = state.trees[state.live]
  const safe = state.trees[state.safe] as Marked
  const what = paths.length ? paths.join(', ') : 'the whole tree'
  if (!opts.drift) await checkDrift(ctx, safe, 'safe')
  const dry = ctx.settings.dryRun
  const from = ctx.layout.tree(live.id)
  const to = ctx.layout.tree(safe.id)
  const excludes = [...ctx.vcs.syncExcludes, ...(paths.length ? [] : keepExcludes(ctx.keep))]

  let comparison: Comparison = { kind: 'full', why: '' }
  // Listed before the copy, as a step of its own: the copy's time is the copy's alone.
  const fast = await fastList(ctx, live, safe, opts, paths)
  // An earlier run cut off while it copied leaves the mark: what the safe tree holds is then not known.
  if (!dry) await mark(ctx, state, safe.id, { runId: ctx.settings.run.runId, at: ctx.now().toISOString() })
  const changed = await step(
    ctx,
    'syncback',
    async () => {
      if ('list' in fast) {
        const r = await copyList(ctx, from, to, fast.list, excludes, dry)
        if (r.fallback === undefined) {
          comparison = { kind: 'fast', why: `the ${fast.list.length} path(s) that differ between the recorded commits, the drift found and the ignored files` }
          return r.changed
        }
        comparison = { kind: 'full', why: r.fallback }
      } else comparison = { kind: 'full', why: fast.why }
      return copyTree(ctx, from, to, paths, excludes, dry)
    },
    (n) =>
      `${what}: trees/${live.id} -> trees/${safe.id} (${comparison.kind === 'fast' ? `compared ${comparison.why}` : `full comparison: ${comparison.why}`})` +
      (n >= 0 ? `, ${n} entr${n === 1 ? 'y' : 'ies'} ${dry ? 'would change' : 'changed'}` : ''),
  )
  if (dry) {
    plan(ctx, `copy ${what} from the live tree trees/${live.id} into the safe tree trees/${safe.id}${changed >= 0 ? ` (${changed} entries differ)` : ''}`)
    if (supersave) plan(ctx, `copy the live tree into trees/supersave`)
    return
  }
  // The kept files (left out of the copy above) are carried as before a switch: a copy cannot always keep their group.
  await step(ctx, 'keep files', () => syncKeep(ctx, from, to), (c) => (c.length ? `carried ${c.join(', ')}` : 'already identical'))
  const patch = await step(ctx, 'record syncback', () => ctx.vcs.afterSync(live, safe, paths))
  const { syncing: _, ...rest } = state.trees[safe.id] as Marked
  state.trees[safe.id] = { ...rest, ...patch, dirty: true, updatedAt: ctx.now().toISOString() }
  await saveState(ctx, state, 'syncback', { from: live.id, to: safe.id, paths, changed, comparison: comparison.kind, why: comparison.why })
  if (supersave) {
    await step(ctx, 'supersave', () => copyTree(ctx, from, ctx.layout.supersave, [], ctx.vcs.syncExcludes))
    state.supersave = { revision: live.head ?? live.revision, updatedAt: ctx.now().toISOString() }
    await saveState(ctx, state, 'supersave', { from: live.id })
  }
}

/** Marks the tree as being copied into (saved before the copy starts). */
async function mark(ctx: HostContext, state: ServerState, id: string, syncing: Marked['syncing']): Promise<void> {
  state.trees[id] = { ...state.trees[id], syncing } as Marked
  await saveState(ctx, state)
}

/**
 * The paths the fast path copies, or why the whole trees must be compared. Each condition below is knowledge the
 * list depends on: without it, something could differ that the list does not name.
 */
async function fastList(
  ctx: HostContext,
  live: TreeRecord,
  safe: Marked,
  opts: SyncbackOptions,
  paths: string[],
): Promise<{ list: ListedPath[] } | { why: string }> {
  if (!opts.drift) return { why: 'syncback on its own compares everything' }
  if (ctx.settings.verify === 'full') return { why: 'verify: full' }
  if (paths.length) return { why: 'a syncback of paths' }
  if (ctx.settings.dryRun) return { why: 'a dry run' }
  if (!ctx.vcs.syncList) return { why: `method ${ctx.vcs.method} cannot list what differs` }
  if (safe.syncing) return { why: `an earlier syncback into ${safe.id} was cut off (run ${safe.syncing.runId})` }
  for (const t of [live, safe]) {
    if (t.paths?.length) return { why: `tree ${t.id} holds paths taken from another ref (${t.paths.map((p) => p.paths.join(', ')).join('; ')})` }
    if (t.updating) return { why: `the update of tree ${t.id} was cut off` }
  }
  const known = await step(ctx, 'list differences', () => ctx.vcs.syncList!(live, safe), (r) => (r.paths ? `${r.paths.length} path(s)` : r.reason))
  if (known.reason !== undefined) return { why: known.reason }
  const list = new Map<string, ListedPath['by']>()
  for (const p of known.paths) list.set(p, 'quick')
  for (const d of [opts.drift.live, opts.drift.safe]) for (const f of d?.files ?? []) list.set(f.path, 'content')
  return { list: [...list].filter(([p]) => !isKept(p, ctx.keep)).map(([path, by]) => ({ path, by })) }
}

/**
 * Switching `live`, and the renames that keep PHP's OPcache honest: a tree whose content changed after its path was
 * served takes a fresh id (a new real path) before it goes live again. Every change is written to state.json before
 * the next one starts, so a run that dies at any instant leaves a state the next run can reconcile.
 */
import { liveTreeId, type Probe, switchLive } from '../remote/server.js'
import { newTreeId, type ServerState, StateError } from '../remote/state.js'
import { type HostContext, saveState, step } from './context.js'
import { syncKeep } from './copy.js'

function renameRoles(state: ServerState, from: string, to: string): void {
  if (state.live === from) state.live = to
  if (state.safe === from) state.safe = to
  if (state.work === from) state.work = to
}

/** Gives tree `id` a fresh id when its path was served and its content changed since. Returns the id to use. */
export async function freshPath(ctx: HostContext, state: ServerState, id: string): Promise<string> {
  const t = state.trees[id]
  if (!t.served || !t.dirty) return id
  const to = newTreeId(ctx.now(), ctx.settings.run.runId)
  return step(
    ctx,
    'fresh path',
    async () => {
      t.movingTo = to
      await saveState(ctx, state)
      await ctx.vcs.move(id, to)
      delete state.trees[id]
      state.trees[to] = { ...t, id: to, served: false, dirty: false, movingTo: undefined, updatedAt: ctx.now().toISOString() }
      renameRoles(state, id, to)
      await saveState(ctx, state, 'rename', { from: id, to })
      return to
    },
    () => `trees/${id} -> trees/${to} (its content changed since it was last served: a new real path keeps OPcache from serving stale code)`,
  )
}

/** Carries the kept files (Moodle: config.php) from the live tree into tree `id`. */
export async function keepFiles(ctx: HostContext, state: ServerState, id: string): Promise<void> {
  await step(ctx, 'keep files', () => syncKeep(ctx, ctx.layout.tree(state.live), ctx.layout.tree(id)), (c) =>
    c.length ? `carried ${c.join(', ')}` : 'already identical',
  )
}

/**
 * Carries the kept files from the live tree into `id` (unless `kept`: the caller did, before the maintenance window),
 * then switches `live` to it and records the new roles.
 */
export async function switchTo(
  ctx: HostContext,
  state: ServerState,
  id: string,
  roles: Pick<ServerState, 'state' | 'live' | 'safe' | 'work'>,
  { kept = false }: { kept?: boolean } = {},
): Promise<void> {
  const from = state.live
  if (!kept) await keepFiles(ctx, state, id)
  await step(
    ctx,
    'switch',
    async () => {
      await switchLive(ctx.sh, ctx.layout, id)
      state.trees[id].served = true
      state.trees[id].dirty = false
      state.state = roles.state
      state.live = roles.live
      state.safe = roles.safe
      if (roles.work) state.work = roles.work
      else delete state.work
      await saveState(ctx, state, 'switch', { from, to: id, state: roles.state })
    },
    () => `live: trees/${from} -> trees/${id}`,
  )
}

/**
 * Whether what is on disk differs from state.json in a way `reconcile` settles (a run died between a change and its
 * record): a mode's fit is then judged on the reconciled state, under the lock.
 */
export function needsReconcile(probe: Probe, state: ServerState): boolean {
  return Object.values(state.trees).some((t) => t.movingTo) || !probe.liveExists || liveTreeId(probe) !== state.live
}

/**
 * Brings state.json in line with what is on disk after a run that died mid-way: a rename that happened but was not
 * recorded, or a switch of `live` not yet recorded. Returns sentences saying what was fixed.
 */
export async function reconcile(ctx: HostContext, state: ServerState): Promise<string[]> {
  const fixed: string[] = []
  const onDisk = new Set(ctx.probe.trees)
  for (const t of Object.values(state.trees)) {
    if (!t.movingTo) continue
    const to = t.movingTo
    if (!onDisk.has(t.id) && onDisk.has(to)) {
      delete state.trees[t.id]
      state.trees[to] = { ...t, id: to, served: false, dirty: false, movingTo: undefined }
      renameRoles(state, t.id, to)
      fixed.push(`recorded the rename of trees/${t.id} to trees/${to}`)
    } else {
      delete t.movingTo
      fixed.push(`trees/${t.id} was not renamed; kept its id`)
    }
  }
  const actual = liveTreeId(ctx.probe)
  if (!ctx.probe.liveExists && onDisk.has(state.live)) {
    // An init (or a hand) left state.json without the symlink: the live tree is complete, point live at it.
    await switchLive(ctx.sh, ctx.layout, state.live)
    state.trees[state.live].served = true
    fixed.push(`live was missing: pointed it at trees/${state.live}`)
  } else if (actual !== state.live) {
    if (state.state === 'delivering' && actual === state.work) {
      state.trees[actual].served = true
      state.trees[actual].dirty = false
      state.safe = state.live
      state.live = actual
      state.state = 'production'
      delete state.work
      fixed.push(`live had been switched to trees/${actual} by a run that then stopped: state is production (application steps after that switch may not have run)`)
    } else if (state.state === 'production' && actual === state.safe) {
      state.trees[actual].served = true
      state.trees[actual].dirty = false
      state.work = state.live
      state.live = actual
      state.state = 'delivering'
      fixed.push(`live had been switched back to trees/${actual} by a run that then stopped: state is delivering`)
    } else {
      throw new StateError(
        `live points at ${JSON.stringify(ctx.probe.liveTarget)} but state.json says trees/${state.live}: someone changed the layout by hand; point live back, or fix state.json (the journal says what happened)`,
      )
    }
  }
  if (fixed.length) {
    await saveState(ctx, state, 'reconcile', { fixed })
    for (const f of fixed) ctx.log.warning(f)
  }
  return fixed
}

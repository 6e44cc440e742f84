/**
 * update: brings the work tree to `ref` (whole, or only `paths`) and records every added, modified, deleted and
 * renamed file. Hand-made changes in the work tree are saved first.
 */
import type { TreeRecord } from '../remote/state.js'
import { treeRevision } from '../remote/state.js'
import { type HostContext, mustState, plan, saveState, step } from '../steps/context.js'
import { checkDrift } from '../steps/drift.js'
import { countChangedPaths } from '../domain.js'

/**
 * Updates `tree` (the work tree; in a dry run of deliver, the live tree it would become). `driftChecked` skips the
 * drift check when the caller already made it on the same content.
 */
export async function update(ctx: HostContext, tree?: TreeRecord, driftChecked = false): Promise<void> {
  const state = mustState(ctx)
  const work = tree ?? state.trees[state.work ?? '']
  const { ref, paths, dryRun } = ctx.settings
  if (!driftChecked) await checkDrift(ctx, work, 'work')
  ctx.report.revisionBefore = treeRevision(work)
  if (!dryRun) {
    // Marked before the first file changes, cleared with the new record: a cut-off update is never switched live.
    state.trees[work.id] = { ...work, updating: { runId: ctx.settings.run.runId, ref, at: ctx.now().toISOString() }, dirty: true }
    await saveState(ctx, state)
  }
  const res = await step(
    ctx,
    dryRun ? 'update (dry run)' : 'update',
    () => ctx.vcs.update(work, ref, paths, dryRun, { fetched: ctx.fetched }),
    (r) => `${paths.length ? paths.join(', ') : 'whole tree'} to ${ref || 'the default branch'} (${r.commit}): ${countChangedPaths(r.changes)} path(s) changed`,
  )
  ctx.report.files = res.changes
  if (res.submodules) ctx.report.submodules = res.submodules
  ctx.report.revisionAfter = res.commit
  ctx.commit = res.commit
  if (dryRun) {
    const c = res.changes
    plan(
      ctx,
      `update trees/${work.id} to ${res.commit}${paths.length ? ` (paths ${paths.join(', ')})` : ''}: ${c.added.length} added, ${c.modified.length} modified, ${c.deleted.length} deleted, ${c.renamed.length} renamed`,
    )
    for (const s of res.submodules ?? []) if (s.before !== s.after) plan(ctx, `submodule ${s.path}: ${s.before ?? '(added)'} -> ${s.after ?? '(removed)'}`)
    return
  }
  const record: TreeRecord = {
    ...work,
    updating: undefined,
    revision: res.revision,
    head: res.head,
    paths: res.take ? [...(work.paths ?? []), res.take] : undefined,
    dirty: true,
    updatedAt: ctx.now().toISOString(),
  }
  delete record.updating
  if (!record.head) delete record.head
  if (!record.paths) delete record.paths
  state.trees[work.id] = record
  if (!paths.length) state.ref = ref
  const c = res.changes
  await saveState(ctx, state, 'update', {
    tree: work.id,
    ref,
    commit: res.commit,
    paths,
    revisionBefore: treeRevision(work),
    revisionAfter: treeRevision(record),
    added: c.added.length,
    modified: c.modified.length,
    deleted: c.deleted.length,
    renamed: c.renamed.length,
  })
}

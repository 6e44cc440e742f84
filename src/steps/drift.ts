/**
 * Drift: files changed on the server by hand (tracked files that differ from the tree's revision, untracked files
 * outside `keep`). Found before a tree is overwritten, saved as a patch under .delivery/drift/, listed in the report;
 * `on-drift: fail` stops the run before anything changes.
 */
import { MODE_FACTS } from '../modes/facts.js'
import { compactTime } from '../domain.js'
import { StepFailure } from '../errors.js'
import type { DriftReport } from '../report/model.js'
import type { TreeRecord } from '../remote/state.js'
import { isKept } from '../vcs/changes.js'
import { type HostContext, step } from './context.js'

const ROLE_ORDER = ['live', 'safe', 'work']

/** Looks for drift in a tree; saves it (outside a dry run). Returns the report entry, or null when clean. */
export async function checkDrift(ctx: HostContext, tree: TreeRecord, role: string, { save = !ctx.settings.dryRun }: { save?: boolean } = {}): Promise<DriftReport | null> {
  return step(
    ctx,
    `drift ${role}`,
    async () => {
      // A run that holds the lock and changes the layout lets the method keep its caches fresh (git: the index).
      const refresh = !MODE_FACTS[ctx.settings.mode].inspects && !ctx.settings.dryRun
      const files = (await ctx.vcs.drift(tree, refresh)).filter((f) => !isKept(f.path, ctx.keep))
      if (files.length === 0) return null
      const entry: DriftReport = { tree: tree.id, role, files }
      if (save) {
        const stamp = compactTime(ctx.now())
        entry.patch = `${ctx.layout.drift}/${stamp}-${tree.id}-${role}.patch`
        const saved = await ctx.vcs.saveDrift(tree, files, entry.patch)
        if (typeof saved === 'string') entry.patch = saved
      }
      ctx.report.drift.push(entry)
      // Checks may run at once (deliver): keep the report's order stable, live before safe before work.
      ctx.report.drift.sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role))
      const list = files.slice(0, 20).map((f) => `${f.status} ${f.path}`).join(', ')
      const more = files.length > 20 ? ` and ${files.length - 20} more` : ''
      const msg = `${files.length} file(s) of the ${role} tree ${tree.id} were changed by hand on the server: ${list}${more}`
      if (ctx.settings.onDrift === 'fail' && !MODE_FACTS[ctx.settings.mode].inspects) {
        throw new StepFailure(
          `${msg}. on-drift is fail, so nothing was changed${entry.patch ? ` (the changes are saved in ${entry.patch})` : ''}: commit them to the repository, or undo them, then run again`,
        )
      }
      ctx.log.warning(`${msg}${entry.patch ? `; saved in ${entry.patch}` : ''}`)
      return entry
    },
    (r) => (r ? `${r.files.length} file(s) changed by hand` : 'none'),
  )
}

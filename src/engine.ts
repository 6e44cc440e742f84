/**
 * The engine: for each host, connect once, check sudo, look at the server, check that the mode fits, take the lock, run
 * the mode's steps, audit the live tree's permissions, record the outcome, release the lock. Hosts run in parallel (or
 * rolling, or canary), each with its own connection, lock and report section; with shared-code the first host
 * delivers and the others run the per-node steps; with cluster, src/cluster.ts runs the nodes as one site.
 *
 * One host's run, in order: src/host/skeleton.ts (open the host, record the outcome), src/host/open.ts (connect, sudo,
 * probe), src/host/admit.ts (the checks, the lock, the checks again under it), the mode (its row in
 * src/modes/table.ts), then here the report of the state after it, and src/host/finish.ts (session, journal, release).
 */
import { modeRow } from './modes/table.js'
import { treeRevision } from './remote/state.js'
import type { HostTarget, Settings } from './settings.js'
import type { HostContext } from './steps/context.js'
import { auditPermissions } from './steps/permissions.js'
import { type Locking, preflight, takeLock, writes } from './host/admit.js'
import { endLocked } from './host/finish.js'
import { chooseApp } from './host/open.js'
import { type EngineOptions, type HostResult, onHost } from './host/skeleton.js'

export type { EngineOptions, HostResult } from './host/skeleton.js'

/** Extra work done on the first host while it still holds its lock (shared-code runs the other nodes there). */
export interface HostHooks {
  afterMode?: (ctx: HostContext) => Promise<void>
  /** Runs in place of the mode, under the lock (a cluster's node waits there for the coordinated sequence). */
  mode?: (ctx: HostContext) => Promise<void>
}

/** Runs the mode on one host. Never throws: the outcome and error are in the returned report. */
export async function runHost(settings: Settings, target: HostTarget, opts: EngineOptions, hooks: HostHooks = {}): Promise<HostResult> {
  const locking: Locking = { locked: false }
  return onHost(settings, target, opts, {
    run: async (ctx) => {
      preflight(ctx, opts)
      if (writes(ctx)) await takeLock(ctx, opts, locking)
      await reportBefore(ctx)
      await (hooks.mode ?? modeRow(settings.mode).run)(ctx)
      await reportAfter(ctx)
      await hooks.afterMode?.(ctx)
      const r = ctx.report as HostResult
      r.commit = ctx.commit
      r.sessionId = ctx.sessionId
      r.session = ctx.sessionData
    },
    failed: (ctx) => {
      if (!ctx) return
      const r = ctx.report as HostResult
      r.sessionId = ctx.sessionId
      if (ctx.state) {
        r.stateAfter = ctx.state.state
        r.liveTreeAfter = ctx.state.live
        // Which code this host serves now, whatever happened (update changes the work tree only).
        if (!modeRow(settings.mode).workTreeOnly) r.revisionAfter = treeRevision(ctx.state.trees[ctx.state.live])
      }
    },
    finish: async (ctx, conn) => {
      await endLocked(ctx, conn, locking, opts)
      // What the trees hold, so that the report can group Moodle files by component.
      if (ctx) ctx.report.app = ctx.state?.app === 'moodle' || ctx.app.name === 'moodle' ? 'moodle' : 'none'
    },
  })
}

/** The state before the mode runs: which tree serves, which revision and application version. */
async function reportBefore(ctx: HostContext): Promise<void> {
  const { report, app } = ctx
  const before = ctx.state
  if (!before) return
  report.stateBefore = before.state
  report.liveTreeBefore = before.live
  report.revisionBefore = treeRevision(before.trees[before.live])
  report.appVersionBefore = (await app.version(before.trees[before.live]))?.release
}

/** The state after the mode: the permission audit of the live tree, its revision and application version. */
async function reportAfter(ctx: HostContext): Promise<void> {
  const { settings, report, app, sh, layout } = ctx
  const row = modeRow(settings.mode)
  const after = ctx.state
  // The permission audit and the version of the live tree are independent reads: made at once.
  // A delivery from production audits the paths it changed in the tree it put live (the rest of that tree was audited
  // when it last served); every other mode, and a resumed delivery, the whole live tree.
  const changedOnly = row.auditsChangedPaths && report.stateBefore === 'production' && !report.rolledBack && after?.live === report.liveTreeAfter
  const auditing = after ? auditPermissions(ctx, after.live, changedOnly ? report.files : undefined) : undefined
  // init detects the application: read the version with the driver it chose.
  const appAfter = after && settings.app === 'auto' && after.app !== app.name ? chooseApp(settings, after.app, sh, layout) : app
  const versioning = after ? appAfter.version(after.trees[after.live]) : undefined
  const [audit, version] = await Promise.all([auditing, versioning])
  if (audit && report.status) report.status.permissions = { total: audit.total, counts: audit.counts, first: report.permissions, note: audit.note }
  if (after) {
    report.stateAfter = after.state
    report.liveTreeAfter = after.live
    if (!row.workTreeOnly && !settings.dryRun) report.revisionAfter = treeRevision(after.trees[after.live])
    report.appVersionAfter = version?.release
  }
}

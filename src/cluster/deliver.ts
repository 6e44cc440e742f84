/**
 * deliver and backtoprod on the nodes of a cluster: each node's work tree prepared while the site serves, the
 * site-wide decision once (upgrade? maintenance?), then every node switched together with the upgrade run once, or,
 * for code only, the nodes switched as the strategy says, each checked before the next ones. A failure before the
 * upgrade sends every switched node back; after it, nothing goes back and the report says what to restore.
 */
import { type SwitchPlan, UnsafeToGoBack } from '../app/app.js'
import type { SnapshotRecord } from '../app/moodle-db.js'
import { mayRestoreAfterFailedUpgrade, restoreAfterFailedUpgrade } from '../app/moodle-restore.js'
import type { MoodlePlan } from '../app/moodle.js'
import { modeRow } from '../modes/table.js'
import { treeRevision } from '../remote/state.js'
import { StepFailure } from '../errors.js'
import { type HostContext, journal, mustState } from '../steps/context.js'
import { runHook } from '../steps/hooks.js'
import { freshPath, keepFiles, switchTo } from '../steps/switch.js'
import { ConnectionError } from '../transport/run.js'
import { ClusterNodes, each, failedIdx, labels } from './nodes.js'

export class ClusterDeliver extends ClusterNodes {
  /** Per node: the work tree that took its fresh path and kept files before the maintenance window. */
  private readonly prepared: (string | undefined)[] = []


  async deliver(): Promise<(Error | undefined)[]> {
    const { nodes, lead, settings } = this
    // 1. Each node's work tree, while the site serves.
    const prep = await each(nodes, async (ctx) => {
      await modeRow(settings.mode).cluster?.prepare?.(ctx)
      mustState(ctx)
    })
    prep.forEach((e, i) => (this.errs[i] = e))
    const bad = failedIdx(prep)
    if (bad.length) {
      return this.failRest(`not switched: ${labels(nodes, bad)} failed before the switch; every node keeps serving the code it served (state delivering: run deliver again to resume)`)
    }
    const works = nodes.map((ctx) => ctx.state!.trees[ctx.state!.work ?? ''])
    const revs = new Set(works.map((w) => treeRevision(w)))
    if (revs.size > 1) {
      return this.failRest(
        `not switched: the nodes' work trees hold different code (${nodes.map((c, i) => `${c.target.label}: ${treeRevision(works[i])}`).join(', ')}); run update on the cluster with one ref, then backtoprod`,
      )
    }
    for (const ctx of nodes) ctx.report.revisionAfter ??= treeRevision(ctx.state!.trees[ctx.state!.work ?? ''])
    // 2. The site-wide decision, once: upgrade pending? before-upgrade, cron held (maintenance goes on later, once every
    // node's work tree is ready to switch).
    const ls = lead.state!
    let sp: SwitchPlan
    try {
      sp = await lead.app.beforeSwitch(lead, ls.trees[ls.work ?? ''], ls.trees[ls.live])
    } catch (e) {
      this.errs[0] = e as Error
      return this.failRest(`not switched: the site-wide steps on ${lead.target.label} failed before the switch; every node keeps serving the code it served`)
    }
    return sp.upgrade || sp.window ? this.together(sp) : this.codeOnly(sp)
  }

  /** The site is in maintenance (or the upgrade needs no outage): every node switches at once, the upgrade runs once. */
  private async together(sp: SwitchPlan): Promise<(Error | undefined)[]> {
    const { nodes, lead } = this
    // Outside the maintenance window: each node's fresh path and kept files; then maintenance on and the snapshot.
    const ready = await each(nodes, (ctx, i) => this.prepareNode(ctx, i))
    const unready = failedIdx(ready)
    if (unready.length) {
      ready.forEach((e, i) => (this.errs[i] = e))
      await lead.app.cancelSwitch(lead, sp)
      return this.failRest(`not switched: ${labels(nodes, unready)} failed before the switch; every node keeps serving the code it served, the database was not upgraded`)
    }
    try {
      await lead.app.enterWindow(lead, sp)
    } catch (e) {
      this.errs[0] = e as Error
      await lead.app.cancelSwitch(lead, sp)
      return this.failRest(`not switched: the site-wide steps on ${lead.target.label} failed before the switch; every node keeps serving the code it served`)
    }
    const sw = await each(nodes, async (ctx, i) => {
      await this.switchNode(ctx, i)
      await this.caches.componentCache(ctx)
    })
    const bad = failedIdx(sw)
    if (bad.length) {
      sw.forEach((e, i) => (this.errs[i] = e))
      // Before the upgrade: the switched nodes go back, and the site comes out of maintenance.
      const inMaintenance = sp.maintenance
      const stuck = await this.switchBack(`${labels(nodes, bad)} failed its switch`)
      await lead.app.cancelSwitch(lead, sp)
      return this.failRest(
        `switched back: ${labels(nodes, bad)} failed its switch before the upgrade; ${stuck ? `${stuck}. The other nodes serve` : 'every node serves'} the code it served before, the database was not upgraded${inMaintenance ? (sp.maintenance ? ', but maintenance mode could not be turned off' : ', and the site is out of maintenance again') : ''}`,
      )
    }
    try {
      await lead.app.afterSwitch(lead, sp, this.moodle ? () => this.caches.localCaches(nodes.slice(1)) : undefined)
    } catch (e) {
      return this.afterUpgradeFailure(sp, 0, e as Error)
    }
    if (sp.upgrade) for (const ctx of nodes) ctx.report.cluster!.upgradedBy = lead.target.label
    const post = await each(nodes, (ctx) => this.checkNode(ctx))
    const broken = failedIdx(post)
    if (!broken.length) return this.errs
    if (!sp.databaseChanged) {
      post.forEach((e, i) => (this.errs[i] = e))
      return this.rollback(broken)
    }
    const why = `${labels(nodes, broken)}: ${post.filter(Boolean).map((e) => e!.message).join('; ')}`
    const restore = await lead.app.holdAfterFailure(lead, sp, why)
    return this.failedAfterUpgrade(why, restore)
  }

  /** No upgrade, no maintenance: the nodes switch as `strategy` says, each checked before the next ones. */
  private async codeOnly(sp: SwitchPlan): Promise<(Error | undefined)[]> {
    const { nodes, lead, settings } = this
    const node = async (ctx: HostContext, i: number) => {
      try {
        await this.switchNode(ctx, i)
        await this.caches.componentCache(ctx)
        if (this.moodle) await this.caches.localCaches([ctx])
        await this.checkNode(ctx)
      } catch (e) {
        this.errs[i] = e as Error
      }
    }
    try {
      await lead.app.enterWindow(lead, sp)
    } catch (e) {
      this.errs[0] = e as Error
      await lead.app.cancelSwitch(lead, sp)
      return this.failRest(`not switched: the site-wide steps on ${lead.target.label} failed before the switch; every node keeps serving the code it served`)
    }
    const all = nodes.map((_, i) => i)
    const waves = settings.strategy === 'rolling' ? all.map((i) => [i]) : settings.strategy === 'canary' ? [[0], all.slice(1)] : [all]
    for (const wave of waves) {
      await Promise.all(wave.map((i) => node(nodes[i], i)))
      if (failedIdx(this.errs).length) break
    }
    const bad = failedIdx(this.errs)
    if (bad.length) return this.rollback(bad)
    try {
      // The caches shared by every node are purged once, when every node serves the new code.
      await lead.app.afterSwitch(lead, sp)
    } catch (e) {
      this.errs[0] = e as Error
      return this.rollback([0])
    }
    return this.errs
  }

  /** A code-only failure: every switched node goes back (auto-rollback), or stays and the run fails. */
  private async rollback(bad: number[]): Promise<(Error | undefined)[]> {
    const { nodes, lead, settings } = this
    const who = labels(nodes, bad)
    const why = bad.map((i) => `${nodes[i].target.label}: ${this.errs[i]!.message}`).join('; ')
    if (!settings.autoRollback) {
      const notYet = nodes.flatMap((_, i) => (this.switched[i] ? [] : [i]))
      for (const i of notYet) this.errs[i] ??= new StepFailure(`not switched: ${who} failed (${why}); this node keeps serving the code it served (state delivering)`)
      for (const i of bad) this.errs[i] = new StepFailure(`${this.errs[i]!.message}. auto-rollback is off: the switched nodes stay on the new code; run goback on the cluster to return`)
      return this.errs
    }
    for (const ctx of nodes) ctx.log.warning(`${ctx.target.label}: ${who} failed: every switched node goes back`)
    const wasSwitched = this.switched.some(Boolean)
    const stuck = await this.switchBack(why)
    if (wasSwitched) {
      // Caches built by the newer code must not serve the older one: purged once, and on each node.
      await lead.app.afterGoback(lead)
      if (this.moodle) await this.caches.localCaches(nodes.slice(1)).catch((e: Error) => lead.log.warning(`local caches after going back: ${e.message}`))
    }
    if (settings.afterSwitch) {
      await each(nodes, (ctx) => runHook(ctx, 'after-switch', settings.afterSwitch!).then(() => undefined)).then((r) =>
        r.forEach((e, i) => e && nodes[i].log.warning(`after-switch after going back: ${e.message}`)),
      )
    }
    const tail = `Every node went back to the code it served before (state delivering)${stuck ? `, except: ${stuck}` : ''}: fix the code, then run deliver (or update and backtoprod)`
    return nodes.map((_, i) => new StepFailure(this.errs[i] ? `${this.errs[i]!.message}. ${tail}` : `${who} failed (${why}). ${tail}`))
  }

  /**
   * Switches every node that switched back to the tree it served before; returns a sentence naming the nodes that
   * could not be switched back ('' when none).
   */
  private async switchBack(why: string): Promise<string> {
    const { nodes } = this
    const back = await each(nodes, async (ctx, i) => {
      const s = this.switched[i]
      if (!s || !ctx.state) return
      await switchTo(ctx, ctx.state, s.from, { state: 'delivering', live: s.from, safe: s.from, work: s.to })
      ctx.report.rolledBack = true
      ctx.report.liveTreeAfter = s.from
      this.switched[i] = undefined
      await journal(ctx, 'rollback', { from: s.to, to: s.from, error: why })
      await this.caches.componentCache(ctx).catch((e: Error) => ctx.log.warning(`${ctx.target.label}: ${e.message}`))
    })
    const stuck = [
      ...failedIdx(back).map((i) => `${nodes[i].target.label} could not be switched back (${back[i]!.message}): check it with mode status and run goback on it`),
      ...this.unsureNodes('run goback on it if it serves the new code'),
    ]
    return stuck.join('; ')
  }

  /** A failure once the database was upgraded: nothing goes back; the report says what to do. */
  private async afterUpgradeFailure(sp: SwitchPlan, at: number, e: Error): Promise<(Error | undefined)[]> {
    if (e instanceof UnsafeToGoBack && mayRestoreAfterFailedUpgrade(this.lead, sp)) return this.restoreAfterFailure(sp, e)
    if (e instanceof UnsafeToGoBack) return this.failedAfterUpgrade(e.message, e.restore, at)
    if (sp.databaseChanged) return this.failedAfterUpgrade(e.message, await this.lead.app.holdAfterFailure(this.lead, sp, e.message), at)
    this.errs[at] = e
    return this.rollback([at])
  }

  /**
   * The upgrade failed in maintenance mode (nothing wrote since the snapshot) and `restore-database: true`: the first
   * node restores the snapshot, every node goes back to the code it served, then the shared purge, each other node's
   * local cache, the version check, maintenance off and cron on. Once the database is restored no node stays on the
   * upgrade's code with the site open: a node that cannot go back keeps the site in maintenance mode.
   */
  private async restoreAfterFailure(sp: MoodlePlan & { snapshot: SnapshotRecord }, e: UnsafeToGoBack): Promise<(Error | undefined)[]> {
    const { nodes, lead } = this
    const site = lead.target.label
    const file = sp.snapshot.file
    let phase: 'restore' | 'switch' | 'finish' = 'restore'
    let stuck = ''
    try {
      await restoreAfterFailedUpgrade(
        lead,
        sp,
        lead.state!.trees[this.switched[0]!.from],
        async () => {
          phase = 'switch'
          stuck = await this.switchBack(`${e.message}; the database was restored from ${file}`)
          if (stuck) throw new StepFailure(stuck)
          phase = 'finish'
        },
        this.moodle ? () => this.caches.localCaches(nodes.slice(1)) : undefined,
      )
    } catch (err) {
      if (phase === 'restore') return this.failedAfterUpgrade(`${e.message}. Restoring the database failed: ${(err as Error).message}`, lead.report.restore ?? e.restore)
      const restore =
        phase === 'switch'
          ? `The database was restored from ${file} (version ${sp.snapshot.fromVersion}); ${stuck}. The site stays in maintenance mode${sp.cronHeld ? ' with cron held' : ''}: fix the cause, then run goback with restore-database: true on the cluster: ${site} restores the same snapshot again (nothing wrote since), the nodes that did not go back switch, and maintenance and the cron hold end`
          : (err as Error).message
      for (const ctx of nodes) ctx.report.restore = restore
      await journal(lead, 'failed-after-restore', { error: e.message, restore, cluster: nodes.map((c) => c.target.label) }).catch(() => undefined)
      return nodes.map(() => new StepFailure(`${e.message}. To restore: ${restore}`))
    }
    for (const ctx of nodes) ctx.report.cluster!.restoredBy = site
    await this.journalRestore(nodes.slice(1), { snapshot: file, from: sp.to?.version ?? sp.snapshot.toVersion, to: sp.snapshot.fromVersion, by: site })
    const why = `${e.message}. The database was restored from ${file} on ${site} and every node went back to the code it served (state delivering): fix the cause, then run deliver (or backtoprod) again`
    return nodes.map(() => new StepFailure(why))
  }

  private async failedAfterUpgrade(why: string, restore: string, at = 0): Promise<(Error | undefined)[]> {
    const { nodes, lead } = this
    for (const ctx of nodes) ctx.report.restore = restore
    await journal(lead, 'failed-after-upgrade', { error: why, restore, cluster: nodes.map((c) => c.target.label) }).catch(() => undefined)
    return nodes.map((ctx, i) =>
      i === at
        ? new StepFailure(`${why}. To restore: ${restore}`)
        : new StepFailure(
            `${nodes[at].target.label} failed after the database upgrade (${why}); this node serves the new code and does not go back (older code cannot serve the upgraded database). To restore: ${restore}`,
          ),
    )
  }

  /** A node's work tree takes its fresh path and the kept files, before the maintenance window. */
  private async prepareNode(ctx: HostContext, i: number): Promise<void> {
    const state = mustState(ctx)
    const id = await freshPath(ctx, state, state.work ?? '')
    await keepFiles(ctx, state, id)
    this.prepared[i] = id
  }

  /** Switches a node's `live` to its updated work tree (the tree that served becomes its safe tree). */
  private async switchNode(ctx: HostContext, i: number): Promise<void> {
    const state = mustState(ctx)
    const safeId = state.live
    const work = state.trees[state.work ?? '']
    const kept = this.prepared[i] === work.id
    const id = kept ? work.id : await freshPath(ctx, state, work.id)
    try {
      await switchTo(ctx, state, id, { state: 'production', live: id, safe: safeId }, { kept })
    } catch (e) {
      if (e instanceof ConnectionError) this.unsure[i] = `trees/${safeId} -> trees/${id}`
      throw e
    }
    this.switched[i] = { from: safeId, to: id }
    ctx.report.liveTreeAfter = id
  }

}

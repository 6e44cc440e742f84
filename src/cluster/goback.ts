/**
 * goback on the nodes of a cluster: the downgrade guard once, on the first node; then every node switched to its safe
 * tree, or none (a node that fails its switch sends the others back). With `restore-database: true` across an applied
 * upgrade: the site-wide steps once, on the first node (maintenance on, cron held, the database restored from its
 * snapshot), every node switched, then the shared purge, each node's own caches, maintenance off and cron on once.
 */
import { type RestorePlan, finishRestore, prepareRestore, restoreBeforeSwitch } from '../app/moodle-restore.js'
import { treeRevision, unfinishedRestore } from '../remote/state.js'
import { Refusal, StepFailure } from '../errors.js'
import { journal, mustState, saveState } from '../steps/context.js'
import { healthCheck } from '../steps/health.js'
import { runHook } from '../steps/hooks.js'
import { freshPath, switchTo } from '../steps/switch.js'
import { ConnectionError } from '../transport/run.js'
import { ClusterNodes, each, failedIdx, labels } from './nodes.js'

export class ClusterGoback extends ClusterNodes {
  /** goback on every node: the downgrade guard once, every node switched, or none. */
  async goback(): Promise<(Error | undefined)[]> {
    const { nodes, lead, settings } = this
    // A database restore that began and did not finish: restore again (restore-database), or the admin answers for it.
    const unfinished = nodes.filter((c) => c.state?.restoring)
    if (unfinished.length && !settings.restoreDatabase) {
      if (!settings.allowDowngrade) {
        const why = unfinished.map((c) => `${c.target.label}: ${unfinishedRestore(c.state!)}`).join('; ')
        return nodes.map(() => new Refusal(`goback refused for the cluster: ${why}`))
      }
      for (const c of unfinished) {
        const snapshot = c.state!.restoring!.snapshot
        c.log.warning(`${c.target.label}: allow-downgrade: true: the unfinished restore from ${snapshot} is forgotten; the database is as you left it`)
        delete c.state!.restoring
        await saveState(c, c.state!, 'database-restore-abandoned', { snapshot })
      }
    }
    const safes = nodes.map((ctx) => mustState(ctx).trees[ctx.state!.safe])
    if (new Set(safes.map((t) => treeRevision(t))).size > 1) {
      return nodes.map(
        () =>
          new Refusal(
            `goback refused: the nodes' safe trees hold different code (${nodes.map((c, i) => `${c.target.label}: ${treeRevision(safes[i])}`).join(', ')}); every node would not serve the same code. Run syncback on the cluster first`,
          ),
      )
    }
    let restore: RestorePlan | undefined
    try {
      // The snapshot is the first node's: it ran the upgrade's site-wide steps, and its state records the snapshot.
      if (settings.restoreDatabase) restore = await prepareRestore(lead, mustState(lead), safes[0])
      if (!restore) await lead.app.checkGoback(lead, safes[0])
    } catch (e) {
      this.errs[0] = e as Error
      const refused = e instanceof Refusal
      return nodes.map((_, i) => (i === 0 ? (e as Error) : refused ? new Refusal(`goback refused on ${lead.target.label} for the cluster: ${(e as Error).message}`) : new StepFailure(`not switched: ${lead.target.label} failed its check: ${(e as Error).message}`)))
    }
    if (restore) return this.restoring(restore)
    const sameCode = nodes.map((ctx) => treeRevision(ctx.state!.trees[ctx.state!.safe]) === treeRevision(ctx.state!.trees[ctx.state!.live]))
    const sw = await this.switchAll()
    const bad = failedIdx(sw)
    if (bad.length) {
      sw.forEach((e, i) => (this.errs[i] = e))
      const back = await each(nodes, async (ctx, i) => {
        const s = this.switched[i]
        if (!s || !ctx.state) return
        await switchTo(ctx, ctx.state, s.from, { state: 'production', live: s.from, safe: s.to })
        ctx.report.liveTreeAfter = s.from
        await journal(ctx, 'rollback', { from: s.to, to: s.from, error: `${labels(nodes, bad)} failed its goback` })
        await this.caches.componentCache(ctx).catch(() => undefined)
      })
      const stuck = failedIdx(back)
      const unsure = this.unsureNodes('run backtoprod on it alone if it went back')
      const others = stuck.length || unsure.length ? 'the other nodes serve the code they served' : 'every node serves the code it served'
      return this.failRest(
        `goback undone: ${labels(nodes, bad)} failed its switch; ${[...(stuck.length ? [`${labels(nodes, stuck)} could not be switched back (run status there)`] : []), ...unsure, others].join('; ')} before (state production)`,
      )
    }
    if (sameCode.some((s) => !s)) {
      await lead.app.afterGoback(lead)
      if (this.moodle) await this.caches.localCaches(nodes.slice(1)).catch((e: Error) => lead.log.warning(`local caches after goback: ${e.message}`))
    }
    if (settings.afterSwitch) {
      const r = await each(nodes, (ctx) => runHook(ctx, 'after-switch', settings.afterSwitch!).then(() => undefined))
      r.forEach((e, i) => (this.errs[i] = e))
    }
    return this.errs
  }

  /** Every node to its safe tree (a fresh path when needed), then its component cache. Each node's error. */
  private switchAll(): Promise<(Error | undefined)[]> {
    return each(this.nodes, async (ctx, i) => {
      const state = mustState(ctx)
      // A restore made again after it stopped past this node's switch (the fit lets no other goback in while delivering).
      if (state.state === 'delivering') return
      const former = state.live
      const id = await freshPath(ctx, state, state.safe)
      try {
        await switchTo(ctx, state, id, { state: 'delivering', live: id, safe: id, work: former })
      } catch (e) {
        if (e instanceof ConnectionError) this.unsure[i] = `trees/${former} -> trees/${id}`
        throw e
      }
      this.switched[i] = { from: former, to: id }
      ctx.report.liveTreeAfter = id
      await this.caches.componentCache(ctx)
    })
  }

  /**
   * goback across an applied upgrade with `restore-database: true`. Once the database is restored no node goes back
   * onto the upgrade's code (it cannot serve the restored database): a failure leaves the site in maintenance mode
   * and says what to run.
   */
  private async restoring(r: RestorePlan): Promise<(Error | undefined)[]> {
    const { nodes, lead, settings } = this
    const others = nodes.slice(1)
    const site = lead.target.label
    let held: { maintenance: boolean; cron: boolean }
    try {
      held = await restoreBeforeSwitch(lead, r)
    } catch (e) {
      this.errs[0] = e as Error
      const restore = lead.report.restore
      for (const ctx of others) ctx.report.restore = restore
      return this.failRest(
        restore
          ? `not switched: the database restore on ${site} did not complete; every node serves the code it served. ${restore}`
          : `not switched: the site-wide steps on ${site} failed before the restore (${(e as Error).message}); the database was not restored and every node serves the code it served`,
      )
    }
    for (const ctx of nodes) ctx.report.cluster!.restoredBy = site
    await this.journalRestore(others, { snapshot: r.snapshot.file, from: r.dbVersion, to: r.snapshot.fromVersion, by: site })
    const sw = await this.switchAll()
    const bad = failedIdx(sw)
    if (bad.length) {
      sw.forEach((e, i) => (this.errs[i] = e))
      const restore = `The database was restored to ${r.snapshot.fromVersion} (the snapshot ${r.snapshot.file}); ${labels(nodes, bad)} could not switch to its safe tree and may still serve the upgrade's code, which cannot serve that database; the other nodes serve the restored version. The site stays in maintenance mode${held.cron ? ' with cron held' : ''}: fix the cause, then run goback with restore-database: true on the cluster again: ${site} restores the same snapshot again (nothing wrote since), the nodes that did not switch switch, and maintenance and the cron hold end`
      for (const ctx of nodes) ctx.report.restore = restore
      await journal(lead, 'failed-after-restore', { error: `${labels(nodes, bad)} failed its switch`, restore, cluster: nodes.map((c) => c.target.label) }).catch(() => undefined)
      return this.failRest(restore)
    }
    try {
      // Each other node's own local cache, built by the upgrade's code, goes before visitors come back.
      await finishRestore(lead, r, held, this.moodle ? () => this.caches.localCaches(others) : undefined)
    } catch (e) {
      this.errs[0] = e as Error
      for (const ctx of nodes) ctx.report.restore = (e as Error).message
      return this.failRest(`the database was restored and every node switched, but ${site} failed to finish: ${(e as Error).message}`)
    }
    const post = await each(nodes, async (ctx) => {
      if (ctx !== lead && settings.healthUrl) await healthCheck(ctx)
      if (settings.afterSwitch) await runHook(ctx, 'after-switch', settings.afterSwitch)
    })
    post.forEach((e, i) => (this.errs[i] = e))
    return this.errs
  }
}

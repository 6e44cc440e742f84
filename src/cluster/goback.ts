/**
 * goback on the nodes of a cluster: the downgrade guard once, on the first node; then every node switched to its safe
 * tree, or none (a node that fails its switch sends the others back).
 */
import { treeRevision } from '../remote/state.js'
import { Refusal, StepFailure } from '../errors.js'
import { journal, mustState } from '../steps/context.js'
import { runHook } from '../steps/hooks.js'
import { freshPath, switchTo } from '../steps/switch.js'
import { ClusterNodes, each, failedIdx, labels } from './nodes.js'

export class ClusterGoback extends ClusterNodes {
  /** goback on every node: the downgrade guard once, every node switched, or none. */
  async goback(): Promise<(Error | undefined)[]> {
    const { nodes, lead, settings } = this
    const safes = nodes.map((ctx) => mustState(ctx).trees[ctx.state!.safe])
    if (new Set(safes.map((t) => treeRevision(t))).size > 1) {
      return nodes.map(
        () =>
          new Refusal(
            `goback refused: the nodes' safe trees hold different code (${nodes.map((c, i) => `${c.target.label}: ${treeRevision(safes[i])}`).join(', ')}); every node would not serve the same code. Run syncback on the cluster first`,
          ),
      )
    }
    try {
      await lead.app.checkGoback(lead, safes[0])
    } catch (e) {
      this.errs[0] = e as Error
      const refused = e instanceof Refusal
      return nodes.map((_, i) => (i === 0 ? (e as Error) : refused ? new Refusal(`goback refused on ${lead.target.label} for the cluster: ${(e as Error).message}`) : new StepFailure(`not switched: ${lead.target.label} failed its check: ${(e as Error).message}`)))
    }
    const sameCode = nodes.map((ctx) => treeRevision(ctx.state!.trees[ctx.state!.safe]) === treeRevision(ctx.state!.trees[ctx.state!.live]))
    const sw = await each(nodes, async (ctx, i) => {
      const state = mustState(ctx)
      const former = state.live
      const id = await freshPath(ctx, state, state.safe)
      await switchTo(ctx, state, id, { state: 'delivering', live: id, safe: id, work: former })
      this.switched[i] = { from: former, to: id }
      ctx.report.liveTreeAfter = id
      await this.caches.componentCache(ctx)
    })
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
      return this.failRest(
        `goback undone: ${labels(nodes, bad)} failed its switch; ${stuck.length ? `${labels(nodes, stuck)} could not be switched back (run status there); the other nodes serve` : 'every node serves'} the code it served before (state production)`,
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
}

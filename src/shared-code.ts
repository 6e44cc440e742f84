/**
 * shared-code: a node that serves the code volume the first host delivered to. It checks that it sees the layout as
 * the first host left it (same state, `live` at the same tree), then runs the per-node steps of the mode's row
 * (src/modes/table.ts): its own `after-switch` command (e.g. reloading this node's php-fpm) and the health check of its
 * own web server. It takes no lock (the first host holds the one lock of the shared root meanwhile) and writes nothing
 * in the layout.
 */
import { type EngineOptions, type HostResult } from './engine.js'
import { onHost } from './host/skeleton.js'
import { modeRow } from './modes/table.js'
import { liveTreeId, probe, type Probe } from './remote/server.js'
import { treeRevision } from './remote/state.js'
import type { HostTarget, Settings } from './settings.js'
import { StepFailure } from './errors.js'
import { type HostContext, plan, step } from './steps/context.js'
import { healthCheck } from './steps/health.js'
import { runHook } from './steps/hooks.js'

/** Runs a shared-code node after `first` ran the mode (and still holds the lock). Never throws. */
export async function runNode(settings: Settings, target: HostTarget, opts: EngineOptions, first: HostContext): Promise<HostResult> {
  return onHost(settings, target, opts, {
    run: async (ctx) => {
      await seesFirst(ctx, first, opts.sharedWaitMs ?? 10_000)
      const { report } = ctx
      if (ctx.state) {
        report.stateAfter = ctx.state.state
        report.liveTreeAfter = ctx.state.live
        report.revisionAfter = treeRevision(ctx.state.trees[ctx.state.live])
      }
      const steps = modeRow(settings.mode).nodeSteps
      const done: string[] = []
      if (settings.dryRun) {
        if (settings.afterSwitch && steps.includes('after-switch')) plan(ctx, 'run the after-switch command on this node after the switch')
        if (settings.healthUrl && steps.includes('health')) plan(ctx, `check ${settings.healthUrl} from this node`)
      } else {
        if (settings.afterSwitch && steps.includes('after-switch')) {
          await runHook(ctx, 'after-switch', settings.afterSwitch)
          done.push('after-switch')
        }
        // The first host left the site in maintenance (as its admin set it): no health check can judge the code.
        if (settings.healthUrl && steps.includes('health') && !first.maintenanceKept) {
          await healthCheck(ctx)
          done.push('health check')
        }
      }
      report.message = `shared code: delivered by ${first.target.label}${done.length ? `; ran here: ${done.join(', ')}` : '; no per-node step to run here'}`
    },
    failed: (ctx) => {
      // A node changes nothing of the layout: it fails, it is never refused.
      if (ctx) ctx.report.outcome = 'failure'
    },
  })
}

/** Waits (a few seconds at most) until this node sees the layout as the first host left it. */
async function seesFirst(ctx: HostContext, first: HostContext, waitMs: number): Promise<void> {
  const { settings } = ctx
  const want = first.state
  const firstLabel = first.target.label
  const sees = (p: Probe) => (want ? p.state?.live === want.live && p.state.state === want.state && liveTreeId(p) === want.live : p.stateText === null)
  await step(
    ctx,
    'shared code',
    async () => {
      // NFS clients cache attributes: give this node a few seconds to see the first host's switch.
      const deadline = Date.now() + waitMs
      while (!sees(ctx.probe) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2000))
        ctx.probe = await probe(ctx.sh, ctx.layout)
        ctx.state = ctx.probe.state
      }
      if (!sees(ctx.probe)) {
        const here = ctx.probe.state ? `state ${ctx.probe.state.state}, live ${ctx.probe.liveTarget || 'missing'}` : 'no layout'
        const there = want ? `state ${want.state}, live trees/${want.live}` : 'no layout'
        throw new StepFailure(
          `this host does not see the code volume ${firstLabel} delivered to: here ${settings.path} has ${here}, there ${there}. With shared-code: true every host must mount the same delivery root (and an NFS client must not cache it for long: mount it with actimeo=3 or lower)`,
        )
      }
    },
    () => (want ? `sees ${settings.path} as ${firstLabel} left it: live trees/${want.live}` : `sees no layout, as ${firstLabel}`),
  )
}

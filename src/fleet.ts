/**
 * Many hosts: the strategies (parallel, rolling, canary, bounded by max-parallel), shared code, where the first
 * host delivers to the code volume and the others run the per-node steps, and clusters (src/cluster.ts).
 */
import { describeError, StepFailure } from './errors.js'
import { CLUSTER_MODES, runCluster } from './cluster.js'
import { type EngineOptions, type Held, type HostResult, openHost, runHost } from './engine.js'
import { newHostReport } from './report/model.js'
import { liveTreeId, probe, type Probe } from './remote/server.js'
import { treeRevision } from './remote/state.js'
import type { HostTarget, Settings } from './settings.js'
import { type HostContext, journal, plan, step } from './steps/context.js'
import { healthCheck } from './steps/health.js'
import { runHook } from './steps/hooks.js'
import { JumpTunnel } from './transport/jump.js'

/**
 * shared-code: a node that serves the code volume the first host delivered to. It checks that it sees the layout as
 * the first host left it (same state, `live` at the same tree), then runs the per-node steps the first host ran after
 * its switch: `after-switch` (e.g. reloading this node's php-fpm) and the health check (this node's own web server).
 * It takes no lock (the first host holds the one lock of the shared root meanwhile) and writes nothing in the layout.
 */
async function runNode(settings: Settings, target: HostTarget, opts: EngineOptions, first: HostContext): Promise<HostResult> {
  const report: HostResult = newHostReport(target.label)
  const held: Held = {}
  try {
    const ctx = await openHost(settings, target, opts, report, held)
    const want = first.state
    const firstLabel = first.target.label
    const sees = (p: Probe) => (want ? p.state?.live === want.live && p.state.state === want.state && liveTreeId(p) === want.live : p.stateText === null)
    await step(
      ctx,
      'shared code',
      async () => {
        // NFS clients cache attributes: give this node a few seconds to see the first host's switch.
        const deadline = Date.now() + (opts.sharedWaitMs ?? 10_000)
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
    if (ctx.state) {
      report.stateAfter = ctx.state.state
      report.liveTreeAfter = ctx.state.live
      report.revisionAfter = treeRevision(ctx.state.trees[ctx.state.live])
    }
    const ran = (name: string) => first.report.steps.some((s) => s.name === name && s.outcome === 'success')
    const done: string[] = []
    if (settings.dryRun) {
      // The modes whose switch is followed by after-switch and the health check.
      if (settings.mode === 'backtoprod' || settings.mode === 'deliver') {
        if (settings.afterSwitch) plan(ctx, 'run the after-switch command on this node after the switch')
        if (settings.healthUrl) plan(ctx, `check ${settings.healthUrl} from this node`)
      }
    } else {
      if (settings.afterSwitch && ran('after-switch')) {
        await runHook(ctx, 'after-switch', settings.afterSwitch)
        done.push('after-switch')
      }
      if (settings.healthUrl && ran('health')) {
        await healthCheck(ctx)
        done.push('health check')
      }
    }
    report.message = `shared code: delivered by ${firstLabel}${done.length ? `; ran here: ${done.join(', ')}` : '; no per-node step to run here'}`
    report.outcome = 'success'
  } catch (e) {
    const err = e as Error
    report.outcome = 'failure'
    report.error = describeError(err)
    opts.log.error(`${target.label}: ${report.error}`)
  } finally {
    await held.conn?.close()
  }
  return report
}

/**
 * Runs `run` for each index with the strategy: `rolling` one at a time, stopping at the first host that does not
 * succeed; otherwise at most `width` at once. Indices not run get a `skipped` report saying why.
 */
async function spread(
  indices: number[],
  strategy: Settings['strategy'],
  width: number,
  results: HostResult[],
  run: (i: number) => Promise<HostResult>,
  notRun: (i: number, why: string) => void,
): Promise<void> {
  if (strategy === 'rolling') {
    let stopped: string | undefined
    for (const i of indices) {
      if (stopped) notRun(i, `not run: ${stopped} did not succeed (strategy rolling stops at the first failure)`)
      else {
        results[i] = await run(i)
        if (results[i].outcome !== 'success') stopped = results[i].host
      }
    }
    return
  }
  let next = 0
  const worker = async () => {
    while (next < indices.length) {
      const i = indices[next++]
      results[i] = await run(i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, indices.length)) }, worker))
}

/** Runs the mode on every host with the chosen strategy. Reports are in the order of `hosts`. */
export async function runHosts(settings: Settings, opts: EngineOptions): Promise<HostResult[]> {
  const hosts = settings.hosts
  const results: HostResult[] = new Array(hosts.length)
  const notRun = (i: number, why: string) => {
    results[i] = { ...newHostReport(hosts[i].label), outcome: 'skipped', message: why }
  }
  const all = hosts.map((_, i) => i)
  const width = settings.maxParallel > 0 ? settings.maxParallel : hosts.length
  const tunnel = opts.tunnel ?? (settings.jump ? new JumpTunnel(settings.jump.target, settings.jump.auth, settings.hostKeys, settings.timeoutMs) : undefined)
  const o: EngineOptions = { ...opts, tunnel }
  if (settings.strategy === 'canary' && hosts.length > 1 && !settings.healthUrl) {
    opts.log.warning('strategy canary without health-url: the canary host is judged by its run alone; give health-url to check the site it serves')
  }
  try {
    if (settings.cluster && hosts.length > 1 && CLUSTER_MODES.includes(settings.mode)) {
      // The nodes of one site: one coordinated sequence (src/cluster.ts).
      await runCluster(settings, o, results)
    } else if (settings.sharedCode && hosts.length > 1 && settings.mode !== 'status') {
      // One code volume: the first host runs the mode; the others, while its lock is held, the per-node steps.
      const nodes = all.slice(1)
      results[0] = await runHost(settings, hosts[0], o, {
        afterMode: async (ctx) => {
          await spread(nodes, settings.strategy, width, results, (i) => runNode(settings, hosts[i], o, ctx), notRun)
          if (settings.dryRun) return
          await journal(ctx, 'nodes', { hosts: nodes.map((i) => ({ host: hosts[i].label, outcome: results[i].outcome, error: results[i].error })) }).catch((e: Error) =>
            opts.log.warning(`${hosts[0].label}: could not journal the nodes' outcomes: ${e.message}`),
          )
        },
      })
      for (const i of nodes) if (!results[i]) notRun(i, `not run: ${hosts[0].label}, which delivers the shared code, did not succeed`)
    } else if (settings.strategy === 'canary' && hosts.length > 1) {
      results[0] = await runHost(settings, hosts[0], o)
      if (results[0].outcome === 'success') await spread(all.slice(1), 'parallel', width, results, (i) => runHost(settings, hosts[i], o), notRun)
      else for (const i of all.slice(1)) notRun(i, `not run: the canary host ${hosts[0].label} did not succeed`)
    } else {
      await spread(all, settings.strategy, width, results, (i) => runHost(settings, hosts[i], o), notRun)
    }
  } finally {
    if (!opts.tunnel) tunnel?.close()
  }
  return results
}

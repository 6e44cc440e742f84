/**
 * Many hosts: the strategies (src/strategy.ts: parallel, rolling, canary, bounded by max-parallel), shared code, where
 * the first host delivers to the code volume and the others run the per-node steps (src/shared-code.ts), and clusters
 * (src/cluster.ts). Which of them a mode uses is in its row of the table of modes (src/modes/table.ts).
 */
import { runCluster } from './cluster.js'
import { type EngineOptions, type HostResult, runHost } from './engine.js'
import { modeRow } from './modes/table.js'
import type { Settings } from './settings.js'
import { runNode } from './shared-code.js'
import { journal } from './steps/context.js'
import { notRunReport, runStrategy, spread } from './strategy.js'
import { JumpTunnel } from './transport/jump.js'

/** Runs the mode on every host with the chosen strategy. Reports are in the order of `hosts`. */
export async function runHosts(settings: Settings, opts: EngineOptions): Promise<HostResult[]> {
  const hosts = settings.hosts
  const row = modeRow(settings.mode)
  const tunnel = opts.tunnel ?? (settings.jump ? new JumpTunnel(settings.jump.target, settings.jump.auth, settings.hostKeys, settings.timeoutMs) : undefined)
  const o: EngineOptions = { ...opts, tunnel }
  if (settings.strategy === 'canary' && hosts.length > 1 && !settings.healthUrl) {
    opts.log.warning('strategy canary without health-url: the canary host is judged by its run alone; give health-url to check the site it serves')
  }
  try {
    if (settings.cluster && hosts.length > 1 && row.cluster) {
      // The nodes of one site: one coordinated sequence (src/cluster.ts).
      const results: HostResult[] = new Array(hosts.length)
      await runCluster(settings, o, results)
      return results
    }
    if (settings.sharedCode && hosts.length > 1 && row.sharedCode === 'first-host') return await sharedCode(settings, o)
    return await runStrategy(
      hosts.map((h) => h.label),
      settings.strategy,
      settings.maxParallel,
      (i) => runHost(settings, hosts[i], o),
    )
  } finally {
    if (!opts.tunnel) tunnel?.close()
  }
}

/** One code volume: the first host runs the mode; the others, while its lock is held, the per-node steps. */
async function sharedCode(settings: Settings, opts: EngineOptions): Promise<HostResult[]> {
  const hosts = settings.hosts
  const results: HostResult[] = new Array(hosts.length)
  const notRun = (i: number, why: string) => {
    results[i] = notRunReport(hosts[i].label, why)
  }
  const nodes = hosts.map((_, i) => i).slice(1)
  const width = settings.maxParallel > 0 ? settings.maxParallel : hosts.length
  results[0] = await runHost(settings, hosts[0], opts, {
    afterMode: async (ctx) => {
      await spread(nodes, settings.strategy, width, results, (i) => runNode(settings, hosts[i], opts, ctx), notRun)
      if (settings.dryRun) return
      await journal(ctx, 'nodes', { hosts: nodes.map((i) => ({ host: hosts[i].label, outcome: results[i].outcome, error: results[i].error })) }).catch((e: Error) =>
        opts.log.warning(`${hosts[0].label}: could not journal the nodes' outcomes: ${e.message}`),
      )
    },
  })
  for (const i of nodes) if (!results[i]) notRun(i, `not run: ${hosts[0].label}, which delivers the shared code, did not succeed`)
  return results
}

/**
 * Web clusters (`cluster: true`): the hosts are the nodes of one site — one database, one shared moodledata, the code
 * on each node. deliver, backtoprod and goback run as one coordinated sequence: every node connects, takes its own
 * lock and prepares its work tree while the site serves; then the site-wide steps (before-upgrade, maintenance, cron,
 * upgrade, purge) run once, on the first node, and the per-node ones (switch, alternative component cache, local
 * cache, after-switch, health) on each. Every lock is held until the whole sequence is over.
 *
 * Here: the nodes meet under their locks and are released together. Which modes run so, and each node's part before the
 * switch, is the `cluster` field of the mode's row (src/modes/table.ts); the sequences are in src/cluster/deliver.ts
 * and src/cluster/goback.ts, what they share in src/cluster/nodes.ts, each node's own caches in src/cluster/caches.ts.
 */
import { type EngineOptions, type HostResult, runHost } from './engine.js'
import { modeRow } from './modes/table.js'
import type { Settings } from './settings.js'
import { Refusal, StepFailure } from './errors.js'
import { type HostContext, plan } from './steps/context.js'
import { ClusterDeliver } from './cluster/deliver.js'
import { ClusterGoback } from './cluster/goback.js'
import { each } from './cluster/nodes.js'

interface Deferred {
  promise: Promise<void>
  resolve(): void
  reject(e: Error): void
}

function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

/**
 * Runs deliver, backtoprod or goback on the nodes of one site. Each node runs in the engine (connect, sudo check,
 * lock, state checks) and waits, under its lock, for every other node; a node that cannot take part leaves every
 * node unchanged. Reports go into `results`, in the order of `hosts`.
 */
export async function runCluster(settings: Settings, opts: EngineOptions, results: HostResult[]): Promise<void> {
  const hosts = settings.hosts
  const joined: (HostContext | undefined)[] = new Array(hosts.length)
  const release = hosts.map(() => deferred())
  const everyone = deferred()
  let arrived = 0
  const arrive = () => {
    if (++arrived === hosts.length) everyone.resolve()
  }
  const runs = hosts.map((h, i) =>
    runHost(settings, h, opts, {
      mode: async (ctx) => {
        joined[i] = ctx
        arrive()
        await release[i].promise
      },
    }).then((r) => {
      results[i] = r
      if (!joined[i]) arrive()
    }),
  )
  await everyone.promise
  const absent = hosts.flatMap((_, i) => (joined[i] ? [] : [i]))
  if (absent.length) {
    const refused = absent.every((i) => results[i]?.outcome === 'refused')
    const why = `not run: ${absent.map((i) => `${hosts[i].label} (${results[i]?.error ?? 'did not start'})`).join('; ')}. The nodes of a cluster change together: nothing was changed here`
    for (const i of hosts.keys()) if (joined[i]) release[i].reject(refused ? new Refusal(why) : new StepFailure(why))
  } else {
    const nodes = joined as HostContext[]
    let errs: (Error | undefined)[]
    try {
      errs = await sequence(settings, nodes)
    } catch (e) {
      errs = nodes.map(() => e as Error)
    }
    nodes.forEach((_, i) => (errs[i] ? release[i].reject(errs[i]!) : release[i].resolve()))
  }
  await Promise.all(runs)
}

/** The coordinated sequence over nodes that all hold their locks. Returns each node's error. */
async function sequence(settings: Settings, nodes: HostContext[]): Promise<(Error | undefined)[]> {
  const lead = nodes[0]
  const run = modeRow(settings.mode).cluster!
  for (const ctx of nodes) ctx.report.cluster = { role: ctx === lead ? 'site' : 'node', site: lead.target.label }
  if (settings.dryRun) {
    const errs = await each(nodes, async (ctx) => {
      plan(ctx, `cluster: ${ctx === lead ? 'this node runs' : `${lead.target.label} runs`} the site-wide steps once (maintenance, cron, upgrade, purge); every node switches together and runs its own caches, after-switch and health check`)
      await run.plan(ctx)
    })
    // goback: the downgrade guard and the restore are the first node's alone, so its refusal is every node's, as in
    // the run itself (src/cluster/goback.ts).
    const e = errs[0]
    if (run.sequence !== 'back' || !e) return errs
    return errs.map((x, i) =>
      i === 0 ? x : (x ?? (e instanceof Refusal ? new Refusal(`goback refused on ${lead.target.label} for the cluster: ${e.message}`) : new StepFailure(`not switched: ${lead.target.label} failed its check: ${e.message}`))),
    )
  }
  return run.sequence === 'back' ? new ClusterGoback(settings, nodes).goback() : new ClusterDeliver(settings, nodes).deliver()
}

/**
 * Web clusters (`cluster: true`): the hosts are the nodes of one site — one database, one shared moodledata, the code
 * on each node. deliver, backtoprod and goback run as one coordinated sequence: every node connects, takes its own
 * lock and prepares its work tree while the site serves; then the site-wide steps (before-upgrade, maintenance, cron,
 * upgrade, purge) run once, on the first node, and the per-node ones (switch, alternative component cache, local
 * cache, after-switch, health) on each. Every lock is held until the whole sequence is over.
 */
import { Refusal, StepFailure } from './errors.js'
import { type SwitchPlan, UnsafeToGoBack } from './app/app.js'
import type { MoodleApp } from './app/moodle.js'
import { type EngineOptions, type HostResult, runHost } from './engine.js'
import { backtoprod } from './modes/backtoprod.js'
import { prepareDelivery } from './modes/deliver.js'
import { goback } from './modes/goback.js'
import { treeRevision } from './remote/state.js'
import type { Settings } from './settings.js'
import { type HostContext, journal, mustState, plan, skipped, step } from './steps/context.js'
import { healthCheck } from './steps/health.js'
import { runHook } from './steps/hooks.js'
import { freshPath, keepFiles, switchTo } from './steps/switch.js'
import { ConnectionError } from './transport/run.js'

/** The modes a cluster runs as one sequence; the others run on each node on its own (they change no served code). */
export const CLUSTER_MODES = ['deliver', 'backtoprod', 'goback']

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

/** Runs `fn` on every node at once; the error of each (undefined: it succeeded). */
async function each(nodes: HostContext[], fn: (ctx: HostContext, i: number) => Promise<void>): Promise<(Error | undefined)[]> {
  const r = await Promise.allSettled(nodes.map((ctx, i) => fn(ctx, i)))
  return r.map((x) => (x.status === 'rejected' ? (x.reason as Error) : undefined))
}

const labels = (nodes: HostContext[], idx: number[]) => idx.map((i) => nodes[i].target.label).join(', ')
const failedIdx = (errs: (Error | undefined)[]) => errs.flatMap((e, i) => (e ? [i] : []))

/** What a node's config.php says about its own caches, read without starting Moodle. */
interface NodeConfig {
  dataroot?: string
  localcachedir?: string
  alternative_component_cache?: string
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
  for (const ctx of nodes) ctx.report.cluster = { role: ctx === lead ? 'site' : 'node', site: lead.target.label }
  if (settings.dryRun) {
    return each(nodes, async (ctx) => {
      plan(ctx, `cluster: ${ctx === lead ? 'this node runs' : `${lead.target.label} runs`} the site-wide steps once (maintenance, cron, upgrade, purge); every node switches together and runs its own caches, after-switch and health check`)
      if (settings.mode === 'goback') await goback(ctx)
      else if (settings.mode === 'backtoprod') await backtoprod(ctx)
      else await prepareDelivery(ctx)
    })
  }
  return settings.mode === 'goback' ? new Cluster(settings, nodes).goback() : new Cluster(settings, nodes).deliver()
}

class Cluster {
  private readonly lead: HostContext
  private readonly errs: (Error | undefined)[]
  /** Per node: the tree live pointed at before the switch, and the one it points at after (once switched). */
  private readonly switched: ({ from: string; to: string } | undefined)[]
  /** Per node: the switch it was making when it failed, when its connection dropped meanwhile (it may have happened). */
  private readonly unsure: (string | undefined)[]
  /** Per node: the work tree that took its fresh path and kept files before the maintenance window. */
  private readonly prepared: (string | undefined)[] = []
  private readonly configs = new Map<HostContext, Promise<NodeConfig | undefined>>()

  constructor(
    private readonly settings: Settings,
    private readonly nodes: HostContext[],
  ) {
    this.lead = nodes[0]
    this.errs = nodes.map(() => undefined)
    this.switched = nodes.map(() => undefined)
    this.unsure = nodes.map(() => undefined)
  }

  private get moodle(): boolean {
    return this.lead.app.name === 'moodle'
  }

  /** Every node not failed yet fails with `why` (failed ones keep their own error). */
  private failRest(why: string): (Error | undefined)[] {
    return this.errs.map((e) => e ?? new StepFailure(why))
  }

  async deliver(): Promise<(Error | undefined)[]> {
    const { nodes, lead, settings } = this
    // 1. Each node's work tree, while the site serves.
    const prep = await each(nodes, async (ctx) => {
      if (settings.mode === 'deliver') await prepareDelivery(ctx)
      const state = mustState(ctx)
      const work = state.trees[state.work ?? '']
      if (settings.mode === 'backtoprod' && ctx.vcs.checkReady) await step(ctx, 'ready', () => ctx.vcs.checkReady!(work))
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
      await this.componentCache(ctx)
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
      await lead.app.afterSwitch(lead, sp, this.moodle ? () => this.localCaches(nodes.slice(1)) : undefined)
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
        await this.componentCache(ctx)
        if (this.moodle) await this.localCaches([ctx])
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
      if (this.moodle) await this.localCaches(nodes.slice(1)).catch((e: Error) => lead.log.warning(`local caches after going back: ${e.message}`))
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
      await this.componentCache(ctx).catch((e: Error) => ctx.log.warning(`${ctx.target.label}: ${e.message}`))
    })
    const stuck = [
      ...failedIdx(back).map((i) => `${nodes[i].target.label} could not be switched back (${back[i]!.message}): check it with mode status and run goback on it`),
      ...nodes.flatMap((c, i) =>
        this.unsure[i]
          ? [`${c.target.label} lost its connection during its switch (${this.unsure[i]}), which may have happened: check it with mode status (the next run records what is on disk) and run goback on it if it serves the new code`]
          : [],
      ),
    ]
    return stuck.join('; ')
  }

  /** A failure once the database was upgraded: nothing goes back; the report says what to do. */
  private async afterUpgradeFailure(sp: SwitchPlan, at: number, e: Error): Promise<(Error | undefined)[]> {
    if (e instanceof UnsafeToGoBack) return this.failedAfterUpgrade(e.message, e.restore, at)
    if (sp.databaseChanged) return this.failedAfterUpgrade(e.message, await this.lead.app.holdAfterFailure(this.lead, sp, e.message), at)
    this.errs[at] = e
    return this.rollback([at])
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
      await switchTo(ctx, state, id, { state: 'production', live: id, safe: safeId }, kept)
    } catch (e) {
      if (e instanceof ConnectionError) this.unsure[i] = `trees/${safeId} -> trees/${id}`
      throw e
    }
    this.switched[i] = { from: safeId, to: id }
    ctx.report.liveTreeAfter = id
  }

  /** after-switch and the health check of one node. */
  private async checkNode(ctx: HostContext): Promise<void> {
    if (this.settings.afterSwitch) await runHook(ctx, 'after-switch', this.settings.afterSwitch)
    if (this.settings.healthUrl) await healthCheck(ctx)
  }

  /** A node's `$CFG->localcachedir` and `$CFG->alternative_component_cache`, read once per run from its live tree. */
  private config(ctx: HostContext): Promise<NodeConfig | undefined> {
    let p = this.configs.get(ctx)
    if (!p) {
      p = readNodeConfig(ctx).catch((e: Error) => {
        ctx.log.warning(`${ctx.target.label}: could not read config.php (${e.message}): this node's local caches are left to Moodle`)
        return undefined
      })
      this.configs.set(ctx, p)
    }
    return p
  }

  /** `alternative_component_cache.php --rebuild` on a node whose config.php sets `$CFG->alternative_component_cache`. */
  private async componentCache(ctx: HostContext): Promise<void> {
    if (ctx.app.name !== 'moodle') return
    const cfg = await this.config(ctx)
    if (!cfg?.alternative_component_cache) return
    const app = ctx.app as MoodleApp
    const dir = ctx.layout.tree(mustState(ctx).live)
    await step(
      ctx,
      'component cache',
      async () => {
        const r = await app.cli(ctx, dir, 'alternative_component_cache.php', ['--rebuild'], 300_000)
        if (r.code !== 0) throw new StepFailure(`alternative_component_cache.php --rebuild failed (exit code ${r.code})${r.out ? `: ${r.out.split('\n').slice(-5).join('\n')}` : ''}`)
      },
      () => `rebuilt ${cfg.alternative_component_cache}`,
    )
  }

  /** Purges the local cache (`$CFG->localcachedir`, outside the shared moodledata) of each node, with Moodle's CLI. */
  private async localCaches(nodes: HostContext[]): Promise<void> {
    const errs = await each(nodes, async (ctx) => {
      const cfg = await this.config(ctx)
      const local = cfg?.localcachedir
      if (!cfg || !local || !cfg.dataroot || local === cfg.dataroot || local.startsWith(`${cfg.dataroot.replace(/\/+$/, '')}/`)) {
        skipped(ctx, 'local cache', cfg ? 'no $CFG->localcachedir of its own: the shared purge covers it' : 'config.php could not be read')
        return
      }
      const dir = ctx.layout.tree(mustState(ctx).live)
      await step(
        ctx,
        'local cache',
        async () => {
          const r = await (ctx.app as MoodleApp).cli(ctx, dir, 'purge_caches.php', ['--other'], 600_000)
          if (r.code !== 0) throw new StepFailure(`purge_caches.php --other failed on ${ctx.target.label} (exit code ${r.code})${r.out ? `: ${r.out.split('\n').slice(-5).join('\n')}` : ''}`)
        },
        () => `purged ${local}`,
      )
    })
    const bad = failedIdx(errs)
    if (bad.length) throw new StepFailure(bad.map((i) => errs[i]!.message).join('; '))
  }

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
      await this.componentCache(ctx)
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
        await this.componentCache(ctx).catch(() => undefined)
      })
      const stuck = failedIdx(back)
      return this.failRest(
        `goback undone: ${labels(nodes, bad)} failed its switch; ${stuck.length ? `${labels(nodes, stuck)} could not be switched back (run status there); the other nodes serve` : 'every node serves'} the code it served before (state production)`,
      )
    }
    if (sameCode.some((s) => !s)) {
      await lead.app.afterGoback(lead)
      if (this.moodle) await this.localCaches(nodes.slice(1)).catch((e: Error) => lead.log.warning(`local caches after goback: ${e.message}`))
    }
    if (settings.afterSwitch) {
      const r = await each(nodes, (ctx) => runHook(ctx, 'after-switch', settings.afterSwitch!).then(() => undefined))
      r.forEach((e, i) => (this.errs[i] = e))
    }
    return this.errs
  }
}

/**
 * Reads `$CFG` from a node's config.php as Moodle's own tools do without starting Moodle (CLI_SCRIPT and
 * ABORT_AFTER_CONFIG: lib/setup.php stops right after the config), as the code owner, with the `php` input's binary.
 */
async function readNodeConfig(ctx: HostContext): Promise<NodeConfig> {
  const dir = ctx.layout.tree(mustState(ctx).live)
  const r = await ctx.sh.run(
    `read config.php of ${ctx.target.label}`,
    `d=$1; php=$2
[ -f "$d/config.php" ] || { echo "no config.php in $d" >&2; exit 1; }
cd -- "$d"
exec "$php" -r '
define("CLI_SCRIPT", true);
define("ABORT_AFTER_CONFIG", true);
$CFG = new stdClass();
ob_start();
require "./config.php";
ob_end_clean();
$o = [];
foreach (["dataroot", "localcachedir", "alternative_component_cache"] as $k) {
  if (isset($CFG->$k) && is_string($CFG->$k)) $o[$k] = $CFG->$k;
}
echo "\\n@delivery-config@", json_encode($o, JSON_UNESCAPED_SLASHES), "\\n";
'`,
    [dir, ctx.settings.php],
    { timeoutMs: 60_000 },
  )
  const line = r.stdout.split('\n').find((l) => l.startsWith('@delivery-config@'))
  if (!line) throw new StepFailure('config.php printed no settings')
  return JSON.parse(line.slice('@delivery-config@'.length)) as NodeConfig
}

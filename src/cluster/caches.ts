/**
 * A cluster node's own caches: `$CFG->localcachedir` (outside the shared moodledata) and
 * `$CFG->alternative_component_cache`, read once per run from the node's config.php, then purged or rebuilt with
 * Moodle's CLI.
 */
import type { MoodleApp } from '../app/moodle.js'
import { StepFailure } from '../errors.js'
import { type HostContext, mustState, skipped, step } from '../steps/context.js'

/** What a node's config.php says about its own caches, read without starting Moodle. */
interface NodeConfig {
  dataroot?: string
  localcachedir?: string
  alternative_component_cache?: string
}

/** The caches of the nodes of one run (each node's config.php is read once). */
export class NodeCaches {
  private readonly configs = new Map<HostContext, Promise<NodeConfig | undefined>>()

  /** A node's `$CFG->localcachedir` and `$CFG->alternative_component_cache`, read once per run from its live tree. */
  config(ctx: HostContext): Promise<NodeConfig | undefined> {
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
  async componentCache(ctx: HostContext): Promise<void> {
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
  async localCaches(nodes: HostContext[]): Promise<void> {
    const settled = await Promise.allSettled(
      nodes.map(async (ctx) => {
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
      }),
    )
    const failed = settled.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []))
    if (failed.length) throw new StepFailure(failed.join('; '))
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

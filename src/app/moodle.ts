/**
 * Moodle: `config.php` kept in both trees, the code version read from `version.php`, and the CLI steps around a switch.
 * Moodle's CLI runs as the web user (it writes into moodledata).
 */
import type { HostContext } from '../steps/context.js'
import type { RemoteShell } from '../remote/shell.js'
import type { Layout } from '../remote/server.js'
import type { TreeRecord } from '../remote/state.js'
import type { AppDriver, AppVersion, SwitchPlan } from './app.js'

/** Reads `$release`, `$version` and `$branch` from the text of a Moodle version.php. */
export function parseVersionPhp(text: string): AppVersion | undefined {
  const str = (name: string) => new RegExp(`\\$${name}\\s*=\\s*'([^']*)'`).exec(text)?.[1]
  const version = /\$version\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*;/.exec(text)?.[1]
  const release = str('release')
  if (!version || !release) return undefined
  return { release, version, branch: str('branch') }
}

export class MoodleApp implements AppDriver {
  readonly name = 'moodle'
  readonly keep = ['config.php']

  constructor(
    private readonly sh: RemoteShell,
    private readonly layout: Layout,
  ) {}

  async version(tree: TreeRecord): Promise<AppVersion | undefined> {
    const r = await this.sh.run(
      `read the Moodle version of ${tree.id}`,
      `d=$1
if [ -f "$d/public/version.php" ]; then echo public=1; head -c 65536 "$d/public/version.php"; elif [ -f "$d/version.php" ]; then echo public=0; head -c 65536 "$d/version.php"; fi`,
      [this.layout.tree(tree.id)],
    )
    const v = parseVersionPhp(r.stdout)
    if (v) v.publicRoot = r.stdout.startsWith('public=1')
    return v
  }

  /** Runs a Moodle CLI script of a tree as the web user; returns the exit code and output. */
  async cli(ctx: HostContext, tree: TreeRecord, script: string, args: string[], nothrow = true) {
    const dir = this.layout.tree(tree.id)
    const v = await this.version(tree)
    const path = `${dir}${v?.publicRoot ? '/public' : ''}/admin/cli/${script}`
    const user = ctx.settings.webUser === ctx.target.user ? undefined : ctx.settings.webUser
    return ctx.sh.runAs(user, `moodle ${script} ${args.join(' ')}`.trim(), `php=$1; shift; exec "$php" "$@"`, [ctx.settings.php, path, ...args], {
      nothrow,
    })
  }

  async checkGoback(): Promise<void> {}

  async beforeSwitch(): Promise<SwitchPlan> {
    return { upgrade: false, maintenance: false, notes: [] }
  }

  async afterSwitch(ctx: HostContext): Promise<void> {
    const live = ctx.state?.live
    if (!live || !ctx.state) return
    await this.cli(ctx, ctx.state.trees[live], 'purge_caches.php', [], false)
  }
}

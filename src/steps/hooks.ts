/**
 * The user's own commands (`before-upgrade`, `after-switch`): run on the server by the login user's bash, from the
 * delivery root (or from the login user's home when it may not enter the root, as in sudo mode with a private root),
 * with DELIVERY_ROOT, DELIVERY_LIVE (the live tree's real path) and DELIVERY_MODE set. The command text travels as
 * one quoted argument and is run with `eval`: it is meant to be shell.
 */
import type { HostContext } from './context.js'
import { step } from './context.js'

export async function runHook(ctx: HostContext, name: 'before-upgrade' | 'after-switch', command: string): Promise<string> {
  return step(
    ctx,
    name,
    async () => {
      const live = ctx.state ? ctx.layout.tree(ctx.state.live) : ctx.layout.live
      const r = await ctx.sh.runAs(
        undefined,
        `the ${name} command`,
        `export DELIVERY_ROOT=$1 DELIVERY_LIVE=$2 DELIVERY_MODE=$3; cmd=$4
cd "$DELIVERY_ROOT" 2>/dev/null || cd
set +eu +o pipefail
eval "$cmd"`,
        [ctx.layout.root, live, ctx.settings.mode, command],
        { timeoutMs: 3600_000 },
      )
      return `${r.stdout}${r.stderr}`.trim()
    },
    (out) => (out ? out.split('\n').slice(-3).join(' | ').slice(0, 300) : 'done'),
  )
}

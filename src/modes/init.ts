/**
 * init: builds the layout — two complete trees (checked out from the repository, or copied whole from `adopt`), the
 * state, then `live`. A half-finished init (trees but no state.json) is cleaned and redone.
 */
import { looksLikeMoodle } from '../app/app.js'
import { LAYOUT_VERSION, newTreeId, type ServerState } from '../remote/state.js'
import { CLOSE_META, switchLive } from '../remote/server.js'
import { type HostContext, journal, plan, saveState, step } from '../steps/context.js'
import { adoptKeep } from '../steps/copy.js'
import { withoutCredentials } from '../credentials.js'

/**
 * Gives the second tree the first's timestamps (and whatever else rsync -a keeps), comparing content by checksum, so
 * that syncback, which compares size and nanosecond mtime, finds nothing to copy on the first delivery. Two checkouts
 * (and two copies) of one revision are written at different instants; their content is the same, so only the
 * timestamps change (a file whose content differed would be copied, as syncback would). Returns the entries changed
 * (-1: no rsync on the server). Each git worktree's index is refreshed after (it records each file's time).
 */
async function sameTimestamps(ctx: HostContext, first: string, second: string): Promise<number> {
  const excl = ctx.vcs.syncExcludes
  const r = await ctx.sh.run(
    `give ${second} the timestamps of ${first}`,
    `src=$1; dst=$2; shift 2
command -v rsync >/dev/null 2>&1 || { echo changed=-1; exit 0; }
args=(-a --checksum --modify-window=-1 --out-format='%i %n')
for e in "$@"; do args+=(--exclude="$e"); done
out=$(rsync "\${args[@]}" -- "$src/" "$dst/")
# A git worktree's index records each file's time: refreshed now, the first drift check does not hash every file of
# the second tree (its times changed), nor the files of either that were written in the second the index was
# written, which git cannot trust by their times ("racily clean") until an index is written in a later second.
if command -v git >/dev/null 2>&1; then
  for t in "$src" "$dst"; do [ ! -e "$t/.git" ] || git -C "$t" update-index -q --refresh >/dev/null 2>&1 || true; done
fi
echo "changed=$(printf '%s' "$out" | grep -c . || true)"`,
    [first, second, ...excl],
    { timeoutMs: 3600_000 },
  )
  const m = /changed=(-?\d+)/.exec(r.stdout)
  return m ? Number(m[1]) : -1
}

export async function init(ctx: HostContext): Promise<void> {
  const { settings, layout } = ctx
  const source = settings.adopt ? `the existing directory ${settings.adopt}` : `${settings.repository} at ${settings.ref || 'its default branch'}`
  if (settings.dryRun) {
    if (ctx.probe.trees.length) plan(ctx, `remove what a half-finished init left in ${layout.trees}`)
    plan(ctx, `create ${layout.trees}/<two new ids> from ${source}, then ${layout.live} pointing at the first`)
    return
  }
  if (ctx.probe.trees.length) {
    await step(ctx, 'clean half-finished init', () => ctx.vcs.cleanHalfInit())
  }
  // .delivery/ is closed to other users but for the status page (see CLOSE_META).
  await ctx.sh.run('create the layout', `${CLOSE_META}meta=$1; shift; for d in "$meta" "$@"; do mkdir -p -- "$d"; done; close_meta "$meta"`, [
    layout.meta,
    layout.trees,
    layout.drift,
    layout.sessions,
    layout.reports,
  ])
  const now = ctx.now()
  const ids = [newTreeId(now, settings.run.runId), newTreeId(now, settings.run.runId)]
  const result = await step(
    ctx,
    settings.adopt ? 'adopt' : 'checkout',
    () => (settings.adopt ? ctx.vcs.adopt(settings.adopt, ids) : ctx.vcs.init(ids)),
    (r) => `${source} -> trees/${ids[0]}, trees/${ids[1]} at ${r.revision}`,
  )
  ctx.commit = result.revision
  await step(ctx, 'same timestamps', () => sameTimestamps(ctx, layout.tree(ids[0]), layout.tree(ids[1])), (n) =>
    n < 0 ? 'the server has no rsync: the first syncback compares every file' : `trees/${ids[1]} took the timestamps of trees/${ids[0]} (${n} entr${n === 1 ? 'y' : 'ies'})`,
  )
  // An adopted checkout's origin may hold a token (https://user:TOKEN@host/...): it is never recorded.
  const repository = withoutCredentials(result.repository)
  if (repository !== result.repository) {
    ctx.log.warning(`${ctx.target.label}: the adopted checkout's origin holds credentials; recorded without them as ${repository}. Give them as repository-username and repository-password`)
  }
  let app = settings.app as string
  if (app === 'auto') app = (await looksLikeMoodle(ctx.sh, layout.tree(ids[0]))) ? 'moodle' : 'none'
  if (settings.adopt) {
    // A copy by a code owner outside config.php's group (the web server's) silently changes its group: checked and
    // fixed (or init fails) before state.json and live exist.
    const keep = app === 'moodle' ? [...new Set([...ctx.keep, 'config.php'])].sort() : ctx.keep
    const adopted = settings.adopt
    await step(ctx, 'keep files', () => adoptKeep(ctx, adopted, ids.map((id) => layout.tree(id)), keep), (linked) =>
      linked.length ? `${linked.join(', ')}: linked to ${adopted} (a copy could not keep the group)` : `mode and group as in ${adopted}`,
    )
  }
  const at = now.toISOString()
  const state: ServerState = {
    layout: LAYOUT_VERSION,
    state: 'production',
    live: ids[0],
    safe: ids[1],
    trees: Object.fromEntries(ids.map((id, i) => [id, { id, revision: result.revision, served: i === 0, dirty: false, updatedAt: at }])),
    method: settings.method,
    repository,
    ref: settings.ref,
    app,
    updatedAt: at,
  }
  // state.json first, then live: a run that dies in between leaves a state whose live tree is complete (reconciled).
  await saveState(ctx, state)
  await step(ctx, 'switch', () => switchLive(ctx.sh, layout, ids[0]), () => `live -> trees/${ids[0]}`)
  await journal(ctx, 'init', { trees: ids, revision: result.revision, source, app })
  ctx.report.revisionAfter = result.revision
  if (result.submodules) ctx.report.submodules = result.submodules
  ctx.report.liveTreeAfter = ids[0]
}

/**
 * status: read-only. State, which tree is live, each tree's revision and app version, the lock holder, drift of the
 * live tree. With no layout it succeeds and says so.
 */
import { liveTreeId } from '../remote/server.js'
import { treeRevision, unfinishedRestore } from '../remote/state.js'
import type { HostContext } from '../steps/context.js'
import { checkDrift } from '../steps/drift.js'
import { listSessions, readSession } from '../session/sessions.js'

/** The open session (with its interventions so far) and the recent sessions, newest first. */
async function sessionStatus(ctx: HostContext): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  const { records, damaged } = await listSessions(ctx.sh, ctx.layout)
  if (ctx.probe.session) {
    try {
      const open = await readSession(ctx.sh, ctx.layout, ctx.probe.session)
      out.open = { ...open.record, interventions: open.interventions.length, damagedLines: open.damaged.length || undefined }
    } catch (e) {
      out.open = { id: ctx.probe.session, error: (e as Error).message }
    }
  }
  if (ctx.probe.sessionError) {
    out.open = { error: ctx.probe.sessionError }
    ctx.log.warning(ctx.probe.sessionError)
  }
  out.recent = records.map((r) => ({ id: r.id, title: r.title, status: r.status, openedAt: r.openedAt, closedAt: r.closedAt }))
  if (damaged.length) out.damaged = damaged
  return out
}

export async function status(ctx: HostContext): Promise<void> {
  const p = ctx.probe
  const info: Record<string, unknown> = { root: ctx.layout.root, user: p.user }
  ctx.report.status = info
  if (p.lock) info.lock = { ...p.lock, ageSeconds: p.lockAgeS }
  const page = `${ctx.layout.reports}/index.html`
  const [sessions, found] = await Promise.all([sessionStatus(ctx), ctx.sh.run('look for the status page', '[ -f "$1" ] && echo yes || true', [page])])
  info.sessions = sessions
  if (found.stdout.trim() === 'yes') {
    info.statusPage = page
    ctx.log.info(`${ctx.target.label}: status page ${page} (written by each run that changes this server)`)
  }
  if (!ctx.state) {
    info.layout = p.stateError ? 'damaged' : p.liveExists ? 'live exists without .delivery/state.json' : 'none'
    if (p.stateError) info.error = p.stateError
    ctx.report.message = p.stateError ?? `No delivery layout at ${ctx.layout.root}${p.trees.length ? ' (trees left by a half-finished init: init will clean them)' : ''}: run mode init to create one`
    return
  }
  const s = ctx.state
  info.state = s.state
  info.live = s.live
  info.liveTarget = p.liveTarget
  if (liveTreeId(p) !== s.live) info.warning = `live points at ${p.liveTarget || 'nothing'}, state.json says trees/${s.live}`
  info.safe = s.safe
  if (s.work) info.work = s.work
  info.method = s.method
  info.repository = s.repository
  info.ref = s.ref
  info.app = s.app
  info.lastRun = s.lastRun
  if (s.supersave) info.supersave = s.supersave
  const trees: Record<string, unknown> = {}
  for (const t of Object.values(s.trees)) {
    const v = await ctx.app.version(t)
    trees[t.id] = { revision: treeRevision(t), base: t.revision, paths: t.paths, app: v?.release, version: v?.version, branch: v?.branch, updatedAt: t.updatedAt }
  }
  info.trees = trees
  const live = s.trees[s.live]
  ctx.report.revisionAfter = treeRevision(live)
  ctx.report.liveTreeAfter = s.live
  await checkDrift(ctx, live, 'live', { save: false })
  const site = await siteStatus(ctx, info)
  if (s.restoring) {
    info.restoring = s.restoring
    site.unshift(unfinishedRestore(s))
    ctx.log.warning(`${ctx.target.label}: ${unfinishedRestore(s)}`)
  }
  const roles = s.state === 'production' ? `live trees/${s.live}, safe trees/${s.safe}` : `live (safe) trees/${s.live}, work trees/${s.work}`
  ctx.report.message = `${s.state}: ${roles}${p.lock ? `; locked by run ${p.lock.runId} of ${p.lock.actor} for ${p.lockAgeS} s` : ''}${info.statusPage ? `; status page ${page}` : ''}${site.length ? `. ${site.join('; ')}` : ''}`
}

/** The app's view of the site (Moodle: maintenance, cron, database), in `info.site`; returns its warnings. */
async function siteStatus(ctx: HostContext, info: Record<string, unknown>): Promise<string[]> {
  if (!ctx.app.siteStatus) return []
  try {
    const s = await ctx.app.siteStatus(ctx)
    if (!s) return []
    info.site = { ...s.facts, ...(s.warnings.length ? { warnings: s.warnings } : {}) }
    for (const w of s.warnings) ctx.log.warning(`${ctx.target.label}: ${w}`)
    return [...s.warnings]
  } catch (e) {
    const why = `the site's state could not be read: ${(e as Error).message}`
    info.site = { error: why }
    ctx.log.warning(`${ctx.target.label}: ${why}`)
    return []
  }
}

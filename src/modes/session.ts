/**
 * session-open / session-close, and the joining of interventions: a session groups the interventions of one delivery,
 * run after run; its history stays on the server.
 */
import type { HostReport } from '../report/model.js'
import { appendIntervention, type Intervention, readSession, type SessionData, type SessionRecord, writeSession } from '../session/sessions.js'
import { type HostContext, journal, plan, step } from '../steps/context.js'

export async function sessionOpen(ctx: HostContext): Promise<void> {
  const { settings } = ctx
  const id = settings.run.sessionId
  ctx.sessionId = id
  if (settings.dryRun) {
    plan(ctx, `open session ${id}: ${settings.sessionTitle}`)
    return
  }
  const record: SessionRecord = {
    id,
    title: settings.sessionTitle,
    description: settings.sessionDescription,
    impact: settings.sessionImpact,
    status: 'open',
    openedAt: ctx.now().toISOString(),
    openedBy: settings.run.actor,
    openRunUrl: settings.run.runUrl,
  }
  await step(ctx, 'open session', () => writeSession(ctx.sh, ctx.layout, record, settings.secrets), () => `${id}: ${record.title}`)
  ctx.sessionData = { record, interventions: [], damaged: [] }
  await journal(ctx, 'session-open', { session: id, title: record.title })
}

export async function sessionClose(ctx: HostContext): Promise<SessionData> {
  const { settings } = ctx
  const open = ctx.probe.session
  ctx.sessionId = open
  const data = await step(ctx, 'read session', () => readSession(ctx.sh, ctx.layout, open), (d) => `${d.interventions.length} intervention(s)`)
  if (data.damaged.length) ctx.log.warning(`session ${open}: ${data.damaged.length} line(s) of its intervention file could not be read and are left out: ${data.damaged.join(' | ')}`)
  ctx.sessionData = data
  if (settings.dryRun) {
    plan(ctx, `close session ${open} (${data.interventions.length} intervention(s))`)
    return data
  }
  const record: SessionRecord = {
    ...data.record,
    status: 'closed',
    closedAt: ctx.now().toISOString(),
    closedBy: settings.run.actor,
    closeRunUrl: settings.run.runUrl,
    outputState: settings.sessionOutputState,
    followup: settings.sessionFollowup,
  }
  await step(ctx, 'close session', () => writeSession(ctx.sh, ctx.layout, record, settings.secrets), () => open)
  await journal(ctx, 'session-close', { session: open })
  ctx.sessionData = { ...data, record }
  return ctx.sessionData
}

/** Records an intervention (its outcome and files) in the open session. */
export async function joinSession(ctx: HostContext, report: HostReport): Promise<void> {
  const id = ctx.sessionId
  if (!id) return
  const { settings } = ctx
  const i: Intervention = {
    at: ctx.now().toISOString(),
    runId: settings.run.runId,
    actor: settings.run.actor,
    runUrl: settings.run.runUrl,
    mode: settings.mode,
    host: ctx.target.label,
    ref: settings.ref,
    commit: ctx.commit ?? '',
    paths: settings.paths,
    comment: settings.comment,
    outcome: report.outcome,
    error: report.error,
    revisionBefore: report.revisionBefore,
    revisionAfter: report.revisionAfter,
    rolledBack: report.rolledBack || undefined,
    files: report.files,
  }
  await appendIntervention(ctx.sh, ctx.layout, id, i, settings.secrets)
}

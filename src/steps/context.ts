/**
 * What every step of a mode receives for one host: the settings, the remote shell, the layout, the code-source and
 * application drivers, the host's report section, and the state as last read or written.
 */
import type { AppDriver } from '../app/app.js'
import { Refusal } from '../errors.js'
import type { SessionData } from '../session/sessions.js'
import type { Logger } from '../log.js'
import type { HostReport, Outcome } from '../report/model.js'
import { appendJournal, type JournalEntry, type Layout, type Probe, writeState } from '../remote/server.js'
import type { RemoteShell } from '../remote/shell.js'
import type { ServerState } from '../remote/state.js'
import type { HostTarget, Settings } from '../settings.js'
import type { VcsDriver } from '../vcs/driver.js'

export interface HostContext {
  settings: Settings
  target: HostTarget
  sh: RemoteShell
  layout: Layout
  vcs: VcsDriver
  app: AppDriver
  log: Logger
  report: HostReport
  probe: Probe
  /** The state as last read or written (null before init). */
  state: ServerState | null
  /** Keep paths in force: the app's own plus the `keep` input. */
  keep: string[]
  /** The commit (revision) the ref resolved to, once known. */
  commit?: string
  /** The commit this run's fetch of the ref gave (deliver's checks), which the update then takes without a second fetch. */
  fetched?: string
  /** The delivery session this run opened, joined or closed. */
  sessionId?: string
  /** session-open / session-close: the session as it stands after the run. */
  sessionData?: SessionData
  /** The site stays in maintenance mode after this run, as its admin set it (why): the health check cannot judge it. */
  maintenanceKept?: string
  now(): Date
}

/** Runs one named step, timing it and recording its outcome in the host's report. */
export async function step<T>(ctx: HostContext, name: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> {
  const started = Date.now()
  ctx.log.info(`${ctx.target.label}: ${name}`)
  try {
    const result = await fn()
    ctx.report.steps.push({ name, outcome: 'success', ms: Date.now() - started, detail: detail?.(result) })
    return result
  } catch (e) {
    const outcome: Outcome = e instanceof Refusal ? 'refused' : 'failure'
    ctx.report.steps.push({ name, outcome, ms: Date.now() - started, detail: (e as Error).message })
    throw e
  }
}

/** Records a step that was not run (dry run, or not needed). */
export function skipped(ctx: HostContext, name: string, detail: string): void {
  ctx.report.steps.push({ name, outcome: 'skipped', ms: 0, detail })
}

/** Adds a sentence to the dry run's plan. */
export function plan(ctx: HostContext, sentence: string): void {
  ctx.report.plan ??= []
  ctx.report.plan.push(sentence)
}

/**
 * Writes the state (stamped with this run) and keeps it in the context. With `event`, the journal records it in the
 * same server command, right after the state (see `journal`).
 */
export async function saveState(ctx: HostContext, state: ServerState, event?: string, data: Record<string, unknown> = {}): Promise<void> {
  const at = ctx.now().toISOString()
  state.updatedAt = at
  state.lastRun = { runId: ctx.settings.run.runId, mode: ctx.settings.mode, actor: ctx.settings.run.actor, at }
  await writeState(ctx.sh, ctx.layout, state, event === undefined ? undefined : journalEntry(ctx, event, data), ctx.settings.secrets)
  ctx.state = state
}

/** Appends one intervention event to the server's journal. */
export async function journal(ctx: HostContext, event: string, data: Record<string, unknown> = {}): Promise<void> {
  await appendJournal(ctx.sh, ctx.layout, journalEntry(ctx, event, data), ctx.settings.secrets)
}

function journalEntry(ctx: HostContext, event: string, data: Record<string, unknown>): JournalEntry {
  return {
    at: ctx.now().toISOString(),
    runId: ctx.settings.run.runId,
    actor: ctx.settings.run.actor,
    mode: ctx.settings.mode,
    event,
    host: ctx.target.label,
    ...data,
  }
}

/** The state, which must exist (the caller checked). */
export function mustState(ctx: HostContext): ServerState {
  if (!ctx.state) throw new Refusal(`No delivery layout at ${ctx.settings.path}: run mode init first`)
  return ctx.state
}

/**
 * Whether the mode may run on this host: the checks before the lock (a live run holds it, the method, the mode's fit,
 * a damaged state or session, missing tools), then, for a mode that writes, the lock and the same checks again under
 * it (another run may have changed the state meanwhile), a run that died mid-way reconciled, and the journal's start.
 */
import { acquireLock, describeHolder, HeldLock } from '../remote/lock.js'
import { parseProbe, PROBE, probe } from '../remote/server.js'
import { modeRow, refusal } from '../modes/table.js'
import { Refusal, StepFailure } from '../errors.js'
import { type HostContext, journal } from '../steps/context.js'
import { needsReconcile, reconcile } from '../steps/switch.js'
import type { EngineOptions } from './skeleton.js'

/** Whether this run changes the server (a mode that writes, not in a dry run): it then takes the lock. */
export function writes(ctx: HostContext): boolean {
  return modeRow(ctx.settings.mode).writes && !ctx.settings.dryRun
}

/** The checks before the lock; throws the refusal or failure that stops the run. Writes nothing. */
export function preflight(ctx: HostContext, opts: EngineOptions): void {
  const { settings, probe: p, vcs } = ctx
  const row = modeRow(settings.mode)
  const write = writes(ctx)
  // A live run holds the lock: say so first, before any advice about the state it is changing.
  if (write && p.lock && p.lock.runId !== settings.run.runId && p.lockAgeS < settings.lockTimeoutS) {
    const after = refusal(settings.mode, p, settings.path, settings.session)
    throw new StepFailure(
      `${settings.path} is locked by ${describeHolder(p.lock)}, whose last sign of life was ${p.lockAgeS} s ago: that run is active. Wait for it to end (or cancel it); the lock is taken over only when it shows no life for lock-timeout (${settings.lockTimeoutS} s)${after ? `. Then: ${after}` : ''}`,
    )
  }
  if (p.lock && !write) {
    const stale = p.lockAgeS >= settings.lockTimeoutS
    const msg = `the lock is held by run ${p.lock.runId} of ${p.lock.actor} (started ${p.lock.startedAt}, last sign of life ${p.lockAgeS} s ago)${stale ? ', stale: a real run would take it over' : ''}`
    if (settings.dryRun && row.writes && !stale) throw new StepFailure(`${msg}: a real run would fail now`)
    if (!row.inspects) opts.log.warning(msg)
  }
  if (p.state && p.state.method !== settings.method && row.source === 'layout') {
    throw new Refusal(`The layout at ${settings.path} was initialised with method ${p.state.method}, not ${settings.method}: set method: ${p.state.method}`)
  }
  const refused = refusal(settings.mode, p, settings.path, settings.session)
  // A run that died between a change and its record: the mode's fit is judged after reconcile, under the lock.
  if (refused && !(write && p.state && needsReconcile(p, p.state))) throw new Refusal(refused)
  if (p.stateError && !row.inspects) throw new StepFailure(p.stateError)
  if (p.sessionError && !row.inspects) throw new StepFailure(p.sessionError)
  const missing = (row.writes ? vcs.tools : []).filter((t) => p.tools[t] === false)
  if (missing.length && row.source !== 'none') {
    throw new StepFailure(`the server lacks ${missing.join(', ')}, needed by method ${vcs.method}: install it on the server`)
  }
}

/** The lock of a host's run, once taken (`locked` is set as soon as it is, for the run's end). */
export interface Locking {
  locked: boolean
  lock?: HeldLock
}

/** Takes the lock, looks again under it, reconciles a run that died mid-way and journals the start. */
export async function takeLock(ctx: HostContext, opts: EngineOptions, locking: Locking): Promise<void> {
  const { settings, target, sh, layout } = ctx
  const { log } = opts
  const now = opts.now ?? (() => new Date())
  const info = { runId: settings.run.runId, actor: settings.run.actor, host: target.label, pid: 0, startedAt: now().toISOString(), mode: settings.mode }
  const started = Date.now()
  // The look again under the lock (below) is made by the same server command, once the lock is taken.
  const res = await acquireLock(sh, layout, info, settings.lockTimeoutS, { script: PROBE, args: [layout.root] })
  if (!res.acquired) {
    const h = res.holder
    throw new StepFailure(
      h
        ? `${settings.path} is locked by ${describeHolder(h)}, whose last sign of life was ${res.ageS} s ago; it is taken over only when it shows no life for lock-timeout (${settings.lockTimeoutS} s). Wait for that run, or cancel it`
        : `${settings.path} is locked (${res.ageS} s ago) and the lock file cannot be read: check ${layout.lock}`,
    )
  }
  locking.locked = true
  opts.onLock?.(target, true)
  const lock = new HeldLock(sh, layout, settings.run.runId, res.takenOver, (m) => log.warning(m))
  locking.lock = lock
  sh.guard = lock.guard
  lock.start()
  ctx.report.steps.push({ name: 'lock', outcome: 'success', ms: Date.now() - started, detail: res.takenOver ? `took over the stale lock of run ${res.takenOver.runId}` : undefined })
  if (res.takenOver) {
    log.warning(`${target.label}: took over the stale lock of run ${res.takenOver.runId} of ${res.takenOver.actor} (started ${res.takenOver.startedAt})`)
  }
  // Look again under the lock: another run may have changed the state meanwhile.
  const p = res.after !== undefined ? parseProbe(res.after, layout) : await probe(sh, layout)
  ctx.probe = p
  ctx.state = p.state
  const again = refusal(settings.mode, p, settings.path, settings.session)
  if (again && !(p.state && needsReconcile(p, p.state))) throw new Refusal(again)
  if (p.stateError) throw new StepFailure(p.stateError)
  if (p.sessionError) throw new StepFailure(p.sessionError)
  if (res.takenOver) await journal(ctx, 'lock-takeover', { from: res.takenOver })
  await journal(ctx, 'start', { ref: settings.ref, paths: settings.paths, comment: settings.comment || undefined, runUrl: settings.run.runUrl || undefined, trigger: settings.run.event })
  if (ctx.state) await reconcile(ctx, ctx.state)
  if (again) {
    const fits = refusal(settings.mode, { ...p, state: ctx.state }, settings.path, settings.session)
    if (fits) throw new Refusal(fits)
  }
  if (modeRow(settings.mode).intervention && p.session) ctx.sessionId = p.session
}

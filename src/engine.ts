/**
 * The engine: for each host, connect once, look at the server, check that the mode fits, take the lock, run the
 * mode's steps, record the outcome, release the lock. Hosts run in parallel (or rolling, or canary).
 */
import { type AppDriver, NoApp } from './app/app.js'
import { MoodleApp } from './app/moodle.js'
import type { Logger } from './log.js'
import { backtoprod } from './modes/backtoprod.js'
import { deliver } from './modes/deliver.js'
import { refusal, WRITING_MODES } from './modes/fit.js'
import { goback } from './modes/goback.js'
import { init } from './modes/init.js'
import { status } from './modes/status.js'
import { syncback } from './modes/syncback.js'
import { update } from './modes/update.js'
import { type HostReport, newHostReport } from './report/model.js'
import { acquireLock, Layout, type LockInfo, probe, releaseLock } from './remote/server.js'
import { RemoteShell } from './remote/shell.js'
import { StateError, treeRevision } from './remote/state.js'
import type { HostTarget, Settings } from './settings.js'
import { type HostContext, journal, Refusal, StepFailure } from './steps/context.js'
import { reconcile } from './steps/switch.js'
import { ConnectionError, RunError } from './transport/run.js'
import { SshConnection } from './transport/ssh.js'
import type { VcsContext } from './vcs/driver.js'
import { createDriver } from './vcs/index.js'

export interface EngineOptions {
  log: Logger
  now?: () => Date
  /** Called once a host's connection is open (tests use it to cut the connection at a chosen moment). */
  onConnected?: (host: HostTarget, conn: SshConnection) => void
  /** Called when a host's lock is taken or released (the Action's post step uses it). */
  onLock?: (host: HostTarget, held: boolean) => void
}

async function runMode(ctx: HostContext): Promise<void> {
  const { settings } = ctx
  switch (settings.mode) {
    case 'init':
      return init(ctx)
    case 'status':
      return status(ctx)
    case 'syncback':
      return syncback(ctx, settings.paths, false)
    case 'supersyncback':
      return syncback(ctx, settings.paths, true)
    case 'goback':
      return goback(ctx)
    case 'update':
      return update(ctx)
    case 'backtoprod':
      return backtoprod(ctx)
    case 'deliver':
      return deliver(ctx)
    default:
      throw new StepFailure(`mode ${settings.mode} is not available in this version`)
  }
}

function lockJson(info: Omit<LockInfo, 'pid'>): { before: string; after: string; full: string } {
  const body = JSON.stringify(info)
  const before = `${body.slice(0, -1)},"pid":`
  return { before, after: '}', full: `${before}0}` }
}

function chooseApp(settings: Settings, stateApp: string | undefined, sh: RemoteShell, layout: Layout): AppDriver {
  const app = settings.app === 'auto' ? (stateApp ?? 'none') : settings.app
  return app === 'moodle' ? new MoodleApp(sh, layout) : new NoApp()
}

/** Ends the remote work of a run whose connection was lost, and releases its lock, over a fresh connection. */
async function cleanupAfterLoss(settings: Settings, target: HostTarget, layout: Layout, log: Logger): Promise<void> {
  try {
    const conn = await SshConnection.connect({ target, auth: settings.auth, hostKeys: settings.hostKeys, timeoutMs: settings.timeoutMs, jump: settings.jump, secrets: settings.secrets, attempts: 2 })
    try {
      const sh = new RemoteShell(conn, { runId: settings.run.runId, sudoUser: settings.sudoUser, setsid: false })
      if (await releaseLock(sh, layout, settings.run.runId, true)) log.warning(`${target.label}: released the lock after the connection was lost`)
    } finally {
      await conn.close()
    }
  } catch (e) {
    log.warning(`${target.label}: could not release the lock after the connection was lost (${(e as Error).message}); the post step or the next run (after lock-timeout) will`)
  }
}

/** Runs the mode on one host. Never throws: the outcome and error are in the returned report. */
export async function runHost(settings: Settings, target: HostTarget, opts: EngineOptions): Promise<HostReport & { commit?: string }> {
  const { log } = opts
  const now = opts.now ?? (() => new Date())
  const report: HostReport & { commit?: string } = newHostReport(target.label)
  const layout = new Layout(settings.path)
  let conn: SshConnection | undefined
  let ctx: HostContext | undefined
  let locked = false
  const started = Date.now()
  try {
    conn = await SshConnection.connect({
      target,
      auth: settings.auth,
      hostKeys: settings.hostKeys,
      timeoutMs: settings.timeoutMs,
      jump: settings.jump,
      secrets: settings.secrets,
      onRetry: (m) => log.warning(m),
    })
    report.steps.push({ name: 'connect', outcome: 'success', ms: Date.now() - started })
    opts.onConnected?.(target, conn)
    const probeShell = new RemoteShell(conn, { runId: settings.run.runId, sudoUser: settings.sudoUser, setsid: false })
    let p = await probe(probeShell, layout)
    const sh = new RemoteShell(conn, { runId: settings.run.runId, sudoUser: settings.sudoUser, setsid: p.tools.setsid === true })
    const method = p.state?.method ?? settings.method
    const vcsCtx: VcsContext = { sh, layout, settings, log }
    const vcs = createDriver(method, vcsCtx)
    const app = chooseApp(settings, p.state?.app, sh, layout)
    ctx = {
      settings,
      target,
      sh,
      layout,
      vcs,
      app,
      log,
      report,
      probe: p,
      state: p.state,
      keep: [...new Set([...app.keep, ...settings.keep])].sort(),
      now,
    }
    vcsCtx.keep = ctx.keep
    if (p.state && p.state.method !== settings.method && ['update', 'deliver'].includes(settings.mode)) {
      throw new Refusal(
        `The layout at ${settings.path} was initialised with method ${p.state.method}, not ${settings.method}: set method: ${p.state.method}`,
      )
    }
    const refused = refusal(settings.mode, p, settings.path)
    if (refused) throw new Refusal(refused)
    if (p.stateError && settings.mode !== 'status') throw new StepFailure(p.stateError)
    const missing = (WRITING_MODES.includes(settings.mode) ? vcs.tools : []).filter((t) => p.tools[t] === false)
    if (missing.length && ['init', 'update', 'deliver'].includes(settings.mode)) {
      throw new StepFailure(`the server lacks ${missing.join(', ')}, needed by method ${method}: install it on the server`)
    }
    const writes = WRITING_MODES.includes(settings.mode) && !settings.dryRun
    if (p.lock && (!writes || settings.dryRun)) {
      const stale = p.lockAgeS >= settings.lockTimeoutS
      const msg = `the lock is held by run ${p.lock.runId} of ${p.lock.actor} (started ${p.lock.startedAt}, ${p.lockAgeS} s ago)${stale ? ', stale: a real run would take it over' : ''}`
      if (settings.dryRun && WRITING_MODES.includes(settings.mode) && !stale) throw new StepFailure(`${msg}: a real run would fail now`)
      if (settings.mode !== 'status') log.warning(msg)
    }
    if (writes) {
      const info = { runId: settings.run.runId, actor: settings.run.actor, host: target.label, startedAt: now().toISOString(), mode: settings.mode }
      const json = lockJson(info)
      const started = Date.now()
      const res = await acquireLock(sh, layout, { ...info, pid: 0 }, settings.lockTimeoutS)
      if (!res.acquired) {
        const h = res.holder
        throw new StepFailure(
          h
            ? `${settings.path} is locked by run ${h.runId} of ${h.actor} on ${h.host} (mode ${h.mode ?? '?'}, started ${h.startedAt}, ${res.ageS} s ago); it will be taken over after lock-timeout (${settings.lockTimeoutS} s). Wait for that run, or cancel it`
            : `${settings.path} is locked (${res.ageS} s ago) and the lock file cannot be read: check ${layout.lock}`,
        )
      }
      locked = true
      opts.onLock?.(target, true)
      sh.lock = { path: layout.lock, jsonBefore: json.before, jsonAfter: json.after }
      report.steps.push({ name: 'lock', outcome: 'success', ms: Date.now() - started, detail: res.takenOver ? `took over the stale lock of run ${res.takenOver.runId}` : undefined })
      if (res.takenOver) {
        log.warning(`${target.label}: took over the stale lock of run ${res.takenOver.runId} of ${res.takenOver.actor} (started ${res.takenOver.startedAt})`)
      }
      // Look again under the lock: another run may have changed the state meanwhile.
      p = await probe(sh, layout)
      ctx.probe = p
      ctx.state = p.state
      const again = refusal(settings.mode, p, settings.path)
      if (again) throw new Refusal(again)
      if (p.stateError) throw new StepFailure(p.stateError)
      if (res.takenOver) await journal(ctx, 'lock-takeover', { from: res.takenOver })
      await journal(ctx, 'start', { ref: settings.ref, paths: settings.paths, comment: settings.comment || undefined, runUrl: settings.run.runUrl || undefined, trigger: settings.run.event })
      if (ctx.state) await reconcile(ctx, ctx.state)
    }
    const before = ctx.state
    if (before) {
      report.stateBefore = before.state
      report.liveTreeBefore = before.live
      report.revisionBefore = treeRevision(before.trees[before.live])
      report.appVersionBefore = (await app.version(before.trees[before.live]))?.release
    }
    await runMode(ctx)
    const after = ctx.state
    if (after) {
      report.stateAfter = after.state
      report.liveTreeAfter = after.live
      if (settings.mode !== 'update' && !settings.dryRun) report.revisionAfter = treeRevision(after.trees[after.live])
      report.appVersionAfter = (await app.version(after.trees[after.live]))?.release
    }
    report.commit = ctx.commit
    report.outcome = 'success'
  } catch (e) {
    const err = e as Error
    report.outcome = e instanceof Refusal ? 'refused' : 'failure'
    report.error = err instanceof RunError || err instanceof ConnectionError || err instanceof StepFailure || err instanceof Refusal || err instanceof StateError ? err.message : `${err.name}: ${err.message}`
    if (ctx?.state) {
      report.stateAfter = ctx.state.state
      report.liveTreeAfter = ctx.state.live
    }
    log.error(`${target.label}: ${report.error}`)
  } finally {
    if (locked && conn && ctx) {
      const lost = conn.lost
      if (lost) {
        await cleanupAfterLoss(settings, target, layout, log)
      } else {
        try {
          await journal(ctx, 'end', { outcome: report.outcome, error: report.error, rolledBack: report.rolledBack || undefined })
          await releaseLock(ctx.sh, layout, settings.run.runId)
        } catch (e) {
          log.warning(`${target.label}: could not release the lock: ${(e as Error).message}`)
          await cleanupAfterLoss(settings, target, layout, log)
        }
      }
      opts.onLock?.(target, false)
    }
    await conn?.close()
  }
  return report
}

/** Runs the mode on every host with the chosen strategy. Reports are in the order of `hosts`. */
export async function runHosts(settings: Settings, opts: EngineOptions): Promise<(HostReport & { commit?: string })[]> {
  const hosts = settings.hosts
  const results: (HostReport & { commit?: string })[] = new Array(hosts.length)
  const notRun = (i: number, why: string) => {
    results[i] = { ...newHostReport(hosts[i].label), outcome: 'skipped', message: why }
  }
  const pool = async (indices: number[], width: number) => {
    let next = 0
    const worker = async () => {
      while (next < indices.length) {
        const i = indices[next++]
        results[i] = await runHost(settings, hosts[i], opts)
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, Math.min(width, indices.length)) }, worker))
  }
  const all = hosts.map((_, i) => i)
  const width = settings.maxParallel > 0 ? settings.maxParallel : hosts.length
  if (settings.strategy === 'rolling') {
    for (const i of all) {
      if (results.some((r) => r && r.outcome !== 'success')) notRun(i, 'not run: an earlier host failed (strategy rolling)')
      else results[i] = await runHost(settings, hosts[i], opts)
    }
  } else if (settings.strategy === 'canary' && hosts.length > 1) {
    results[0] = await runHost(settings, hosts[0], opts)
    if (results[0].outcome === 'success') await pool(all.slice(1), width)
    else for (const i of all.slice(1)) notRun(i, `not run: the canary host ${hosts[0].label} did not succeed`)
  } else {
    await pool(all, width)
  }
  return results
}

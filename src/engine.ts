/**
 * The engine: for each host, connect once, check sudo, look at the server, check that the mode fits, take the lock, run
 * the mode's steps, audit the live tree's permissions, record the outcome, release the lock. Hosts run in parallel (or
 * rolling, or canary), each with its own connection, lock and report section; with shared-code the first host
 * delivers and the others run the per-node steps; with cluster, src/cluster.ts runs the nodes as one site.
 */
import { type AppDriver, NoApp } from './app/app.js'
import { MoodleApp } from './app/moodle.js'
import type { Logger } from './log.js'
import { backtoprod } from './modes/backtoprod.js'
import { deliver } from './modes/deliver.js'
import { INTERVENTION_MODES, refusal, WRITING_MODES } from './modes/fit.js'
import { joinSession, sessionClose, sessionOpen } from './modes/session.js'
import { type SessionData, SessionError } from './session/sessions.js'
import { goback } from './modes/goback.js'
import { init } from './modes/init.js'
import { status } from './modes/status.js'
import { syncback } from './modes/syncback.js'
import { update } from './modes/update.js'
import { type HostReport, newHostReport } from './report/model.js'
import { acquireLock, describeHolder, HeldLock, LockLostError, releaseLock } from './remote/lock.js'
import { Layout, type Probe, probe } from './remote/server.js'
import { RemoteShell } from './remote/shell.js'
import { StateError, treeRevision } from './remote/state.js'
import { phpCommandForm, phpProblem, probePhpAs, probeSudo, sudoersLine, sudoProblem } from './remote/sudo.js'
import type { HostTarget, Settings } from './settings.js'
import { type HostContext, journal, Refusal, StepFailure } from './steps/context.js'
import { auditPermissions } from './steps/permissions.js'
import { publishStatusPage } from './steps/status-page.js'
import { needsReconcile, reconcile } from './steps/switch.js'
import { ConnectionError, RunError } from './transport/run.js'
import { JumpTunnel, SshConnection } from './transport/ssh.js'
import type { VcsContext } from './vcs/driver.js'
import { createDriver } from './vcs/index.js'

export interface EngineOptions {
  log: Logger
  now?: () => Date
  /** Called once a host's connection is open (tests use it to cut the connection at a chosen moment). */
  onConnected?: (host: HostTarget, conn: SshConnection) => void
  /** Called when a host's lock is taken or released (the Action's post step uses it). */
  onLock?: (host: HostTarget, held: boolean) => void
  /** The jump host shared by the hosts of the run (runHosts makes it from `jump-host`). */
  tunnel?: JumpTunnel
  /** How long a shared-code node waits to see the first host's switch (NFS caches attributes); default 10 s. */
  sharedWaitMs?: number
}


/** What a run on one host holds open, for its `finally`. */
export interface Held {
  conn?: SshConnection
}

/** A host's report, with what the runner needs besides: the commit delivered and the session joined. */
export type EngineHostReport = HostReport & { commit?: string; sessionId?: string; session?: SessionData }
export type HostResult = EngineHostReport

async function runMode(ctx: HostContext): Promise<void> {
  const { settings } = ctx
  switch (settings.mode) {
    case 'init':
      return init(ctx)
    case 'status':
      return status(ctx)
    case 'syncback':
      return syncback(ctx, { paths: settings.paths })
    case 'supersyncback':
      return syncback(ctx, { paths: settings.paths, supersave: true })
    case 'goback':
      return goback(ctx)
    case 'update':
      return update(ctx)
    case 'backtoprod':
      return backtoprod(ctx)
    case 'deliver':
      return deliver(ctx)
    case 'session-open':
      return sessionOpen(ctx)
    case 'session-close':
      await sessionClose(ctx)
      return
    default:
      throw new StepFailure(`mode ${settings.mode} is not available in this version`)
  }
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
      const sh = new RemoteShell(conn, { runId: settings.run.runId, sudoUser: codeOwner(settings, target), setsid: false, cleanup: true })
      if (await releaseLock(sh, layout, settings.run.runId, true)) log.warning(`${target.label}: released the lock after the connection was lost`)
    } finally {
      await conn.close()
    }
  } catch (e) {
    log.warning(`${target.label}: could not release the lock after the connection was lost (${(e as Error).message}); the post step or the next run (after lock-timeout) will`)
  }
}

/** The code owner commands run as: none when `sudo-user` is empty or is the SSH user itself. */
function codeOwner(settings: Settings, target: HostTarget): string | undefined {
  return settings.sudoUser && settings.sudoUser !== target.user ? settings.sudoUser : undefined
}

/** Checks, as the SSH user, that it may become each user in `needs` (user -> input); fails naming the sudoers line. */
async function sudoStep(report: HostReport, sh: RemoteShell, login: string, needs: Map<string, string>): Promise<void> {
  const started = Date.now()
  const problem = sudoProblem(login, needs, await probeSudo(sh, [...needs.keys()]))
  const detail = problem ?? `${login} may become ${[...needs.keys()].join(', ')} through sudo -n`
  report.steps.push({ name: 'sudo', outcome: problem ? 'failure' : 'success', ms: Date.now() - started, detail })
  if (problem) throw new StepFailure(problem)
  for (const [user, input] of needs) (report.sudo ??= []).push({ user, input, command: `sudo -n -u ${user} -- bash -c SCRIPT ARGS...`, rule: sudoersLine(login, [user]) })
}

/** Checks, as the SSH user, that `sudo -n -u WEB PHP` runs PHP as the web user; returns PHP's absolute path. */
async function phpSudoStep(report: HostReport, sh: RemoteShell, login: string, webUser: string, php: string): Promise<string> {
  const started = Date.now()
  const v = await probePhpAs(sh, webUser, php)
  const ms = Date.now() - started
  if (v.kind !== 'ok') {
    const problem = phpProblem(login, webUser, v) as string
    report.steps.push({ name: 'sudo', outcome: 'failure', ms, detail: problem })
    throw new StepFailure(problem)
  }
  const command = phpCommandForm(webUser, v.php)
  report.steps.push({ name: 'sudo', outcome: 'success', ms, detail: `${login} may run ${command}` })
  ;(report.sudo ??= []).push({ user: webUser, input: 'web-user', command, rule: sudoersLine(login, [webUser], v.php) })
  return v.php
}

/**
 * Connects to a host, checks that sudo may be used (before anything else runs there), probes the delivery root and
 * builds the host's context. Writes nothing on the server.
 */
/** An error as the report says it: our own errors by their message, anything unexpected with its kind. */
export function describeError(err: Error): string {
  const ours = err instanceof RunError || err instanceof ConnectionError || err instanceof StepFailure || err instanceof Refusal || err instanceof StateError || err instanceof SessionError || err instanceof LockLostError
  return ours ? err.message : `${err.name}: ${err.message}`
}

export async function openHost(settings: Settings, target: HostTarget, opts: EngineOptions, report: HostReport, held: Held): Promise<HostContext> {
  const { log } = opts
  const layout = new Layout(settings.path)
  const started = Date.now()
  held.conn = await SshConnection.connect({
    target,
    auth: settings.auth,
    hostKeys: settings.hostKeys,
    timeoutMs: settings.timeoutMs,
    tunnel: opts.tunnel,
    jump: opts.tunnel ? undefined : settings.jump,
    secrets: settings.secrets,
    onRetry: (m) => log.warning(m),
  })
  const conn = held.conn
  const via = settings.jump ? `through the jump host ${settings.jump.target.label}` : undefined
  report.steps.push({ name: 'connect', outcome: 'success', ms: Date.now() - started, detail: via })
  opts.onConnected?.(target, conn)
  const owner = codeOwner(settings, target)
  const login = new RemoteShell(conn, { runId: settings.run.runId, setsid: false })
  if (owner) await sudoStep(report, login, target.user, new Map([[owner, 'sudo-user']]))
  const p = await probe(new RemoteShell(conn, { runId: settings.run.runId, sudoUser: owner, setsid: false }), layout)
  const sh = new RemoteShell(conn, { runId: settings.run.runId, sudoUser: owner, setsid: p.tools.setsid === true, timeoutMs: settings.commandTimeoutMs })
  const method = p.state?.method ?? settings.method
  const vcsCtx: VcsContext = { sh, layout, settings, log }
  const vcs = createDriver(method, vcsCtx)
  const app = chooseApp(settings, p.state?.app, sh, layout)
  vcsCtx.keep = [...new Set([...app.keep, ...settings.keep])].sort()
  // Moodle's CLI runs as the web user: check now, not after the switch, that the SSH user may run PHP as it.
  if (app instanceof MoodleApp && settings.webUser !== target.user) app.php = await phpSudoStep(report, login, target.user, settings.webUser, settings.php)
  return {
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
    keep: vcsCtx.keep,
    now: opts.now ?? (() => new Date()),
  }
}

/** Extra work done on the first host while it still holds its lock (shared-code runs the other nodes there). */
export interface HostHooks {
  afterMode?: (ctx: HostContext) => Promise<void>
  /** Runs in place of the mode, under the lock (a cluster's node waits there for the coordinated sequence). */
  mode?: (ctx: HostContext) => Promise<void>
}

/** Runs the mode on one host. Never throws: the outcome and error are in the returned report. */
export async function runHost(settings: Settings, target: HostTarget, opts: EngineOptions, hooks: HostHooks = {}): Promise<HostResult> {
  const { log } = opts
  const now = opts.now ?? (() => new Date())
  const report: HostResult = newHostReport(target.label)
  const layout = new Layout(settings.path)
  const held: Held = {}
  let ctx: HostContext | undefined
  let locked = false
  let lock: HeldLock | undefined
  try {
    ctx = await openHost(settings, target, opts, report, held)
    const { sh, vcs, app } = ctx
    const method = vcs.method
    let p: Probe = ctx.probe
    const writes = WRITING_MODES.includes(settings.mode) && !settings.dryRun
    // A live run holds the lock: say so first, before any advice about the state it is changing.
    if (writes && p.lock && p.lock.runId !== settings.run.runId && p.lockAgeS < settings.lockTimeoutS) {
      const after = refusal(settings.mode, p, settings.path, settings.session)
      throw new StepFailure(
        `${settings.path} is locked by ${describeHolder(p.lock)}, whose last sign of life was ${p.lockAgeS} s ago: that run is active. Wait for it to end (or cancel it); the lock is taken over only when it shows no life for lock-timeout (${settings.lockTimeoutS} s)${after ? `. Then: ${after}` : ''}`,
      )
    }
    if (p.lock && (!writes || settings.dryRun)) {
      const stale = p.lockAgeS >= settings.lockTimeoutS
      const msg = `the lock is held by run ${p.lock.runId} of ${p.lock.actor} (started ${p.lock.startedAt}, last sign of life ${p.lockAgeS} s ago)${stale ? ', stale: a real run would take it over' : ''}`
      if (settings.dryRun && WRITING_MODES.includes(settings.mode) && !stale) throw new StepFailure(`${msg}: a real run would fail now`)
      if (settings.mode !== 'status') log.warning(msg)
    }
    if (p.state && p.state.method !== settings.method && ['update', 'deliver'].includes(settings.mode)) {
      throw new Refusal(
        `The layout at ${settings.path} was initialised with method ${p.state.method}, not ${settings.method}: set method: ${p.state.method}`,
      )
    }
    const refused = refusal(settings.mode, p, settings.path, settings.session)
    // A run that died between a change and its record: the mode's fit is judged after reconcile, under the lock.
    if (refused && !(writes && p.state && needsReconcile(p, p.state))) throw new Refusal(refused)
    if (p.stateError && settings.mode !== 'status') throw new StepFailure(p.stateError)
    if (p.sessionError && settings.mode !== 'status') throw new StepFailure(p.sessionError)
    const missing = (WRITING_MODES.includes(settings.mode) ? vcs.tools : []).filter((t) => p.tools[t] === false)
    if (missing.length && ['init', 'update', 'deliver'].includes(settings.mode)) {
      throw new StepFailure(`the server lacks ${missing.join(', ')}, needed by method ${method}: install it on the server`)
    }
    if (writes) {
      const info = { runId: settings.run.runId, actor: settings.run.actor, host: target.label, pid: 0, startedAt: now().toISOString(), mode: settings.mode }
      const started = Date.now()
      const res = await acquireLock(sh, layout, info, settings.lockTimeoutS)
      if (!res.acquired) {
        const h = res.holder
        throw new StepFailure(
          h
            ? `${settings.path} is locked by ${describeHolder(h)}, whose last sign of life was ${res.ageS} s ago; it is taken over only when it shows no life for lock-timeout (${settings.lockTimeoutS} s). Wait for that run, or cancel it`
            : `${settings.path} is locked (${res.ageS} s ago) and the lock file cannot be read: check ${layout.lock}`,
        )
      }
      locked = true
      opts.onLock?.(target, true)
      lock = new HeldLock(sh, layout, settings.run.runId, res.takenOver, (m) => log.warning(m))
      sh.guard = lock.guard
      lock.start()
      report.steps.push({ name: 'lock', outcome: 'success', ms: Date.now() - started, detail: res.takenOver ? `took over the stale lock of run ${res.takenOver.runId}` : undefined })
      if (res.takenOver) {
        log.warning(`${target.label}: took over the stale lock of run ${res.takenOver.runId} of ${res.takenOver.actor} (started ${res.takenOver.startedAt})`)
      }
      // Look again under the lock: another run may have changed the state meanwhile.
      p = await probe(sh, layout)
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
      if (INTERVENTION_MODES.includes(settings.mode) && p.session) ctx.sessionId = p.session
    }
    const before = ctx.state
    if (before) {
      report.stateBefore = before.state
      report.liveTreeBefore = before.live
      report.revisionBefore = treeRevision(before.trees[before.live])
      report.appVersionBefore = (await app.version(before.trees[before.live]))?.release
    }
    await (hooks.mode ?? runMode)(ctx)
    const after = ctx.state
    // The permission audit and the version of the live tree are independent reads: made at once.
    // A delivery from production audits the paths it changed in the tree it put live (the rest of that tree was audited
    // when it last served); every other mode, and a resumed delivery, the whole live tree.
    const delivered = settings.mode === 'deliver' && report.stateBefore === 'production' && !report.rolledBack && after?.live === report.liveTreeAfter
    const auditing = after ? auditPermissions(ctx, after.live, delivered ? report.files : undefined) : undefined
    // init detects the application: read the version with the driver it chose.
    const appAfter = after && settings.app === 'auto' && after.app !== app.name ? chooseApp(settings, after.app, sh, layout) : app
    const versioning = after ? appAfter.version(after.trees[after.live]) : undefined
    const [audit, version] = await Promise.all([auditing, versioning])
    if (audit && report.status) report.status.permissions = { total: audit.total, counts: audit.counts, first: report.permissions, note: audit.note }
    await hooks.afterMode?.(ctx)
    if (after) {
      report.stateAfter = after.state
      report.liveTreeAfter = after.live
      if (settings.mode !== 'update' && !settings.dryRun) report.revisionAfter = treeRevision(after.trees[after.live])
      report.appVersionAfter = version?.release
    }
    report.commit = ctx.commit
    report.sessionId = ctx.sessionId
    report.session = ctx.sessionData
    report.outcome = 'success'
  } catch (e) {
    const err = e as Error
    report.outcome = e instanceof Refusal ? 'refused' : 'failure'
    report.error = describeError(err)
    report.sessionId = ctx?.sessionId
    if (ctx?.state) {
      report.stateAfter = ctx.state.state
      report.liveTreeAfter = ctx.state.live
      // Which code this host serves now, whatever happened (update changes the work tree only).
      if (settings.mode !== 'update') report.revisionAfter = treeRevision(ctx.state.trees[ctx.state.live])
    }
    log.error(`${target.label}: ${report.error}`)
  } finally {
    const conn = held.conn
    await lock?.stop()
    if (locked && conn && ctx && lock?.lost !== undefined) {
      // Another run holds the lock now: write nothing more (no journal line, no release of its lock).
      const lostError = new LockLostError(target.label, lock.lost, 'its next change')
      if (report.outcome === 'success') {
        report.outcome = 'failure'
        report.error = lostError.message
      }
      log.error(lostError.message)
      opts.onLock?.(target, false)
    } else if (locked && conn && ctx) {
      const lost = conn.lost
      if (lost) {
        await cleanupAfterLoss(settings, target, layout, log)
      } else {
        try {
          if (INTERVENTION_MODES.includes(settings.mode) && ctx.sessionId && report.outcome !== 'refused') await joinSession(ctx, report)
          await journal(ctx, 'end', { outcome: report.outcome, error: report.error, rolledBack: report.rolledBack || undefined, session: ctx.sessionId })
          // The status page: never a reason to fail the run.
          await publishStatusPage(ctx, report).then(
            (page) => log.info(`${target.label}: status page ${page}`),
            (e: Error) => log.warning(`${target.label}: the status page was not written: ${e.message}`),
          )
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
  // What the trees hold, so that the report can group Moodle files by component.
  if (ctx) report.app = ctx.state?.app === 'moodle' || ctx.app.name === 'moodle' ? 'moodle' : 'none'
  return report
}

/**
 * The end of a host's run that took the lock: the session joined, the journal's end, the status page, and the lock
 * released; or, when the connection was lost, the lock released over a fresh one; or, when another run took the lock
 * over, nothing more written.
 */
import type { Logger } from '../log.js'
import { modeRow } from '../modes/table.js'
import { joinSession } from '../modes/session.js'
import { LockLostError, releaseLock } from '../remote/lock.js'
import type { Layout } from '../remote/server.js'
import { SshShell } from '../remote/shell.js'
import type { HostTarget, Settings } from '../settings.js'
import { type HostContext, journal } from '../steps/context.js'
import { publishStatusPage } from '../steps/status-page.js'
import { SshConnection } from '../transport/ssh.js'
import type { Locking } from './admit.js'
import { codeOwner } from './open.js'
import type { EngineOptions, HostResult } from './skeleton.js'

/** Ends the run on a host that holds the lock (`locking`); never throws. */
export async function endLocked(ctx: HostContext | undefined, conn: SshConnection | undefined, locking: Locking, opts: EngineOptions): Promise<void> {
  const { log } = opts
  const { lock } = locking
  await lock?.stop()
  if (!locking.locked || !conn || !ctx) return
  const { settings, target, layout } = ctx
  const report = ctx.report as HostResult
  if (lock?.lost !== undefined) {
    // Another run holds the lock now: write nothing more (no journal line, no release of its lock).
    const lostError = new LockLostError(target.label, lock.lost, 'its next change')
    if (report.outcome === 'success') {
      report.outcome = 'failure'
      report.error = lostError.message
    }
    log.error(lostError.message)
  } else if (conn.lost) {
    await cleanupAfterLoss(settings, target, layout, log)
  } else {
    try {
      if (modeRow(settings.mode).intervention && ctx.sessionId && report.outcome !== 'refused') await joinSession(ctx, report)
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

/** Ends the remote work of a run whose connection was lost, and releases its lock, over a fresh connection. */
async function cleanupAfterLoss(settings: Settings, target: HostTarget, layout: Layout, log: Logger): Promise<void> {
  try {
    const conn = await SshConnection.connect({ target, auth: settings.auth, hostKeys: settings.hostKeys, timeoutMs: settings.timeoutMs, jump: settings.jump, secrets: settings.secrets, attempts: 2 })
    try {
      const sh = new SshShell(conn, { runId: settings.run.runId, sudoUser: codeOwner(settings, target), setsid: false, cleanup: true })
      if (await releaseLock(sh, layout, settings.run.runId, true)) log.warning(`${target.label}: released the lock after the connection was lost`)
    } finally {
      await conn.close()
    }
  } catch (e) {
    log.warning(`${target.label}: could not release the lock after the connection was lost (${(e as Error).message}); the post step or the next run (after lock-timeout) will`)
  }
}

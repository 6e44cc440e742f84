/**
 * The skeleton of one host's run, shared by the engine (a host that runs the mode) and a shared-code node: open the
 * host (connect, sudo check, probe), do the host's work, record the outcome in its report, and close the connection
 * whatever happened. Never throws: the outcome and the error are in the returned report.
 */
import type { Logger } from '../log.js'
import { type HostReport, newHostReport } from '../report/model.js'
import type { HostTarget, Settings } from '../settings.js'
import type { SessionData } from '../session/sessions.js'
import { describeError, Refusal } from '../errors.js'
import { type HostContext } from '../steps/context.js'
import type { JumpTunnel } from '../transport/jump.js'
import type { SshConnection } from '../transport/ssh.js'
import { openHost } from './open.js'

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

/** A host's report, with what the runner needs besides: the commit delivered and the session joined. */
export type HostResult = HostReport & { commit?: string; sessionId?: string; session?: SessionData }

/** What a run on one host holds open, for its `finally`. */
export interface Held {
  conn?: SshConnection
}

/** The work of one host, in the skeleton's three places. */
export interface HostWork {
  /** The work itself, once the host is open. */
  run(ctx: HostContext): Promise<void>
  /** After a failure (or refusal), once the report holds it: what else the report should say. */
  failed?(ctx: HostContext | undefined): void
  /** Always, while the connection is still open (the lock's release). */
  finish?(ctx: HostContext | undefined, conn: SshConnection | undefined): Promise<void>
}

/** Opens the host, runs `work` there and records the outcome. */
export async function onHost(settings: Settings, target: HostTarget, opts: EngineOptions, work: HostWork): Promise<HostResult> {
  const report: HostResult = newHostReport(target.label)
  const held: Held = {}
  let ctx: HostContext | undefined
  try {
    ctx = await openHost(settings, target, opts, report, held)
    await work.run(ctx)
    report.outcome = 'success'
  } catch (e) {
    report.outcome = e instanceof Refusal ? 'refused' : 'failure'
    report.error = describeError(e as Error)
    work.failed?.(ctx)
    opts.log.error(`${target.label}: ${report.error}`)
  } finally {
    await work.finish?.(ctx, held.conn)
    await held.conn?.close()
  }
  return report
}

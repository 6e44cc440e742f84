/**
 * The post step: for every host whose lock the main step still held when it ended (cancelled, killed, connection
 * lost), connect again, end this run's remote process group if it still runs, and release the lock. Warns, never fails.
 */
import * as core from '@actions/core'
import { LOCKS_STATE } from './action.js'
import type { InputName } from './inputs.js'
import { releaseLock } from './remote/lock.js'
import { Layout } from './remote/server.js'
import { SshShell } from './remote/shell.js'
import { registerSecrets } from './runner.js'
import { type HostTarget, readSettings, type Settings } from './settings.js'
import { JumpTunnel } from './transport/jump.js'
import { SshConnection } from './transport/ssh.js'

/** Releases this run's lock on each host; returns the labels of hosts where it was released. */
export async function releaseHeldLocks(settings: Settings, hosts: HostTarget[], warn: (m: string) => void): Promise<string[]> {
  const released: string[] = []
  // One login on the jump host for all of them, as in the main step.
  const tunnel = settings.jump ? new JumpTunnel(settings.jump.target, settings.jump.auth, settings.hostKeys, settings.timeoutMs) : undefined
  await Promise.all(
    hosts.map(async (target) => {
      try {
        const conn = await SshConnection.connect({ target, auth: settings.auth, hostKeys: settings.hostKeys, timeoutMs: settings.timeoutMs, tunnel, secrets: settings.secrets, attempts: 2 })
        try {
          const sh = new SshShell(conn, { runId: settings.run.runId, sudoUser: settings.sudoUser !== target.user ? settings.sudoUser : undefined, setsid: false, cleanup: true })
          if (await releaseLock(sh, new Layout(settings.path), settings.run.runId, true)) released.push(target.label)
        } finally {
          await conn.close()
        }
      } catch (e) {
        warn(`${target.label}: could not release the lock: ${(e as Error).message}`)
      }
    }),
  )
  tunnel?.close()
  return released
}

export async function actionPost(): Promise<void> {
  try {
    const saved = core.getState(LOCKS_STATE)
    if (!saved) return
    const hosts = JSON.parse(saved) as HostTarget[]
    if (hosts.length === 0) return
    const settings = readSettings((name: InputName) => core.getInput(name, { trimWhitespace: false }))
    registerSecrets(settings.secrets, core.setSecret)
    const released = await releaseHeldLocks(settings, hosts, (m) => core.warning(m))
    for (const h of released) core.warning(`${h}: released the delivery lock left by the main step`)
  } catch (e) {
    core.warning(`post step: ${(e as Error).message}`)
  }
}

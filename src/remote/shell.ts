/**
 * How a script reaches the server: `bash -c SCRIPT delivery:RUNID#N ARGS...`, every word quoted with shell-quote, run in
 * a process group of its own (setsid), as the code owner (`sudo -n -u`) when one is set. The marker names the run and
 * the command: a takeover or the post step ends every group of a run by it, and a command that times out has its own
 * group ended over a new channel (closing a channel does not end a command that runs without a pty).
 */
import { quote } from 'shell-quote'
import type { SshConnection } from '../transport/ssh.js'
import type { Duplex } from 'node:stream'
import { type RunParams, type RunResult, TimeoutError } from '../transport/run.js'
import { END_RUN, type LockGuard, LockLostError } from './lock.js'

/** Quotes words for a POSIX shell. */
export function q(...words: string[]): string {
  return quote(words)
}

/** Shared bash prelude: strict mode and a few helpers the scripts use. */
const PRELUDE = `set -euo pipefail
umask 022
die() { printf '%s\\n' "$*" >&2; exit 3; }
`

export interface ShellOptions {
  runId: string
  /** Run as this user through `sudo -n -u` (the code owner). */
  sudoUser?: string
  /** Whether `setsid` exists on the server (probed once). */
  setsid: boolean
  /** Bound of a command that gives none (`command-timeout`), in ms; none when unset. */
  timeoutMs?: number
  /** Marks cleanup commands (`delivery-cleanup`): a takeover or a release ending a run's groups leaves them alone. */
  cleanup?: boolean
}

export interface ShellParams extends RunParams {
  /** Runs even after the run lost its lock (releasing, the heartbeat itself). */
  unguarded?: boolean
  /** false: no process group of its own (short commands). */
  group?: boolean
}

/** Numbers the commands of this process: with the run id, each command's marker is unique. */
let sequence = 0

/**
 * The shell every step receives: scripts run on one server, as the code owner or as another user. `SshShell` runs them
 * over SSH; unit tests give steps a fake (test/helpers/fake-shell.ts) that records commands and answers as scripted.
 */
export interface RemoteShell {
  /** The host, as in the report (`user@host:port`). */
  readonly label: string
  readonly runId: string
  /** Set while the run holds the lock: state writes and switches check it on the server; once lost, nothing runs. */
  guard?: LockGuard
  /** Runs `script` with bash as the code owner (when set); every value goes in `args`, quoted. */
  run(what: string, script: string, args?: string[], params?: ShellParams): Promise<RunResult>
  runAs(user: string | undefined, what: string, script: string, args?: string[], params?: ShellParams): Promise<RunResult>
  /** A TCP stream from the server to host:port. */
  forward(host: string, port: number): Promise<Duplex>
  close(): Promise<void>
}

export class SshShell implements RemoteShell {
  guard?: LockGuard

  constructor(
    private readonly conn: SshConnection,
    private readonly opts: ShellOptions,
  ) {}

  get label(): string {
    return this.conn.label
  }

  get runId(): string {
    return this.opts.runId
  }

  /** The command line for a script, as the given user (default: the code owner when set), marked `marker`. */
  commandLine(script: string, args: string[], as?: { user?: string; group?: boolean }, marker = `delivery:${this.opts.runId}`): string {
    const user = as && 'user' in as ? as.user : this.opts.sudoUser
    const words: string[] = []
    if (this.opts.setsid && as?.group !== false) words.push('setsid', '-w')
    if (user) words.push('sudo', '-n', '-u', user, '--')
    words.push('bash', '-c', PRELUDE + script, marker, ...args)
    return q(...words)
  }

  run(what: string, script: string, args: string[] = [], params: ShellParams = {}): Promise<RunResult> {
    return this.exec(this.opts.sudoUser, what, script, args, params)
  }

  /** Runs a script as another user (Moodle's CLI as the web user), or as the login user with `user: undefined`. */
  runAs(user: string | undefined, what: string, script: string, args: string[] = [], params: ShellParams = {}): Promise<RunResult> {
    return this.exec(user, what, script, args, params)
  }

  private async exec(user: string | undefined, what: string, script: string, args: string[], params: ShellParams): Promise<RunResult> {
    if (this.guard && this.guard.lost !== undefined && !params.unguarded) throw new LockLostError(this.label, this.guard.lost, what)
    const marker = `${this.opts.cleanup ? 'delivery-cleanup' : 'delivery'}:${this.opts.runId}#${++sequence}`
    try {
      const bounded = params.timeoutMs === undefined && this.opts.timeoutMs ? { ...params, timeoutMs: this.opts.timeoutMs } : params
      return await this.conn.exec(what, this.commandLine(script, args, { user, group: params.group }, marker), bounded)
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e
      throw new TimeoutError(e.host, what, e.stdout, `${e.stderr}; ${await this.endCommand(user, marker)}`, e.timeoutMs)
    }
  }

  /** Ends the process group of a command that timed out, over a new channel; says what became of it. */
  private async endCommand(user: string | undefined, marker: string): Promise<string> {
    try {
      const r = await this.conn.exec('end a command that timed out', this.commandLine(`${END_RUN}end_marker "$1"`, [marker], { user, group: false }), { timeoutMs: 60_000 })
      const ended = /ended=\s*(\S.*)?$/m.exec(r.stdout)?.[1]?.trim()
      return ended ? `its process group on the server was ended (groups ${ended})` : 'it had already ended on the server'
    } catch (e) {
      return `its process group on the server could not be ended (${(e as Error).message}): it may still run`
    }
  }

  /** Over the SSH connection (see SshConnection.forwardOut). */
  forward(host: string, port: number): Promise<Duplex> {
    return this.conn.forwardOut(host, port)
  }

  close(): Promise<void> {
    return this.conn.close()
  }
}

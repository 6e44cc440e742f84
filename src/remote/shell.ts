/**
 * How a script reaches the server: `bash -c SCRIPT delivery:RUNID ARGS...`, every word quoted with shell-quote, run in
 * a process group of its own (setsid) whose id is written into the lock while the lock is held, as the code owner
 * (`sudo -n -u`) when one is set. The marker `delivery:RUNID` in the command line lets a takeover find the group.
 */
import { quote } from 'shell-quote'
import type { SshConnection } from '../transport/ssh.js'
import type { RunParams, RunResult, Transport } from '../transport/run.js'

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
}

export class RemoteShell implements Transport {
  /** When set, every command records its process group in this lock file (while the lock names our run). */
  lock?: { path: string; jsonBefore: string; jsonAfter: string }

  constructor(
    private readonly conn: SshConnection,
    private readonly opts: ShellOptions,
  ) {}

  get label(): string {
    return this.conn.label
  }

  get connections(): number {
    return 1
  }

  get runId(): string {
    return this.opts.runId
  }

  /** The command line for a script, as the given user (default: the code owner when set). */
  commandLine(script: string, args: string[], as?: { user?: string; group?: boolean }): string {
    const user = as && 'user' in as ? as.user : this.opts.sudoUser
    const words: string[] = []
    if (this.opts.setsid && as?.group !== false) words.push('setsid', '-w')
    if (user) words.push('sudo', '-n', '-u', user, '--')
    words.push('bash', '-c', this.preamble() + PRELUDE + script, `delivery:${this.opts.runId}`, ...args)
    return q(...words)
  }

  private preamble(): string {
    if (!this.lock) return ''
    const { path, jsonBefore, jsonAfter } = this.lock
    const mine = `"runId":${JSON.stringify(this.opts.runId)}`
    return `__pg=$(cut -d' ' -f5 /proc/$$/stat 2>/dev/null || echo 0)
{ if grep -qF ${q(mine)} ${q(path)}; then printf '%s%s%s' ${q(jsonBefore)} "$__pg" ${q(jsonAfter)} > ${q(`${path}.pid`)}.$$ && mv -f ${q(`${path}.pid`)}.$$ ${q(path)}; fi; } 2>/dev/null || true
`
  }

  run(what: string, script: string, args: string[] = [], params: RunParams = {}): Promise<RunResult> {
    return this.conn.exec(what, this.commandLine(script, args), params)
  }

  /** Runs a script as another user (Moodle's CLI as the web user), or as the login user with `user: undefined`. */
  runAs(user: string | undefined, what: string, script: string, args: string[] = [], params: RunParams = {}): Promise<RunResult> {
    return this.conn.exec(what, this.commandLine(script, args, { user }), params)
  }

  /** A TCP stream from the server to host:port over the SSH connection (see SshConnection.forwardOut). */
  forward(host: string, port: number) {
    return this.conn.forwardOut(host, port)
  }

  close(): Promise<void> {
    return this.conn.close()
  }
}

/**
 * The one signature for running a remote command, and the one error for a failed one.
 */
import type { Readable } from 'node:stream'
import { DeliveryError } from '../errors.js'

export interface RunParams {
  /** Data written to the command's standard input (then closed). */
  stdin?: string | Buffer | Readable
  /**
   * Milliseconds before the command is stopped: a TERM signal is asked for, the channel is closed and the command fails
   * with TimeoutError at once. Neither ends the command on the server for certain (sshd leaves a command without a pty
   * running, and may ignore the signal): the remote shell (src/remote/shell.ts) then ends the command's whole process
   * group over a new channel.
   */
  timeoutMs?: number
  /** Do not throw on a non-zero exit code. */
  nothrow?: boolean
  /** Extra values to mask in errors (the connection's secrets are always masked). */
  secrets?: string[]
  /** Called with each chunk of standard output as it arrives. */
  onStdout?: (chunk: Buffer) => void
  /**
   * Bytes of each output stream kept in memory: the head and the tail are kept, what lies between is dropped and
   * replaced by a line saying how much. Default: OUTPUT_KEEP_BYTES for stderr; for stdout, which callers parse,
   * a command printing more than OUTPUT_KEEP_BYTES fails (a parser never sees a cut text) unless `keepBytes` is given.
   */
  keepBytes?: number
}

/** Default bytes of one output stream kept per command (head and tail). */
export const OUTPUT_KEEP_BYTES = 64 * 1024 * 1024

/**
 * Keeps the first and last `limit / 2` bytes of a stream and counts what lies between: remote output is never held
 * whole in memory, whatever a command prints.
 */
export class BoundedOutput {
  private head: Buffer[] = []
  private headLen = 0
  private tail: Buffer[] = []
  private tailLen = 0
  dropped = 0

  constructor(private readonly limit: number) {}

  push(d: Buffer): void {
    const half = Math.floor(this.limit / 2)
    if (this.headLen < half) {
      const take = d.subarray(0, half - this.headLen)
      this.head.push(take)
      this.headLen += take.length
      d = d.subarray(take.length)
      if (!d.length) return
    }
    this.tail.push(d)
    this.tailLen += d.length
    while (this.tailLen > this.limit - half && this.tail.length) {
      const over = this.tailLen - (this.limit - half)
      const first = this.tail[0]
      if (first.length <= over) {
        this.tail.shift()
        this.tailLen -= first.length
        this.dropped += first.length
      } else {
        this.tail[0] = first.subarray(over)
        this.tailLen -= over
        this.dropped += over
      }
    }
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8')
    const tail = Buffer.concat(this.tail).toString('utf8')
    return this.dropped ? `${head}\n[... ${this.dropped} bytes of output dropped ...]\n${tail}` : head + tail
  }
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

// Masking lives with the rest of what is secret; the transport masks its errors with it.
export { maskSecrets } from '../secrets.js'

/** A remote command that failed: host, what it was doing, exit code, and its error output (secrets masked). */
export class RunError extends DeliveryError {
  readonly kind = 'failure'
  constructor(
    readonly host: string,
    readonly what: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split('\n').slice(-15).join('\n')
    super(`${what} failed (exit code ${code})${tail ? `: ${tail}` : ''}`)
    this.name = 'RunError'
  }
}

/**
 * A command stopped at its timeout (code 124). The transport closes the channel and fails at once, without waiting for
 * the command; RemoteShell (src/remote/shell.ts) then ends the command's process group on the server over a new channel
 * and throws a TimeoutError whose stderr ends with what became of that group (ended, already gone, or still running).
 */
export class TimeoutError extends RunError {
  constructor(host: string, what: string, stdout: string, stderr: string, readonly timeoutMs: number) {
    super(host, what, 124, stdout, stderr)
    this.name = 'TimeoutError'
  }
}

/** The SSH connection was lost, or could not be made. */
export class ConnectionError extends DeliveryError {
  readonly kind = 'failure'
  constructor(
    readonly host: string,
    message: string,
    readonly transient: boolean,
  ) {
    super(message)
    this.name = 'ConnectionError'
  }
}

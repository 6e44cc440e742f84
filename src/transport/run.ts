/**
 * The one signature for running a remote command, and the one error for a failed one.
 */
import type { Readable } from 'node:stream'

export interface RunParams {
  /** Data written to the command's standard input (then closed). */
  stdin?: string | Buffer | Readable
  /** Milliseconds before the command is abandoned (its process group is then killed by the next command). */
  timeoutMs?: number
  /** Do not throw on a non-zero exit code. */
  nothrow?: boolean
  /** Extra values to mask in errors (the connection's secrets are always masked). */
  secrets?: string[]
  /** Called with each chunk of standard output as it arrives. */
  onStdout?: (chunk: Buffer) => void
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

// Masking lives with the rest of what is secret; the transport masks its errors with it.
export { maskSecrets } from '../secrets.js'

/** A remote command that failed: host, what it was doing, exit code, and its error output (secrets masked). */
export class RunError extends Error {
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

/** The SSH connection was lost, or could not be made. */
export class ConnectionError extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly transient: boolean,
  ) {
    super(message)
    this.name = 'ConnectionError'
  }
}

/** Anything that runs bash scripts on a server. */
export interface Transport {
  readonly label: string
  /**
   * Runs `script` with bash on the server, with `args` as its positional parameters ($1...). The script is this
   * program's own text; every value from an input travels in `args`, quoted.
   */
  run(what: string, script: string, args?: string[], params?: RunParams): Promise<RunResult>
  close(): Promise<void>
  /** Number of SSH connections opened so far (1 for a healthy run). */
  readonly connections: number
}

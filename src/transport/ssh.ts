/**
 * SSH transport over ssh2: one connection per host per run, reused for every command, host key checked before any
 * authentication, transient connection errors retried with backoff, optionally through a jump host (transport/jump.ts).
 */
import type { Duplex } from 'node:stream'
import type { ClientChannel } from 'ssh2'
import { type Client, type HostTarget, isTransient, type JumpTarget, openClient, type SshAuth } from './client.js'
import type { HostKeyPolicy } from './hostkeys.js'
import { JumpError, JumpTunnel } from './jump.js'
import { BoundedOutput, ConnectionError, maskSecrets, OUTPUT_KEEP_BYTES, RunError, type RunParams, type RunResult, TimeoutError } from './run.js'

export interface ConnectOptions {
  target: HostTarget
  auth: SshAuth
  hostKeys: HostKeyPolicy
  timeoutMs: number
  /** A jump host of this connection's own (opened, then closed with the connection). */
  jump?: JumpTarget
  /** A jump host shared by several connections (a fleet): one connection to the bastion, a channel per server. */
  tunnel?: JumpTunnel
  secrets: string[]
  /** Attempts for transient errors (default 4: waits of 1, 2 and 4 s between them). */
  attempts?: number
  /** Base delay of the backoff in ms (default 1000). */
  backoffMs?: number
  /** Called when an attempt fails and another follows. */
  onRetry?: (message: string, waitMs: number) => void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class SshConnection {
  private closed = false
  private lostReason?: string
  private readonly secrets: string[]

  private constructor(
    readonly label: string,
    private readonly client: Client,
    /** A jump host owned by this connection (closed with it); a shared one is closed by its owner. */
    private readonly ownTunnel: JumpTunnel | undefined,
    secrets: string[],
  ) {
    this.secrets = secrets
    const onGone = (why: string) => {
      if (!this.closed && !this.lostReason) this.lostReason = why
    }
    client.on('close', () => onGone('the SSH connection was closed'))
    client.on('error', (e: Error) => onGone(`the SSH connection failed: ${e.message}`))
  }

  /** Connects (through the jump host when given), retrying transient failures with backoff. */
  static async connect(opts: ConnectOptions): Promise<SshConnection> {
    const attempts = opts.attempts ?? 4
    const backoff = opts.backoffMs ?? 1000
    const ownTunnel = !opts.tunnel && opts.jump ? new JumpTunnel(opts.jump.target, opts.jump.auth, opts.hostKeys, opts.timeoutMs) : undefined
    const tunnel = opts.tunnel ?? ownTunnel
    const via = tunnel ? ` (via the jump host ${tunnel.label})` : ''
    let lastError: Error | undefined
    for (let i = 0; i < attempts; i++) {
      try {
        const sock = tunnel ? await tunnel.forward(opts.target.host, opts.target.port) : undefined
        const client = await openClient(opts.target, opts.auth, opts.hostKeys, opts.timeoutMs, sock)
        return new SshConnection(opts.target.label, client, ownTunnel, opts.secrets)
      } catch (e) {
        const err = e as Error & { level?: string; code?: string }
        lastError = err
        const msg = maskSecrets(err.message, opts.secrets)
        if (err instanceof JumpError) {
          if (!err.transient || i === attempts - 1) {
            ownTunnel?.close()
            throw new ConnectionError(opts.target.label, `cannot connect: ${msg}`, err.transient)
          }
        } else {
          if (err.level === 'host-key') {
            ownTunnel?.close()
            throw new ConnectionError(opts.target.label, `${msg}${via}`, false)
          }
          if (err.level === 'client-authentication') {
            ownTunnel?.close()
            throw new ConnectionError(opts.target.label, `authentication failed for ${opts.target.user}${via}: check private-key / password and the server's authorized_keys`, false)
          }
          if (!isTransient(err) || i === attempts - 1) break
        }
        const wait = backoff * 2 ** i
        opts.onRetry?.(`${opts.target.label}: ${msg}; retrying in ${wait / 1000} s`, wait)
        await sleep(wait)
      }
    }
    ownTunnel?.close()
    throw new ConnectionError(opts.target.label, `cannot connect${via}: ${maskSecrets(lastError?.message ?? 'unknown error', opts.secrets)}`, true)
  }

  /** Runs one command line (already quoted) on the server. */
  exec(what: string, commandLine: string, params: RunParams = {}): Promise<RunResult> {
    const secrets = [...this.secrets, ...(params.secrets ?? [])]
    if (this.lostReason) return Promise.reject(new ConnectionError(this.label, `${what}: ${this.lostReason}`, true))
    return new Promise((resolve, reject) => {
      this.client.exec(commandLine, (err: Error | undefined, stream: ClientChannel) => {
        if (err) {
          reject(new ConnectionError(this.label, `${what}: ${maskSecrets(err.message, secrets)}`, true))
          return
        }
        const out = new BoundedOutput(params.keepBytes ?? OUTPUT_KEEP_BYTES)
        const errOut = new BoundedOutput(params.keepBytes ?? OUTPUT_KEEP_BYTES)
        let code: number | null = null
        let signal: string | undefined
        let timer: NodeJS.Timeout | undefined
        let timedOut = false
        const onClientGone = () => finish()
        let done = false
        const finish = () => {
          if (done) return
          done = true
          if (timer) clearTimeout(timer)
          this.client.removeListener('close', onClientGone)
          // What a command prints is data (state.json, versions, lists) and is returned as it is: a short secret such
          // as `1` must not change it. Errors are masked, and so is whatever goes into logs, reports and files.
          const stdout = out.text()
          const stderr = errOut.text()
          const failed = (code: number, err: string) => new RunError(this.label, what, code, maskSecrets(stdout, secrets), maskSecrets(err, secrets))
          if (timedOut) {
            reject(new TimeoutError(this.label, what, maskSecrets(stdout, secrets), maskSecrets(`${stderr}\ntimed out after ${(params.timeoutMs ?? 0) / 1000} s`, secrets), params.timeoutMs ?? 0))
            return
          }
          if (out.dropped && params.keepBytes === undefined && code !== null) {
            reject(failed(code, `${stderr}\nthe command printed ${out.dropped + OUTPUT_KEEP_BYTES} bytes, more than the ${OUTPUT_KEEP_BYTES} kept in memory per command`))
            return
          }
          if (code === null) {
            const why = this.lostReason ?? (signal ? `killed by signal ${signal}` : 'the command ended without an exit status')
            reject(new ConnectionError(this.label, `${what}: ${why}`, true))
            return
          }
          if (code !== 0 && !params.nothrow) reject(failed(code, stderr))
          else resolve({ code, stdout, stderr })
        }
        this.client.once('close', onClientGone)
        stream.on('data', (d: Buffer) => {
          out.push(d)
          params.onStdout?.(d)
        })
        stream.stderr.on('data', (d: Buffer) => errOut.push(d))
        stream.on('exit', (c: number | null, sig?: string) => {
          if (typeof c === 'number') code = c
          else signal = sig
        })
        stream.on('close', finish)
        if (params.timeoutMs) {
          timer = setTimeout(() => {
            timedOut = true
            try {
              stream.signal('TERM')
            } catch {
              /* the server may not support signals */
            }
            if (params.stdin && typeof params.stdin !== 'string' && !Buffer.isBuffer(params.stdin)) params.stdin.unpipe(stream)
            stream.close()
            // sshd closes the channel only once the command ends, which a command without a pty may never do: fail
            // now, and let the caller end the command's process group on the server.
            finish()
          }, params.timeoutMs)
        }
        const input = params.stdin
        if (input === undefined) stream.end()
        else if (typeof input === 'string' || Buffer.isBuffer(input)) stream.end(input)
        else input.pipe(stream)
      })
    })
  }

  /**
   * Opens a TCP connection from the server to host:port, carried by this SSH connection (a direct-tcpip channel: the
   * server resolves `host`, so 127.0.0.1 is the server's own). Rejects with `prohibited` set when the server refuses
   * forwarding (sshd's AllowTcpForwarding no).
   */
  forwardOut(host: string, port: number): Promise<Duplex> {
    if (this.lostReason) return Promise.reject(new ConnectionError(this.label, this.lostReason, true))
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err: (Error & { reason?: number }) | undefined, stream: ClientChannel) => {
        if (!err) return resolve(stream)
        // RFC 4254 5.1: 1 administratively prohibited, 3 unknown channel type (2 = the target refused: a real answer).
        const e = err as Error & { prohibited?: boolean }
        e.prohibited = err.reason === 1 || err.reason === 3 || /prohibited|unknown channel type/i.test(err.message)
        reject(e)
      })
    })
  }

  get lost(): string | undefined {
    return this.lostReason
  }

  async close(): Promise<void> {
    this.closed = true
    this.client.end()
    this.ownTunnel?.close()
  }

  /** Test hook: cuts the connection abruptly, as a network failure would. */
  destroy(): void {
    const c = this.client as unknown as { _sock?: { destroy(): void } }
    c._sock?.destroy()
  }
}

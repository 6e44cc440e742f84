/**
 * The jump host (a bastion the connections to the servers are tunnelled through with `direct-tcpip` channels; its host
 * key is checked like the servers').
 */
import type { Duplex } from 'node:stream'
import type { ClientChannel } from 'ssh2'
import { DeliveryError } from '../errors.js'
import { type Client, type HostTarget, isTransient, openClient, type SshAuth } from './client.js'
import type { HostKeyPolicy } from './hostkeys.js'

/** A failure on the jump host, not on the server behind it. */
export class JumpError extends DeliveryError {
  readonly kind = 'failure'
  constructor(
    message: string,
    readonly level: string | undefined,
    readonly transient: boolean,
  ) {
    super(message)
    this.name = 'JumpError'
  }
}

const CHANNEL_PROHIBITED = 1
const CHANNEL_CONNECT_FAILED = 2
const CHANNEL_RESOURCE_SHORTAGE = 4

/**
 * The jump host: one authenticated connection to the bastion, opened on first use and reopened if it drops, through
 * which each server connection is a `direct-tcpip` channel (ssh2 `forwardOut`, as `ssh -J` does). Shared by the
 * hosts of a run, so a fleet behind one bastion costs the bastion one login, not one per server.
 */
export class JumpTunnel {
  private client?: Client
  private opening?: Promise<Client>
  private closed = false

  constructor(
    readonly target: HostTarget,
    private readonly auth: SshAuth,
    private readonly hostKeys: HostKeyPolicy,
    private readonly timeoutMs: number,
  ) {}

  get label(): string {
    return this.target.label
  }

  private open(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client)
    if (this.closed) return Promise.reject(new JumpError(`jump host ${this.label}: closed`, undefined, false))
    this.opening ??= openClient(this.target, this.auth, this.hostKeys, this.timeoutMs)
      .then((c) => {
        const gone = () => {
          if (this.client === c) this.client = undefined
        }
        c.on('close', gone)
        c.on('error', gone)
        if (this.closed) c.end()
        else this.client = c
        return c
      })
      .catch((e: Error & { level?: string }) => {
        const level = e.level
        const message =
          level === 'client-authentication'
            ? `authentication failed for ${this.target.user} at the jump host ${this.label}: check jump-private-key (or private-key) and the jump host's authorized_keys`
            : `jump host ${this.label}: ${e.message}`
        throw new JumpError(message, level, isTransient(e))
      })
      .finally(() => {
        this.opening = undefined
      })
    return this.opening
  }

  /** A stream to `host:port` as seen from the bastion. */
  async forward(host: string, port: number): Promise<Duplex> {
    const client = await this.open()
    return new Promise<Duplex>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, host, port, (err: (Error & { reason?: number }) | undefined, stream: ClientChannel) => {
        if (!err) {
          resolve(stream)
          return
        }
        const hint =
          err.reason === CHANNEL_PROHIBITED
            ? ' (the jump host forbids forwarding there: it needs AllowTcpForwarding yes (or local) in its sshd_config, and this destination among those allowed by PermitOpen or by permitopen= on the key\'s authorized_keys line)'
            : err.reason === CHANNEL_CONNECT_FAILED
              ? ' (the jump host cannot reach that address and port)'
              : ''
        const transient = err.reason === CHANNEL_CONNECT_FAILED || err.reason === CHANNEL_RESOURCE_SHORTAGE || isTransient(err)
        reject(new JumpError(`the jump host ${this.label} could not open a connection to ${host}:${port}: ${err.message}${hint}`, undefined, transient))
      })
    })
  }

  close(): void {
    this.closed = true
    this.client?.end()
    this.client = undefined
  }
}


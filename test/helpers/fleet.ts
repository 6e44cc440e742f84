/**
 * Several delivery targets at once: real sshd servers that all accept one client key, with one delivery root path.
 * Each server has its own folder at that path (a bind mount in a mount namespace of its own), as separate machines
 * would; with `shared: true` they all serve the one folder, as web nodes sharing an NFS code volume do.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { run } from './proc.js'
import { type SshdHandle, type SshdOptions, startSshd } from './sshd.js'

export interface FleetServer {
  sshd: SshdHandle
  /** `user@host:port`, as in `hosts` and in the report. */
  label: string
  /** Where this server's delivery root really is, seen from the test (the path itself is only a mount point here). */
  dir: string
  /** Runs a command as the server user, in `dir`; resolves with stdout, throws on failure. */
  sh(cmd: string): Promise<string>
}

export interface Fleet {
  servers: FleetServer[]
  /** The delivery root path, the same on every server. */
  path: string
  /** Inputs that reach every server: hosts, private-key, known-hosts, path, web-user, app none. */
  base: Record<string, string>
  stop(): Promise<void>
}

export async function startFleet(n: number, opts: SshdOptions & { shared?: boolean; addresses?: string[] } = {}): Promise<Fleet> {
  const top = `/tmp/dlv-fleet-${randomBytes(4).toString('hex')}`
  const path = `${top}/site`
  const dirs = Array.from({ length: n }, (_, i) => (opts.shared ? path : `${top}/server${i + 1}`))
  await mkdir(path, { recursive: true })
  for (const d of new Set(dirs)) await mkdir(d, { recursive: true })
  await run('chown', ['-R', 'dlvtest:dlvtest', top], { check: true })
  const sshds = await Promise.all(
    dirs.map((dir, i) =>
      startSshd({
        ...opts,
        listenAddress: opts.addresses?.[i] ?? opts.listenAddress,
        mounts: opts.shared ? undefined : [{ source: dir, target: path }],
      }),
    ),
  )
  for (const s of sshds.slice(1)) await s.authorize(sshds[0].publicKey)
  const servers = sshds.map((sshd, i): FleetServer => ({
    sshd,
    label: `${sshd.user}@${sshd.host}:${sshd.port}`,
    dir: dirs[i],
    async sh(cmd: string) {
      const r = await sshd.exec(`set -e\ncd ${dirs[i]}\n${cmd}`)
      if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`)
      return r.stdout
    },
  }))
  return {
    servers,
    path,
    base: {
      hosts: servers.map((s) => s.label).join('\n'),
      'private-key': sshds[0].privateKey,
      'known-hosts': sshds.map((s) => s.knownHostsLine).join('\n'),
      path,
      // The web server's user never owns the code (else the permission audit warns on every run).
      'web-user': 'www-data',
      app: 'none',
    },
    async stop() {
      await Promise.all(sshds.map((s) => s.stop()))
      await rm(top, { recursive: true, force: true })
    },
  }
}

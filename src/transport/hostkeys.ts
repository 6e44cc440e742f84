/**
 * Host key verification: `known-hosts` lines (plain, bracketed `[host]:port`, wildcard and hashed `|1|` patterns,
 * `@revoked` markers) and `host-fingerprint` values (`SHA256:` + unpadded base64, as `ssh-keygen -l` prints).
 */
import { createHash, createHmac } from 'node:crypto'
import ssh2 from 'ssh2'

export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority'
  patterns: string[]
  keyType: string
  /** The key blob, base64 as in the file. */
  key: string
}

export interface HostKeyPolicy {
  knownHosts: KnownHostEntry[]
  fingerprints: string[]
  insecure: boolean
}

/** Parses known_hosts text; throws an Error naming the line number on a malformed line. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const fields = line.split(/\s+/)
    let marker: KnownHostEntry['marker']
    if (fields[0].startsWith('@')) {
      const m = fields.shift()
      if (m !== '@revoked' && m !== '@cert-authority') throw new Error(`line ${i + 1}: unknown marker ${m}`)
      marker = m
    }
    if (fields.length < 3) throw new Error(`line ${i + 1}: expected "host key-type base64-key"`)
    const [hosts, keyType, key] = fields
    if (!/^[A-Za-z0-9+/]+={0,3}$/.test(key)) throw new Error(`line ${i + 1}: the key is not base64`)
    const parsed = ssh2.utils.parseKey(`${keyType} ${key}`)
    if (parsed instanceof Error) throw new Error(`line ${i + 1}: ${parsed.message}`)
    entries.push({ marker, patterns: hosts.split(','), keyType, key })
  })
  return entries
}

export function normaliseFingerprint(value: string): string | null {
  const m = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(value.trim())
  return m ? `SHA256:${m[1]}` : null
}

/** OpenSSH `SHA256:` fingerprint of a raw public key blob. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`
}

/** The names a host is known by in known_hosts: `host` on port 22, `[host]:port` otherwise. */
function hostKeyNames(host: string, port: number): string[] {
  return port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`]
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${escaped}$`, 'i')
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|')
    if (!salt || !hash) return false
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
    return h === hash
  }
  return wildcardToRegExp(pattern).test(name)
}

/** Whether an entry's host patterns name this host (a negated pattern that matches excludes it). */
export function entryNamesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const names = hostKeyNames(host, port)
  let matched = false
  for (const p of entry.patterns) {
    const negated = p.startsWith('!')
    const pattern = negated ? p.slice(1) : p
    if (names.some((n) => patternMatches(pattern, n))) {
      if (negated) return false
      matched = true
    }
  }
  return matched
}

export type HostKeyVerdict = { ok: true; how: string } | { ok: false; reason: string }

/** Decides whether a host key presented by `host:port` is trusted by the policy. */
export function verifyHostKey(policy: HostKeyPolicy, host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const b64 = keyBlob.toString('base64')
  const fp = fingerprintOf(keyBlob)
  const forHost = policy.knownHosts.filter((e) => entryNamesHost(e, host, port))
  if (forHost.some((e) => e.marker === '@revoked' && e.key === b64)) {
    return { ok: false, reason: `the host key ${fp} of ${host}:${port} is marked @revoked in known-hosts` }
  }
  if (forHost.some((e) => e.marker === undefined && e.key === b64)) return { ok: true, how: 'known-hosts' }
  if (policy.fingerprints.includes(fp)) return { ok: true, how: 'host-fingerprint' }
  if (policy.insecure) return { ok: true, how: 'insecure-skip-host-key-check' }
  const known = forHost.length > 0 ? 'known-hosts lists other keys for this host' : 'no known-hosts line names this host'
  return {
    ok: false,
    reason: `the host key ${fp} of ${host}:${port} is not trusted (${known}${policy.fingerprints.length ? ', and no host-fingerprint matches' : ''})`,
  }
}

/**
 * Settings of the SSH connections: the hosts and their logins, the keys or password, how the servers are
 * authenticated (known_hosts lines or fingerprints), the jump host, and the connection timeout.
 */
import ssh2 from 'ssh2'
import { InputError } from '../errors.js'
import type { InputName } from '../inputs.js'
import { maskSecrets } from '../secrets.js'
import type { HostTarget, SshAuth } from '../transport/client.js'
import { normaliseFingerprint, parseKnownHosts } from '../transport/hostkeys.js'
import { parseBool, parseHostSpec, parseInteger, parseUser, show, splitList } from '../validate.js'
import type { Inputs } from './problems.js'
import type { Settings } from './types.js'

/** Checks a private key with ssh2's own parser, so a bad key fails here and not at the first connection. */
function checkPrivateKey(name: InputName, key: string, passphrase: string | undefined, passphraseInput: InputName): string {
  const text = key.replace(/\r\n/g, '\n').trim() + '\n'
  if (!/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\n/.test(text)) {
    throw new InputError(
      name,
      'is not a private key (expected a line -----BEGIN ... PRIVATE KEY-----)',
      'Paste the whole private key file, e.g. from a secret: ${{ secrets.SSH_PRIVATE_KEY }}',
    )
  }
  const parsed = ssh2.utils.parseKey(text, passphrase)
  if (parsed instanceof Error) {
    if (/encrypted|passphrase/i.test(parsed.message)) {
      throw new InputError(
        name,
        passphrase ? 'cannot be decrypted with the passphrase given' : 'is encrypted and no passphrase is given',
        `Give the key's passphrase in '${passphraseInput}'`,
      )
    }
    // The parser's message names the problem; masked all the same, as nothing of a key may be shown.
    const why = maskSecrets(parsed.message, [text]).slice(0, 200)
    throw new InputError(name, `cannot be read (${why})`, 'Give an OpenSSH or PEM private key (ed25519, ecdsa or RSA)')
  }
  const k = Array.isArray(parsed) ? parsed[0] : parsed
  if (!k || !k.isPrivateKey()) throw new InputError(name, 'holds a public key, not a private one', 'Give the private key file')
  return text
}

export type SshSettings = Pick<Settings, 'hosts' | 'auth' | 'hostKeys' | 'jump' | 'timeoutMs'>

export function readSsh(inputs: Inputs): SshSettings {
  const { raw } = inputs
  const opt = (name: InputName) => inputs.opt(name)

  // Hosts and SSH login.
  const defaultUser = inputs.take(() => (opt('username') ? parseUser('username', raw.username) : undefined), undefined)
  const defaultPort = inputs.parse('port', (v) => parseInteger('port', v, 1, 65535))
  const hosts = inputs.take(() => {
    const list = splitList(raw.hosts)
    if (list.length === 0) throw new InputError('hosts', 'is required', 'List the servers as [user@]host[:port]')
    if (list.length > 1000) throw new InputError('hosts', `lists ${list.length} hosts (at most 1000)`, 'Shard the fleet with a matrix')
    const out: HostTarget[] = []
    for (const entry of list) {
      const spec = parseHostSpec('hosts', entry)
      const user = spec.user ?? defaultUser
      if (!user) {
        throw new InputError('hosts', `${show(entry)} names no user and 'username' is empty`, "Give 'username' or write user@host")
      }
      const port = spec.port ?? defaultPort
      const hostPart = spec.host.includes(':') ? `[${spec.host}]` : spec.host
      const label = `${user}@${hostPart}:${port}`
      if (out.some((h) => h.label === label)) throw new InputError('hosts', `lists ${show(label)} twice`, 'List each server once')
      out.push({ user, host: spec.host, port, label })
    }
    return out
  }, [] as HostTarget[])

  const passphrase = opt('passphrase') !== undefined ? raw.passphrase : undefined
  const auth: SshAuth = {}
  if (raw['private-key'].trim()) {
    auth.privateKey = inputs.take(() => checkPrivateKey('private-key', raw['private-key'], passphrase, 'passphrase'), undefined)
    if (passphrase !== undefined) auth.passphrase = passphrase
  }
  if (raw.password !== '') auth.password = raw.password
  if (!raw['private-key'].trim() && raw.password === '') {
    inputs.add('private-key', 'and password are both empty', "Give 'private-key' (preferred) or 'password'")
  }

  const insecure = inputs.parse('insecure-skip-host-key-check', (v) => parseBool('insecure-skip-host-key-check', v))
  const knownHosts = inputs.take(() => {
    try {
      return parseKnownHosts(raw['known-hosts'])
    } catch (e) {
      throw new InputError('known-hosts', `is not valid known_hosts text: ${(e as Error).message}`, 'Paste lines as printed by ssh-keyscan')
    }
  }, [])
  const fingerprints = inputs.take(
    () =>
      splitList(raw['host-fingerprint']).map((f) => {
        const n = normaliseFingerprint(f)
        if (!n) {
          throw new InputError('host-fingerprint', `${show(f)} is not a SHA256 fingerprint`, 'Give SHA256:... as printed by ssh-keygen -lf')
        }
        return n
      }),
    [] as string[],
  )
  if (!insecure && knownHosts.length === 0 && fingerprints.length === 0) {
    inputs.add(
      'known-hosts',
      "and 'host-fingerprint' are both empty, so the server cannot be authenticated",
      "Give the servers' known_hosts lines (ssh-keyscan -p PORT HOST) or their fingerprints; or, knowingly, set insecure-skip-host-key-check: true",
    )
  }

  let jump: Settings['jump']
  if (opt('jump-host')) {
    const spec = inputs.take(() => parseHostSpec('jump-host', raw['jump-host']), undefined)
    if (spec) {
      const user = spec.user ?? defaultUser ?? hosts[0]?.user
      const port = spec.port ?? 22
      if (!user) inputs.add('jump-host', 'names no user', 'Write user@host')
      const jumpAuth: SshAuth = { ...auth }
      if (raw['jump-private-key'].trim()) {
        jumpAuth.privateKey = inputs.take(() => checkPrivateKey('jump-private-key', raw['jump-private-key'], passphrase, 'passphrase'), undefined)
      }
      const hostPart = spec.host.includes(':') ? `[${spec.host}]` : spec.host
      jump = { target: { user: user ?? '', host: spec.host, port, label: `${user}@${hostPart}:${port}` }, auth: jumpAuth }
    }
  } else if (raw['jump-private-key'].trim()) {
    inputs.add('jump-private-key', "is given without 'jump-host'", "Give 'jump-host' or remove 'jump-private-key'")
  }

  const timeoutS = inputs.parse('timeout', (v) => parseInteger('timeout', v, 1, 600, ' of seconds'))
  return { hosts, auth, hostKeys: { knownHosts, fingerprints, insecure }, jump, timeoutMs: timeoutS * 1000 }
}

/**
 * A real OpenSSH server for integration tests (no mocks). `startSshd()` creates (if missing) a non-root test user,
 * generates a host key and three client keys for this run, and starts `/usr/sbin/sshd -D -e -f <config>` on a free
 * port of 127.0.0.1, with its log in a file. It throws, with the log, when sshd does not come up: integration suites
 * must fail, never skip. Needs root (as CI runs). Several servers may run at once.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { type RunResult, run, runAs, sleep } from './proc.js'

export interface SshdHandle {
  host: string
  port: number
  user: string
  /** OpenSSH ed25519 private key (text) authorised for `user`. */
  privateKey: string
  /** The public half of `privateKey` (an authorized_keys line). */
  publicKey: string
  /** Authorises one more public key (an authorized_keys line) for `user`: several servers then accept one key. */
  authorize(publicKey: string): Promise<void>
  /** A second ed25519 key, encrypted with `passphrase`, also authorised. */
  encryptedKey: { key: string; passphrase: string }
  /** An RSA key in PEM (`BEGIN RSA PRIVATE KEY`) form, also authorised. */
  rsaKey: string
  /** `[host]:port ssh-ed25519 AAAA…` for the server's host key. */
  knownHostsLine: string
  /** `SHA256:…` of the server's host key, as `ssh-keygen -lf` prints it. */
  fingerprint: string
  logPath: string
  readLog(): string
  /** Number of "Connection from" lines in the log: 0 until a client connects. */
  connectionCount(): number
  /** Runs a shell command locally as the test user (for fixtures and assertions). */
  exec(cmd: string): Promise<RunResult>
  /** Stops sshd and waits for it; removes its temporary folder (not with KEEP_TEST_TMP=1); leaves the user. */
  stop(): Promise<void>
}

export interface SshdOptions {
  user?: string
  allowTcpForwarding?: boolean
  listenAddress?: string
  /** sshd_config lines; they take precedence over the defaults (a `Match` part goes at the end). */
  extraConfig?: string
  /** Runs sshd inside this network namespace (`ip netns exec`): `listenAddress` is one of that namespace's. */
  netns?: string
  /**
   * Bind mounts seen by this sshd alone (it runs in a mount namespace of its own): several servers on this machine
   * can then each have their own folder at one path, as separate machines would.
   */
  mounts?: { source: string; target: string }[]
}

const running = new Set<ChildProcess>()
process.once('exit', () => { for (const child of running) child.kill('SIGKILL') })

/** Retries a command that may race with another test process over /etc/passwd's lock. */
async function retrying(attempt: () => Promise<RunResult>, done: () => Promise<boolean>, what: string): Promise<void> {
  let last: RunResult | undefined
  for (let i = 0; i < 30; i++) {
    if (await done()) return
    last = await attempt()
    if (last.code === 0 || await done()) return
    await sleep(100 + Math.random() * 200)
  }
  throw new Error(`${what} failed: ${last?.stderr.trim()}`)
}

/** Creates local user `name` if missing (home /home/NAME, shell /bin/bash) and unlocks it: idempotent. */
export async function makeUser(name: string): Promise<void> {
  const passwd = async (): Promise<string[]> => (await run('getent', ['passwd', name])).stdout.trim().split(':')
  await retrying(() => run('useradd', ['-m', '-d', `/home/${name}`, '-s', '/bin/bash', '-U', name]),
    async () => (await passwd()).length >= 7, `useradd ${name}`)
  // A fresh user's password is '!' (locked): with UsePAM no, sshd refuses locked accounts. '*' = no password at all.
  const unlocked = async (): Promise<boolean> => {
    const hash = (await run('getent', ['shadow', name])).stdout.split(':')[1] ?? ''
    return !hash.startsWith('!') && (await passwd())[6] === '/bin/bash'
  }
  await retrying(() => run('usermod', ['-p', '*', '-s', '/bin/bash', name]), unlocked, `usermod ${name}`)
  const [, , uid, gid, , home] = await passwd()
  if (home !== `/home/${name}`) throw new Error(`user ${name} exists with home ${home}, expected /home/${name}`)
  await mkdir(home, { recursive: true })
  await run('chown', [`${uid}:${gid}`, home], { check: true })
}

/** A port that was free on `host` a moment ago. */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function keygen(path: string, type: 'ed25519' | 'rsa', passphrase = ''): Promise<{ key: string; pub: string }> {
  const extra = type === 'rsa' ? ['-b', '2048', '-m', 'PEM'] : []
  await run('ssh-keygen', ['-q', '-t', type, ...extra, '-N', passphrase, '-C', `delivery-test-${type}`, '-f', path],
    { check: true })
  return { key: await readFile(path, 'utf8'), pub: (await readFile(`${path}.pub`, 'utf8')).trim() }
}

/** The config: extra lines first (sshd keeps the first value it reads), then the defaults, then any `Match` part. */
function sshdConfig(dir: string, port: number, host: string, opts: SshdOptions): string {
  const extra = (opts.extraConfig ?? '').split('\n')
  const matchAt = extra.findIndex((line) => /^\s*match\s/i.test(line))
  const head = matchAt < 0 ? extra : extra.slice(0, matchAt)
  const tail = matchAt < 0 ? [] : extra.slice(matchAt)
  return [
    ...head,
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${dir}/ssh_host_ed25519_key`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'UsePAM no',
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin no',
    `AllowTcpForwarding ${opts.allowTcpForwarding ? 'yes' : 'no'}`,
    'MaxStartups 200:30:400',
    'LogLevel VERBOSE',
    'PrintMotd no',
    'X11Forwarding no',
    'Subsystem sftp internal-sftp',
    ...tail,
    '',
  ].join('\n')
}

const PASSPHRASE = 'correct horse battery staple'

interface Keys { hostPub: string; fingerprint: string; plain: string; plainPub: string; encrypted: string; rsa: string }

/** Host key, client keys and authorized_keys in `dir`. */
async function makeKeys(dir: string): Promise<Keys> {
  // sshd reads authorized_keys as the user: the folder must be enterable. Keys stay 0600 (ssh-keygen's default).
  await chmod(dir, 0o711)
  const [hostKey, plain, encrypted, rsa] = await Promise.all([
    keygen(join(dir, 'ssh_host_ed25519_key'), 'ed25519'),
    keygen(join(dir, 'id_ed25519'), 'ed25519'),
    keygen(join(dir, 'id_encrypted'), 'ed25519', PASSPHRASE),
    keygen(join(dir, 'id_rsa'), 'rsa'),
  ])
  await writeFile(join(dir, 'authorized_keys'), `${plain.pub}\n${encrypted.pub}\n${rsa.pub}\n`, { mode: 0o644 })
  const fingerprint = (await run('ssh-keygen', ['-lf', join(dir, 'ssh_host_ed25519_key.pub')], { check: true }))
    .stdout.split(/\s+/)[1] ?? ''
  return { hostPub: hostKey.pub, fingerprint, plain: plain.key, plainPub: plain.pub, encrypted: encrypted.key, rsa: rsa.key }
}

/** Starts sshd on a free port, retrying with another port if the one picked was taken meanwhile. */
async function launch(dir: string, host: string, opts: SshdOptions): Promise<{ child: ChildProcess; port: number }> {
  const logPath = join(dir, 'sshd.log')
  const configPath = join(dir, 'sshd_config')
  for (let attempt = 1; ; attempt++) {
    // A namespace of the test's own has every port free; its addresses cannot be bound from here to ask.
    const port = opts.netns ? 20000 + Math.floor(Math.random() * 40000) : await freePort(host)
    await writeFile(configPath, sshdConfig(dir, port, host, opts))
    const log = openSync(logPath, 'w')
    let argv = ['/usr/sbin/sshd', '-D', '-e', '-f', configPath]
    if (opts.netns) argv = ['ip', 'netns', 'exec', opts.netns, ...argv]
    if (opts.mounts?.length) {
      const binds = opts.mounts.flatMap((m) => [m.source, m.target])
      const script = 'set -e; while [ "$1" != -- ]; do mount --bind "$1" "$2"; shift 2; done; shift; exec "$@"'
      argv = ['unshare', '--mount', '--propagation', 'private', '--', 'bash', '-c', script, 'mounts', ...binds, '--', ...argv]
    }
    const [file, ...args] = argv
    const child = spawn(file, args, { stdio: ['ignore', log, log] })
    closeSync(log)
    running.add(child)
    child.once('exit', () => running.delete(child))
    if (await waitListening(child, logPath)) return { child, port }
    child.kill('SIGKILL')
    const text = readFileSync(logPath, 'utf8')
    if (attempt >= 5 || !/Address already in use|Cannot bind any address/.test(text)) {
      throw new Error(`sshd did not start on ${host}:${port}; its log:\n${text}`)
    }
  }
}

/** Starts a test sshd (see the top of this file); throws, with sshd's log, if it does not come up within 10 s. */
export async function startSshd(opts: SshdOptions = {}): Promise<SshdHandle> {
  const user = opts.user ?? 'dlvtest'
  const host = opts.listenAddress ?? '127.0.0.1'
  await makeUser(user)
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 })
  const dir = await mkdtemp('/tmp/dlv-sshd-')
  const logPath = join(dir, 'sshd.log')
  let keys: Keys
  let started: { child: ChildProcess; port: number }
  try {
    keys = await makeKeys(dir)
    started = await launch(dir, host, opts)
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }

  const { child: sshd, port } = started
  let finalLog: string | undefined
  const readLog = (): string => finalLog ?? readFileSync(logPath, 'utf8')
  return {
    host,
    port,
    user,
    privateKey: keys.plain,
    publicKey: keys.plainPub,
    async authorize(publicKey: string) {
      await appendFile(join(dir, 'authorized_keys'), `${publicKey.trim()}\n`)
    },
    encryptedKey: { key: keys.encrypted, passphrase: PASSPHRASE },
    rsaKey: keys.rsa,
    knownHostsLine: `[${host}]:${port} ${keys.hostPub.split(' ').slice(0, 2).join(' ')}`,
    fingerprint: keys.fingerprint,
    logPath,
    readLog,
    connectionCount: () => readLog().split('\n').filter((line) => line.includes('Connection from')).length,
    exec: (cmd) => runAs(user, cmd),
    async stop() {
      if (sshd.exitCode === null && sshd.signalCode === null) {
        const exited = new Promise((resolve) => sshd.once('exit', resolve))
        sshd.kill('SIGTERM')
        const timer = setTimeout(() => sshd.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      if (finalLog === undefined) finalLog = readFileSync(logPath, 'utf8')
      if (!process.env.KEEP_TEST_TMP) await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Waits (at most 10 s) until sshd logs "Server listening on … port N": it then accepts TCP connections. A probe
 * connection is not used, as it would show up in the log as a "Connection from" line. False if sshd exited.
 */
async function waitListening(proc: ChildProcess, logPath: string): Promise<boolean> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false
    if (readFileSync(logPath, 'utf8').includes(`Server listening on `)) return true // "… on H port N."
    await sleep(20)
  }
  return false
}

/**
 * A real SMTP server on loopback (smtp-server) for mail tests: plain, STARTTLS or implicit TLS with a self-signed
 * certificate made by openssl for 127.0.0.1, optional authentication, optional refusal of every recipient. Received
 * messages are kept raw and parsed back with mailparser. `silentServer()` accepts connections and never answers.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { run } from './proc.js'

export interface Received {
  from: string
  to: string[]
  raw: string
  parsed: ParsedMail
  /** The user that authenticated, if any. */
  user?: string
  /** The connection was encrypted when the message was sent. */
  secure: boolean
}

export interface SmtpHandle {
  port: number
  /** PEM of the server's self-signed certificate (for NODE_EXTRA_CA_CERTS), when it has TLS. */
  certFile?: string
  messages: Received[]
  /** Connections opened so far. */
  connections(): number
  /** Resolves with the next message (or the first one not yet taken). */
  next(timeoutMs?: number): Promise<Received>
  stop(): Promise<void>
}

export interface SmtpOptions {
  security?: 'none' | 'starttls' | 'tls'
  auth?: { user: string; pass: string }
  /** Refuse every recipient with 550. */
  refuseRecipients?: boolean
}

/** A self-signed certificate for 127.0.0.1 and localhost. */
async function makeCert(dir: string): Promise<{ key: string; cert: string; certFile: string }> {
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  await run(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { check: true },
  )
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8'), certFile }
}

export async function startSmtp(opts: SmtpOptions = {}): Promise<SmtpHandle> {
  const security = opts.security ?? 'none'
  const dir = await mkdtemp(join(tmpdir(), 'dlv-smtp-'))
  const tls = security === 'none' ? undefined : await makeCert(dir)
  const messages: Received[] = []
  const waiting: ((m: Received) => void)[] = []
  let taken = 0
  let connections = 0
  const server = new SMTPServer({
    secure: security === 'tls',
    key: tls?.key,
    cert: tls?.cert,
    hideSTARTTLS: security === 'none',
    authOptional: !opts.auth,
    allowInsecureAuth: security === 'none',
    disabledCommands: [...(opts.auth ? [] : ['AUTH']), ...(security === 'none' ? ['STARTTLS'] : [])],
    logger: false,
    size: 50 * 1024 * 1024,
    onConnect(_session, cb) {
      connections++
      cb()
    },
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) cb(null, { user: auth.username })
      else cb(new Error('Invalid username or password'))
    },
    onRcptTo(address, _session, cb) {
      if (opts.refuseRecipients) {
        const err = new Error(`<${address.address}>: recipient refused`) as Error & { responseCode: number }
        err.responseCode = 550
        cb(err)
      } else cb()
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const msg: Received = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          parsed: await simpleParser(raw),
          user: session.user as string | undefined,
          secure: session.secure,
        }
        messages.push(msg)
        const w = waiting.shift()
        if (w) {
          taken++
          w(msg)
        }
        cb()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  server.on('error', () => {})
  const port = (server.server.address() as net.AddressInfo).port
  return {
    port,
    certFile: tls?.certFile,
    messages,
    connections: () => connections,
    next(timeoutMs = 30_000) {
      if (taken < messages.length) return Promise.resolve(messages[taken++])
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no message received')), timeoutMs)
        waiting.push((m) => {
          clearTimeout(t)
          resolve(m)
        })
      })
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A TCP server that accepts connections and never says a word (an SMTP server that hangs). */
export async function silentServer(): Promise<{ port: number; connections(): number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  let count = 0
  const server = net.createServer((s) => {
    count++
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    async stop() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A free port with nothing listening on it (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

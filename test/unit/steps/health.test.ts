/**
 * The health check's HTTP client over a given stream (in production: an SSH forwarding channel; here: a TCP socket to
 * a real HTTP or HTTPS server on loopback, with a self-signed certificate made by openssl).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { type AddressInfo, connect, createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getOverStream } from '../../../src/steps/health.js'

let plain: http.Server
let secure: https.Server
let dir: string
const seen: { host?: string; url?: string }[] = []

const handler: http.RequestListener = (req, res) => {
  seen.push({ host: req.headers.host, url: req.url })
  if (req.url === '/slow') return // never answers
  if (req.url === '/big') {
    res.writeHead(200)
    res.end('x'.repeat(600 * 1024))
    return
  }
  res.writeHead(req.url?.startsWith('/login') ? 200 : 303, { Location: '/login/index.php' })
  res.end(`<title>Trial: Log in to the site</title> ${req.url}`)
}

beforeAll(async () => {
  dir = mkdtempSync('/tmp/dlv-health-')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=moodle.example.invalid', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`], { stdio: 'ignore' })
  plain = http.createServer(handler)
  secure = https.createServer({ key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) }, handler)
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r))
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r))
})

afterAll(() => {
  plain?.close()
  secure?.close()
  rmSync(dir, { recursive: true, force: true })
})

const port = (s: http.Server) => (s.address() as AddressInfo).port
const socketTo = (s: http.Server) => connect(port(s), '127.0.0.1')

describe('getOverStream', () => {
  it('makes a GET with the URL host as Host header and returns status and body', async () => {
    const a = await getOverStream(new URL(`http://moodle.example.invalid:${port(plain)}/login/index.php?x=1`), socketTo(plain))
    expect(a.status).toBe(200)
    expect(a.body).toContain('Log in to the site')
    expect(seen.at(-1)).toEqual({ host: `moodle.example.invalid:${port(plain)}`, url: '/login/index.php?x=1' })
  })
  it('does not follow redirects', async () => {
    const a = await getOverStream(new URL(`http://127.0.0.1:${port(plain)}/`), socketTo(plain))
    expect(a.status).toBe(303)
  })
  it('speaks TLS over the stream for https, without verifying the certificate', async () => {
    const a = await getOverStream(new URL(`https://moodle.example.invalid:${port(secure)}/login/index.php`), socketTo(secure))
    expect(a.status).toBe(200)
    expect(a.body).toContain('/login/index.php')
  })
  it('gives up after the time limit with status 0', async () => {
    const a = await getOverStream(new URL(`http://127.0.0.1:${port(plain)}/slow`), socketTo(plain), 500)
    expect(a).toMatchObject({ status: 0, error: 'no answer within 0.5 s' })
  })
  it('keeps at most 256 KiB of the body', async () => {
    const a = await getOverStream(new URL(`http://127.0.0.1:${port(plain)}/big`), socketTo(plain))
    expect(a.status).toBe(200)
    expect(a.body.length).toBe(256 * 1024)
  })
  it('answers status 0 when the connection closes before a response', async () => {
    const rude = createServer((c) => c.destroy())
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r))
    try {
      const p = (rude.address() as AddressInfo).port
      const a = await getOverStream(new URL(`http://127.0.0.1:${p}/login/`), connect(p, '127.0.0.1'))
      expect(a.status).toBe(0)
      expect(a.error).toMatch(/socket hang up|ECONNRESET/)
    } finally {
      rude.close()
    }
  })
})

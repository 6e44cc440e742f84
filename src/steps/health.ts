/**
 * The health check: an HTTP GET made from the server itself, so `127.0.0.1` is the server's own, sites on private
 * networks work, and the runner's network does not matter. The GET travels through the SSH connection: a direct-tcpip
 * channel from the server to the URL's host and port (as `ssh -L` does), over which this program speaks HTTP (or TLS
 * then HTTP). When the server refuses forwarding (sshd `AllowTcpForwarding no`), the GET is made on the server by curl,
 * PHP or wget, whichever it has. Redirects are not followed; TLS certificates are not verified (the check sends nothing
 * secret, and a site on 127.0.0.1 rarely holds a certificate for that name). Retried within a bounded time.
 */
import { StepFailure } from '../errors.js'
import http from 'node:http'
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import type { HealthReport } from '../report/model.js'
import { type HostContext, skipped, step } from './context.js'

const PROBE = `url=$1; php=$2; body=$(mktemp); trap 'rm -f "$body"' EXIT
if command -v curl >/dev/null 2>&1; then
  tool=curl; code=$(curl -s -k -o "$body" -w '%{http_code}' --max-time 10 "$url" || true)
elif command -v "$php" >/dev/null 2>&1; then
  tool=php; code=$("$php" -r '$c = stream_context_create(["http" => ["ignore_errors" => true, "timeout" => 10, "follow_location" => 0], "ssl" => ["verify_peer" => false, "verify_peer_name" => false]]);
$b = @file_get_contents($argv[1], false, $c); file_put_contents($argv[2], (string)$b);
$s = 0; foreach (($http_response_header ?? []) as $h) { if (preg_match("#^HTTP/\\S+ (\\d{3})#", $h, $m)) { $s = (int)$m[1]; } } echo $s;' "$url" "$body" || echo 0)
elif command -v wget >/dev/null 2>&1; then
  tool=wget; code=$(wget -q -S -O "$body" --timeout=10 --max-redirect=0 --no-check-certificate "$url" 2>&1 | sed -n 's#^ *HTTP/[^ ]* \\([0-9][0-9][0-9]\\).*#\\1#p' | tail -1)
else echo "code=none"; exit 0; fi
echo "tool=$tool"
echo "code=\${code:-0}"
echo "body=$(head -c 262144 "$body" | base64 -w0)"`

const MAX_BODY = 256 * 1024
const ATTEMPT_MS = 10_000

export interface HealthOptions {
  attempts?: number
  intervalMs?: number
}

interface Answer {
  status: number
  body: string
  /** Why there was no answer (status 0). */
  error?: string
}

/** One GET over a stream that reaches the URL's host:port (TLS is layered on it for https). */
export function getOverStream(url: URL, stream: Duplex, timeoutMs = ATTEMPT_MS): Promise<Answer> {
  return new Promise((resolve) => {
    let done = false
    const finish = (a: Answer) => {
      if (done) return
      done = true
      clearTimeout(timer)
      stream.destroy()
      resolve(a)
    }
    const socket =
      url.protocol === 'https:'
        ? tls.connect({ socket: stream, servername: isIP(url.hostname.replace(/^\[|\]$/g, '')) ? undefined : url.hostname, rejectUnauthorized: false })
        : stream
    const req = http.request({
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      headers: { Host: url.host, 'User-Agent': 'delivery-health-check', Accept: '*/*', Connection: 'close' },
      createConnection: () => socket as unknown as import('node:net').Socket,
    })
    const timer = setTimeout(() => {
      req.destroy()
      finish({ status: 0, body: '', error: `no answer within ${timeoutMs / 1000} s` })
    }, timeoutMs)
    req.on('error', (e) => finish({ status: 0, body: '', error: e.message }))
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (d: Buffer) => {
        if (size < MAX_BODY) chunks.push(d)
        size += d.length
      })
      const end = () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY) })
      res.on('end', end)
      res.on('close', end)
      res.on('error', end)
    })
    req.end()
  })
}

/** Probes `health-url` until it answers as expected or the attempts run out; throws StepFailure on failure. */
export async function healthCheck(ctx: HostContext, opts: HealthOptions = {}): Promise<HealthReport | undefined> {
  const url = ctx.settings.healthUrl as string
  const { status, text } = ctx.settings.healthExpect
  const expect = `${status}${text ? ` ${text}` : ''}`
  if (ctx.maintenanceKept) {
    // Every visitor gets the maintenance page: the answer says nothing of the code delivered.
    skipped(ctx, 'health', `not checked: ${ctx.maintenanceKept}`)
    return undefined
  }
  const attempts = opts.attempts ?? 5
  const interval = opts.intervalMs ?? 3000
  const started = Date.now()
  const report: HealthReport = { url, expect, ok: false, status: 0, attempts: 0, ms: 0 }
  ctx.report.health = report
  const u = new URL(url)
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80)
  let forwarding = true
  const once = async (): Promise<Answer> => {
    if (forwarding) {
      try {
        const stream = await ctx.sh.forward(host, port)
        report.via = 'ssh-forward'
        return await getOverStream(u, stream)
      } catch (e) {
        const err = e as Error & { prohibited?: boolean }
        if (!err.prohibited) return { status: 0, body: '', error: `the server could not connect to ${host}:${port}: ${err.message}` }
        forwarding = false
        ctx.log.info(`${ctx.target.label}: the server refuses SSH forwarding (${err.message}); probing health-url with a client on the server`)
      }
    }
    const r = await ctx.sh.runAs(undefined, 'probe health-url', PROBE, [url, ctx.settings.php], { timeoutMs: 30_000 })
    const code = /code=(\S+)/.exec(r.stdout)?.[1] ?? '0'
    if (code === 'none') throw new StepFailure('the server refuses SSH forwarding and has none of curl, wget or php to probe health-url with')
    report.via = `server-${/tool=(\S+)/.exec(r.stdout)?.[1] ?? 'client'}`
    return { status: Number(code) || 0, body: Buffer.from(/body=(\S*)/.exec(r.stdout)?.[1] ?? '', 'base64').toString('utf8') }
  }
  return step(
    ctx,
    'health',
    async () => {
      for (let i = 0; i < attempts; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, interval))
        report.attempts = i + 1
        const a = await once()
        report.status = a.status
        const textOk = !text || a.body.includes(text)
        if (a.status === status && textOk) {
          report.ok = true
          report.ms = Date.now() - started
          report.detail = `HTTP ${a.status}`
          return report
        }
        report.detail = a.status === 0 ? `no answer (${a.error ?? 'unknown error'})` : `HTTP ${a.status}${a.status === status && !textOk ? `, body lacks ${JSON.stringify(text)}` : ''}`
      }
      report.ms = Date.now() - started
      throw new StepFailure(`health check failed: ${url} answered ${report.detail} after ${report.attempts} attempt(s), expected ${expect}`)
    },
    (r) => `${r.url}: ${r.detail} (${r.attempts} attempt(s), via ${r.via})`,
  )
}

/**
 * The health check: an HTTP GET made from the server itself (so `127.0.0.1` is the server's own and private sites
 * work), with curl, wget or PHP, whichever the server has; retried within a bounded time.
 */
import type { HealthReport } from '../report/model.js'
import { type HostContext, StepFailure, step } from './context.js'

const PROBE = `url=$1; php=$2; body=$(mktemp); trap 'rm -f "$body"' EXIT
if command -v curl >/dev/null 2>&1; then
  code=$(curl -s -o "$body" -w '%{http_code}' --max-time 10 "$url" || true)
elif command -v "$php" >/dev/null 2>&1; then
  code=$("$php" -r '$c = stream_context_create(["http" => ["ignore_errors" => true, "timeout" => 10, "follow_location" => 0]]);
$b = @file_get_contents($argv[1], false, $c); file_put_contents($argv[2], (string)$b);
$s = 0; foreach (($http_response_header ?? []) as $h) { if (preg_match("#^HTTP/\\S+ (\\d{3})#", $h, $m)) { $s = (int)$m[1]; } } echo $s;' "$url" "$body" || echo 0)
elif command -v wget >/dev/null 2>&1; then
  code=$(wget -q -S -O "$body" --timeout=10 --max-redirect=0 "$url" 2>&1 | sed -n 's#^ *HTTP/[^ ]* \\([0-9][0-9][0-9]\\).*#\\1#p' | tail -1)
else echo "code=none"; exit 0; fi
echo "code=\${code:-0}"
echo "body=$(head -c 262144 "$body" | base64 -w0)"`

export interface HealthOptions {
  attempts?: number
  intervalMs?: number
}

/** Probes `health-url` until it answers as expected or the attempts run out; throws StepFailure on failure. */
export async function healthCheck(ctx: HostContext, opts: HealthOptions = {}): Promise<HealthReport> {
  const url = ctx.settings.healthUrl as string
  const { status, text } = ctx.settings.healthExpect
  const expect = `${status}${text ? ` ${text}` : ''}`
  const attempts = opts.attempts ?? 5
  const interval = opts.intervalMs ?? 3000
  const started = Date.now()
  const report: HealthReport = { url, expect, ok: false, status: 0, attempts: 0, ms: 0 }
  ctx.report.health = report
  return step(
    ctx,
    'health',
    async () => {
      for (let i = 0; i < attempts; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, interval))
        report.attempts = i + 1
        const r = await ctx.sh.runAs(undefined, 'probe health-url', PROBE, [url, ctx.settings.php], { timeoutMs: 30_000 })
        const code = /code=(\S+)/.exec(r.stdout)?.[1] ?? '0'
        if (code === 'none') throw new StepFailure('the server has none of curl, wget or php to probe health-url with')
        report.status = Number(code) || 0
        const body = Buffer.from(/body=(\S*)/.exec(r.stdout)?.[1] ?? '', 'base64').toString('utf8')
        const textOk = !text || body.includes(text)
        if (report.status === status && textOk) {
          report.ok = true
          report.ms = Date.now() - started
          report.detail = `HTTP ${report.status}`
          return report
        }
        report.detail = `HTTP ${report.status}${report.status === status && !textOk ? `, body lacks ${JSON.stringify(text)}` : ''}`
      }
      report.ms = Date.now() - started
      throw new StepFailure(`health check failed: ${url} answered ${report.detail} after ${report.attempts} attempt(s), expected ${expect}`)
    },
    (r) => `${r.url}: ${r.detail} (${r.attempts} attempt(s))`,
  )
}

/**
 * Posting a chat message: one POST with bounded tries, a bound on each and on all together, and no redirect followed.
 * Never throws: the result says what happened, for the caller to report as a warning.
 */
import { formatMs } from '../report/view.js'
import { VERSION } from '../version.js'

export interface PostOptions {
  /** Tries in all (default 3). */
  attempts: number
  /** Bound on one try, from connecting to the end of the answer (default 10 s). */
  attemptTimeoutMs: number
  /** Bound on all the tries of one webhook together, waits included (default 30 s). */
  totalMs: number
  /** Wait before the second try; doubled before each later one (default 1 s). */
  backoffMs: number
}

export const DEFAULT_POST: PostOptions = { attempts: 3, attemptTimeoutMs: 10_000, totalMs: 30_000, backoffMs: 1000 }

export interface PostResult {
  ok: boolean
  /** The last HTTP status (0: no answer). */
  status: number
  attempts: number
  /** Why it failed, in words (unmasked: the caller masks). */
  error?: string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } }
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${formatMs(timeoutMs)}`
  const cause = err.cause
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.startsWith(cause.code) ? ` (${cause.message})` : ''}`
  return cause?.message ?? err.message
}

/**
 * POSTs `body` to `url`. Answers 2xx are success. Redirects are not followed (a webhook that moved must be given its
 * new address, and the body must not be sent somewhere nobody chose). Retried: no connection, no answer in time, 5xx
 * and 429 (waiting as Retry-After asks when that fits the time left); not retried: other 3xx and 4xx.
 */
export async function postWebhook(url: string, body: string, headers: Record<string, string>, opts: PostOptions = DEFAULT_POST): Promise<PostResult> {
  const deadline = Date.now() + opts.totalMs
  let last: PostResult = { ok: false, status: 0, attempts: 0, error: 'not sent' }
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const left = deadline - Date.now()
    if (left <= 0) break
    const timeout = Math.min(opts.attemptTimeoutMs, left)
    let retryAfterMs: number | undefined
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': `delivery/${VERSION}`, ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeout),
      })
      const text = (await res.text()).slice(0, 300).replace(/\s+/g, ' ').trim()
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, attempts: attempt }
      const answer = `HTTP ${res.status}${text ? `: ${text}` : ''}`
      if (res.status >= 300 && res.status < 400) {
        return { ok: false, status: res.status, attempts: attempt, error: `${answer} (a redirect${res.headers.get('location') ? ` to ${res.headers.get('location')}` : ''}, not followed: give the webhook's current URL)` }
      }
      last = { ok: false, status: res.status, attempts: attempt, error: answer }
      if (res.status !== 429 && res.status < 500) return last
      const ra = res.headers.get('retry-after')
      if (ra && /^\d{1,6}$/.test(ra.trim())) retryAfterMs = Number(ra.trim()) * 1000
    } catch (e) {
      last = { ok: false, status: 0, attempts: attempt, error: describeFetchError(e, timeout) }
    }
    if (attempt === opts.attempts) break
    const wait = retryAfterMs ?? opts.backoffMs * 2 ** (attempt - 1)
    if (Date.now() + wait >= deadline) {
      last.error += retryAfterMs !== undefined ? ` (Retry-After ${retryAfterMs / 1000} s is past the time bound)` : ''
      break
    }
    await sleep(wait)
  }
  return last
}

/** The secret parts of a webhook URL (the whole, the path with its query, each alone), long enough to mask. */
export function urlParts(url: string): string[] {
  const parts = [url]
  try {
    const u = new URL(url)
    for (const p of [`${u.pathname}${u.search}`, u.pathname, u.search.slice(1), decodeURIComponent(u.pathname)]) if (p.length >= 8) parts.push(p)
  } catch {
    /* validated before */
  }
  return parts
}


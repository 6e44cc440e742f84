/**
 * A load generator for 127.0.0.1 only: a fixed request rate (open loop: requests leave on schedule whether or not the
 * earlier ones have answered), keep-alive off (a new TCP connection per request, so each one goes through nginx's
 * root resolution again), bounded in count, in time and in requests in flight. Every request is recorded with its
 * send and end times (epoch ms, from the system clock: the clock of the server's time stamps), status and body, or
 * the error that ended it.
 */
import http from 'node:http'
import { now, wallNow } from './util.js'

export interface Sample {
  /** When the request was sent, epoch ms (system clock, as the server's time stamps). */
  t0: number
  /** When the response ended (or the request failed), epoch ms. */
  t1: number
  /** HTTP status, 0 when there was no response. */
  status: number
  body: string
  /** Connection error, timeout, or "dropped" (too many requests in flight: not sent). */
  error?: string
}

export interface LoadOptions {
  port: number
  path?: string
  /** Requests per second. */
  rate: number
  /** Hard bounds: the load stops by itself after this long or this many requests. */
  maxMs?: number
  maxRequests?: number
  maxInFlight?: number
  timeoutMs?: number
}

export interface Load {
  /** Stops sending, waits for the requests in flight, and returns every sample in sending order. */
  stop(): Promise<Sample[]>
  /** Samples so far (not a copy). */
  samples: Sample[]
}

function once(port: number, path: string, timeoutMs: number): Promise<Sample> {
  const t0 = wallNow()
  return new Promise((resolve) => {
    let done = false
    const finish = (s: Omit<Sample, 't0' | 't1'>) => {
      if (done) return
      done = true
      resolve({ t0, t1: wallNow(), ...s })
    }
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { Connection: 'close' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        if (body.length < 2048) body += d
      })
      res.on('end', () => finish({ status: res.statusCode ?? 0, body }))
      res.on('error', (e) => finish({ status: res.statusCode ?? 0, body, error: e.message }))
    })
    req.setTimeout(timeoutMs, () => {
      req.destroy(new Error(`timeout after ${timeoutMs} ms`))
    })
    req.on('error', (e: Error & { code?: string }) => finish({ status: 0, body: '', error: e.code ?? e.message }))
    req.end()
  })
}

export function startLoad(o: LoadOptions): Load {
  if (o.rate <= 0 || o.rate > 2000) throw new Error(`rate ${o.rate}/s is out of bounds (1..2000)`)
  const path = o.path ?? '/index.php'
  const maxMs = o.maxMs ?? 15 * 60_000
  const maxRequests = o.maxRequests ?? Math.ceil((maxMs / 1000) * o.rate)
  const maxInFlight = o.maxInFlight ?? 256
  const timeoutMs = o.timeoutMs ?? 10_000
  const samples: Sample[] = []
  const pending = new Set<Promise<void>>()
  const start = now()
  const interval = 1000 / o.rate
  let sent = 0
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const tick = () => {
    if (stopped) return
    const t = now()
    while (!stopped && start + sent * interval <= t) {
      if (sent >= maxRequests || t - start > maxMs) {
        stopped = true
        break
      }
      const i = samples.length
      sent++
      const w = wallNow()
      if (pending.size >= maxInFlight) {
        samples.push({ t0: w, t1: w, status: 0, body: '', error: 'dropped' })
        continue
      }
      samples.push({ t0: w, t1: w, status: 0, body: '', error: 'in flight' })
      const p = once(o.port, path, timeoutMs).then((s) => {
        samples[i] = s
        pending.delete(p)
      })
      pending.add(p)
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, start + sent * interval - now()))
  }
  tick()
  return {
    samples,
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await Promise.all([...pending])
      return samples
    },
  }
}

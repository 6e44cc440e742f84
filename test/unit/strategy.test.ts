import { describe, expect, it } from 'vitest'
import type { HostResult } from '../../src/host/skeleton.js'
import { newHostReport } from '../../src/report/model.js'
import { runStrategy } from '../../src/strategy.js'

/**
 * Hosts whose runs the test ends by hand: each run waits until the test settles it, so which hosts run at once is
 * seen without timing.
 */
function hosts(n: number) {
  const labels = Array.from({ length: n }, (_, i) => `deploy@web${i + 1}:22`)
  const started: number[] = []
  const pending = new Map<number, (outcome: HostResult['outcome']) => void>()
  let running = 0
  let peak = 0
  const run = (i: number) =>
    new Promise<HostResult>((resolve) => {
      started.push(i)
      running++
      peak = Math.max(peak, running)
      pending.set(i, (outcome) => {
        running--
        pending.delete(i)
        resolve({ ...newHostReport(labels[i]), outcome, error: outcome === 'success' ? undefined : 'health check failed' })
      })
    })
  /** Lets the runs started so far reach their wait. */
  const settle = () => new Promise((r) => setImmediate(r))
  const end = async (i: number, outcome: HostResult['outcome'] = 'success') => {
    await settle()
    const f = pending.get(i)
    if (!f) throw new Error(`host ${i} is not running (running: ${[...pending.keys()].join(', ')})`)
    f(outcome)
    await settle()
  }
  return { labels, started, pending, run, end, settle, peak: () => peak }
}

describe('strategies over many hosts', () => {
  it('parallel: every host at once; reports in the order of the hosts', async () => {
    const h = hosts(4)
    const done = runStrategy(h.labels, 'parallel', 0, h.run)
    await h.settle()
    expect(h.started.sort()).toEqual([0, 1, 2, 3])
    for (const i of [3, 1, 0, 2]) await h.end(i, i === 1 ? 'failure' : 'success')
    const r = await done
    expect(r.map((x) => x.host)).toEqual(h.labels)
    expect(r.map((x) => x.outcome)).toEqual(['success', 'failure', 'success', 'success'])
  })

  it('max-parallel bounds how many run at once; the next host starts when one ends', async () => {
    const h = hosts(5)
    const done = runStrategy(h.labels, 'parallel', 2, h.run)
    await h.settle()
    expect([...h.pending.keys()]).toEqual([0, 1])
    await h.end(1)
    expect([...h.pending.keys()].sort()).toEqual([0, 2])
    await h.end(0, 'failure')
    await h.end(2)
    await h.end(3)
    await h.end(4)
    const r = await done
    expect(h.peak()).toBe(2)
    expect(h.started).toEqual([0, 1, 2, 3, 4])
    expect(r.map((x) => x.outcome)).toEqual(['failure', 'success', 'success', 'success', 'success'])
  })

  it('rolling: one host at a time, and the hosts after the first failure are not run', async () => {
    const h = hosts(4)
    const done = runStrategy(h.labels, 'rolling', 0, h.run)
    await h.end(0)
    expect([...h.pending.keys()]).toEqual([1])
    await h.end(1, 'refused')
    const r = await done
    expect(h.peak()).toBe(1)
    expect(h.started).toEqual([0, 1])
    expect(r.map((x) => x.outcome)).toEqual(['success', 'refused', 'skipped', 'skipped'])
    expect(r[2].message).toBe(`not run: ${h.labels[1]} did not succeed (strategy rolling stops at the first failure)`)
  })

  it('canary: the first host alone, then the others together', async () => {
    const h = hosts(4)
    const done = runStrategy(h.labels, 'canary', 0, h.run)
    await h.settle()
    expect([...h.pending.keys()]).toEqual([0])
    await h.end(0)
    expect([...h.pending.keys()].sort()).toEqual([1, 2, 3])
    for (const i of [1, 2, 3]) await h.end(i)
    expect((await done).every((x) => x.outcome === 'success')).toBe(true)
  })

  it('canary: after the canary fails, no other host is run, and each report says why', async () => {
    const h = hosts(3)
    const done = runStrategy(h.labels, 'canary', 0, h.run)
    await h.end(0, 'failure')
    expect(h.started).toEqual([0])
    const r = await done
    expect(r.map((x) => x.outcome)).toEqual(['failure', 'skipped', 'skipped'])
    expect(r[1].message).toBe(`not run: the canary host ${h.labels[0]} did not succeed`)
    expect(r[2].host).toBe(h.labels[2])
  })

  it('canary with max-parallel: the others after the canary are bounded too', async () => {
    const h = hosts(4)
    const done = runStrategy(h.labels, 'canary', 2, h.run)
    await h.end(0)
    expect([...h.pending.keys()]).toEqual([1, 2])
    for (const i of [1, 2, 3]) await h.end(i)
    await done
    expect(h.peak()).toBe(2)
  })

  it('one host: canary and rolling simply run it', async () => {
    for (const strategy of ['canary', 'rolling'] as const) {
      const h = hosts(1)
      const done = runStrategy(h.labels, strategy, 0, h.run)
      await h.end(0, 'failure')
      expect((await done).map((x) => x.outcome)).toEqual(['failure'])
    }
  })
})

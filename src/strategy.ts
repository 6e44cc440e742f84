/**
 * The strategies of a run over many hosts: `parallel` (at most `max-parallel` at once), `rolling` (one at a time,
 * stopping at the first host that does not succeed), `canary` (the first host alone, then the others in parallel if
 * it succeeded). A host not run gets a `skipped` report saying why.
 */
import type { HostResult } from './host/skeleton.js'
import { newHostReport } from './report/model.js'
import type { Settings } from './settings.js'

export type Strategy = Settings['strategy']

/**
 * Runs `run` for each index with the strategy: `rolling` one at a time, stopping at the first host that does not
 * succeed; otherwise at most `width` at once. Indices not run get their report from `notRun`.
 */
export async function spread(
  indices: number[],
  strategy: Strategy,
  width: number,
  results: HostResult[],
  run: (i: number) => Promise<HostResult>,
  notRun: (i: number, why: string) => void,
): Promise<void> {
  if (strategy === 'rolling') {
    let stopped: string | undefined
    for (const i of indices) {
      if (stopped) notRun(i, `not run: ${stopped} did not succeed (strategy rolling stops at the first failure)`)
      else {
        results[i] = await run(i)
        if (results[i].outcome !== 'success') stopped = results[i].host
      }
    }
    return
  }
  let next = 0
  const worker = async () => {
    while (next < indices.length) {
      const i = indices[next++]
      results[i] = await run(i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, indices.length)) }, worker))
}

/** A skipped report for a host not run, saying why. */
export function notRunReport(label: string, why: string): HostResult {
  return { ...newHostReport(label), outcome: 'skipped', message: why }
}

/**
 * Runs every host (by label) with the strategy, at most `maxParallel` at once (0: no bound); canary runs the first
 * host alone and the others only if it succeeded. Reports are in the order of `labels`.
 */
export async function runStrategy(labels: string[], strategy: Strategy, maxParallel: number, run: (i: number) => Promise<HostResult>): Promise<HostResult[]> {
  const results: HostResult[] = new Array(labels.length)
  const notRun = (i: number, why: string) => {
    results[i] = notRunReport(labels[i], why)
  }
  const all = labels.map((_, i) => i)
  const width = maxParallel > 0 ? maxParallel : labels.length
  if (strategy === 'canary' && labels.length > 1) {
    results[0] = await run(0)
    if (results[0].outcome === 'success') await spread(all.slice(1), 'parallel', width, results, run, notRun)
    else for (const i of all.slice(1)) notRun(i, `not run: the canary host ${labels[0]} did not succeed`)
  } else {
    await spread(all, strategy, width, results, run, notRun)
  }
  return results
}

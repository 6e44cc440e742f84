/** Running a step on every node of a cluster at once, and naming the nodes that failed. */
import type { HostContext } from '../steps/context.js'

/** Runs `fn` on every node at once; the error of each (undefined: it succeeded). */
export async function each(nodes: HostContext[], fn: (ctx: HostContext, i: number) => Promise<void>): Promise<(Error | undefined)[]> {
  const r = await Promise.allSettled(nodes.map((ctx, i) => fn(ctx, i)))
  return r.map((x) => (x.status === 'rejected' ? (x.reason as Error) : undefined))
}

export const labels = (nodes: HostContext[], idx: number[]) => idx.map((i) => nodes[i].target.label).join(', ')
export const failedIdx = (errs: (Error | undefined)[]) => errs.flatMap((e, i) => (e ? [i] : []))

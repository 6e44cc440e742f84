/**
 * The nodes of one cluster run, all holding their locks: what the coordinated sequences (deliver.ts, goback.ts) share:
 * each node's error so far, what it switched, its caches, and running a step on every node at once.
 */
import { modeRow } from '../modes/table.js'
import type { Settings } from '../settings.js'
import { StepFailure } from '../errors.js'
import { type HostContext, journal } from '../steps/context.js'
import { healthCheck } from '../steps/health.js'
import { runHook } from '../steps/hooks.js'
import { NodeCaches } from './caches.js'

/** Runs `fn` on every node at once; the error of each (undefined: it succeeded). */
export async function each(nodes: HostContext[], fn: (ctx: HostContext, i: number) => Promise<void>): Promise<(Error | undefined)[]> {
  const r = await Promise.allSettled(nodes.map((ctx, i) => fn(ctx, i)))
  return r.map((x) => (x.status === 'rejected' ? (x.reason as Error) : undefined))
}

export const labels = (nodes: HostContext[], idx: number[]) => idx.map((i) => nodes[i].target.label).join(', ')
export const failedIdx = (errs: (Error | undefined)[]) => errs.flatMap((e, i) => (e ? [i] : []))

export class ClusterNodes {
  protected readonly lead: HostContext
  protected readonly errs: (Error | undefined)[]
  /** Per node: the tree live pointed at before the switch, and the one it points at after (once switched). */
  protected readonly switched: ({ from: string; to: string } | undefined)[]
  /** Per node: the switch it was making when it failed, when its connection dropped meanwhile (it may have happened). */
  protected readonly unsure: (string | undefined)[]
  protected readonly caches = new NodeCaches()

  constructor(
    protected readonly settings: Settings,
    protected readonly nodes: HostContext[],
  ) {
    this.lead = nodes[0]
    this.errs = nodes.map(() => undefined)
    this.switched = nodes.map(() => undefined)
    this.unsure = nodes.map(() => undefined)
  }

  protected get moodle(): boolean {
    return this.lead.app.name === 'moodle'
  }

  /**
   * One sentence per node whose connection dropped during its switch, which may have happened; `undo` says what to run
   * on it if it did.
   */
  protected unsureNodes(undo: string): string[] {
    return this.nodes.flatMap((c, i) =>
      this.unsure[i]
        ? [`${c.target.label} lost its connection during its switch (${this.unsure[i]}), which may have happened: check it with mode status (the next run records what is on disk) and ${undo}`]
        : [],
    )
  }

  /** The other nodes' journals record the restore the first node made (a node whose journal refuses gets a warning). */
  protected async journalRestore(others: HostContext[], data: Record<string, unknown>): Promise<void> {
    const r = await each(others, (ctx) => journal(ctx, 'database-restore', data))
    r.forEach((e, i) => e && others[i].log.warning(`${others[i].target.label}: the journal did not record the database restore: ${e.message}`))
  }

  /** Every node not failed yet fails with `why` (failed ones keep their own error). */
  protected failRest(why: string): (Error | undefined)[] {
    return this.errs.map((e) => e ?? new StepFailure(why))
  }

  /** The per-node steps of the mode's row after the switch: after-switch and the health check of one node. */
  protected async checkNode(ctx: HostContext): Promise<void> {
    const steps = modeRow(this.settings.mode).nodeSteps
    if (this.settings.afterSwitch && steps.includes('after-switch')) await runHook(ctx, 'after-switch', this.settings.afterSwitch)
    if (this.settings.healthUrl && steps.includes('health')) await healthCheck(ctx)
  }
}

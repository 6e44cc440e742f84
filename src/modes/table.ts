/**
 * The table of modes: one row per mode says what runs, what the mode does to the server and which states it fits.
 * Every check reads it (engine, fleet, cluster, deployments; the settings read the facts part, src/modes/facts.ts,
 * before any connection): a new mode is one row here and one in facts.ts (TypeScript refuses a table without it).
 */
import type { Probe } from '../remote/server.js'
import type { Mode } from '../settings.js'
import { type HostContext, mustState, step } from '../steps/context.js'
import { backtoprod } from './backtoprod.js'
import { deliver, prepareDelivery } from './deliver.js'
import { anyLayout, anyState, canGoBack, type Fit, hasUpdatedWorkTree, hasWorkTree, inProduction, noLayout, noSessionOpen, sessionOpen as sessionIsOpen } from './fit.js'
import { MODE_FACTS, type ModeFacts } from './facts.js'
import { goback } from './goback.js'
import { init } from './init.js'
import { sessionClose, sessionOpen } from './session.js'
import { status } from './status.js'
import { syncback } from './syncback.js'
import { update } from './update.js'

/** How the nodes of a cluster (`cluster: true`) run the mode together; absent: each node runs it on its own. */
export interface ClusterRun {
  /** `forward` switches every node to its work tree (after `prepare`), `back` to its safe tree. */
  sequence: 'forward' | 'back'
  /** Each node's part before the switch, while the site serves. */
  prepare?: (ctx: HostContext) => Promise<void>
  /** A dry run on each node: the mode's own plan. */
  plan: (ctx: HostContext) => Promise<void>
}

/** A mode's facts (src/modes/facts.ts) and how it runs. */
export interface ModeRow extends ModeFacts {
  /** The mode's steps on one host (under the lock when it writes). */
  run: (ctx: HostContext) => Promise<void>
  /** The server states it fits (the refusal names the mode to run instead). */
  fit: Fit
  /** With cluster: the coordinated sequence; absent: each node runs the mode on its own. */
  cluster?: ClusterRun
}

/** backtoprod's work tree must be ready to serve (svn: no conflicts), checked while the site serves. */
async function ready(ctx: HostContext): Promise<void> {
  const state = mustState(ctx)
  const work = state.trees[state.work ?? '']
  if (ctx.vcs.checkReady) await step(ctx, 'ready', () => ctx.vcs.checkReady!(work))
}

export const MODE_TABLE: Record<Mode, ModeRow> = {
  init: { ...MODE_FACTS.init, run: (ctx) => init(ctx), fit: noLayout },
  status: { ...MODE_FACTS.status, run: (ctx) => status(ctx), fit: anyState },
  syncback: { ...MODE_FACTS.syncback, run: (ctx) => syncback(ctx, { paths: ctx.settings.paths }), fit: inProduction },
  supersyncback: { ...MODE_FACTS.supersyncback, run: (ctx) => syncback(ctx, { paths: ctx.settings.paths, supersave: true }), fit: inProduction },
  goback: { ...MODE_FACTS.goback, run: (ctx) => goback(ctx), fit: canGoBack, cluster: { sequence: 'back', plan: (ctx) => goback(ctx) } },
  update: { ...MODE_FACTS.update, run: (ctx) => update(ctx), fit: hasWorkTree },
  backtoprod: {
    ...MODE_FACTS.backtoprod,
    run: (ctx) => backtoprod(ctx),
    fit: hasUpdatedWorkTree,
    cluster: { sequence: 'forward', prepare: ready, plan: (ctx) => backtoprod(ctx) },
  },
  deliver: {
    ...MODE_FACTS.deliver,
    run: (ctx) => deliver(ctx),
    fit: anyLayout,
    cluster: {
      sequence: 'forward',
      prepare: async (ctx) => {
        await prepareDelivery(ctx)
      },
      plan: async (ctx) => {
        await prepareDelivery(ctx)
      },
    },
  },
  'session-open': { ...MODE_FACTS['session-open'], run: (ctx) => sessionOpen(ctx), fit: noSessionOpen },
  'session-close': {
    ...MODE_FACTS['session-close'],
    run: async (ctx) => {
      await sessionClose(ctx)
    },
    fit: sessionIsOpen,
  },
}

/** The row of a mode. */
export function modeRow(mode: Mode): ModeRow {
  return MODE_TABLE[mode]
}

/** Returns the refusal sentence when `mode` does not fit what the probe found, or null when it fits. */
export function refusal(mode: Mode, p: Probe, root: string, session: 'auto' | 'required' = 'auto'): string | null {
  const row = MODE_TABLE[mode]
  if (session === 'required' && row.intervention && !p.session) {
    return `no delivery session is open and session is required: open one first with mode session-open (session-title, session-description, session-impact)`
  }
  return row.fit(p, root, mode)
}

export type { ModeFacts, NodeStep } from './facts.js'

/**
 * The table of modes: one row per mode says what runs, what the mode does to the server and which states it fits.
 * Every check reads it (settings, engine, fleet, cluster, deployments): a new mode is one row.
 */
import type { Probe } from '../remote/server.js'
import type { Mode } from '../settings.js'
import { type HostContext, mustState, step } from '../steps/context.js'
import { backtoprod } from './backtoprod.js'
import { deliver, prepareDelivery } from './deliver.js'
import { anyLayout, anyState, canGoBack, type Fit, hasUpdatedWorkTree, hasWorkTree, inProduction, noLayout, noSessionOpen, sessionOpen as sessionIsOpen } from './fit.js'
import { goback } from './goback.js'
import { init } from './init.js'
import { sessionClose, sessionOpen } from './session.js'
import { status } from './status.js'
import { syncback } from './syncback.js'
import { update } from './update.js'

/** A step a node runs on its own after the switch: its `after-switch` command, its health check. */
export type NodeStep = 'after-switch' | 'health'

/** How the nodes of a cluster (`cluster: true`) run the mode together; absent: each node runs it on its own. */
export interface ClusterRun {
  /** `forward` switches every node to its work tree (after `prepare`), `back` to its safe tree. */
  sequence: 'forward' | 'back'
  /** Each node's part before the switch, while the site serves. */
  prepare?: (ctx: HostContext) => Promise<void>
  /** A dry run on each node: the mode's own plan. */
  plan: (ctx: HostContext) => Promise<void>
}

export interface ModeRow {
  /** The mode's steps on one host (under the lock when it writes). */
  run: (ctx: HostContext) => Promise<void>
  /** Changes the server: takes the lock, writes the journal. */
  writes: boolean
  /** An intervention: it joins the open delivery session. */
  intervention: boolean
  /** The code source it needs: none, one to make a new layout from (init), one to update the layout's work tree from. */
  source: 'none' | 'new-layout' | 'layout'
  /** What it does with `paths`: limits its copy to them, refuses them (settings fail), or ignores them. */
  paths: 'used' | 'refused' | 'ignored'
  /** Points `live` at another tree (init, a switch): the report shows which tree serves before and after. */
  putsLive: boolean
  /** What it does to a GitHub environment's deployments: records the ref put live, marks the latest one inactive. */
  deployment: 'record' | 'inactive' | 'none'
  /** Reads the server as it is: a held lock, a damaged state or session is reported, not a reason to fail. */
  inspects: boolean
  /** Changes only the work tree: the live tree serves the revision it served. */
  workTreeOnly: boolean
  /** A run from production audits only the paths it changed in the tree it put live (the rest served before). */
  auditsChangedPaths: boolean
  /** The server states it fits (the refusal names the mode to run instead). */
  fit: Fit
  /** With shared-code: the first host runs the mode (`first-host`), or every host runs it on its own (`each-host`). */
  sharedCode: 'first-host' | 'each-host'
  /** With shared-code: the steps each other node runs once the first host has switched (when their input is set). */
  nodeSteps: readonly NodeStep[]
  /** With cluster: the coordinated sequence; absent: each node runs the mode on its own. */
  cluster?: ClusterRun
}

/** The facts most modes share: they write, change no deployment, inspect nothing. */
const WRITER = { writes: true, putsLive: false, source: 'none', paths: 'ignored', deployment: 'none', inspects: false, workTreeOnly: false, auditsChangedPaths: false, sharedCode: 'first-host', nodeSteps: [] } as const

/** backtoprod's work tree must be ready to serve (svn: no conflicts), checked while the site serves. */
async function ready(ctx: HostContext): Promise<void> {
  const state = mustState(ctx)
  const work = state.trees[state.work ?? '']
  if (ctx.vcs.checkReady) await step(ctx, 'ready', () => ctx.vcs.checkReady!(work))
}

export const MODE_TABLE: Record<Mode, ModeRow> = {
  init: { ...WRITER, run: (ctx) => init(ctx), intervention: false, source: 'new-layout', paths: 'refused', putsLive: true, deployment: 'record', fit: noLayout },
  status: { ...WRITER, run: (ctx) => status(ctx), writes: false, intervention: false, paths: 'refused', inspects: true, fit: anyState, sharedCode: 'each-host' },
  syncback: { ...WRITER, run: (ctx) => syncback(ctx, { paths: ctx.settings.paths }), intervention: true, paths: 'used', fit: inProduction },
  supersyncback: { ...WRITER, run: (ctx) => syncback(ctx, { paths: ctx.settings.paths, supersave: true }), intervention: true, paths: 'used', fit: inProduction },
  goback: {
    ...WRITER,
    run: (ctx) => goback(ctx),
    intervention: true,
    paths: 'refused',
    putsLive: true,
    deployment: 'inactive',
    fit: canGoBack,
    nodeSteps: ['after-switch'],
    cluster: { sequence: 'back', plan: (ctx) => goback(ctx) },
  },
  update: { ...WRITER, run: (ctx) => update(ctx), intervention: true, source: 'layout', paths: 'used', workTreeOnly: true, fit: hasWorkTree },
  backtoprod: {
    ...WRITER,
    run: (ctx) => backtoprod(ctx),
    intervention: true,
    paths: 'refused',
    deployment: 'record',
    putsLive: true,
    fit: hasUpdatedWorkTree,
    nodeSteps: ['after-switch', 'health'],
    cluster: { sequence: 'forward', prepare: ready, plan: (ctx) => backtoprod(ctx) },
  },
  deliver: {
    ...WRITER,
    run: (ctx) => deliver(ctx),
    intervention: true,
    source: 'layout',
    paths: 'used',
    putsLive: true,
    deployment: 'record',
    auditsChangedPaths: true,
    fit: anyLayout,
    nodeSteps: ['after-switch', 'health'],
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
  'session-open': { ...WRITER, run: (ctx) => sessionOpen(ctx), intervention: false, fit: noSessionOpen },
  'session-close': {
    ...WRITER,
    run: async (ctx) => {
      await sessionClose(ctx)
    },
    intervention: false,
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

/**
 * What each mode is, as data: whether it writes, joins a session, needs a code source, takes `paths`, puts a tree
 * live, and what each node of a fleet does with it. The settings read these facts before any connection (a mode that
 * needs a repository, a mode that refuses `paths`); src/modes/table.ts adds to each row how the mode runs (its steps,
 * the states it fits, a cluster's sequence). Data only: this module imports nothing but the name of the modes.
 */
import type { Mode } from '../settings/types.js'

/** A step a node runs on its own after the switch: its `after-switch` command, its health check. */
export type NodeStep = 'after-switch' | 'health'

export interface ModeFacts {
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
  /** With shared-code: the first host runs the mode (`first-host`), or every host runs it on its own (`each-host`). */
  sharedCode: 'first-host' | 'each-host'
  /** With shared-code: the steps each other node runs once the first host has switched (when their input is set). */
  nodeSteps: readonly NodeStep[]
}

/** The facts most modes share: they write, change no deployment, inspect nothing. */
const WRITER = { writes: true, putsLive: false, source: 'none', paths: 'ignored', deployment: 'none', inspects: false, workTreeOnly: false, auditsChangedPaths: false, sharedCode: 'first-host', nodeSteps: [] } as const

export const MODE_FACTS: Record<Mode, ModeFacts> = {
  init: { ...WRITER, intervention: false, source: 'new-layout', paths: 'refused', putsLive: true, deployment: 'record' },
  status: { ...WRITER, writes: false, intervention: false, paths: 'refused', inspects: true, sharedCode: 'each-host' },
  syncback: { ...WRITER, intervention: true, paths: 'used' },
  supersyncback: { ...WRITER, intervention: true, paths: 'used' },
  goback: { ...WRITER, intervention: true, paths: 'refused', putsLive: true, deployment: 'inactive', nodeSteps: ['after-switch'] },
  update: { ...WRITER, intervention: true, source: 'layout', paths: 'used', workTreeOnly: true },
  backtoprod: { ...WRITER, intervention: true, paths: 'refused', putsLive: true, deployment: 'record', nodeSteps: ['after-switch', 'health'] },
  deliver: { ...WRITER, intervention: true, source: 'layout', paths: 'used', putsLive: true, deployment: 'record', auditsChangedPaths: true, nodeSteps: ['after-switch', 'health'] },
  'session-open': { ...WRITER, intervention: false },
  'session-close': { ...WRITER, intervention: false },
}

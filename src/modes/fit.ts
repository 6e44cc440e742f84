/**
 * Which server states each mode fits, and the refusal that names the mode to run instead. Each mode's row in the
 * table of modes (./table.ts) names its fit; `refusal` there adds the rule every intervention shares (session).
 */
import type { Probe } from '../remote/server.js'
import { type ServerState, unfinishedRestore } from '../remote/state.js'

/** A mode's fit: the refusal sentence when it does not fit what the probe found, or null when it fits. */
export type Fit = (p: Probe, root: string, mode: string) => string | null

/** Fits whatever the server holds (status reads it as it is). */
export const anyState: Fit = () => null

/** session-open: no session may be open. */
export const noSessionOpen: Fit = (p) => (p.session ? `session ${p.session} is open: close it with mode session-close before opening another` : null)

/** session-close: a session must be open. */
export const sessionOpen: Fit = (p) => (p.session ? null : 'no delivery session is open on this server: nothing to close (open one with mode session-open)')

/** init: no layout yet (neither `live` nor state.json). */
export const noLayout: Fit = (p, root) => {
  if (!p.liveExists && p.stateText === null) return null
  const what = `${p.liveExists ? 'live' : ''}${p.liveExists && p.stateText !== null ? ' and ' : ''}${p.stateText !== null ? '.delivery/state.json' : ''}`
  return `A delivery layout already exists at ${root} (${what}): init changes nothing; run mode status to see it`
}

/**
 * A fit that needs the layout: refuses where there is none (run init first), fits a damaged state (a failure the
 * caller reports), and otherwise asks `fits` about the state.
 */
function onLayout(fits: (s: ServerState, mode: string) => string | null): Fit {
  return (p, root, mode) => {
    if (p.stateText === null) return `No delivery layout at ${root}${p.liveExists ? ' (live exists but .delivery/state.json does not)' : ''}: run mode init first`
    return p.state ? fits(p.state, mode) : null
  }
}

const delivering = (s: ServerState) => `a delivery is in progress (state delivering: live serves trees/${s.live} while trees/${s.work} is being updated)`

/** syncback, supersyncback: production only. */
export const inProduction: Fit = onLayout((s, mode) =>
  s.state === 'production' ? null : `${mode} runs in production, but ${delivering(s)}: run backtoprod (or deliver) to finish it first`,
)

/** goback: production only (a goback already happened otherwise), or to finish a database restore that stopped. */
export const canGoBack: Fit = onLayout((s) =>
  s.state === 'production' || s.restoring ? null : `goback already happened: ${delivering(s)}. Run update then backtoprod (or deliver); to undo the goback, run backtoprod`,
)

/** A fit that also refuses while a database restore has not finished. */
function noUnfinishedRestore(fit: Fit): Fit {
  return (p, root, mode) => (p.state?.restoring ? `${mode} refused: ${unfinishedRestore(p.state)}` : fit(p, root, mode))
}

/** update: a work tree exists (state delivering). */
export const hasWorkTree: Fit = onLayout((s) =>
  s.state === 'delivering'
    ? null
    : `update changes the work tree, which exists only while delivering, and the state is production (live serves trees/${s.live}): run goback first, or deliver for the whole cycle`,
)

/** backtoprod: a work tree whose update finished. */
export const hasUpdatedWorkTree: Fit = noUnfinishedRestore(onLayout((s) => {
  const u = s.state === 'delivering' ? s.trees[s.work ?? '']?.updating : undefined
  if (u) {
    return `the update of the work tree trees/${s.work} to ${u.ref || 'the default branch'} by run ${u.runId} did not finish, so the tree may be half updated: run update again (or deliver, which resumes), then backtoprod`
  }
  return s.state === 'delivering'
    ? null
    : `backtoprod switches an updated work tree live, and the state is production (live serves trees/${s.live}): run goback and update first, or deliver for the whole cycle`
}))

/** deliver: any layout (from production the whole cycle; while delivering it resumes). */
export const anyLayout: Fit = noUnfinishedRestore(onLayout(() => null))

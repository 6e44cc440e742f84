/**
 * Which modes fit which server state, and the refusal that names the mode to run instead.
 */
import type { Probe } from '../remote/server.js'
import type { Mode } from '../settings.js'

/** Modes that change the server (they take the lock). */
export const WRITING_MODES: Mode[] = ['init', 'syncback', 'supersyncback', 'goback', 'update', 'backtoprod', 'deliver', 'session-open', 'session-close']

/** Modes that are interventions: they join the open delivery session. */
export const INTERVENTION_MODES: Mode[] = ['syncback', 'supersyncback', 'goback', 'update', 'backtoprod', 'deliver']

/** Returns the refusal sentence when `mode` does not fit what the probe found, or null when it fits. */
export function refusal(mode: Mode, p: Probe, root: string, session: 'auto' | 'required' = 'auto'): string | null {
  if (session === 'required' && INTERVENTION_MODES.includes(mode) && !p.session) {
    return `no delivery session is open and session is required: open one first with mode session-open (session-title, session-description, session-impact)`
  }
  if (mode === 'status') return null
  if (mode === 'session-open') {
    return p.session ? `session ${p.session} is open: close it with mode session-close before opening another` : null
  }
  if (mode === 'session-close') {
    return p.session ? null : 'no delivery session is open on this server: nothing to close (open one with mode session-open)'
  }
  if (mode === 'init') {
    if (p.liveExists || p.stateText !== null) {
      return `A delivery layout already exists at ${root} (${p.liveExists ? 'live' : ''}${p.liveExists && p.stateText !== null ? ' and ' : ''}${p.stateText !== null ? '.delivery/state.json' : ''}): init changes nothing; run mode status to see it`
    }
    return null
  }
  if (p.stateText === null) {
    return `No delivery layout at ${root}${p.liveExists ? ' (live exists but .delivery/state.json does not)' : ''}: run mode init first`
  }
  const s = p.state
  if (!s) return null // a damaged state is a failure, reported by the caller
  const delivering = `a delivery is in progress (state delivering: live serves trees/${s.live} while trees/${s.work} is being updated)`
  switch (mode) {
    case 'syncback':
    case 'supersyncback':
      return s.state === 'production' ? null : `${mode} runs in production, but ${delivering}: run backtoprod (or deliver) to finish it first`
    case 'goback':
      return s.state === 'production'
        ? null
        : `goback already happened: ${delivering}. Run update then backtoprod (or deliver); to undo the goback, run backtoprod`
    case 'update':
      return s.state === 'delivering'
        ? null
        : `update changes the work tree, which exists only while delivering, and the state is production (live serves trees/${s.live}): run goback first, or deliver for the whole cycle`
    case 'backtoprod': {
      const u = s.state === 'delivering' ? s.trees[s.work ?? '']?.updating : undefined
      if (u) {
        return `the update of the work tree trees/${s.work} to ${u.ref || 'the default branch'} by run ${u.runId} did not finish, so the tree may be half updated: run update again (or deliver, which resumes), then backtoprod`
      }
      return s.state === 'delivering'
        ? null
        : `backtoprod switches an updated work tree live, and the state is production (live serves trees/${s.live}): run goback and update first, or deliver for the whole cycle`
    }
    default:
      return null
  }
}

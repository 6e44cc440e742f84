/**
 * The session report: built from the session records of every host, and its section in the three renderings (the
 * renderers call these with their own helpers for the file list).
 */
import type { Intervention, SessionData } from '../session/sessions.js'
import { emptyChanges, type FileChanges } from '../domain.js'
import type { SessionIntervention, SessionReport } from './model.js'

/** The union of several sets of changes, each path once per kind, in first-seen order. */
export function unionChanges(sets: FileChanges[]): FileChanges {
  const out = emptyChanges()
  const seen = { added: new Set<string>(), modified: new Set<string>(), deleted: new Set<string>(), renamed: new Set<string>() }
  for (const s of sets) {
    for (const k of ['added', 'modified', 'deleted'] as const) {
      for (const p of s[k]) {
        if (!seen[k].has(p)) {
          seen[k].add(p)
          out[k].push(p)
        }
      }
    }
    for (const r of s.renamed) {
      const key = `${r.from}\0${r.to}`
      if (!seen.renamed.has(key)) {
        seen.renamed.add(key)
        out.renamed.push(r)
      }
    }
  }
  return out
}

/** What the report shows of an intervention read from a server. */
function view(i: Intervention): SessionIntervention {
  return {
    at: i.at,
    actor: i.actor,
    runUrl: i.runUrl,
    mode: i.mode,
    host: i.host,
    ref: i.ref,
    commit: i.commit,
    paths: i.paths,
    comment: i.comment,
    outcome: i.outcome,
    error: i.error,
    rolledBack: i.rolledBack,
    files: i.files,
  }
}

/** One session report from the session data read on each host (the record of the first, the interventions of all). */
export function buildSessionReport(data: SessionData[]): SessionReport | undefined {
  if (data.length === 0) return undefined
  const r = data[0].record
  const interventions = data.flatMap((d) => d.interventions.map(view)).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
  const damaged = data.reduce((n, d) => n + d.damaged.length, 0)
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    impact: r.impact,
    status: r.status,
    openedAt: r.openedAt,
    openedBy: r.openedBy,
    closedAt: r.closedAt,
    closedBy: r.closedBy,
    outputState: r.outputState,
    followup: r.followup,
    interventions,
    files: unionChanges(interventions.map((i) => i.files)),
    damagedLines: damaged || undefined,
  }
}

/** The session's facts, in order, for every rendering. */
export function sessionFacts(s: SessionReport): [string, string | undefined][] {
  return [
    ['Session', `${s.title} (${s.id}, ${s.status})`],
    ['Purpose', s.description || undefined],
    ['Impact', s.impact || undefined],
    ['Opened', `${s.openedAt} by ${s.openedBy}`],
    ['Closed', s.closedAt ? `${s.closedAt} by ${s.closedBy ?? ''}` : undefined],
    ['Output state', s.outputState || undefined],
    ['Follow-up', s.followup || undefined],
    ['Unreadable records', s.damagedLines ? `${s.damagedLines} line(s) of the server's session files could not be read and are left out` : undefined],
  ]
}

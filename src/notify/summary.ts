/**
 * The report's summary: what a chat message or a webhook receiver needs to know about a run, without the file lists.
 * Outcome, mode, hosts, versions before and after, changed-file counts (by Moodle component where the site is Moodle),
 * drift, the upgrade, links to the run and to the report artifact. The generic webhook's body is this object as it is
 * (documented in README, Notifications); the Slack, Mattermost and Teams messages are rendered from it.
 */
import { type ComponentCount, countComponents } from '../report/components.js'
import type { HostReport, Outcome, Report } from '../report/model.js'
import { componentsOf, headline, refName, shortRepository, siteName, verdict } from '../report/view.js'
import { maskSecrets } from '../transport/run.js'

/** Changes `summary.schemaVersion` when a field changes meaning or disappears (adding a field does not). */
export const SUMMARY_SCHEMA_VERSION = 1

/** Which notification a run makes: a session opened, a session closed, or any other run. */
export type SummaryKind = 'run' | 'session-open' | 'session-close'

export interface FileCounts {
  added: number
  modified: number
  deleted: number
  renamed: number
  /** added + modified + deleted + renamed (a rename is one file). */
  total: number
}

export interface HostSummary {
  host: string
  outcome: Outcome
  revisionBefore?: string
  revisionAfter?: string
  appVersionBefore?: string
  appVersionAfter?: string
  files: FileCounts
  /** Moodle sites: the counts per component (core first). */
  components?: ComponentCount[]
  /** Files changed by hand on the server, found before a tree was overwritten. */
  drift: { files: number; trees: { tree: string; role: string; files: number; patch?: string }[] }
  /** Moodle's upgrade, when the run ran (or tried) it. */
  upgrade?: { outcome: Outcome; ms: number; detail?: string }
  rolledBack: boolean
  restore?: string
  error?: string
}

export interface ReportSummary {
  schemaVersion: number
  kind: SummaryKind
  outcome: Outcome
  mode: string
  dryRun: boolean
  /** `deliver succeeded`, `update (dry run) failed`. */
  headline: string
  /** One sentence: what the run left in production. */
  verdict: string
  /** The environment, or the first host. */
  site: string
  environment?: string
  repository: string
  /** `owner/name` (or the CVS module, or the last folder of a path). */
  repositoryName: string
  ref: string
  commit: string
  actor: string
  /** What started the run (`push`, `workflow_dispatch`, `cli`...). */
  trigger: string
  startedAt: string
  finishedAt: string
  durationMs: number
  comment?: string
  /** The workflow run ('' from the CLI). */
  runUrl: string
  /** The report artifact; `url` is where a person downloads it. */
  artifact?: { name: string; id: number; url?: string }
  session?: {
    id: string
    title: string
    status: 'open' | 'closed'
    openedBy: string
    openedAt: string
    closedBy?: string
    closedAt?: string
    outputState?: string
    followup?: string
    interventions: number
    files: number
  }
  hosts: HostSummary[]
}

function counts(h: HostReport['files']): FileCounts {
  const c = { added: h.added.length, modified: h.modified.length, deleted: h.deleted.length, renamed: h.renamed.length }
  return { ...c, total: c.added + c.modified + c.deleted + c.renamed }
}

export function hostSummary(h: HostReport): HostSummary {
  const groups = componentsOf(h)
  const up = [...h.steps].reverse().find((s) => s.name === 'upgrade')
  return {
    host: h.host,
    outcome: h.outcome,
    revisionBefore: h.revisionBefore,
    revisionAfter: h.revisionAfter,
    appVersionBefore: h.appVersionBefore,
    appVersionAfter: h.appVersionAfter,
    files: counts(h.files),
    components: groups ? countComponents(groups) : undefined,
    drift: {
      files: h.drift.reduce((n, d) => n + d.files.length, 0),
      trees: h.drift.map((d) => ({ tree: d.tree, role: d.role, files: d.files.length, patch: d.patch })),
    },
    upgrade: up ? { outcome: up.outcome, ms: up.ms, detail: up.detail } : undefined,
    rolledBack: h.rolledBack,
    restore: h.restore,
    error: h.error,
  }
}

/** The summary of a report (a pure function of it). */
export function summarize(r: Report): ReportSummary {
  const kind: SummaryKind = r.mode === 'session-open' || r.mode === 'session-close' ? r.mode : 'run'
  const s = r.session
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    kind,
    outcome: r.outcome,
    mode: r.mode,
    dryRun: r.dryRun,
    headline: headline(r),
    verdict: verdict(r),
    site: siteName(r),
    environment: r.environment,
    repository: r.repository,
    repositoryName: shortRepository(r.repository),
    ref: refName(r),
    commit: r.commit,
    actor: r.actor,
    trigger: r.event,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    comment: r.comment,
    runUrl: r.runUrl,
    artifact: r.artifact ? { ...r.artifact } : undefined,
    session: s
      ? {
          id: s.id,
          title: s.title,
          status: s.status,
          openedBy: s.openedBy,
          openedAt: s.openedAt,
          closedBy: s.closedBy,
          closedAt: s.closedAt,
          outputState: s.outputState,
          followup: s.followup,
          interventions: s.interventions.length,
          files: counts(s.files).total,
        }
      : undefined,
    hosts: r.hosts.map(hostSummary),
  }
}

/** Masks every string inside a JSON-like value (keys are ours and stay as they are). */
export function maskValues<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return maskSecrets(value, secrets) as T
  if (Array.isArray(value)) return value.map((v) => maskValues(v, secrets)) as T
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = maskValues(v, secrets)
    return out as T
  }
  return value
}

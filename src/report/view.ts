/**
 * What the three renderings (Markdown, HTML, plain text) and the email subject share: the words for outcomes, short
 * forms of revisions, durations and repositories, and the file rows of a host, grouped by Moodle component where the
 * site is Moodle. Pure functions of the report model.
 */
import { MODE_FACTS, type ModeFacts } from '../modes/facts.js'
import type { FileChanges } from '../domain.js'
import { type ComponentChanges, groupByComponent } from './components.js'
import { type HostReport, newHostReport, type Outcome, type Report, type SessionReport } from './model.js'

export const OUTCOME_WORD: Record<Outcome, string> = { success: 'succeeded', failure: 'failed', refused: 'refused', skipped: 'skipped' }

/** A revision as people read it: 12 characters of a git sha, an SVN or CVS revision as it is; '–' when unknown. */
export function shortRev(rev: string | undefined): string {
  if (!rev) return '–'
  return /^[0-9a-f]{40,64}$/.test(rev) ? rev.slice(0, 12) : rev
}

/** `850 ms`, `12.3 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/**
 * A repository named briefly: `owner/name` for a URL or scp-like address, the module for CVS (`CVSROOT#module`), the
 * last folder for a local path; credentials and `.git` left out.
 */
export function shortRepository(repo: string): string {
  if (!repo) return ''
  if (repo.includes('#')) return repo.slice(repo.lastIndexOf('#') + 1)
  let path = repo
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?[^/]*(\/.*)?$/i.exec(repo)
  const scp = /^(?:[^@/:]+@)?[^/:]+:(.*)$/.exec(repo)
  if (url) path = url[1] ?? ''
  else if (scp && !repo.startsWith('/')) path = scp[1]
  const parts = path.replace(/\/+$/, '').replace(/\.git$/, '').split('/').filter(Boolean)
  if (parts.length === 0) return repo
  return url || (scp && !repo.startsWith('/')) ? parts.slice(-2).join('/') : parts[parts.length - 1]
}

/** The host part of `user@host:port`. */
export function hostName(label: string): string {
  return label.replace(/^[^@]*@/, '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')
}

/** The site as a subject names it: the environment, or the first host. */
export function siteName(report: Report): string {
  return report.environment || (report.hosts[0] ? hostName(report.hosts[0].host) : 'no host')
}

/** The ref as people read it: the ref given, else the commit it resolved to, else the revision now live. */
export function refName(report: Report): string {
  if (report.ref) return report.ref
  if (report.commit) return shortRev(report.commit)
  const rev = report.hosts.find((h) => h.revisionAfter)?.revisionAfter
  return rev ? shortRev(rev) : 'no ref'
}

/** `deliver succeeded`, `update (dry run) failed`. */
export function headline(report: Report): string {
  return `${report.mode}${report.dryRun ? ' (dry run)' : ''} ${OUTCOME_WORD[report.outcome]}`
}

/**
 * One sentence saying what the run left in production, the first thing a reader wants to know.
 */
export function verdict(report: Report): string {
  const n = report.hosts.length
  const hostsWord = `${n} host${n === 1 ? '' : 's'}`
  if (report.dryRun) return `Dry run on ${hostsWord}: nothing was changed.`
  const failed = report.hosts.filter((h) => h.outcome === 'failure')
  const refused = report.hosts.filter((h) => h.outcome === 'refused')
  const rolledBack = report.hosts.filter((h) => h.rolledBack)
  const restore = report.hosts.filter((h) => h.restore)
  const parts: string[] = []
  if (report.outcome === 'success') {
    const revs = [...new Set(report.hosts.map((h) => h.revisionAfter).filter(Boolean))]
    const versions = [...new Set(report.hosts.map((h) => h.appVersionAfter).filter(Boolean))]
    const live = (MODE_FACTS as Record<string, ModeFacts | undefined>)[report.mode]?.putsLive === true
    if (live && revs.length === 1) {
      parts.push(`${hostsWord} now serve${n === 1 ? 's' : ''} revision ${shortRev(revs[0])}${versions.length === 1 ? `, ${versions[0]}` : ''}.`)
    } else parts.push(`${report.mode} succeeded on ${hostsWord}.`)
  } else {
    if (failed.length) parts.push(`${failed.length} of ${hostsWord} failed.`)
    if (refused.length) parts.push(`${refused.length} of ${hostsWord} refused the mode: nothing was changed there.`)
    if (rolledBack.length) parts.push(`${rolledBack.length} went back to the safe tree by itself.`)
    if (restore.length) parts.push(`${restore.length} need${restore.length === 1 ? 's' : ''} a restore by hand (see below).`)
  }
  return parts.join(' ')
}

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed'

export interface FileRow {
  kind: ChangeKind
  /** The path (the new path of a rename). */
  path: string
  /** The old path of a rename. */
  from?: string
}

export const KIND_LETTER: Record<ChangeKind, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R' }

/** The rows of a set of changes: added, modified, deleted, renamed, each in its given order. */
export function fileRows(files: FileChanges): FileRow[] {
  return [
    ...files.added.map((path): FileRow => ({ kind: 'added', path })),
    ...files.modified.map((path): FileRow => ({ kind: 'modified', path })),
    ...files.deleted.map((path): FileRow => ({ kind: 'deleted', path })),
    ...files.renamed.map((r): FileRow => ({ kind: 'renamed', path: r.to, from: r.from })),
  ]
}

/** The host's changes grouped by Moodle component, or undefined when the site is not Moodle. */
export function componentsOf(host: HostReport): ComponentChanges[] | undefined {
  return host.app === 'moodle' ? groupByComponent(host.files) : undefined
}

/** `6 files: 2 added, 2 modified, 1 deleted, 1 renamed` (only the kinds present; a rename is one file). */
export function changeCounts(files: FileChanges): string {
  const n = rowCount(files)
  const kinds = (['added', 'modified', 'deleted', 'renamed'] as const).filter((k) => files[k].length > 0).map((k) => `${files[k].length} ${k}`)
  return `${n} file${n === 1 ? '' : 's'}${kinds.length ? `: ${kinds.join(', ')}` : ''}`
}

/** Total rows (added + modified + deleted + renamed) of a set of changes. */
export function rowCount(files: FileChanges): number {
  return files.added.length + files.modified.length + files.deleted.length + files.renamed.length
}

/** `before → after`, or undefined when neither is known. */
export function beforeAfter(before: string | undefined, after: string | undefined, short = (s: string | undefined) => s ?? '–'): string | undefined {
  if (!before && !after) return undefined
  if (before && after && before === after) return `${short(after)} (unchanged)`
  return `${short(before)} → ${short(after)}`
}

/** A cluster node's part: where the site-wide steps and the upgrade ran (undefined outside a cluster). */
export function clusterPart(h: HostReport): string | undefined {
  const c = h.cluster
  if (!c) return undefined
  const where = c.role === 'site' ? 'this node ran the site-wide steps' : `node; site-wide steps on ${c.site}`
  const on = (n: string) => (n === h.host ? 'this node' : n)
  return `${where}${c.upgradedBy ? `; the upgrade ran on ${on(c.upgradedBy)}` : ''}${c.restoredBy ? `; the database was restored on ${on(c.restoredBy)}` : ''}`
}

/** The submodules (svn externals) a host delivered, one row each: path, commit before → after, URL. */
export function submoduleRows(h: HostReport): [string, string, string][] {
  return (h.submodules ?? []).map((s) => [
    s.path,
    !s.before ? `${shortRev(s.after)} (added)` : !s.after ? `${shortRev(s.before)} (removed)` : beforeAfter(s.before, s.after, shortRev)!,
    s.url,
  ])
}

/** The session's files as a host section shows files (grouped by component when any host is Moodle). */
export function sessionFilesHost(r: Report, s: SessionReport): HostReport {
  return { ...newHostReport('session'), files: s.files, app: r.hosts.some((h) => h.app === 'moodle') ? 'moodle' : 'none' }
}

/**
 * The status page of a site: `.delivery/reports/index.html` on each server, rewritten by every run that changes the
 * server. The history of runs (newest first: outcome, who, ref, versions before and after, changed files, drift) and of
 * sessions, built from the stored run records (`.delivery/reports/<stamp>-<run>.json`, one per run that wrote), the
 * journal (runs it names that left no record: older runs, or runs cut off) and the session records. One static page:
 * no script, no external resource; every value is escaped by the `html` template (names from repositories and servers
 * are hostile).
 */
import type { HostSummary } from '../notify/summary.js'
import type { SessionRecord } from '../session/sessions.js'
import { html, SafeHtml, safeHref } from './escape.js'
import { beforeAfter, type ChangeKind, KIND_LETTER, shortRev } from './view.js'

/** Changes when a field of the stored record changes meaning or disappears. */
export const RUN_RECORD_VERSION = 1

/** Files a stored record lists (the report artifact and the session records keep them all). */
export const RECORD_FILE_LIMIT = 200

/** What one run that wrote on a server stores there: `.delivery/reports/<stamp>-<run>.json`. */
export interface RunRecord {
  recordVersion: number
  runId: string
  mode: string
  actor: string
  trigger: string
  runUrl: string
  repository: string
  ref: string
  commit: string
  comment?: string
  sessionId?: string
  finishedAt: string
  host: HostSummary
  /** The first RECORD_FILE_LIMIT changed files. */
  files: { kind: ChangeKind; path: string; from?: string }[]
  /** Changed files not listed in `files`. */
  filesNotListed: number
}

/** One line of `.delivery/journal.jsonl`, as far as the page reads it. */
export interface JournalLine {
  at: string
  runId: string
  actor: string
  mode: string
  event: string
  outcome?: string
  error?: string
  ref?: string
  runUrl?: string
  session?: string
  [k: string]: unknown
}

export interface StatusPageData {
  /** The delivery root. */
  root: string
  /** `user@host:port` of the server, as the run named it. */
  host: string
  generatedAt: string
  /** The state as this run left it. */
  state?: { state: string; live: string; revision?: string; appVersion?: string }
  records: RunRecord[]
  journal: JournalLine[]
  sessions: SessionRecord[]
  /** Lines or files that could not be read (shown, never fatal). */
  damaged: string[]
  /** The runs listed at most. */
  limit?: number
}

/** A row of the history: a stored record, or what the journal alone tells of a run. */
interface Row {
  at: string
  runId: string
  mode: string
  actor: string
  outcome: string
  runUrl?: string
  ref?: string
  record?: RunRecord
  error?: string
  note?: string
}

/** Rows, newest first: every record, then each run of the journal that has none (with its end, or cut off). */
export function historyRows(d: StatusPageData): Row[] {
  const rows: Row[] = d.records.map((r) => ({ at: r.finishedAt, runId: r.runId, mode: r.mode, actor: r.actor, outcome: r.host.outcome, runUrl: r.runUrl, ref: r.ref, record: r, error: r.host.error }))
  const recorded = new Set(d.records.map((r) => r.runId))
  const runs = new Map<string, { start?: JournalLine; end?: JournalLine; last: JournalLine }>()
  for (const j of d.journal) {
    if (!j.runId || recorded.has(j.runId)) continue
    const r = runs.get(j.runId) ?? { last: j }
    if (j.event === 'start') r.start = j
    if (j.event === 'end') r.end = j
    r.last = j
    runs.set(j.runId, r)
  }
  for (const [runId, r] of runs) {
    const first = r.start ?? r.last
    rows.push({
      at: (r.end ?? r.last).at,
      runId,
      mode: first.mode,
      actor: first.actor,
      outcome: r.end ? String(r.end.outcome ?? 'unknown') : 'interrupted',
      runUrl: typeof first.runUrl === 'string' ? first.runUrl : undefined,
      ref: typeof first.ref === 'string' ? first.ref : undefined,
      error: typeof r.end?.error === 'string' ? r.end.error : undefined,
      note: r.end ? 'from the journal (no stored record)' : `no end in the journal: the run was cut off after ${r.last.event}`,
    })
  }
  return rows.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, d.limit ?? 100)
}

const COLOR: Record<string, string> = { success: '#1a7f37', failure: '#cf222e', refused: '#9a6700', skipped: '#6e7781', interrupted: '#8250df' }

const CSS = `
body{margin:0;background:#f6f8fa;color:#1f2328;font:14px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}
main{max-width:1400px;margin:0 auto;padding:20px 24px}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:24px 0 8px}
.sub{color:#59636e;margin:0 0 16px}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px}
.facts div span{display:block;color:#59636e;font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de}
th{text-align:left;background:#f6f8fa;border-bottom:2px solid #d0d7de;padding:6px 8px;font-weight:600;white-space:nowrap}
td{border-bottom:1px solid #eaeef2;padding:6px 8px;vertical-align:top}
tr.has-notes td{border-bottom:none}
tr.notes td{padding-top:0;font-size:13px}
td.nowrap,td.when div{white-space:nowrap}
td.ver{min-width:9em}
td.files{white-space:nowrap}
code,.mono{font-family:Consolas,Menlo,'DejaVu Sans Mono',monospace;font-size:12px}
.path{font-family:Consolas,Menlo,'DejaVu Sans Mono',monospace;font-size:12px;word-break:break-all}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;white-space:nowrap}
.err{color:#cf222e;word-break:break-word}
.note{color:#59636e;font-size:12px}
details summary{cursor:pointer;color:#0969da}
ul.files{margin:4px 0 8px;padding-left:18px;columns:2 32em}
details summary{white-space:normal}
footer{color:#59636e;font-size:12px;margin-top:24px}
`

const badge = (outcome: string): SafeHtml => html`<span class="badge" style="background:${COLOR[outcome] ?? '#6e7781'}">${outcome}</span>`

function link(url: string | undefined, text: string): SafeHtml | string {
  const href = safeHref(url)
  return href ? html`<a href="${href}">${text}</a>` : ''
}

/** The date over the time, to keep the column narrow. */
function whenCell(iso: string): SafeHtml {
  const [date, ...time] = when(iso).split(' ')
  return html`<div>${date}</div><div class="note">${time.join(' ')}</div>`
}

/** `2025-03-14 09:31 UTC` from an ISO time (as given when it does not parse). */
export function when(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso)
  return m ? `${m[1]} ${m[2]} UTC` : iso
}

function filesCell(r: RunRecord): SafeHtml {
  const f = r.host.files
  if (f.total === 0) return html`<span class="note">none</span>`
  const kinds = (['added', 'modified', 'deleted', 'renamed'] as const).filter((k) => f[k] > 0)
  return html`${f.total}<div class="note" title="${kinds.map((k) => `${f[k]} ${k}`).join(', ')}">${kinds.map((k) => `${KIND_LETTER[k]} ${f[k]}`).join(' · ')}</div>`
}

/** The changed files of a run, folded, the width of the table. */
function filesList(r: RunRecord): SafeHtml | '' {
  const f = r.host.files
  if (f.total === 0) return ''
  const comps = r.host.components?.length ? ` (${r.host.components.map((c) => `${c.component} ${c.added + c.modified + c.deleted + c.renamed}`).join(', ')})` : ''
  const list = r.files.map((x) => html`<li class="path">${KIND_LETTER[x.kind]} ${x.from ? `${x.from} → ${x.path}` : x.path}</li>`)
  const more = r.filesNotListed > 0 ? html`<li class="note">and ${r.filesNotListed} more (the run's report artifact lists them all)</li>` : ''
  return html`<details><summary>${f.total} changed file${f.total === 1 ? '' : 's'}${comps}</summary><ul class="files">${list}${more}</ul></details>`
}

function runRow(row: Row, sessions: Map<string, SessionRecord>): SafeHtml {
  const r = row.record
  const h = r?.host
  const rev = h ? beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) : undefined
  const ver = h ? beforeAfter(h.appVersionBefore, h.appVersionAfter) : undefined
  const session = r?.sessionId ? sessions.get(r.sessionId) : undefined
  const drift = h && h.drift.files > 0 ? html`<span class="err">${h.drift.files} by hand</span>` : h ? html`<span class="note">none</span>` : ''
  const upgrade = h?.upgrade ? html`<div class="note">upgrade: ${h.upgrade.outcome}</div>` : ''
  const notes = [
    row.error ? html`<div class="err">${row.error}</div>` : '',
    h?.rolledBack ? html`<div class="err">Went back to the safe tree by itself.</div>` : '',
    h?.restore ? html`<div class="err">Restore by hand: ${h.restore}</div>` : '',
    ...(h?.drift.trees ?? []).map((t) => html`<div>Files changed by hand in the ${t.role} tree ${t.tree} (${t.files})${t.patch ? html`, saved in <span class="path">${t.patch}</span>` : ''}</div>`),
    row.note ? html`<div class="note">${row.note}</div>` : '',
    r?.comment ? html`<div class="note">Comment: ${r.comment}</div>` : '',
    r ? filesList(r) : '',
  ].filter((x) => x !== '')
  return html`<tr${notes.length ? html` class="has-notes"` : ''}>
<td class="when">${whenCell(row.at)}</td>
<td class="nowrap">${row.mode}</td>
<td>${badge(row.outcome)}${upgrade}</td>
<td>${row.actor}</td>
<td class="mono">${row.ref ?? ''}${r?.commit ? html`<div class="note">${shortRev(r.commit)}</div>` : ''}</td>
<td class="mono rev">${rev ?? ''}</td>
<td class="ver">${ver ?? ''}</td>
<td class="files">${r ? filesCell(r) : ''}</td>
<td class="nowrap">${drift}</td>
<td>${session ? session.title : (r?.sessionId ?? '')}</td>
<td>${link(row.runUrl, 'run')}</td>
</tr>${notes.length ? html`<tr class="notes"><td></td><td colspan="10">${notes}</td></tr>` : ''}`
}

function sessionRow(s: SessionRecord): SafeHtml {
  return html`<tr>
<td class="when">${when(s.openedAt)}</td>
<td>${s.title}<div class="note mono">${s.id}</div></td>
<td><span class="badge" style="background:${s.status === 'open' ? '#0969da' : '#6e7781'}">${s.status}</span></td>
<td>${s.openedBy} ${link(s.openRunUrl, 'run')}</td>
<td>${s.closedAt ? when(s.closedAt) : ''}${s.closedBy ? html`<div class="note">by ${s.closedBy}</div>` : ''}</td>
<td>${s.description}${s.impact ? html`<div class="note">impact: ${s.impact}</div>` : ''}</td>
<td>${s.outputState ?? ''}${s.followup ? html`<div class="note">follow-up: ${s.followup}</div>` : ''}</td>
</tr>`
}

/** The page. */
export function renderStatusPage(d: StatusPageData): string {
  const rows = historyRows(d)
  const sessions = new Map(d.sessions.map((s) => [s.id, s]))
  const open = d.sessions.find((s) => s.status === 'open')
  const st = d.state
  const facts = [
    st ? html`<div><span>State</span>${st.state}</div>` : '',
    st ? html`<div><span>Live tree</span><code>${st.live}</code></div>` : '',
    st?.revision ? html`<div><span>Revision live</span><code>${shortRev(st.revision)}</code></div>` : '',
    st?.appVersion ? html`<div><span>Version live</span>${st.appVersion}</div>` : '',
    html`<div><span>Open session</span>${open ? `${open.title} (${open.id})` : 'none'}</div>`,
    rows[0] ? html`<div><span>Last run</span>${rows[0].mode} ${rows[0].outcome} by ${rows[0].actor}, ${when(rows[0].at)}</div>` : '',
  ]
  const damaged = d.damaged.length ? html`<h2>Unreadable entries</h2><ul>${d.damaged.map((x) => html`<li class="mono">${x}</li>`)}</ul>` : ''
  return `<!DOCTYPE html>\n${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Delivery status: ${d.host} ${d.root}</title>
<style>${new SafeHtml(CSS)}</style></head>
<body><main>
<h1>Delivery status of ${d.root}</h1>
<p class="sub">on ${d.host}, written ${when(d.generatedAt)} by the last run that changed this server</p>
<div class="facts">${facts}</div>
<h2>Runs (${rows.length}, newest first)</h2>
${rows.length ? html`<table><thead><tr><th>When</th><th>Mode</th><th>Outcome</th><th>Who</th><th>Ref</th><th>Revision</th><th>Version</th><th>Files</th><th>Drift</th><th>Session</th><th>Link</th></tr></thead><tbody>${rows.map((r) => runRow(r, sessions))}</tbody></table>` : html`<p class="note">No run recorded yet.</p>`}
<h2>Sessions (${d.sessions.length}, newest first)</h2>
${d.sessions.length ? html`<table><thead><tr><th>Opened</th><th>Title</th><th>Status</th><th>Opened by</th><th>Closed</th><th>Purpose</th><th>Output state</th></tr></thead><tbody>${d.sessions.map(sessionRow)}</tbody></table>` : html`<p class="note">No session yet.</p>`}
${damaged}
<footer>From the run records in .delivery/reports/, the journal .delivery/journal.jsonl and the session records in .delivery/sessions/ of this server. Dry runs, refused modes and status runs change nothing and are not listed.</footer>
</main></body></html>`}\n`
}

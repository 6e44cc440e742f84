/**
 * The HTML rendering of a report: `report.html` and the email body. One self-contained page: no script, no external
 * style sheet or image, every style inline and the layout in tables, so that mail clients (which drop <style> and
 * most CSS) show it as a browser does. Outcome first, then the run, the hosts at a glance, and one section per host.
 * Every value is escaped by the `html` template.
 */
import { countComponents } from './components.js'
import { html, type HtmlValue, type SafeHtml, safeHref } from './escape.js'
import type { HostReport, Outcome, Report } from './model.js'
import { sessionFacts } from './session.js'
import {
  beforeAfter,
  changeCounts,
  clusterPart,
  componentsOf,
  fileRows,
  formatMs,
  headline,
  KIND_LETTER,
  type FileRow,
  rowCount,
  sessionFilesHost,
  shortRepository,
  shortRev,
  submoduleRows,
  verdict,
} from './view.js'

export interface HtmlOptions {
  /** List at most this many files per host; above it, only the counts (by component for Moodle). Default: all. */
  fileLimit?: number
  /** Said where a list is cut: where the whole list is. */
  fullListNote?: string
  /** Characters of upgrade output kept (its end). Default 20000. */
  outputLimit?: number
  /** Fold file lists longer than this into <details> (browsers; mail clients show them open). Default 50. */
  foldAbove?: number
}

const COLOR: Record<Outcome, { bg: string; fg: string }> = {
  success: { bg: '#1a7f37', fg: '#ffffff' },
  failure: { bg: '#cf222e', fg: '#ffffff' },
  refused: { bg: '#9a6700', fg: '#ffffff' },
  skipped: { bg: '#6e7781', fg: '#ffffff' },
}
const KIND_COLOR = { added: '#1a7f37', modified: '#0969da', deleted: '#cf222e', renamed: '#8250df' }

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
const MONO = "font-family:Consolas,Menlo,'DejaVu Sans Mono','Liberation Mono',monospace"
const S = {
  page: `margin:0;padding:0;background:#f6f8fa;${FONT};font-size:14px;line-height:1.45;color:#1f2328`,
  card: `max-width:820px;width:100%;background:#ffffff;border:1px solid #d0d7de;border-collapse:separate;${FONT};font-size:14px;color:#1f2328`,
  cell: 'padding:16px 20px',
  h2: `margin:0 0 8px 0;font-size:17px;${FONT}`,
  h3: `margin:14px 0 6px 0;font-size:14px;${FONT}`,
  table: 'border-collapse:collapse;width:100%;font-size:13px',
  th: 'text-align:left;padding:5px 8px;border-bottom:2px solid #d0d7de;background:#f6f8fa;font-weight:600',
  td: 'padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top',
  key: 'padding:4px 12px 4px 0;color:#59636e;white-space:nowrap;vertical-align:top;width:1%',
  value: 'padding:4px 8px 4px 0;vertical-align:top',
  mono: `${MONO};font-size:12px`,
  path: `${MONO};font-size:12px;word-break:break-all`,
  lines: `${MONO};font-size:12px;line-height:1.7;padding:2px 8px 6px 8px;word-break:break-all`,
  group: 'margin-top:6px;padding:4px 8px;background:#f6f8fa;border-top:1px solid #d0d7de;font-weight:600',
  pre: `${MONO};font-size:12px;background:#f6f8fa;border:1px solid #d0d7de;padding:8px;white-space:pre-wrap;word-break:break-all;margin:4px 0`,
  muted: 'color:#59636e',
  box: (bg: string, border: string) => `margin:8px 0;padding:8px 12px;background:${bg};border-left:4px solid ${border}`,
}

const badge = (o: Outcome) => html`<span style="${`display:inline-block;padding:1px 8px;border-radius:10px;background:${COLOR[o].bg};color:${COLOR[o].fg};font-size:12px;font-weight:600`}">${o}</span>`
const link = (url: string | undefined, text: string): HtmlValue => {
  const href = safeHref(url)
  return href ? html`<a href="${href}" style="color:#0969da">${text}</a>` : text
}
const code = (s: string) => html`<span style="${S.mono}">${s}</span>`

function keyValues(rows: [string, HtmlValue][]): SafeHtml {
  const shown = rows.filter(([, v]) => v !== undefined && v !== '' && v !== null)
  return html`<table role="presentation" style="${S.table}">${shown.map(([k, v]) => html`<tr><td style="${S.key}">${k}</td><td style="${S.value}">${v}</td></tr>`)}</table>`
}

/** A table with a header row; per column `l` (left), `r` (right, one line) or `n` (left, one line). */
function dataTable(head: string[], rows: HtmlValue[][], align: ('l' | 'r' | 'n')[] = []): SafeHtml {
  const a = (i: number) => (align[i] === 'r' ? ';text-align:right;white-space:nowrap' : align[i] === 'n' ? ';white-space:nowrap' : '')
  return html`<table role="presentation" style="${S.table}"><tr>${head.map((h, i) => html`<th style="${S.th + a(i)}">${h}</th>`)}</tr>${rows.map(
    (r) => html`<tr>${r.map((c, i) => html`<td style="${S.td + a(i)}">${c}</td>`)}</tr>`,
  )}</table>`
}

/**
 * One line of a file list: the change letter in its colour, then the path (a rename: old → new). Light markup, so
 * that a list of 10,000 files stays near 1 MB.
 */
function fileLine(r: FileRow): SafeHtml {
  return html`<b style="color:${KIND_COLOR[r.kind]}">${KIND_LETTER[r.kind]}</b>&nbsp; ${r.from ? html`${r.from} → ${r.path}` : r.path}<br>
`
}

function fileList(host: HostReport, opts: HtmlOptions): SafeHtml {
  const files = host.files
  const total = rowCount(files)
  if (total === 0) return html``
  const groups = componentsOf(host)
  const parts: HtmlValue[] = [html`<h3 style="${S.h3}">Changed files: ${changeCounts(files)}</h3>`]
  if (groups && groups.length > 1) {
    parts.push(
      dataTable(
        ['Component', 'Added', 'Modified', 'Deleted', 'Renamed'],
        countComponents(groups).map((c) => [code(c.component), c.added || '', c.modified || '', c.deleted || '', c.renamed || '']),
        ['l', 'r', 'r', 'r', 'r'],
      ),
    )
  }
  const limit = opts.fileLimit ?? Infinity
  if (total > limit) {
    parts.push(html`<p style="${S.muted}">The ${total} files are not listed here${opts.fullListNote ? html`: ${opts.fullListNote}` : ''}.</p>`)
    return html`${parts}`
  }
  const lines = (rows: FileRow[]) => html`<div style="${S.lines}">${rows.map(fileLine)}</div>`
  const body = groups
    ? groups.map((g) => html`<div style="${S.group}">${code(g.component)} <span style="${S.muted}">${changeCounts(g)}</span></div>${lines(fileRows(g))}`)
    : lines(fileRows(files))
  const legend = html`<div style="${`${S.muted};font-size:12px;margin:10px 0 4px 0`}">A added · M modified · D deleted · R renamed (old → new)</div>`
  const foldAbove = opts.foldAbove ?? 50
  parts.push(total > foldAbove ? html`<details><summary style="cursor:pointer;color:#0969da;margin-top:8px">Show the ${total} files</summary>${legend}${body}</details>` : html`${legend}${body}`)
  return html`${parts}`
}

function driftSection(host: HostReport, opts: HtmlOptions): HtmlValue {
  if (host.drift.length === 0) return ''
  const limit = opts.fileLimit ?? Infinity
  return host.drift.map((d) => {
    const shown = d.files.slice(0, Number.isFinite(limit) ? limit : d.files.length)
    return html`<div style="${S.box('#fff8c5', '#d4a72c')}"><strong>Drift:</strong> ${d.files.length} file(s) of the ${d.role} tree ${code(d.tree)} were changed on the server by hand${
      d.patch ? html`; saved in ${code(d.patch)}` : ''
    }.${dataTable(['Change', 'Path'], shown.map((f) => [f.status, html`<span style="${S.path}">${f.path}</span>`]))}${
      shown.length < d.files.length ? html`<p style="${S.muted}">… and ${d.files.length - shown.length} more${opts.fullListNote ? html`: ${opts.fullListNote}` : ''}.</p>` : ''
    }</div>`
  })
}

function hostSection(host: HostReport, opts: HtmlOptions): SafeHtml {
  const h = host
  const outputLimit = opts.outputLimit ?? 20000
  const health = h.health
    ? html`${link(h.health.url, h.health.url)}: ${h.health.ok ? 'ok' : 'failed'}${h.health.detail ? html`, ${h.health.detail}` : ''} (expected ${h.health.expect}; ${h.health.attempts} attempt(s))`
    : undefined
  const facts = keyValues([
    ['State', beforeAfter(h.stateBefore, h.stateAfter)],
    ['Live tree', beforeAfter(h.liveTreeBefore, h.liveTreeAfter)],
    ['Revision', beforeAfter(h.revisionBefore, h.revisionAfter, shortRev)],
    ['Application', beforeAfter(h.appVersionBefore, h.appVersionAfter)],
    ['Health check', health],
    ['Cluster', clusterPart(h)],
  ])
  const steps = h.steps.length
    ? html`<h3 style="${S.h3}">Steps</h3>${dataTable(
        ['Step', 'Outcome', 'Time', 'Detail'],
        h.steps.map((s) => [s.name, badge(s.outcome), formatMs(s.ms), s.detail ?? '']),
        ['n', 'l', 'r', 'l'],
      )}`
    : ''
  const out = h.upgradeOutput ?? ''
  return html`<tr><td style="${`${S.cell};border-top:1px solid #d0d7de`}">
<h2 style="${S.h2}">${h.host} ${badge(h.outcome)}</h2>
${h.error ? html`<div style="${S.box('#ffebe9', '#cf222e')}"><strong>Error:</strong> ${h.error}</div>` : ''}
${h.message && h.message !== h.error ? html`<p style="margin:6px 0">${h.message}</p>` : ''}
${h.restore ? html`<div style="${S.box('#fff1e5', '#bc4c00')}"><strong>To restore by hand:</strong> ${h.restore}</div>` : ''}
${h.rolledBack ? html`<div style="${S.box('#fff8c5', '#d4a72c')}"><strong>Rolled back:</strong> a step after the switch failed, so live went back to the safe tree by itself.</div>` : ''}
${facts}
${h.plan?.length ? html`<h3 style="${S.h3}">Dry run: the mode would</h3><ul style="margin:4px 0;padding-left:20px">${h.plan.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
${steps}
${fileList(h, opts)}${submoduleRows(h).length ? html`<h3 style="${S.h3}">Submodules</h3>${dataTable(['Submodule', 'Commit', 'From'], submoduleRows(h).map((r) => [html`<span style="${S.path}">${r[0]}</span>`, r[1], r[2]]))}` : ''}
${driftSection(h, opts)}
${out ? html`<h3 style="${S.h3}">Upgrade output${out.length > outputLimit ? ` (last ${outputLimit} characters)` : ''}</h3><pre style="${S.pre}">${out.slice(-outputLimit)}</pre>` : ''}
${h.permissions?.length ? html`<h3 style="${S.h3}">Permission findings</h3>${dataTable(['Path', 'Problem'], h.permissions.map((p) => [html`<span style="${S.path}">${p.path}</span>`, p.problem]))}` : ''}
${h.status ? html`<h3 style="${S.h3}">Status</h3><pre style="${S.pre}">${JSON.stringify(h.status, null, 2)}</pre>` : ''}
</td></tr>`
}

function hostsOverview(r: Report): SafeHtml {
  return dataTable(
    ['Host', 'Outcome', 'Revision', 'Application', 'Files', 'Time'],
    r.hosts.map((h) => [
      h.host,
      html`${badge(h.outcome)}${h.rolledBack ? ' rolled back' : ''}`,
      html`<span style="${`${S.mono};white-space:nowrap`}">${beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) ?? '–'}</span>`,
      h.appVersionAfter ?? h.appVersionBefore ?? '–',
      rowCount(h.files),
      formatMs(h.steps.reduce((t, s) => t + s.ms, 0)),
    ]),
    ['l', 'l', 'l', 'l', 'r', 'r'],
  )
}

function sessionSection(r: Report, opts: HtmlOptions): HtmlValue {
  const s = r.session
  if (!s) return ''
  const interventions = s.interventions.length
    ? dataTable(
        ['Time', 'By', 'Mode', 'Host', 'Paths', 'Comment', 'Outcome', 'Files'],
        s.interventions.map((i) => [
          html`<span style="${S.mono}">${i.at}</span>`,
          link(i.runUrl || undefined, i.actor),
          i.mode,
          i.host,
          i.paths.length ? html`${i.paths.map((p, n) => html`${n ? ', ' : ''}${code(p)}`)}` : 'whole tree',
          i.comment,
          html`${badge(i.outcome as Outcome)}${i.rolledBack ? ' rolled back' : ''}`,
          rowCount(i.files),
        ]),
        ['n', 'l', 'l', 'l', 'l', 'l', 'l', 'r'],
      )
    : html`<p style="${S.muted}">No intervention yet.</p>`
  return html`<tr><td style="${`${S.cell};border-top:1px solid #d0d7de`}">
<h2 style="${S.h2}">Session: ${s.title}</h2>
${keyValues(sessionFacts(s).filter(([k]) => k !== 'Session'))}
<h3 style="${S.h3}">Interventions</h3>
${interventions}
${fileList(sessionFilesHost(r, s), opts)}
</td></tr>`
}

/** Renders the report as one HTML page. */
export function renderHtml(r: Report, opts: HtmlOptions = {}): string {
  const title = `Delivery ${headline(r)}: ${shortRepository(r.repository) || r.hosts[0]?.host || ''}`
  const meta = keyValues([
    ['Repository', r.repository ? html`<span style="${S.path}">${r.repository}</span>` : undefined],
    ['Ref', r.ref || undefined],
    ['Commit', r.commit ? code(r.commit) : undefined],
    ['Environment', r.environment],
    ['Paths', r.paths.length ? html`${r.paths.map((p, i) => html`${i ? ', ' : ''}${code(p)}`)}` : undefined],
    ['Comment', r.comment],
    ['By', `${r.actor} (${r.event})`],
    ['Workflow run', r.runUrl ? link(r.runUrl, r.runUrl) : undefined],
    ['Report artifact', r.artifact ? link(r.artifact.url, `${r.artifact.name} (id ${r.artifact.id})`) : undefined],
    ['Session', r.sessionId],
    ['Started', `${r.startedAt} (${formatMs(r.durationMs)})`],
    ['Method', `${r.method}${r.app !== 'auto' ? `, app ${r.app}` : ''}`],
  ])
  const c = COLOR[r.outcome]
  return `<!DOCTYPE html>
${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body style="${S.page}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="${`background:#f6f8fa;${FONT}`}"><tr><td align="center" style="padding:16px 8px">
<table role="presentation" cellpadding="0" cellspacing="0" style="${S.card}">
<tr><td style="${`${S.cell};background:${c.bg};color:${c.fg}`}">
<div style="font-size:20px;font-weight:700">${title}</div>
<div style="margin-top:4px;font-size:15px">${verdict(r)}</div>
</td></tr>
<tr><td style="${S.cell}">${meta}</td></tr>
${sessionSection(r, opts)}<tr><td style="${`${S.cell};padding-top:0`}">${hostsOverview(r)}</td></tr>
${r.hosts.map((h) => hostSection(h, opts))}
<tr><td style="${`${S.cell};border-top:1px solid #d0d7de;font-size:12px;${S.muted}`}">${r.tool.name} ${r.tool.version} · report schema ${r.schemaVersion} · finished ${r.finishedAt}</td></tr>
</table>
</td></tr></table>
</body></html>`}
`
}

/**
 * The Markdown rendering of a report: the job summary (and `report.md`). Outcome first, then the run, a table of the
 * hosts, and per host its facts, steps and changed files (by Moodle component where the site is Moodle, the list
 * folded in <details>). Kept under GitHub's 1 MiB summary limit: long lists are cut, the artifact holds them whole.
 */
import { countComponents } from './components.js'
import type { HostReport, Outcome, Report } from './model.js'
import { sessionFacts } from './session.js'
import { beforeAfter, changeCounts, clusterPart, componentsOf, fileRows, formatMs, headline, KIND_LETTER, type FileRow, rowCount, sessionFilesHost, shortRepository, shortRev, submoduleRows, verdict } from './view.js'

export const SUMMARY_LIMIT = 1024 * 1024

const ICON: Record<Outcome, string> = { success: '✅', failure: '❌', refused: '⛔', skipped: '⏭️' }

/** Escapes text for a Markdown table cell or line. */
export function mdEscape(s: string): string {
  return s.replace(/[\\`*_{}[\]<>|#&]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`)).replace(/\r?\n/g, ' ')
}

/** Inline code that survives any content (a run of backticks longer than any inside it). */
function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length))
  const fence = '`'.repeat(longest + 1)
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|')}${pad}${fence}`
}

/** A fenced block whose fence is longer than any backtick run in the text. */
function block(text: string, lang = ''): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${lang}\n${text}\n${fence}`
}

const fileLine = (r: FileRow) => `${KIND_LETTER[r.kind]} ${r.from ? `${r.from} -> ${r.path}` : r.path}`

function table(head: string[], rows: string[][], align: ('l' | 'r')[] = []): string {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

function filesSection(h: HostReport, maxFiles: number, maxComponents: number): string[] {
  const total = rowCount(h.files)
  if (total === 0) return []
  const out: string[] = []
  const groups = componentsOf(h)
  if (groups && groups.length > 1) {
    const counts = countComponents(groups)
    const shown = counts.slice(0, maxComponents)
    out.push(
      table(
        ['Component', 'Added', 'Modified', 'Deleted', 'Renamed'],
        shown.map((c) => [code(c.component), String(c.added || ''), String(c.modified || ''), String(c.deleted || ''), String(c.renamed || '')]),
        ['l', 'r', 'r', 'r', 'r'],
      ) + (counts.length > shown.length ? `\n\n… and ${counts.length - shown.length} more components (see the report artifact)` : ''),
    )
  }
  // Within the budget, every component shows its first files (a share of the budget each), not only the first one.
  let budget = maxFiles
  let shownTotal = 0
  const parts: string[] = []
  const lists = groups ? groups.map((g) => ({ title: `**${mdEscape(g.component)}**: ${changeCounts(g)}`, rows: fileRows(g) })) : [{ title: '', rows: fileRows(h.files) }]
  const share = Math.max(10, Math.floor(maxFiles / lists.length))
  for (const l of lists) {
    if (budget <= 0) break
    const rows = l.rows.slice(0, Math.min(budget, share))
    budget -= rows.length
    shownTotal += rows.length
    parts.push(`${l.title ? `${l.title}\n\n` : ''}${block(rows.map(fileLine).join('\n'))}${rows.length < l.rows.length ? `\n\n… and ${l.rows.length - rows.length} more` : ''}`)
  }
  if (shownTotal < total) parts.push(`… ${total - shownTotal} of the ${total} files are not shown here: the report artifact lists them all.`)
  out.push(`<details><summary>Changed files: ${mdEscape(changeCounts(h.files))}</summary>\n\n${parts.join('\n\n')}\n\n</details>`)
  return out
}

function hostSection(h: HostReport, maxFiles: number, maxComponents: number): string {
  const out: string[] = [`### ${ICON[h.outcome]} ${mdEscape(h.host)}: ${h.outcome}${h.rolledBack ? ' (rolled back)' : ''}`]
  if (h.error) out.push(`> **Error:** ${mdEscape(h.error)}`)
  if (h.message && h.message !== h.error) out.push(mdEscape(h.message))
  if (h.restore) out.push(`> **To restore by hand:** ${mdEscape(h.restore)}`)
  if (h.rolledBack) out.push('> **Rolled back:** a step after the switch failed, so live went back to the safe tree by itself.')
  const health = h.health ? `${h.health.ok ? 'ok' : 'failed'}${h.health.detail ? `, ${h.health.detail}` : ''}: ${h.health.url} (expected ${h.health.expect})` : undefined
  const facts: [string, string | undefined][] = [
    ['State', beforeAfter(h.stateBefore, h.stateAfter)],
    ['Live tree', beforeAfter(h.liveTreeBefore, h.liveTreeAfter)],
    ['Revision', beforeAfter(h.revisionBefore, h.revisionAfter, shortRev)],
    ['Application', beforeAfter(h.appVersionBefore, h.appVersionAfter)],
    ['Health check', health],
    ['Cluster', clusterPart(h)],
  ]
  const rows = facts.filter((r): r is [string, string] => r[1] !== undefined)
  if (rows.length) out.push(table(['', ''], rows.map(([k, v]) => [k, mdEscape(v)])))
  if (h.plan?.length) out.push(`**Dry run: the mode would**\n${h.plan.map((p) => `- ${mdEscape(p)}`).join('\n')}`)
  if (h.steps.length) {
    out.push(table(['Step', 'Outcome', 'Time', 'Detail'], h.steps.map((s) => [mdEscape(s.name), `${ICON[s.outcome]} ${s.outcome}`, formatMs(s.ms), mdEscape(s.detail ?? '')]), ['l', 'l', 'r', 'l']))
  }
  out.push(...filesSection(h, maxFiles, maxComponents))
  const subs = submoduleRows(h)
  if (subs.length) {
    const t = table(['Submodule', 'Commit', 'From'], subs.map((r) => [code(r[0]), mdEscape(r[1]), code(r[2])]))
    out.push(subs.length > 20 ? `<details><summary>Submodules: ${subs.length}</summary>\n\n${t}\n\n</details>` : `**Submodules**\n\n${t}`)
  }
  for (const d of h.drift) {
    const shown = d.files.slice(0, 50)
    out.push(
      `> **Drift:** ${d.files.length} file(s) of the ${d.role} tree ${code(d.tree)} were changed on the server by hand${d.patch ? `; saved in ${code(d.patch)}` : ''}.\n\n${block(shown.map((f) => `${f.status} ${f.path}`).join('\n'))}${
        d.files.length > shown.length ? `\n\n… and ${d.files.length - shown.length} more (see the report artifact)` : ''
      }`,
    )
  }
  if (h.upgradeOutput) out.push(`<details><summary>Upgrade output</summary>\n\n${block(h.upgradeOutput.slice(-20000).trimEnd())}\n\n</details>`)
  const audit = h.permissionAudit
  if (audit && (audit.total > 0 || audit.note)) {
    const counts = Object.entries(audit.counts).map(([k, n]) => `${n} ${k}`).join(', ')
    const shown = (h.permissions ?? []).slice(0, 20)
    const rest = audit.total - shown.length
    out.push(
      `**Permissions (web user ${mdEscape(audit.webUser)}):** ${audit.total ? `${counts}: the web server (or anyone) could change the code it runs.` : ''}${audit.note ? ` ${mdEscape(audit.note)}` : ''}${
        shown.length ? `\n\n${block(shown.map((p) => `${p.problem} ${p.path}`).join('\n'))}` : ''
      }${rest > 0 ? `\n\n… and ${rest} more` : ''}`,
    )
  } else if (h.permissions?.length) out.push(`**Permission findings**\n\n${block(h.permissions.map((p) => `${p.problem} ${p.path}`).join('\n'))}`)
  if (h.status) out.push(`<details><summary>Status</summary>\n\n${block(JSON.stringify(h.status, null, 2), 'json')}\n\n</details>`)
  return out.join('\n\n')
}

function sessionSection(r: Report, maxFiles: number, maxComponents: number): string[] {
  const s = r.session
  if (!s) return []
  const facts = sessionFacts(s).filter((f): f is [string, string] => f[1] !== undefined)
  const out = [`### Session: ${mdEscape(s.title)}`, table(['', ''], facts.map(([k, v]) => [k, mdEscape(v)]))]
  if (s.interventions.length === 0) out.push('No intervention yet.')
  else {
    out.push(
      table(
        ['Time', 'By', 'Mode', 'Host', 'Paths', 'Comment', 'Outcome', 'Files'],
        s.interventions.map((i) => [
          mdEscape(i.at),
          i.runUrl ? `[${mdEscape(i.actor)}](${i.runUrl})` : mdEscape(i.actor),
          mdEscape(i.mode),
          mdEscape(i.host),
          i.paths.length ? i.paths.map(code).join(', ') : 'whole tree',
          mdEscape(i.comment),
          `${ICON[i.outcome as Outcome] ?? ''} ${mdEscape(i.outcome)}${i.rolledBack ? ' (rolled back)' : ''}`,
          String(rowCount(i.files)),
        ]),
        ['l', 'l', 'l', 'l', 'l', 'l', 'l', 'r'],
      ),
    )
  }
  out.push(...filesSection(sessionFilesHost(r, s), maxFiles, maxComponents))
  return out
}

function render(r: Report, maxFiles: number, maxComponents: number): string {
  const repo = shortRepository(r.repository)
  const head = `## ${ICON[r.outcome]} Delivery ${mdEscape(headline(r))}${repo ? `: ${mdEscape(repo)}` : ''}`
  const meta: [string, string | undefined][] = [
    ['Repository', r.repository ? code(r.repository) : undefined],
    ['Ref', r.ref ? code(r.ref) : undefined],
    ['Commit', r.commit ? code(r.commit) : undefined],
    ['Environment', r.environment ? mdEscape(r.environment) : undefined],
    ['Paths', r.paths.length ? r.paths.map(code).join(', ') : undefined],
    ['Comment', r.comment ? mdEscape(r.comment) : undefined],
    ['By', `${mdEscape(r.actor)} (${mdEscape(r.event)})`],
    ['Workflow run', r.runUrl ? `[${mdEscape(r.runUrl)}](${r.runUrl})` : undefined],
    ['Report artifact', r.artifact ? (r.artifact.url ? `[${mdEscape(r.artifact.name)}](${r.artifact.url})` : mdEscape(r.artifact.name)) : undefined],
    ['Session', r.sessionId ? code(r.sessionId) : undefined],
    ['Started', `${mdEscape(r.startedAt)} (${formatMs(r.durationMs)})`],
  ]
  const hosts = table(
    ['Host', 'Outcome', 'Revision', 'Application', 'Files', 'Time'],
    r.hosts.map((h) => [
      mdEscape(h.host),
      `${ICON[h.outcome]} ${h.outcome}${h.rolledBack ? ' (rolled back)' : ''}`,
      mdEscape(beforeAfter(h.revisionBefore, h.revisionAfter, shortRev) ?? '–'),
      mdEscape(h.appVersionAfter ?? h.appVersionBefore ?? '–'),
      String(rowCount(h.files)),
      formatMs(h.steps.reduce((t, s) => t + s.ms, 0)),
    ]),
    ['l', 'l', 'l', 'l', 'r', 'r'],
  )
  const metaTable = table(['', ''], meta.filter((m): m is [string, string] => m[1] !== undefined))
  const footer = `<sub>${mdEscape(`${r.tool.name} ${r.tool.version}`)}, report schema ${r.schemaVersion}, finished ${mdEscape(r.finishedAt)}</sub>`
  return `${[head, `**${mdEscape(verdict(r))}**`, metaTable, ...sessionSection(r, maxFiles, maxComponents), hosts, ...r.hosts.map((h) => hostSection(h, maxFiles, maxComponents)), footer].join('\n\n')}\n`
}

/** Renders the job summary; lists are cut until it fits GitHub's 1 MiB limit. */
export function renderMarkdown(r: Report, maxFiles = 500): string {
  let files = maxFiles
  let components = 200
  for (;;) {
    const text = render(r, files, components)
    if (Buffer.byteLength(text) <= SUMMARY_LIMIT - 1024) return text
    if (files === 0 && components === 0) return `${text.slice(0, SUMMARY_LIMIT / 4)}\n\n… (cut: see the report artifact)\n`
    files = Math.floor(files / 4)
    components = Math.floor(components / 4)
  }
}

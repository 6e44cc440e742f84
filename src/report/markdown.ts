/**
 * The Markdown rendering of a report: the job summary. Outcome first, then a table of hosts, then per host its steps
 * and the changed files (collapsed). Kept under GitHub's 1 MiB summary limit: long lists are cut, the artifact has them.
 */
import type { FileChanges, HostReport, Report } from './model.js'
import { countChangedPaths } from './model.js'

export const SUMMARY_LIMIT = 1024 * 1024

const ICON: Record<string, string> = { success: '✅', failure: '❌', refused: '⛔', skipped: '⏭️' }

/** Escapes text for a Markdown table cell or line. */
export function mdEscape(s: string): string {
  return s.replace(/[\\`*_{}[\]<>|#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ')
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``

function fileList(files: FileChanges, max: number): string {
  const rows: string[] = []
  for (const p of files.added) rows.push(`A ${p}`)
  for (const p of files.modified) rows.push(`M ${p}`)
  for (const p of files.deleted) rows.push(`D ${p}`)
  for (const r of files.renamed) rows.push(`R ${r.from} -> ${r.to}`)
  const shown = rows.slice(0, max)
  const more = rows.length > max ? `\n… and ${rows.length - max} more (see the report artifact)` : ''
  return `\`\`\`\n${shown.join('\n').replace(/```/g, "'''")}\n\`\`\`${more}`
}

function hostSection(h: HostReport, maxFiles: number): string {
  const out: string[] = []
  out.push(`### ${ICON[h.outcome] ?? ''} ${mdEscape(h.host)}: ${h.outcome}`)
  if (h.error) out.push(`> ${mdEscape(h.error)}`)
  if (h.message && h.message !== h.error) out.push(mdEscape(h.message))
  if (h.restore) out.push(`**To restore by hand:** ${mdEscape(h.restore)}`)
  if (h.rolledBack) out.push('**Went back to the safe tree by itself (rolled back).**')
  const facts: [string, string | undefined][] = [
    ['State', h.stateBefore || h.stateAfter ? `${h.stateBefore ?? '–'} → ${h.stateAfter ?? '–'}` : undefined],
    ['Live tree', h.liveTreeBefore || h.liveTreeAfter ? `${h.liveTreeBefore ?? '–'} → ${h.liveTreeAfter ?? '–'}` : undefined],
    ['Revision', h.revisionBefore || h.revisionAfter ? `${h.revisionBefore ?? '–'} → ${h.revisionAfter ?? '–'}` : undefined],
    ['Application', h.appVersionBefore || h.appVersionAfter ? `${h.appVersionBefore ?? '–'} → ${h.appVersionAfter ?? '–'}` : undefined],
    ['Health', h.health ? `${h.health.ok ? 'ok' : 'failed'}: ${h.health.detail ?? ''} (${h.health.url})` : undefined],
  ]
  const rows = facts.filter(([, v]) => v !== undefined)
  if (rows.length) out.push(['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${mdEscape(v as string)} |`)].join('\n'))
  if (h.plan?.length) out.push(`**Dry run — would:**\n${h.plan.map((p) => `- ${mdEscape(p)}`).join('\n')}`)
  if (h.steps.length) {
    out.push(
      ['| Step | Outcome | Time | Detail |', '|---|---|---:|---|', ...h.steps.map((s) => `| ${mdEscape(s.name)} | ${ICON[s.outcome] ?? ''} ${s.outcome} | ${(s.ms / 1000).toFixed(1)} s | ${mdEscape(s.detail ?? '')} |`)].join('\n'),
    )
  }
  const n = countChangedPaths(h.files)
  if (n > 0) {
    const f = h.files
    out.push(
      `<details><summary>${n} changed path(s): ${f.added.length} added, ${f.modified.length} modified, ${f.deleted.length} deleted, ${f.renamed.length} renamed</summary>\n\n${fileList(f, maxFiles)}\n\n</details>`,
    )
  }
  for (const d of h.drift) {
    out.push(
      `**Drift:** ${d.files.length} file(s) of the ${d.role} tree were changed by hand${d.patch ? `, saved in ${code(d.patch)}` : ''}: ${d.files
        .slice(0, 20)
        .map((f) => code(`${f.status} ${f.path}`))
        .join(', ')}${d.files.length > 20 ? ` … and ${d.files.length - 20} more` : ''}`,
    )
  }
  const audit = h.permissionAudit
  if (audit && (audit.total > 0 || audit.note)) {
    const counts = Object.entries(audit.counts).map(([k, n]) => `${n} ${k}`).join(', ')
    const shown = (h.permissions ?? []).slice(0, 20).map((f) => code(`${f.problem} ${f.path}`))
    const rest = audit.total - shown.length
    out.push(
      `**Permissions (web user ${mdEscape(audit.webUser)}):** ${audit.total ? `${counts}: the web server (or anyone) could change the code it runs. ` : ''}${shown.join(', ')}${rest > 0 ? ` … and ${rest} more` : ''}${audit.note ? ` ${mdEscape(audit.note)}` : ''}`,
    )
  }
  if (h.upgradeOutput) out.push(`<details><summary>Upgrade output</summary>\n\n\`\`\`\n${h.upgradeOutput.slice(-20000).replace(/```/g, "'''")}\n\`\`\`\n\n</details>`)
  if (h.status) out.push(`<details><summary>Status</summary>\n\n\`\`\`json\n${JSON.stringify(h.status, null, 2)}\n\`\`\`\n\n</details>`)
  return out.join('\n\n')
}

export function renderMarkdown(r: Report, maxFiles = 500): string {
  const head = `## ${ICON[r.outcome] ?? ''} Delivery ${r.mode}${r.dryRun ? ' (dry run)' : ''}: ${r.outcome}`
  const meta = [
    `**Repository** ${mdEscape(r.repository || '–')} · **Ref** ${mdEscape(r.ref || '–')}${r.commit ? ` (${code(r.commit.slice(0, 12))})` : ''} · **By** ${mdEscape(r.actor)} · **Event** ${mdEscape(r.event)}${r.runUrl ? ` · [workflow run](${r.runUrl})` : ''}`,
    r.paths.length ? `**Paths** ${r.paths.map(code).join(', ')}` : '',
    r.comment ? `**Comment** ${mdEscape(r.comment)}` : '',
  ].filter(Boolean)
  const table = ['| Host | Outcome | Revision | Changed |', '|---|---|---|---:|', ...r.hosts.map((h) => `| ${mdEscape(h.host)} | ${ICON[h.outcome] ?? ''} ${h.outcome} | ${mdEscape((h.revisionAfter ?? '–').slice(0, 12))} | ${countChangedPaths(h.files)} |`)].join('\n')
  let text = [head, ...meta, table, ...r.hosts.map((h) => hostSection(h, maxFiles))].join('\n\n') + '\n'
  if (Buffer.byteLength(text) > SUMMARY_LIMIT - 1024 && maxFiles > 10) return renderMarkdown(r, Math.floor(maxFiles / 4))
  if (Buffer.byteLength(text) > SUMMARY_LIMIT - 1024) text = `${text.slice(0, SUMMARY_LIMIT / 2)}\n\n… (cut: see the report artifact)\n`
  return text
}

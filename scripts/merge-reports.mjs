#!/usr/bin/env node
/**
 * Merges the report.json files of several Delivery runs (the jobs of a matrix that shards a fleet) into one report:
 * every host of every run, one outcome, the earliest start and the latest end, and the list of parts it was made of.
 * Plain Node, no dependencies: a final job downloads the jobs' report artifacts and runs it.
 *
 *   node merge-reports.mjs [--out FILE] [--summary FILE] PATH...
 *
 * PATH: report.json files, or folders searched (recursively) for them. --out: where the merged report goes (default
 * merged-report.json). --summary: a file the Markdown summary is appended to (default: $GITHUB_STEP_SUMMARY when set).
 * Exit codes: 0 merged (whatever the deliveries' outcome, which is in the report), 2 bad usage or unreadable input.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

export class UsageError extends Error {}

/** report.json files under each path (a file is taken as it is), sorted for a stable order. */
export function findReports(paths) {
  const found = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name)
      if (entry.isDirectory()) walk(p)
      else if (entry.isFile() && entry.name === 'report.json') found.push(p)
    }
  }
  for (const p of paths) {
    let st
    try {
      st = statSync(p)
    } catch {
      throw new UsageError(`${p}: no such file or folder`)
    }
    if (st.isDirectory()) walk(p)
    else found.push(p)
  }
  return [...new Set(found)].sort()
}

/** The run's outcome from its hosts' outcomes (as the action decides it). */
function overall(hosts) {
  if (hosts.length === 0) return 'failure'
  if (hosts.every((h) => h.outcome === 'success' || h.outcome === 'skipped')) return 'success'
  if (hosts.some((h) => h.outcome === 'failure')) return 'failure'
  return 'refused'
}

const same = (values) => (new Set(values).size === 1 ? values[0] : undefined)

/**
 * Merges parsed reports. `parts` holds { source, report } in order; each host is tagged with the part it came from.
 * Fields that differ between parts (mode, ref...) are listed in `differences`.
 */
export function mergeReports(parts) {
  if (parts.length === 0) throw new UsageError('no report.json found')
  const reports = parts.map((p) => p.report)
  for (const { source, report } of parts) {
    if (!report || typeof report !== 'object' || !Array.isArray(report.hosts)) throw new UsageError(`${source}: not a Delivery report (no hosts list)`)
  }
  const first = reports[0]
  const hosts = parts.flatMap(({ source, report }) => report.hosts.map((h) => ({ ...h, part: source })))
  const starts = reports.map((r) => r.startedAt).filter(Boolean).sort()
  const ends = reports.map((r) => r.finishedAt).filter(Boolean).sort()
  const startedAt = starts[0] ?? ''
  const finishedAt = ends.at(-1) ?? ''
  const differences = {}
  for (const key of ['mode', 'repository', 'ref', 'commit', 'dryRun']) {
    const values = [...new Set(reports.map((r) => JSON.stringify(r[key] ?? null)))]
    if (values.length > 1) differences[key] = values.map((v) => JSON.parse(v))
  }
  const seen = new Map()
  const duplicates = []
  for (const h of hosts) {
    if (seen.has(h.host) && !duplicates.includes(h.host)) duplicates.push(h.host)
    seen.set(h.host, true)
  }
  return {
    schemaVersion: Math.max(...reports.map((r) => Number(r.schemaVersion) || 0)),
    tool: first.tool,
    merged: true,
    outcome: overall(hosts),
    mode: same(reports.map((r) => r.mode)) ?? 'mixed',
    dryRun: reports.some((r) => r.dryRun === true),
    startedAt,
    finishedAt,
    durationMs: startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : 0,
    repository: same(reports.map((r) => r.repository)) ?? first.repository,
    ref: same(reports.map((r) => r.ref)) ?? first.ref,
    commit: same(reports.map((r) => r.commit)) ?? first.commit,
    actor: first.actor,
    event: first.event,
    runUrl: first.runUrl,
    environment: first.environment,
    app: first.app,
    method: first.method,
    paths: first.paths ?? [],
    comment: first.comment,
    sessionId: same(reports.map((r) => r.sessionId)),
    parts: parts.map(({ source, report }) => ({
      source,
      outcome: report.outcome,
      hosts: report.hosts.length,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
    })),
    differences: Object.keys(differences).length ? differences : undefined,
    duplicateHosts: duplicates.length ? duplicates : undefined,
    hosts,
  }
}

const ICON = { success: '✅', failure: '❌', refused: '⛔', skipped: '⏭️' }
const cell = (s) => String(s ?? '–').replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ')
/** Distinct paths touched (a rename counts its two paths), as the action counts them. */
const changed = (f) => (f ? new Set([...f.added, ...f.modified, ...f.deleted, ...f.renamed.flatMap((r) => [r.from, r.to])]).size : 0)

/** A Markdown summary: the outcome, and one row per host with the part it came from. */
export function renderSummary(merged) {
  const n = merged.hosts.length
  const lines = [
    `## ${ICON[merged.outcome] ?? ''} Delivery ${cell(merged.mode)}${merged.dryRun ? ' (dry run)' : ''}: ${merged.outcome} on ${n} host(s) in ${merged.parts.length} job(s)`,
    '',
    `**Repository** ${cell(merged.repository)} · **Ref** ${cell(merged.ref)}${merged.commit ? ` (${cell(merged.commit.slice(0, 12))})` : ''}`,
    '',
  ]
  const count = (o) => merged.hosts.filter((h) => h.outcome === o).length
  lines.push(`${count('success')} succeeded, ${count('failure')} failed, ${count('refused')} refused, ${count('skipped')} not run.`, '')
  if (merged.differences) lines.push(`**The jobs differ in:** ${Object.keys(merged.differences).join(', ')}`, '')
  if (merged.duplicateHosts) lines.push(`**Hosts in more than one job:** ${merged.duplicateHosts.map(cell).join(', ')}`, '')
  lines.push('| Host | Job | Outcome | Revision | Changed | Error |', '|---|---|---|---|---:|---|')
  for (const h of merged.hosts) {
    const error = h.error ?? (h.outcome === 'skipped' ? h.message : '')
    lines.push(`| ${cell(h.host)} | ${cell(dirname(h.part))} | ${ICON[h.outcome] ?? ''} ${h.outcome} | ${cell((h.revisionAfter ?? '–').slice(0, 12))} | ${changed(h.files)} | ${cell((error ?? '').slice(0, 300))} |`)
  }
  return `${lines.join('\n')}\n`
}

function parseArgs(argv) {
  const opts = { out: 'merged-report.json', summary: process.env.GITHUB_STEP_SUMMARY || undefined, paths: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--out' || a === '--summary') {
      const v = argv[++i]
      if (!v) throw new UsageError(`${a} needs a file name`)
      opts[a.slice(2)] = v
    } else if (a === '-h' || a === '--help') {
      opts.help = true
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`)
    } else opts.paths.push(a)
  }
  if (!opts.help && opts.paths.length === 0) throw new UsageError('give the report.json files, or the folders that hold them')
  return opts
}

export function main(argv = process.argv.slice(2), cwd = process.cwd()) {
  try {
    const opts = parseArgs(argv)
    if (opts.help) {
      process.stdout.write('usage: merge-reports.mjs [--out FILE] [--summary FILE] PATH...\n')
      return 0
    }
    const files = findReports(opts.paths.map((p) => resolve(cwd, p)))
    const parts = files.map((file) => {
      let report
      try {
        report = JSON.parse(readFileSync(file, 'utf8'))
      } catch (e) {
        throw new UsageError(`${relative(cwd, file)}: cannot be read as JSON (${e.message})`)
      }
      return { source: relative(cwd, file), report }
    })
    const merged = mergeReports(parts)
    const out = resolve(cwd, opts.out)
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, `${JSON.stringify(merged, null, 2)}\n`)
    if (opts.summary) appendFileSync(resolve(cwd, opts.summary), renderSummary(merged))
    process.stdout.write(`merged ${parts.length} report(s), ${merged.hosts.length} host(s): ${merged.outcome}; written to ${relative(cwd, out) || out}\n`)
    return 0
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`merge-reports: ${e.message}\n`)
      return 2
    }
    throw e
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main()

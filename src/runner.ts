/**
 * One run, the same from the Action and from the CLI: inputs -> settings -> engine -> report files, outputs, summary.
 * Exit codes: 0 success, 1 failure (or refusal), 2 invalid input.
 */
import { InputErrors } from './errors.js'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runHosts } from './fleet.js'
import { type InputSource, type OutputName } from './inputs.js'
import { createLogger, type Logger, type LogSink } from './log.js'
import { renderHtml } from './report/html.js'
import { buildSessionReport } from './report/session.js'
import { renderJson } from './report/json.js'
import { renderMarkdown } from './report/markdown.js'
import { compactTime, countChangedPaths } from './domain.js'
import { overallOutcome, REPORT_SCHEMA_VERSION, type Report } from './report/model.js'
import { readSettings, type Settings } from './settings.js'
import type { HostTarget } from './settings.js'
import { maskValues } from './secrets.js'
import { newSessionId } from './session/sessions.js'
import type { SshConnection } from './transport/ssh.js'
import { VERSION } from './version.js'

export interface RunnerIO {
  input: InputSource
  env: NodeJS.ProcessEnv
  /** GitHub Actions (true) or the CLI (false): decides defaults of repository and ref. */
  fromActions: boolean
  sink: LogSink
  setOutput(name: OutputName, value: string): void
  /** Registers a secret with the log masker (the Action: core.setSecret per line). */
  setSecret(value: string): void
  /** Appends Markdown to the job summary. */
  summary?(markdown: string): Promise<void> | void
  /** Shows the report (masked) to a person: the CLI prints it on the terminal. */
  show?(report: Report, reportDir: string): void
  /** Remembers which hosts hold our lock, for the post step. */
  saveLocks?(hosts: HostTarget[]): void
  /** Test hook: see EngineOptions.onConnected. */
  onConnected?: (host: HostTarget, conn: SshConnection) => void
}

export interface RunResult {
  exitCode: 0 | 1 | 2
  report?: Report
  reportDir?: string
  settings?: Settings
}

/** Registers each secret, and each line of a multi-line secret, with the masker. */
export function registerSecrets(secrets: string[], setSecret: (s: string) => void): void {
  for (const s of secrets) {
    setSecret(s)
    for (const line of s.split(/\r?\n/)) if (line.trim().length >= 4) setSecret(line.trim())
  }
}

function reportDirFor(settings: Settings): string {
  const stamp = compactTime(new Date())
  return join(settings.run.reportRoot, `delivery-report-${settings.run.job}-${settings.mode}-${stamp}`)
}

/** Writes report.json, report.md and report.html into `dir`, masked (inside values); returns their paths, the Markdown and the masked report. */
export function writeReportFiles(report: Report, dir: string, secrets: string[]): { json: string; md: string; html: string; markdown: string; masked: Report } {
  mkdirSync(dir, { recursive: true })
  const json = join(dir, 'report.json')
  const md = join(dir, 'report.md')
  const html = join(dir, 'report.html')
  const masked = maskValues(report, secrets)
  const markdown = renderMarkdown(masked)
  writeFileSync(json, renderJson(masked))
  writeFileSync(md, markdown)
  writeFileSync(html, renderHtml(masked))
  return { json, md, html, markdown, masked }
}

export async function runDelivery(io: RunnerIO): Promise<RunResult> {
  let secrets: string[] = []
  const log: Logger = createLogger(io.sink, () => secrets)
  let settings: Settings
  try {
    settings = readSettings(io.input, io.env, io.fromActions)
  } catch (e) {
    if (e instanceof InputErrors) {
      for (const err of e.errors) log.error(err.message)
      log.error(`${e.errors.length} input problem(s): nothing was done on any server`)
      return { exitCode: e.exitCode }
    }
    throw e
  }
  settings.run.sessionId = newSessionId(new Date())
  secrets = settings.secrets
  registerSecrets(secrets, io.setSecret)
  if (settings.hostKeys.insecure) {
    log.warning('insecure-skip-host-key-check is true: the servers are not authenticated, and a man in the middle could receive the delivery. Give known-hosts or host-fingerprint instead')
  }
  // Loaded on demand: the deployment, artifact and mail libraries stay out of the CLI's and post step's start.
  const notify = await (await import('./notify/notify.js')).startNotifications({ settings, env: io.env, fromActions: io.fromActions, log })
  const startedAt = new Date()
  const held = new Map<string, HostTarget>()
  const hosts = await runHosts(settings, {
    log,
    onConnected: io.onConnected,
    onLock: (h, isHeld) => {
      if (isHeld) held.set(h.label, h)
      else held.delete(h.label)
      io.saveLocks?.([...held.values()])
    },
  })
  const finishedAt = new Date()
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'delivery', version: VERSION },
    outcome: overallOutcome(hosts),
    mode: settings.mode,
    dryRun: settings.dryRun,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    repository: settings.repository,
    ref: settings.ref,
    commit: hosts.find((h) => h.commit)?.commit ?? '',
    actor: settings.run.actor,
    event: settings.run.event,
    runUrl: settings.run.runUrl,
    environment: settings.environment,
    app: settings.app,
    method: settings.method,
    paths: settings.paths,
    comment: settings.comment || undefined,
    sessionId: hosts.find((h) => h.sessionId)?.sessionId,
    session: buildSessionReport(hosts.flatMap((h) => (h.session ? [h.session] : []))),
    hosts: hosts.map(({ commit: _c, sessionId: _s, session: _d, ...h }) => h),
  }
  const dir = reportDirFor(settings)
  const files = writeReportFiles(report, dir, secrets)
  const first = report.hosts[0]
  const changed = new Set<string>()
  for (const h of report.hosts) {
    for (const p of [...h.files.added, ...h.files.modified, ...h.files.deleted]) changed.add(p)
    for (const r of h.files.renamed) {
      changed.add(r.from)
      changed.add(r.to)
    }
  }
  const out = (name: OutputName, value: string | undefined) => io.setOutput(name, value ?? '')
  out('state', first?.stateAfter)
  out('live-tree', first?.liveTreeAfter)
  out('revision-before', first?.revisionBefore)
  out('revision-after', first?.revisionAfter)
  out('changed-files', String(report.hosts.length ? Math.max(changed.size, countChangedPaths(first.files)) : 0))
  out('report-dir', dir)
  out('report-json', files.json)
  out('session-id', report.sessionId)
  out('rolled-back', String(report.hosts.some((h) => h.rolledBack)))
  out('app-version-before', first?.appVersionBefore)
  out('app-version-after', first?.appVersionAfter)
  await io.summary?.(files.markdown)
  io.show?.(files.masked, dir)
  out('artifact-id', (await notify.finish(report, dir, [files.json, files.md, files.html]))?.toString())
  const exitCode = report.outcome === 'success' ? 0 : 1
  if (exitCode) log.error(`${settings.mode} ${report.outcome}${report.dryRun ? ' (dry run)' : ''}: see the report in ${dir}`)
  else log.info(`${settings.mode}${report.dryRun ? ' (dry run)' : ''} succeeded on ${report.hosts.length} host(s); report in ${dir}`)
  return { exitCode, report, reportDir: dir, settings }
}

/**
 * Opening a host: connect once, check that sudo may be used (before anything else runs there), probe the delivery
 * root, and build the host's context (shell, layout, code-source and application drivers). Writes nothing on the
 * server.
 */
import { type AppDriver, NoApp } from '../app/app.js'
import { MoodleApp } from '../app/moodle.js'
import type { HostReport } from '../report/model.js'
import { Layout, probe } from '../remote/server.js'
import { type RemoteShell, SshShell } from '../remote/shell.js'
import { phpCommandForm, phpProblem, probePhpAs, probeSudo, sudoersLine, sudoProblem } from '../remote/sudo.js'
import type { HostTarget, Settings } from '../settings.js'
import { StepFailure } from '../errors.js'
import { type HostContext } from '../steps/context.js'
import { SshConnection } from '../transport/ssh.js'
import type { VcsContext } from '../vcs/driver.js'
import { createDriver } from '../vcs/index.js'
import type { EngineOptions, Held } from './skeleton.js'

/** The application driver: the `app` input, or with `auto` the one the layout was initialised with. */
export function chooseApp(settings: Settings, stateApp: string | undefined, sh: RemoteShell, layout: Layout): AppDriver {
  const app = settings.app === 'auto' ? (stateApp ?? 'none') : settings.app
  return app === 'moodle' ? new MoodleApp(sh, layout) : new NoApp()
}

/** The code owner commands run as: none when `sudo-user` is empty or is the SSH user itself. */
export function codeOwner(settings: Settings, target: HostTarget): string | undefined {
  return settings.sudoUser && settings.sudoUser !== target.user ? settings.sudoUser : undefined
}

/** Checks, as the SSH user, that it may become each user in `needs` (user -> input); fails naming the sudoers line. */
async function sudoStep(report: HostReport, sh: RemoteShell, login: string, needs: Map<string, string>): Promise<void> {
  const started = Date.now()
  const problem = sudoProblem(login, needs, await probeSudo(sh, [...needs.keys()]))
  const detail = problem ?? `${login} may become ${[...needs.keys()].join(', ')} through sudo -n`
  report.steps.push({ name: 'sudo', outcome: problem ? 'failure' : 'success', ms: Date.now() - started, detail })
  if (problem) throw new StepFailure(problem)
  for (const [user, input] of needs) (report.sudo ??= []).push({ user, input, command: `sudo -n -u ${user} -- bash -c SCRIPT ARGS...`, rule: sudoersLine(login, [user]) })
}

/** Checks, as the SSH user, that `sudo -n -u WEB PHP` runs PHP as the web user; returns PHP's absolute path. */
async function phpSudoStep(report: HostReport, sh: RemoteShell, login: string, webUser: string, php: string): Promise<string> {
  const started = Date.now()
  const v = await probePhpAs(sh, webUser, php)
  const ms = Date.now() - started
  if (v.kind !== 'ok') {
    const problem = phpProblem(login, webUser, v) as string
    report.steps.push({ name: 'sudo', outcome: 'failure', ms, detail: problem })
    throw new StepFailure(problem)
  }
  const command = phpCommandForm(webUser, v.php)
  report.steps.push({ name: 'sudo', outcome: 'success', ms, detail: `${login} may run ${command}` })
  ;(report.sudo ??= []).push({ user: webUser, input: 'web-user', command, rule: sudoersLine(login, [webUser], v.php) })
  return v.php
}

/** Connects to a host, checks sudo, probes the delivery root and builds the host's context. */
export async function openHost(settings: Settings, target: HostTarget, opts: EngineOptions, report: HostReport, held: Held): Promise<HostContext> {
  const { log } = opts
  const layout = new Layout(settings.path)
  const started = Date.now()
  held.conn = await SshConnection.connect({
    target,
    auth: settings.auth,
    hostKeys: settings.hostKeys,
    timeoutMs: settings.timeoutMs,
    tunnel: opts.tunnel,
    jump: opts.tunnel ? undefined : settings.jump,
    secrets: settings.secrets,
    onRetry: (m) => log.warning(m),
  })
  const conn = held.conn
  const via = settings.jump ? `through the jump host ${settings.jump.target.label}` : undefined
  report.steps.push({ name: 'connect', outcome: 'success', ms: Date.now() - started, detail: via })
  opts.onConnected?.(target, conn)
  const owner = codeOwner(settings, target)
  const login = new SshShell(conn, { runId: settings.run.runId, setsid: false })
  if (owner) await sudoStep(report, login, target.user, new Map([[owner, 'sudo-user']]))
  const p = await probe(new SshShell(conn, { runId: settings.run.runId, sudoUser: owner, setsid: false }), layout)
  const sh = new SshShell(conn, { runId: settings.run.runId, sudoUser: owner, setsid: p.tools.setsid === true, timeoutMs: settings.commandTimeoutMs })
  const method = p.state?.method ?? settings.method
  const vcsCtx: VcsContext = { sh, layout, settings, log }
  const vcs = createDriver(method, vcsCtx)
  const app = chooseApp(settings, p.state?.app, sh, layout)
  vcsCtx.keep = [...new Set([...app.keep, ...settings.keep])].sort()
  // Moodle's CLI runs as the web user: check now, not after the switch, that the SSH user may run PHP as it.
  if (app instanceof MoodleApp && settings.webUser !== target.user) app.php = await phpSudoStep(report, login, target.user, settings.webUser, settings.php)
  return {
    settings,
    target,
    sh,
    layout,
    vcs,
    app,
    log,
    report,
    probe: p,
    state: p.state,
    keep: vcsCtx.keep,
    now: opts.now ?? (() => new Date()),
  }
}

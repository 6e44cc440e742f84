/**
 * A fake of the shell a step receives (RemoteShell), for unit tests of decisions below the runner: it records every
 * command (what, script, arguments, user, stdin), answers as scripted (exit code 0 and no output unless told), and
 * can fail a command as the server would (RunError with its exit code and stderr). Integration tests use a real sshd.
 */
import type { Duplex } from 'node:stream'
import { newHostReport } from '../../src/report/model.js'
import type { LockGuard } from '../../src/remote/lock.js'
import { Layout, type Probe } from '../../src/remote/server.js'
import type { RemoteShell, ShellParams } from '../../src/remote/shell.js'
import type { ServerState } from '../../src/remote/state.js'
import { createLogger, type Logger, type LogSink } from '../../src/log.js'
import type { Settings } from '../../src/settings.js'
import type { HostContext } from '../../src/steps/context.js'
import { type RunResult, RunError } from '../../src/transport/run.js'

export interface Call {
  what: string
  script: string
  args: string[]
  /** The user it ran as: the code owner for `run` (undefined here), the given one for `runAs`. */
  user?: string
  stdin?: string
}

type Matcher = string | RegExp
interface Answer {
  match: Matcher
  result?: Partial<RunResult>
  fail?: { code: number; stderr: string }
  once: boolean
}

const matches = (m: Matcher, what: string) => (typeof m === 'string' ? what.includes(m) : m.test(what))

export class FakeShell implements RemoteShell {
  readonly calls: Call[] = []
  guard?: LockGuard
  private readonly answers: Answer[] = []

  constructor(
    readonly label = 'deploy@web1:22',
    readonly runId = 'run-1',
  ) {}

  /** Commands whose `what` contains `match` (or matches it) answer `result`; `once`: only the next such command. */
  answer(match: Matcher, result: Partial<RunResult>, once = false): this {
    this.answers.push({ match, result, once })
    return this
  }

  /** Commands whose `what` matches fail as on the server: exit `code`, `stderr`. */
  fail(match: Matcher, stderr = 'failed', code = 1, once = false): this {
    this.answers.push({ match, fail: { code, stderr }, once })
    return this
  }

  /** The `what` of every command run, in order. */
  get whats(): string[] {
    return this.calls.map((c) => c.what)
  }

  run(what: string, script: string, args: string[] = [], params: ShellParams = {}): Promise<RunResult> {
    return this.exec(undefined, what, script, args, params)
  }

  runAs(user: string | undefined, what: string, script: string, args: string[] = [], params: ShellParams = {}): Promise<RunResult> {
    return this.exec(user, what, script, args, params)
  }

  forward(host: string, port: number): Promise<Duplex> {
    return Promise.reject(new Error(`the fake shell forwards nothing (${host}:${port})`))
  }

  async close(): Promise<void> {}

  private async exec(user: string | undefined, what: string, script: string, args: string[], params: ShellParams): Promise<RunResult> {
    this.calls.push({ what, script, args, user, stdin: typeof params.stdin === 'string' ? params.stdin : undefined })
    const i = this.answers.findIndex((a) => matches(a.match, what))
    const a = i >= 0 ? this.answers[i] : undefined
    if (a?.once) this.answers.splice(i, 1)
    if (a?.fail) throw new RunError(this.label, what, a.fail.code, '', a.fail.stderr)
    return { code: 0, stdout: '', stderr: '', ...a?.result }
  }
}

/** A logger that keeps what it is told, by level. */
export function memoryLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = []
  const at = (level: string) => (message: string) => void lines.push({ level, message })
  const sink: LogSink = { info: at('info'), warning: at('warning'), error: at('error'), debug: at('debug') }
  return Object.assign(createLogger(sink, () => []), { lines })
}

/** A probe of a server, as `probe` returns it: no layout unless `over` says otherwise. */
export function fakeProbe(over: Partial<Probe> = {}): Probe {
  return {
    liveExists: false,
    liveTarget: '',
    stateText: null,
    state: null,
    lock: null,
    lockAgeS: 0,
    trees: [],
    tools: {},
    user: 'deploy',
    session: '',
    ...over,
  }
}

/** A probe of a server whose layout holds `state`, with `live` pointing where the state says (unless told). */
export function probeOf(state: ServerState, over: Partial<Probe> = {}): Probe {
  return fakeProbe({ liveExists: true, liveTarget: `trees/${state.live}`, stateText: JSON.stringify(state), state, trees: Object.keys(state.trees), ...over })
}

/** A host's context over the fake shell, with the settings a test needs (the others absent). */
export function fakeContext(sh: FakeShell, probe: Probe, settings: Partial<Settings> = {}): HostContext & { log: ReturnType<typeof memoryLogger> } {
  const full = {
    mode: 'status',
    path: '/srv/site',
    dryRun: false,
    secrets: [],
    paths: [],
    run: { runId: sh.runId, actor: 'alice', runUrl: '', event: 'workflow_dispatch', sessionId: 's-1' },
    ...settings,
  } as unknown as Settings
  return {
    settings: full,
    target: { label: sh.label, host: 'web1', port: 22, user: 'deploy' } as HostContext['target'],
    sh,
    layout: new Layout(full.path),
    vcs: undefined as unknown as HostContext['vcs'],
    app: undefined as unknown as HostContext['app'],
    log: memoryLogger(),
    report: newHostReport(sh.label),
    probe,
    state: probe.state,
    keep: [],
    now: () => new Date('2026-12-03T12:00:00Z'),
  }
}

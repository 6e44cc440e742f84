/**
 * Runs the bundled Action (dist/main.js, dist/post.js) as GitHub's runner does: a Node process with `INPUT_<NAME>`
 * variables (hyphens kept), and the files named by GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_STATE. Also a
 * delivery target: a real sshd, a delivery root owned by its user, and inputs to reach it.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { run } from './proc.js'
import { type SshdHandle, type SshdOptions, startSshd } from './sshd.js'

export const ROOT = new URL('../..', import.meta.url).pathname

export interface ActionResult {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** Values the step saved for its post step (name -> value). */
  state: Record<string, string>
  /** report.json parsed, when the run wrote one. */
  report?: ReportJson
  /** Every file of the report folder (`report-dir`): name -> content. */
  reportFiles: Record<string, string>
}

// A loose view of report.json for assertions.
export interface ReportJson {
  outcome: string
  mode: string
  hosts: {
    host: string
    outcome: string
    error?: string
    steps: { name: string; outcome: string }[]
    files: { added: string[]; modified: string[]; deleted: string[]; renamed: { from: string; to: string }[] }
    drift: { tree: string; role: string; files: { path: string; status: string }[]; patch?: string }[]
    plan?: string[]
    rolledBack: boolean
    revisionBefore?: string
    revisionAfter?: string
    stateAfter?: string
    liveTreeAfter?: string
    status?: Record<string, unknown>
    [k: string]: unknown
  }[]
  [k: string]: unknown
}

/** Parses the GITHUB_OUTPUT / GITHUB_STATE file format (`name<<DELIM\nvalue\nDELIM`). */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (m) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
      out[m[1]] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const k = lines[i].indexOf('=')
      out[lines[i].slice(0, k)] = lines[i].slice(k + 1)
    }
  }
  return out
}

/** Runs dist/<entry>.js with the inputs; `state` feeds a post step (STATE_<name>). */
export async function runAction(
  inputs: Record<string, string>,
  opts: { entry?: 'main' | 'post'; state?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<ActionResult> {
  const dir = await mkdtemp('/tmp/dlv-runner-')
  const files = { output: join(dir, 'output'), summary: join(dir, 'summary'), state: join(dir, 'state') }
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')))
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    RUNNER_TEMP: dir,
    GITHUB_RUN_ID: String(Math.floor(Math.random() * 1e9)),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'test-actor',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_JOB: 'deliver',
    ...opts.env,
  }
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v
  for (const [k, v] of Object.entries(opts.state ?? {})) env[`STATE_${k}`] = v
  const r = await run(process.execPath, [join(ROOT, 'dist', `${opts.entry ?? 'main'}.js`)], { env, cwd: dir })
  const outputs = parseCommandFile(await readFile(files.output, 'utf8'))
  const summary = await readFile(files.summary, 'utf8')
  const state = parseCommandFile(await readFile(files.state, 'utf8'))
  let report: ReportJson | undefined
  if (outputs['report-json'] && existsSync(outputs['report-json'])) report = JSON.parse(await readFile(outputs['report-json'], 'utf8')) as ReportJson
  const reportFiles: Record<string, string> = {}
  if (outputs['report-dir'] && existsSync(outputs['report-dir'])) {
    for (const f of await readdir(outputs['report-dir'])) reportFiles[f] = await readFile(join(outputs['report-dir'], f), 'utf8')
  }
  await rm(dir, { recursive: true, force: true })
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, outputs, summary, state, report, reportFiles }
}

export interface Target {
  sshd: SshdHandle
  /** The delivery root on the "server" (owned by the sshd user). */
  root: string
  /** Inputs that reach this server: hosts, private-key, known-hosts, path. */
  base: Record<string, string>
  /** Runs a command as the server user and returns stdout (throws on failure). */
  sh(cmd: string): Promise<string>
  stop(): Promise<void>
}

/** Starts an sshd and prepares an empty delivery root owned by its user. */
export async function startTarget(opts: SshdOptions = {}): Promise<Target> {
  const sshd = await startSshd(opts)
  const root = `/tmp/dlv-site-${Math.random().toString(36).slice(2, 10)}`
  const sh = async (cmd: string) => {
    const r = await sshd.exec(`set -e\n${cmd}`)
    if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`)
    return r.stdout
  }
  await sh(`mkdir -p ${root}`)
  return {
    sshd,
    root,
    base: {
      hosts: `${sshd.user}@${sshd.host}:${sshd.port}`,
      'private-key': sshd.privateKey,
      'known-hosts': sshd.knownHostsLine,
      path: root,
      // The web server's user never owns the code (else the permission audit warns on every run).
      'web-user': 'www-data',
    },
    sh,
    async stop() {
      await sshd.stop()
      await run('rm', ['-rf', root])
    },
  }
}

/** Reads a JSON file on the server. */
export async function readServerJson<T = Record<string, unknown>>(t: Target, path: string): Promise<T> {
  return JSON.parse(await t.sh(`cat ${path}`)) as T
}

/**
 * Another empty delivery root on the server of `t` (a second site on one machine): much cheaper than another sshd
 * where a case needs no server of its own. Its `stop` removes that root only.
 */
export async function anotherRoot(t: Target): Promise<Target> {
  const root = `/tmp/dlv-site-${Math.random().toString(36).slice(2, 10)}`
  await t.sh(`mkdir -p ${root}`)
  return {
    ...t,
    root,
    base: { ...t.base, path: root },
    async stop() {
      await run('rm', ['-rf', root])
    },
  }
}

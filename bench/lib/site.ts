/**
 * A delivery target on loopback for the benchmarks: a real sshd (the test helper's `startTarget`) and a delivery root
 * owned by its user; the project's CLI (`node dist/cli.js`) run against it; the server's journal and state; and the
 * seed tool's procedure (cp -R, then `mv` renames) run over one OpenSSH session with a time stamp after each phase.
 */
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTarget, type Target } from '../../test/helpers/action.js'
import type { SshdOptions } from '../../test/helpers/sshd.js'
import { CLI, now } from './util.js'

export interface ReportStep {
  name: string
  outcome: string
  ms: number
  detail?: string
}

export interface ReportJson {
  outcome: string
  durationMs: number
  hosts: { host: string; outcome: string; error?: string; steps: ReportStep[]; liveTreeAfter?: string; revisionAfter?: string }[]
}

export interface CliRun {
  code: number
  /** Epoch ms just before the process was started, and when it exited. */
  t0: number
  t1: number
  ms: number
  stdout: string
  stderr: string
  report?: ReportJson
}

export interface JournalEvent {
  at: string
  runId: string
  event: string
  mode: string
  host: string
  from?: string
  to?: string
  [k: string]: unknown
}

export interface TreeState {
  id: string
  revision: string
  head?: string
}

export interface ServerState {
  state: string
  live: string
  safe: string
  work?: string
  trees: Record<string, TreeState>
}

/** Single-quotes a word for a POSIX shell. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** Runs a program; resolves with exit code, output and the epoch times around it. */
export function timed(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = now()
    const child = spawn(file, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
    child.on('error', reject)
    child.on('close', (code) => {
      const t1 = now()
      resolve({ code: code ?? 1, t0, t1, ms: t1 - t0, stdout, stderr })
    })
  })
}

export interface Site {
  target: Target
  user: string
  root: string
  port: number
  keyFile: string
  knownHostsFile: string
  /** Folder for the CLI's reports and other scratch files. */
  work: string
  /** Runs the CLI (`cli` defaults to dist/cli.js) with these inputs on this site. */
  cli(inputs: Record<string, string>, cli?: string): Promise<CliRun>
  /** The server's journal, parsed (of the delivery root `root`, default the site's). */
  journal(root?: string): Promise<JournalEvent[]>
  state(root?: string): Promise<ServerState>
  /** Makes another delivery root (an empty folder owned by the user) under the site's, for one more system. */
  makeRoot(name: string): Promise<string>
  /** Runs a bash script on the server over one OpenSSH session (`ssh … bash -s -- ARGS`). */
  ssh(script: string, args: string[]): Promise<CliRun>
  stop(): Promise<void>
}

export async function startSite(opts: SshdOptions & { user?: string } = {}): Promise<Site> {
  const user = opts.user ?? 'dlvbench'
  const target = await startTarget({ ...opts, user })
  const work = await mkdtemp('/tmp/dlv-bench-run-')
  await chmod(work, 0o700)
  const keyFile = join(work, 'id_ed25519')
  const knownHostsFile = join(work, 'known_hosts')
  await writeFile(keyFile, target.sshd.privateKey, { mode: 0o600 })
  await writeFile(knownHostsFile, `${target.sshd.knownHostsLine}\n`)
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: work, USER: 'bench' }
  const site: Site = {
    target,
    user,
    root: target.root,
    port: target.sshd.port,
    keyFile,
    knownHostsFile,
    work,
    async cli(inputs, cli = CLI) {
      const all: Record<string, string> = {
        hosts: `${user}@127.0.0.1:${target.sshd.port}`,
        'private-key-file': keyFile,
        'known-hosts-file': knownHostsFile,
        path: target.root,
        'web-user': user,
        ...inputs,
      }
      const args = Object.entries(all).flatMap(([k, v]) => [`--${k}`, v])
      const r = await timed(process.execPath, [cli, ...args], { env, cwd: work })
      const m = /^report-json=(.+)$/m.exec(r.stdout)
      if (m) {
        try {
          r.report = JSON.parse(await readFile(m[1].trim(), 'utf8')) as ReportJson
        } catch {
          /* no report: the caller sees the exit code and stderr */
        }
      }
      return r
    },
    async journal(root = target.root) {
      const text = await target.sh(`cat ${shq(`${root}/.delivery/journal.jsonl`)} 2>/dev/null || true`)
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as JournalEvent)
    },
    async state(root = target.root) {
      return JSON.parse(await target.sh(`cat ${shq(`${root}/.delivery/state.json`)}`)) as ServerState
    },
    async makeRoot(name) {
      const dir = `${target.root}/${name}`
      await target.sh(`mkdir -p ${shq(dir)}`)
      return dir
    },
    ssh(script, args) {
      return timed(
        'ssh',
        [
          '-i', keyFile, '-o', `UserKnownHostsFile=${knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
          '-o', 'LogLevel=ERROR', '-p', String(target.sshd.port), `${user}@127.0.0.1`,
          ['bash', '-s', '--', ...args].map(shq).join(' '),
        ],
        { env, input: script },
      )
    },
    async stop() {
      await target.stop()
      await rm(work, { recursive: true, force: true })
    },
  }
  return site
}

/** Time stamps printed by a seed script (`T name epoch-ns` lines) as epoch ms. */
export function stamps(stdout: string): Map<string, number> {
  const m = new Map<string, number>()
  for (const line of stdout.split('\n')) {
    const f = /^T (\S+) (\d+)$/.exec(line)
    if (f) m.set(f[1], Number(BigInt(f[2]) / 1000n) / 1000)
  }
  return m
}

/**
 * The seed tool's procedure, as bash run over one SSH session in the folder that holds `live` (the web server's root
 * is `<dir>/live`, a plain directory that is a git clone). `st NAME` prints a time stamp.
 * - deliver: remove the old backup, `cp -R live save`, swap (`mv live work; mv save live`: the backup serves), update
 *   the work copy (`git fetch` + `git reset --hard COMMIT`), swap back (`mv live save; mv work live`).
 * - goback: `mv live work; mv save live` (the backup serves again).
 * - backtoprod: `mv live save; mv work live`.
 */
export const SEED = {
  deliver: `set -e
cd "$1"; commit=$2
st() { echo "T $1 $(date +%s%N)"; }
st start
rm -rf save
st rm
cp -R live save
st copy
st swap1.begin
mv live work; mv save live
st swap1.end
git -C work fetch -q origin
git -C work reset -q --hard "$commit"
st update
st swap2.begin
mv live save; mv work live
st swap2.end
`,
  goback: `set -e
cd "$1"
st() { echo "T $1 $(date +%s%N)"; }
st swap.begin
mv live work; mv save live
st swap.end
`,
  backtoprod: `set -e
cd "$1"
st() { echo "T $1 $(date +%s%N)"; }
st swap.begin
mv live save; mv work live
st swap.end
`,
}

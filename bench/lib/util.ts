/**
 * Small helpers shared by the benchmarks: a wall clock with sub-millisecond resolution on the epoch scale (the same
 * clock as `date +%s.%N` and the journal's ISO times on this machine), statistics, the machine's description and load,
 * options from the command line, and the results file.
 */
import { execFileSync } from 'node:child_process'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../../test/helpers/proc.js'

/** The repository's root (bench/.build/NAME.mjs or bench/lib/util.ts: two levels up from the bundle's folder). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = join(ROOT, 'dist', 'cli.js')

/**
 * Milliseconds since the epoch from the process's monotonic clock, with sub-millisecond resolution: for durations.
 * It does not follow steps of the system clock, so it can drift from `wallNow()` by seconds in a long run.
 */
export const now = (): number => performance.timeOrigin + performance.now()

/**
 * Milliseconds since the epoch from the system clock: the clock of the journal's `at` and of `date` on the server.
 * Times compared with times from other processes must come from it.
 */
export const wallNow = (): number => Date.now()

/** How far the system clock stands from the monotonic one (ms): a change between two readings is a clock step. */
export const clockSkew = (): number => wallNow() - now()

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export const min = (xs: number[]): number => (xs.length ? Math.min(...xs) : NaN)
export const max = (xs: number[]): number => (xs.length ? Math.max(...xs) : NaN)
export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

/** Seconds with 2 decimals (or 3 under 0.1 s). */
export function secs(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  const s = ms / 1000
  return s < 0.1 ? s.toFixed(3) : s.toFixed(2)
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–'
  const r = a / b
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`
}

/** A Markdown table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

/** Options `--name value` (and `--flag`) from argv, with defaults. */
export function options<T extends Record<string, string>>(defaults: T, argv = process.argv.slice(2)): T {
  const out: Record<string, string> = { ...defaults }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`)
    const key = a.slice(2)
    if (!(key in defaults)) throw new Error(`unknown option ${a}; options: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`)
    const next = argv[i + 1]
    if (next === undefined || next.startsWith('--')) out[key] = 'true'
    else out[key] = argv[++i]
  }
  return out as T
}

export const list = (s: string): number[] => s.split(',').filter(Boolean).map(Number)

/**
 * The CLIs to measure, from `--cli NAME=PATH,NAME=PATH` (default `Delivery=dist/cli.js`): each is measured on its own
 * delivery root, side by side with the baseline, in the same run.
 */
export function clis(spec: string): { name: string; path: string; build: unknown }[] {
  return spec.split(',').filter(Boolean).map((item) => {
    const i = item.indexOf('=')
    const name = i > 0 ? item.slice(0, i) : 'Delivery'
    const rel = i > 0 ? item.slice(i + 1) : item
    const path = rel.startsWith('/') ? rel : join(ROOT, rel)
    // A build made by bench/variant.mjs says what it was built from; dist/ is this checkout's.
    let build: unknown
    try {
      build = readJson(join(dirname(path), '..', 'variant.json'))
    } catch {
      build = { checkout: 'this checkout', commit: execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD']).toString().trim() }
    }
    return { name, path, build }
  })
}

/** Runs a shell command as root; returns stdout; throws with stderr when it fails. */
export async function sh(cmd: string): Promise<string> {
  return (await run('bash', ['-c', cmd], { check: true })).stdout
}

export interface Machine {
  cpu: string
  cores: number
  memGiB: number
  kernel: string
  os: string
  node: string
  filesystem: string
  tools: Record<string, string>
}

export async function machine(): Promise<Machine> {
  const tryRun = async (cmd: string) => (await run('bash', ['-c', cmd])).stdout.trim().split('\n')[0] ?? ''
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: await tryRun('uname -r'),
    os: await tryRun('. /etc/os-release && echo "$PRETTY_NAME"'),
    node: process.version,
    filesystem: await tryRun("df -T /tmp | awk 'NR==2 {print $2\" on \"$1}'"),
    tools: {
      git: await tryRun('git --version'),
      rsync: await tryRun('rsync --version'),
      openssh: await tryRun('ssh -V 2>&1'),
      nginx: await tryRun('nginx -v 2>&1'),
      php: await tryRun('php-fpm8.2 -v 2>/dev/null || php -v'),
    },
  }
}

/** The 1-minute load average and free memory now (the machine is shared: other work runs at the same time). */
export function load(): { at: string; load1: number; load5: number; freeMemGiB: number } {
  const [l1, l5] = loadavg()
  return { at: new Date().toISOString(), load1: Number(l1.toFixed(2)), load5: Number(l5.toFixed(2)), freeMemGiB: Number((freemem() / 2 ** 30).toFixed(1)) }
}

/** Where the results files go: bench/results, or the folder named by BENCH_RESULTS (trial runs that must not replace the figures). */
export function resultsDir(): string {
  return process.env.BENCH_RESULTS ? resolve(process.env.BENCH_RESULTS) : join(ROOT, 'bench', 'results')
}

/**
 * Writes RESULTS/NAME.json (the raw figures behind bench/README.md, which bench/tables.mjs turns into its tables), with
 * a `meta` record first: the commit measured, the files of src/ that differed from it, when the benchmark ended, how
 * long it took (since its process started) and its options.
 */
export function writeResults(name: string, data: unknown): string {
  const file = join(resultsDir(), `${name}.json`)
  mkdirSync(dirname(file), { recursive: true })
  const git = (args: string[]) => {
    try {
      return execFileSync('git', ['-C', ROOT, ...args], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
    } catch {
      return ''
    }
  }
  const meta = {
    benchmark: name,
    commit: git(['rev-parse', 'HEAD']),
    srcChanged: git(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean),
    finishedAt: new Date().toISOString(),
    elapsedMs: Math.round(now() - performance.timeOrigin),
    argv: process.argv.slice(2),
  }
  writeFileSync(file, `${JSON.stringify({ meta, ...(data as Record<string, unknown>) }, null, 2)}\n`)
  return file
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T
}

export const say = (m: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`)
}

const cleanups: (() => Promise<unknown>)[] = []

/** Registers something to undo when the benchmark ends, fails or is interrupted (last registered, first undone). */
export function defer(fn: () => Promise<unknown>): void {
  cleanups.push(fn)
}

async function cleanUp(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop() as () => Promise<unknown>
    await fn().catch((e: Error) => say(`cleanup: ${e.message}`))
  }
}

/** Runs a benchmark's main function, then every deferred cleanup, also on failure and on SIGINT / SIGTERM. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      say(`${sig}: cleaning up`)
      void cleanUp().finally(() => process.exit(130))
    })
  }
  try {
    await main()
  } catch (e) {
    process.stderr.write(`${(e as Error).stack ?? e}\n`)
    process.exitCode = 1
  } finally {
    await cleanUp()
  }
}

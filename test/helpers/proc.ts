/**
 * Small process helpers for the test harness: run a program (optionally with stdin) and collect its output, or run a
 * bash script as another local user with `runuser`. Nothing here throws on a non-zero exit unless asked (`check`).
 */

import { spawn } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  input?: string
  env?: NodeJS.ProcessEnv
  /** Throw (with the command's stderr) when the exit code is not 0. */
  check?: boolean
}

/** Runs `file args…` without a shell; resolves with its exit code and output. */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.stdin.on('error', () => { /* the program may exit without reading its input */ })
    child.stdin.end(opts.input ?? '')
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr }
      if (opts.check && result.code !== 0) {
        reject(new Error(`${file} ${args.join(' ')} exited ${result.code}: ${stderr.trim() || stdout.trim()}`))
      } else {
        resolve(result)
      }
    })
  })
}

/**
 * Runs `script` with `bash -c` as local user `user` (root only), in `cwd` (default: that user's home, so the process
 * never starts in a folder it cannot enter). Extra `args` become `$1`, `$2`… of the script.
 */
export function runAs(user: string, script: string, opts: RunOptions & { args?: string[] } = {}): Promise<RunResult> {
  const cwd = opts.cwd ?? `/home/${user}`
  return run('runuser', ['-u', user, '--', 'bash', '-c', script, 'bash', ...(opts.args ?? [])], { ...opts, cwd })
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `fn` over `items`, at most `limit` at a time; resolves with the results in the items' order. For independent
 * cases that each start a process and wait on it (inputs refused before any connection, for instance).
 */
export async function inParallel<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = 4): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Values larger than this go through a file of their own (a shell variable is slow to fill byte by byte). */
const INLINE_MAX = 64 * 1024

/**
 * Runs `body` as `user` in `cwd` once for a whole list of operations, instead of one process per operation, then
 * `after`; resolves with the output. Each op is `[kind, path, value]` (no NUL in kind or path); `body` sees them in
 * turn as `$op`, `$p` and `$v`, after `set -e; umask 022`, and `put` writes the op's value, byte for byte, to "$p"
 * (making its parent folder); use `put`, not `$v`, for contents (a large value is not in `$v`).
 */
export async function runOpsAs(user: string, cwd: string, ops: [string, string, string][], body: string, after = ''): Promise<string> {
  const dir = await mkdtemp('/tmp/dlv-ops-')
  try {
    await chmod(dir, 0o755)
    const fields: string[] = []
    for (const [i, [kind, path, value]] of ops.entries()) {
      const large = value.length > INLINE_MAX || value.includes('\0')
      if (`${kind}${path}`.includes('\0')) throw new Error(`runOpsAs: a NUL in ${JSON.stringify(path)}`)
      if (large) await writeFile(`${dir}/value-${i}`, value, { mode: 0o644 })
      fields.push(kind, path, large ? '' : value, large ? `${dir}/value-${i}` : '')
    }
    await writeFile(`${dir}/ops`, fields.map((f) => `${f}\0`).join(''), { mode: 0o644 })
    const script = [
      'set -e; umask 022',
      'put() { mkdir -p -- "$(dirname -- "$p")"; if [ -n "$vf" ]; then cat -- "$vf" > "$p"; else printf %s "$v" > "$p"; fi; }',
      `while IFS= read -r -d '' op && IFS= read -r -d '' p && IFS= read -r -d '' v && IFS= read -r -d '' vf; do`,
      body,
      'done < "$1"',
      after,
    ].join('\n')
    return (await runAs(user, script, { cwd, args: [`${dir}/ops`], check: true })).stdout
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Small process helpers for the test harness: run a program (optionally with stdin) and collect its output, or run a
 * bash script as another local user with `runuser`. Nothing here throws on a non-zero exit unless asked (`check`).
 */

import { spawn } from 'node:child_process'

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

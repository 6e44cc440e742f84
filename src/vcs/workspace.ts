/**
 * The runner's git checkout, as the push method reads it: the commit a ref names, the files of that commit (mode,
 * blob, path), their content (one `git cat-file --batch` process), and git's own change list between two commits
 * when the history holds both (a shallow clone holds only its tip). Runs git on the runner, never a shell.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import type { FileChanges } from '../report/model.js'
import { parseNameStatusZ } from './changes.js'
import { decodeName } from './names.js'

export interface TreeFile {
  path: string
  /** '644', '755' or '120000'. */
  mode: string
  blob: string
}

function git(dir: string, args: string[], input?: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', `safe.directory=${dir}`, '-C', dir, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', (e) => reject(new Error(`git cannot run on the runner: ${e.message}`)))
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }))
    child.stdin.on('error', () => undefined)
    child.stdin.end(input ?? '')
  })
}

export class Workspace {
  private reader?: BlobReader

  constructor(readonly dir: string) {}

  /** The commit `ref` names ('' = HEAD); throws a sentence saying what to do. */
  async resolve(ref: string): Promise<string> {
    const r = await git(this.dir, ['rev-parse', '--verify', '-q', `${ref || 'HEAD'}^{commit}`])
    if (r.code !== 0) {
      const top = await git(this.dir, ['rev-parse', '--is-inside-work-tree'])
      if (top.code !== 0) {
        throw new Error(`${this.dir} is not a git checkout on the runner: run actions/checkout before this step (method push sends the runner's checkout)`)
      }
      throw new Error(`'${ref || 'HEAD'}' is not a commit of the checkout in ${this.dir}: fetch it (actions/checkout with fetch-depth or ref), or give another ref`)
    }
    return r.stdout.toString().trim()
  }

  /** Whether the checkout's history holds `commit` (a shallow clone may not). */
  async has(commit: string): Promise<boolean> {
    if (!/^[0-9a-f]{40,64}$/.test(commit)) return false
    return (await git(this.dir, ['cat-file', '-e', `${commit}^{commit}`])).code === 0
  }

  /** The files of `commit` (submodules are not files: they are returned apart). */
  async files(commit: string): Promise<{ files: TreeFile[]; submodules: string[] }> {
    const r = await git(this.dir, ['ls-tree', '-r', '-z', '--full-tree', commit])
    if (r.code !== 0) throw new Error(`git ls-tree ${commit} failed: ${r.stderr.trim()}`)
    const files: TreeFile[] = []
    const submodules: string[] = []
    for (const rec of decodeName(r.stdout).split('\0')) {
      const m = /^(\d{6}) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(rec)
      if (!m) continue
      const [, mode, type, blob, path] = m
      if (type === 'commit') submodules.push(path)
      else if (type === 'blob') files.push({ path, mode: mode === '120000' ? '120000' : mode === '100755' ? '755' : '644', blob })
    }
    return { files, submodules }
  }

  /** git's change list between two commits (renames as git finds them), within `paths`. */
  async diff(from: string, to: string, paths: string[]): Promise<FileChanges> {
    const r = await git(this.dir, ['diff', '--name-status', '-z', '-M', from, to, '--', ...paths])
    if (r.code !== 0) throw new Error(`git diff ${from} ${to} failed: ${r.stderr.trim()}`)
    return parseNameStatusZ(decodeName(r.stdout))
  }

  /** The content of a blob. */
  read(blob: string): Promise<Buffer> {
    this.reader ??= new BlobReader(this.dir)
    return this.reader.read(blob)
  }

  close(): void {
    this.reader?.close()
    this.reader = undefined
  }
}

/** One `git cat-file --batch` process answering blob requests in order. */
class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams
  private buf: Buffer = Buffer.alloc(0)
  private readonly queue: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = []
  private failed?: Error

  constructor(dir: string) {
    this.child = spawn('git', ['-c', `safe.directory=${dir}`, '-C', dir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d
      this.drain()
    })
    const fail = (e: Error) => {
      this.failed = e
      for (const w of this.queue.splice(0)) w.reject(e)
    }
    this.child.on('error', (e) => fail(new Error(`git cat-file cannot run on the runner: ${e.message}`)))
    this.child.on('close', () => fail(new Error('git cat-file ended early')))
    this.child.stdin.on('error', () => undefined)
  }

  read(blob: string): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed)
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject })
      this.child.stdin.write(`${blob}\n`)
    })
  }

  private drain(): void {
    while (this.queue.length) {
      const nl = this.buf.indexOf(10)
      if (nl < 0) return
      const head = this.buf.subarray(0, nl).toString()
      const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(head)
      if (!m) {
        this.queue.shift()!.reject(new Error(`git cat-file: ${head}`))
        this.buf = this.buf.subarray(nl + 1)
        continue
      }
      const size = Number(m[2])
      if (this.buf.length < nl + 1 + size + 1) return
      const content = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size))
      this.buf = this.buf.subarray(nl + 1 + size + 1)
      this.queue.shift()!.resolve(content)
    }
  }

  close(): void {
    this.child.removeAllListeners('close')
    this.child.stdin.end()
  }
}

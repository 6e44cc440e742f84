/**
 * The runner's git checkout, as the push method reads it: the commit a ref names, the files of that commit (mode,
 * blob, path), their content (one `git cat-file --batch` process), and git's own change list between two commits
 * when the history holds both (a shallow clone holds only its tip). Runs git on the runner, never a shell.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import type { FileChanges } from '../domain.js'
import { parseNameStatusZ } from './changes.js'
import { decodeName } from './names.js'

export interface TreeFile {
  path: string
  /** '644', '755' or '120000'. */
  mode: string
  blob: string
}

function git(dir: string, args: string[], input?: string, alternates: string[] = []): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }
    if (alternates.length) env.GIT_ALTERNATE_OBJECT_DIRECTORIES = alternates.join(':')
    const child = spawn('git', ['-c', `safe.directory=${dir}`, '-C', dir, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env })
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

/** A submodule of the checkout: its path from the checkout's root, the commit recorded, its URL as `.gitmodules` says. */
export interface WorkspaceSubmodule {
  path: string
  commit: string
  url: string
}

export class Workspace {
  private reader?: BlobReader
  /** Object folders of the submodules' repositories (actions/checkout keeps them in .git/modules/): read as alternates. */
  private readonly alternates: string[] = []

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

  /**
   * The files of `commit`, with the files of its submodules (nested ones too) at the commits it records, read from
   * their checkouts in the workspace (actions/checkout with `submodules: recursive`).
   */
  async files(commit: string): Promise<{ files: TreeFile[]; submodules: WorkspaceSubmodule[] }> {
    const files: TreeFile[] = []
    const submodules: WorkspaceSubmodule[] = []
    await this.collect(commit, '', files, submodules)
    return { files, submodules }
  }

  private async collect(commit: string, prefix: string, files: TreeFile[], submodules: WorkspaceSubmodule[]): Promise<void> {
    const r = await git(this.dir, ['ls-tree', '-r', '-z', '--full-tree', commit], undefined, this.alternates)
    if (r.code !== 0) throw new Error(`git ls-tree ${commit} failed: ${r.stderr.trim()}`)
    const subs: { path: string; commit: string }[] = []
    for (const rec of decodeName(r.stdout).split('\0')) {
      const m = /^(\d{6}) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(rec)
      if (!m) continue
      const [, mode, type, blob, path] = m
      if (type === 'commit') subs.push({ path, commit: blob })
      else if (type === 'blob') files.push({ path: prefix + path, mode: mode === '120000' ? '120000' : mode === '100755' ? '755' : '644', blob })
    }
    if (subs.length === 0) return
    const urls = await this.gitmodules(commit)
    for (const s of subs) {
      const path = prefix + s.path
      await this.addObjects(path, s.commit)
      submodules.push({ path, commit: s.commit, url: urls.get(s.path) ?? '' })
      await this.collect(s.commit, `${path}/`, files, submodules)
    }
  }

  /** Makes the objects of the submodule checked out at `path` readable, and checks that they hold `commit`. */
  private async addObjects(path: string, commit: string): Promise<void> {
    const missing = `submodule ${path} (commit ${commit}) is not in the checkout in ${this.dir}: check the repository out with its submodules (actions/checkout with submodules: recursive, and fetch-depth 0 when delivering another commit than the one checked out)`
    const r = await git(`${this.dir}/${path}`, ['rev-parse', '--path-format=absolute', '--git-common-dir'])
    const gitDir = r.stdout.toString('utf8').trim()
    // A folder without a git directory of its own would resolve to the superproject's: that is not the submodule.
    const top = await git(`${this.dir}/${path}`, ['rev-parse', '--show-toplevel'])
    if (r.code !== 0 || !gitDir || top.stdout.toString('utf8').trim() === (await git(this.dir, ['rev-parse', '--show-toplevel'])).stdout.toString('utf8').trim()) {
      throw new Error(missing)
    }
    const objects = `${gitDir}/objects`
    if (!this.alternates.includes(objects)) this.alternates.push(objects)
    if ((await git(this.dir, ['cat-file', '-e', `${commit}^{commit}`], undefined, this.alternates)).code !== 0) throw new Error(missing)
  }

  /** Submodule path -> URL, as the `.gitmodules` of `commit` says (user and password left out). */
  private async gitmodules(commit: string): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    const r = await git(this.dir, ['config', '--blob', `${commit}:.gitmodules`, '-z', '--get-regexp', '^submodule\\..*\\.(path|url)$'], undefined, this.alternates)
    if (r.code !== 0) return out
    const paths = new Map<string, string>()
    const urls = new Map<string, string>()
    for (const rec of r.stdout.toString('utf8').split('\0')) {
      const nl = rec.indexOf('\n')
      if (nl < 0) continue
      const key = rec.slice(0, nl)
      const value = rec.slice(nl + 1)
      const m = /^submodule\.(.*)\.(path|url)$/s.exec(key)
      if (!m) continue
      if (m[2] === 'path') paths.set(m[1], value)
      else urls.set(m[1], value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@'))
    }
    for (const [name, path] of paths) out.set(path, urls.get(name) ?? '')
    return out
  }

  /** git's change list between two commits (renames as git finds them), within `paths`. */
  async diff(from: string, to: string, paths: string[]): Promise<FileChanges> {
    const r = await git(this.dir, ['diff', '--name-status', '-z', '-M', from, to, '--', ...paths])
    if (r.code !== 0) throw new Error(`git diff ${from} ${to} failed: ${r.stderr.trim()}`)
    return parseNameStatusZ(decodeName(r.stdout))
  }

  /** The content of a blob. */
  read(blob: string): Promise<Buffer> {
    this.reader ??= new BlobReader(this.dir, this.alternates)
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

  constructor(dir: string, alternates: string[]) {
    const env = alternates.length ? { ...process.env, GIT_ALTERNATE_OBJECT_DIRECTORIES: alternates.join(':') } : process.env
    this.child = spawn('git', ['-c', `safe.directory=${dir}`, '-C', dir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'], env })
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

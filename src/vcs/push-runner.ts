/**
 * push, the runner's side: what a commit of the checkout holds (its files, with the SHA-1 of each content), and the
 * tar stream that carries the files to send, the deletions and the new manifest to the server.
 */
import { StepFailure } from '../errors.js'
import { inPaths } from './changes.js'
import { type FileState, type Manifest, serializeManifest, sha1 } from './manifest.js'
import { decodeName, encodeName } from './names.js'
import { tarEnd, tarEntry } from './tar.js'
import type { TreeFile, Workspace, WorkspaceSubmodule } from './workspace.js'

/** SHA-1 of blob contents, by blob id: the same commit delivered to many hosts is read once. */
const blobSha1 = new Map<string, string>()
/** Blobs requested from git cat-file at once. */
const BATCH = 64
/** Bytes gathered before a write to the SSH channel. */
const CHUNK = 256 * 1024

/** The checkout's submodules as the manifest keeps them: path -> commit and URL. */
export function subMap(subs: WorkspaceSubmodule[]): Map<string, { commit: string; url: string }> {
  return new Map(subs.map((s) => [s.path, { commit: s.commit, url: s.url }]))
}

/** The commit's files within `paths`, with the SHA-1 of each content. */
export async function commitFiles(ws: Workspace, commit: string, paths: string[]): Promise<{ files: TreeFile[]; states: Map<string, FileState>; submodules: WorkspaceSubmodule[] }> {
  let all
  try {
    all = await ws.files(commit)
  } catch (e) {
    throw new StepFailure((e as Error).message)
  }
  const files = all.files.filter((f) => inPaths(f.path, paths))
  const missing = [...new Set(files.map((f) => f.blob).filter((b) => !blobSha1.has(b)))]
  // Requests are pipelined to git cat-file, a batch at a time.
  for (let i = 0; i < missing.length; i += BATCH) {
    const batch = missing.slice(i, i + BATCH)
    const contents = await Promise.all(batch.map((b) => ws.read(b)))
    batch.forEach((b, k) => blobSha1.set(b, sha1(contents[k])))
  }
  const states = new Map<string, FileState>()
  for (const f of files) states.set(f.path, { sha1: blobSha1.get(f.blob)!, mode: f.mode })
  return { files, states, submodules: all.submodules }
}

/**
 * The tar stream of a transfer: `files/<path>` members (their content from the checkout), `meta/deleted` and, last,
 * `meta/manifest`. A failure while reading the checkout ends the stream early: the server then lacks meta/manifest and
 * changes nothing; `failure()` says what it was.
 */
export function transferStream(ws: Workspace, files: TreeFile[], deleted: string[], manifest: Manifest): { stream: AsyncGenerator<Buffer>; failure: () => Error | undefined } {
  const mtime = Math.floor(Date.now() / 1000)
  let failure: Error | undefined
  async function* stream(): AsyncGenerator<Buffer> {
    try {
      yield* entries()
    } catch (e) {
      failure = e as Error
    }
  }
  // Entries are gathered into chunks of at least CHUNK bytes: the SSH channel then carries few large packets
  // rather than three small ones per file.
  async function* entries(): AsyncGenerator<Buffer> {
    let pending: Buffer[] = []
    let size = 0
    const add = (parts: Buffer[]) => {
      for (const p of parts) {
        pending.push(p)
        size += p.length
      }
    }
    const flush = () => {
      const out = Buffer.concat(pending)
      pending = []
      size = 0
      return out
    }
    for (let i = 0; i < files.length; i += BATCH) {
      const batch = files.slice(i, i + BATCH)
      const contents = await Promise.all(batch.map((f) => ws.read(f.blob)))
      batch.forEach((f, k) => {
        const content = contents[k]
        add(
          f.mode === '120000'
            ? tarEntry({ path: `files/${f.path}`, link: decodeName(content), mode: 0o777, mtime })
            : tarEntry({ path: `files/${f.path}`, content, mode: f.mode === '755' ? 0o755 : 0o644, mtime }),
        )
      })
      if (size >= CHUNK) yield flush()
    }
    add(tarEntry({ path: 'meta/deleted', content: encodeName(deleted.map((p) => `${p}\0`).join('')), mode: 0o644, mtime }))
    add(tarEntry({ path: 'meta/manifest', content: encodeName(serializeManifest(manifest)), mode: 0o644, mtime }))
    add([tarEnd()])
    yield flush()
  }
  return { stream: stream(), failure: () => failure }
}

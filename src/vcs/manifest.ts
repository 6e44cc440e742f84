/**
 * The push method's manifests: what a tree should hold, one line per file, `SHA1 MODE PATH` (SHA-1 of the content,
 * as sha1sum prints it; MODE 644, 755 or 120000 for a symbolic link, whose SHA-1 is that of its target), after a
 * header line naming the revision. Kept on the server in `.delivery/manifests/<tree-id>`. A name holding a newline or
 * a backslash is written as sha1sum does: the line starts with `\` and those characters are escaped.
 * Also: comparing manifests (the change list, renames as identical content), and parsing the server's scan of a tree.
 */
import { createHash } from 'node:crypto'
import { type DriftFile, emptyChanges, type FileChanges } from '../domain.js'
import { inPaths } from './changes.js'
import { encodeName } from './names.js'

export interface FileState {
  sha1: string
  /** '644', '755' or '120000'. */
  mode: string
}

export interface Manifest {
  /** The revision (commit) the whole tree was delivered at; 'adopted' for a tree copied in by init with adopt. */
  revision: string
  /** The files of an adopted tree are not known to come from a repository: an update never deletes them. */
  adopted: boolean
  files: Map<string, FileState>
  /** git submodules whose files the tree holds: path -> the commit and URL they came from (`#submodule` lines). */
  submodules?: Map<string, { commit: string; url: string }>
}

const escape = (p: string) => p.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')

function unescape(p: string): string {
  return p.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'))
}

export function serializeManifest(m: Manifest): string {
  const lines = [`# delivery manifest 1 revision=${m.revision}${m.adopted ? ' adopted' : ''}`]
  // One line per submodule: `#submodule COMMIT PATH\tURL` (a path holding a tab, newline or backslash is escaped).
  for (const [p, s] of [...(m.submodules ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(`#submodule ${s.commit} ${escape(p).replace(/\t/g, '\\t')}\t${escape(s.url)}`)
  }
  for (const p of [...m.files.keys()].sort()) {
    const f = m.files.get(p)!
    const special = /[\\\n\r]/.test(p)
    lines.push(`${special ? '\\' : ''}${f.sha1} ${f.mode} ${special ? escape(p) : p}`)
  }
  return `${lines.join('\n')}\n`
}

/** Parses a manifest; an empty text is an empty manifest of an unknown revision. */
export function parseManifest(text: string): Manifest {
  const m: Manifest = { revision: '', adopted: false, files: new Map() }
  for (const raw of text.split('\n')) {
    if (raw === '') continue
    const sub = /^#submodule ([0-9a-f]{40,64}) ([^\t]*)\t(.*)$/.exec(raw)
    if (sub) {
      m.submodules ??= new Map()
      const un = (s: string) => s.replace(/\\(\\|n|r|t)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? '\\')
      m.submodules.set(un(sub[2]), { commit: sub[1], url: un(sub[3]) })
      continue
    }
    if (raw.startsWith('#')) {
      const h = /revision=(\S*)/.exec(raw)
      if (h) m.revision = h[1]
      if (/\badopted\b/.test(raw)) m.adopted = true
      continue
    }
    const special = raw.startsWith('\\')
    const line = special ? raw.slice(1) : raw
    const x = /^([0-9a-f]{40}) (644|755|120000) (.+)$/.exec(line)
    if (!x) throw new Error(`damaged manifest line: ${JSON.stringify(raw.slice(0, 80))}`)
    m.files.set(special ? unescape(x[3]) : x[3], { sha1: x[1], mode: x[2] })
  }
  return m
}

const same = (a: FileState | undefined, b: FileState | undefined) => !!a && !!b && a.sha1 === b.sha1 && a.mode === b.mode

/**
 * What changed from `before` to `after` within `paths` (all when empty): added, modified (content or mode), deleted,
 * and renamed: a deleted path and an added path with the same content. With `keepDeleted`, nothing is deleted.
 */
export function compareManifests(before: Map<string, FileState>, after: Map<string, FileState>, paths: readonly string[] = [], keepDeleted = false): FileChanges {
  const c = emptyChanges()
  for (const [p, f] of after) {
    if (!inPaths(p, paths)) continue
    const was = before.get(p)
    if (!was) c.added.push(p)
    else if (!same(was, f)) c.modified.push(p)
  }
  if (!keepDeleted) for (const p of before.keys()) if (inPaths(p, paths) && !after.has(p)) c.deleted.push(p)
  // Renames: pair each deleted file with an added one of identical content (the first by name).
  const added = new Map<string, string[]>()
  for (const p of c.added.sort()) {
    const k = `${after.get(p)!.sha1} ${after.get(p)!.mode}`
    added.set(k, [...(added.get(k) ?? []), p])
  }
  const stillDeleted: string[] = []
  const taken = new Set<string>()
  for (const p of c.deleted.sort()) {
    const f = before.get(p)!
    const to = added.get(`${f.sha1} ${f.mode}`)?.shift()
    if (to) {
      c.renamed.push({ from: p, to })
      taken.add(to)
    } else stillDeleted.push(p)
  }
  c.deleted = stillDeleted
  c.added = c.added.filter((p) => !taken.has(p))
  c.modified.sort()
  return c
}

/** Drift: how the tree's actual files (`actual`) differ from its manifest. */
export function manifestDrift(expected: Map<string, FileState>, actual: Map<string, FileState>): DriftFile[] {
  const out: DriftFile[] = []
  for (const [p, f] of expected) {
    const a = actual.get(p)
    if (!a) out.push({ path: p, status: 'deleted' })
    else if ((a.mode === '120000') !== (f.mode === '120000')) out.push({ path: p, status: 'type-changed' })
    else if (!same(a, f)) out.push({ path: p, status: 'modified' })
  }
  for (const p of actual.keys()) if (!expected.has(p)) out.push({ path: p, status: 'untracked' })
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * Parses the server's scan of a tree: `list` holds NUL-separated records `f MODE PATH` for files (MODE the octal
 * permission bits) and `l TARGET PATH`... as `f\0MODE\0PATH\0` / `l\0TARGET\0PATH\0`; `sums` is `sha1sum` output
 * for the files (`HASH  ./PATH`, escaped as sha1sum escapes).
 */
export function parseScan(list: string, sums: string): Map<string, FileState> {
  const hashes = new Map<string, string>()
  for (const raw of sums.split('\n')) {
    if (!raw) continue
    const special = raw.startsWith('\\')
    const line = special ? raw.slice(1) : raw
    const m = /^([0-9a-f]{40}) [ *](.*)$/.exec(line)
    if (!m) continue
    const p = (special ? unescape(m[2]) : m[2]).replace(/^\.\//, '')
    hashes.set(p, m[1])
  }
  const files = new Map<string, FileState>()
  const f = list.split('\0')
  for (let i = 0; i + 2 < f.length; i += 3) {
    const [kind, attr, rawPath] = [f[i], f[i + 1], f[i + 2]]
    const p = rawPath.replace(/^\.\//, '')
    if (kind === 'l') files.set(p, { sha1: sha1(encodeName(attr)), mode: '120000' })
    else if (kind === 'f') {
      const h = hashes.get(p)
      if (h) files.set(p, { sha1: h, mode: (parseInt(attr, 8) & 0o100) !== 0 ? '755' : '644' })
    }
  }
  return files
}

export function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex')
}

/**
 * Parsing of Subversion's output: `svn update` (what changed, what conflicted), `svn status` (drift) and
 * `svn diff --summarize` (the dry run's list). Paths are those svn prints, relative to the working copy's root. svn
 * forbids control characters in versioned paths, so one line of `svn update` or `svn diff` is one entry; `svn status`
 * also lists unversioned names, which may hold a newline: the driver reads it as XML (see SVN_STATUS in svn.ts).
 */
import { type DriftFile, emptyChanges, type FileChanges } from '../domain.js'

/** `svn update` notification: text, property, lock and tree-conflict columns, a space, the path. */
const UPDATE_LINE = /^([ ADUCGER])([ UCG])([ B])([ C]) (.+)$/

export interface SvnUpdateResult {
  changes: FileChanges
  /** Paths svn left in conflict (text, property or tree), or skipped because they already were. */
  conflicts: string[]
}

/**
 * Parses `svn update` output. `dirs`: the printed paths that are directories after the update (they are not files
 * and are left out); `gone`: files that existed before the update and no longer do (a deleted directory is printed
 * as one line: its files are taken from here).
 */
export function parseSvnUpdate(out: string, dirs: ReadonlySet<string>, gone: readonly string[]): SvnUpdateResult {
  const changes = emptyChanges()
  const conflicts: string[] = []
  const seen = new Set<string>()
  const add = (list: string[], p: string) => {
    if (seen.has(p)) return
    seen.add(p)
    list.push(p)
  }
  for (const line of out.split(/\r?\n/)) {
    // An external no longer defined: svn deletes it (or leaves it, unversioned, when it holds local changes).
    const removed = /^Removed external '(.+)'/.exec(line)
    if (removed) {
      for (const g of gone.filter((f) => f.startsWith(`${removed[1]}/`))) add(changes.deleted, g)
      continue
    }
    const skipped = /^Skipped '(.+)'( -- .*)?$/.exec(line)
    if (skipped) {
      if (skipped[2]?.includes('conflict')) conflicts.push(skipped[1])
      continue
    }
    const m = UPDATE_LINE.exec(line)
    if (!m) continue
    const [, text, prop, , tree, path] = m
    if (text === 'C' || prop === 'C' || tree === 'C') {
      conflicts.push(path)
      continue
    }
    if (text === 'D') {
      const under = gone.filter((g) => g === path || g.startsWith(`${path}/`))
      for (const g of under.length ? under : [path]) add(changes.deleted, g)
      continue
    }
    if (dirs.has(path) || path === '.') continue
    if (text === 'A') add(changes.added, path)
    else if (text !== ' ' || prop !== ' ') add(changes.modified, path) // U, G (merged), E (existed), R (replaced), props
  }
  return { changes, conflicts }
}

/** `svn status` line: seven status columns, a space, the path. Tree-conflict detail lines do not match. */
const STATUS_LINE = /^([ ACDIMRX?!~])([ MC])([ L])([ +])([ SX])([ KOTB])([ C]) (.+)$/

export interface SvnStatus {
  files: DriftFile[]
  conflicts: string[]
}

/** One `svn status` entry: the text, property and tree-conflict columns, and the exact path. */
interface StatusEntry {
  text: string
  prop: string
  tree: string
  path: string
}

/**
 * Parses `svn status` text output into drift entries (kept for reading what a person ran; the driver reads the NUL
 * form, see parseSvnStatusZ). `untrackedFiles`: the files found inside unversioned directories.
 */
export function parseSvnStatus(out: string, untrackedFiles: readonly string[] = []): SvnStatus {
  const entries: StatusEntry[] = []
  for (const line of out.split(/\r?\n/)) {
    const m = STATUS_LINE.exec(line)
    if (m) entries.push({ text: m[1], prop: m[2], tree: m[7], path: m[8] })
  }
  return statusOf(entries, untrackedFiles)
}

/**
 * Parses the driver's NUL-separated status records (`TPC\0PATH\0`: text, property and tree-conflict columns as svn
 * prints them, then the exact path, taken from `svn status --xml`, where a name holding a newline cannot pass for
 * another entry). `untrackedFiles`: the files found inside unversioned directories (svn lists such a directory as
 * one entry); they are listed one by one, as git does.
 */
export function parseSvnStatusZ(out: string, untrackedFiles: readonly string[] = []): SvnStatus {
  const f = out.split('\0')
  const entries: StatusEntry[] = []
  for (let i = 0; i + 1 < f.length; i += 2) {
    const [cols, path] = [f[i], f[i + 1]]
    if (cols.length !== 3 || path === '') continue
    entries.push({ text: cols[0], prop: cols[1], tree: cols[2], path: path.replace(/^\.\//, '') })
  }
  return statusOf(entries, untrackedFiles)
}

function statusOf(entries: StatusEntry[], untrackedFiles: readonly string[]): SvnStatus {
  const files: DriftFile[] = []
  const conflicts: string[] = []
  for (const { text, prop, tree, path } of entries) {
    if (text === 'X' || text === 'I') continue
    if (text === 'C' || prop === 'C' || tree === 'C') conflicts.push(path)
    if (text === '?') {
      const inside = untrackedFiles.filter((f) => f.startsWith(`${path}/`))
      if (inside.length) for (const f of inside) files.push({ path: f, status: 'untracked' })
      else files.push({ path, status: 'untracked' })
    } else if (text === '!' || text === 'D') files.push({ path, status: 'deleted' })
    else if (text === '~') files.push({ path, status: 'type-changed' })
    else if (text === 'A') files.push({ path, status: 'added' })
    else if (text !== ' ' || prop !== ' ' || tree === 'C') {
      if (path !== '.') files.push({ path, status: 'modified' })
    }
  }
  return { files, conflicts }
}

/**
 * Parses `svn diff --summarize` between two revisions of a URL: `X       URL/path` lines. `root` is the URL printed
 * for the tree's root (URL-encoded, as svn prints it). Entries that are parents of other entries are directories and
 * are left out.
 */
export function parseSvnSummarize(out: string, root: string): FileChanges {
  const entries: { kind: string; path: string }[] = []
  const prefix = `${root.replace(/\/+$/, '')}/`
  for (const line of out.split(/\r?\n/)) {
    const m = /^([ADMR ])([ M])\s+(\S.*)$/.exec(line)
    if (!m) continue
    let path = m[3]
    if (path.startsWith(prefix)) path = path.slice(prefix.length)
    else if (/^[a-z+]+:\/\//.test(path)) continue
    try {
      path = decodeURIComponent(path)
    } catch {
      /* not encoded */
    }
    entries.push({ kind: m[1] === ' ' ? 'M' : m[1], path })
  }
  const parents = new Set<string>()
  for (const e of entries) {
    const parts = e.path.split('/')
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('/'))
  }
  const changes = emptyChanges()
  for (const e of entries) {
    if (parents.has(e.path)) continue
    if (e.kind === 'A') changes.added.push(e.path)
    else if (e.kind === 'D') changes.deleted.push(e.path)
    else changes.modified.push(e.path)
  }
  return changes
}

/** XML text with the five entities and character references decoded (svn escapes names this way). */
function xmlText(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]
  })
}

/** The attributes of an XML start tag (the text between its name and `>`), decoded. */
function xmlAttributes(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([a-z_-]+)="([^"]*)"/g)].map((a) => [a[1], xmlText(a[2])]))
}

/** One file of an external: its path from the tree root and its last-changed revision. */
type ExternalFiles = Map<string, Map<string, string>>

/**
 * Reads `svn list -R --include-externals --xml` of the directories that define externals at the target revision
 * (several documents, one after the other): the files of each external, keyed by the external's path from the tree
 * root, each with its last-changed revision. `root`: the URL of the tree's root at the target (as svn prints it);
 * externals defined outside it (inside another external) are left out.
 */
export function parseSvnListExternals(xml: string, root: string): ExternalFiles {
  const out: ExternalFiles = new Map()
  const prefix = root.replace(/\/+$/, '')
  for (const m of xml.matchAll(/<external\s+([^>]*)>([\s\S]*?)<\/external>/g)) {
    const attrs = xmlAttributes(m[1])
    const parent = attrs.parent_url ?? ''
    if (attrs.target === undefined) continue
    if (parent !== prefix && !parent.startsWith(`${prefix}/`)) continue
    let dir = parent.slice(prefix.length + 1)
    try {
      dir = decodeURIComponent(dir)
    } catch {
      /* not encoded */
    }
    const path = (dir ? `${dir}/` : '') + attrs.target
    if (out.has(path)) continue
    const files = new Map<string, string>()
    for (const e of m[2].matchAll(/<entry\s+kind="([a-z]+)">\s*<name>([^<]*)<\/name>[\s\S]*?<commit\s+revision="(\d+)">/g)) {
      if (e[1] === 'file') files.set(`${path}/${xmlText(e[2])}`, e[3])
    }
    out.set(path, files)
  }
  return out
}

/**
 * Reads `svn info -R --xml` of the working copy's externals (several documents): every versioned file inside them,
 * from the tree root, with its last-changed revision.
 */
export function parseSvnInfoFiles(xml: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of xml.matchAll(/<entry\s+([^>]*)>([\s\S]*?)<\/entry>/g)) {
    const attrs = xmlAttributes(m[1])
    if (attrs.kind !== 'file') continue
    const rev = /<commit\s+revision="(\d+)">/.exec(m[2])?.[1] ?? ''
    out.set(attrs.path.replace(/^\.\//, ''), rev)
  }
  return out
}

/**
 * The changed-file list of the externals, as `svn update` would report it, from what the working copy holds and
 * what the target revision defines: an external that appears is all of its files added, one that goes is all the
 * files found in it (`gone`: its files on disk, kept or not) deleted, and one at another revision or URL is its
 * files added, deleted, or modified (another last-changed revision).
 */
export function externalChanges(wcExternals: readonly string[], before: ReadonlyMap<string, string>, gone: readonly string[], after: ExternalFiles): FileChanges {
  const changes = emptyChanges()
  const under = (dir: string, p: string) => p.startsWith(`${dir}/`)
  for (const dir of wcExternals) {
    if (after.has(dir)) continue
    changes.deleted.push(...gone.filter((g) => under(dir, g)))
  }
  for (const [dir, files] of after) {
    if (!wcExternals.includes(dir)) {
      changes.added.push(...files.keys())
      continue
    }
    for (const [p, rev] of files) {
      const old = before.get(p)
      if (old === undefined) changes.added.push(p)
      else if (old !== rev) changes.modified.push(p)
    }
    for (const p of before.keys()) if (under(dir, p) && !files.has(p) && !nestedIn(p, dir, wcExternals)) changes.deleted.push(p)
  }
  return changes
}

/** Whether `p` lies inside an external nested in `dir`. */
function nestedIn(p: string, dir: string, externals: readonly string[]): boolean {
  return externals.some((e) => e !== dir && e.startsWith(`${dir}/`) && p.startsWith(`${e}/`))
}

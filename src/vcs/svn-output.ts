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

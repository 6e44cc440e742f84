/**
 * The domain types every layer shares: what changed between two revisions of a tree, what was edited by hand in a
 * tree, and the submodules (svn externals) a tree holds. Code sources (`vcs/`) produce them, steps and sessions carry
 * them, the report renders them. This module imports nothing, so no layer depends on another through these types.
 */

export interface RenamedFile {
  from: string
  to: string
}

/** Files changed between the revision before and the revision after (restricted to `paths` for a partial update). */
export interface FileChanges {
  added: string[]
  modified: string[]
  deleted: string[]
  renamed: RenamedFile[]
}

export function emptyChanges(): FileChanges {
  return { added: [], modified: [], deleted: [], renamed: [] }
}

/** Number of distinct paths touched by a set of changes (a rename counts its two paths). */
export function countChangedPaths(files: FileChanges): number {
  const all = new Set<string>([...files.added, ...files.modified, ...files.deleted])
  for (const r of files.renamed) {
    all.add(r.from)
    all.add(r.to)
  }
  return all.size
}

/** A file of a tree that differs from what the tree should hold. */
export interface DriftFile {
  /** Path relative to the tree root. */
  path: string
  /** `modified`, `deleted`, `untracked` (or `added` for a file added to the index by hand). */
  status: 'modified' | 'deleted' | 'untracked' | 'added' | 'type-changed'
}

/** A git submodule (or svn external) of the trees: where it is, where it comes from, and its commit before and after. */
export interface SubmoduleChange {
  /** Path from the tree root. */
  path: string
  /** The repository it is fetched from (credentials masked); for svn, the external's URL. */
  url: string
  /** The commit (svn: revision) the tree held before; absent when the submodule was added. */
  before?: string
  /** The commit (svn: revision) the tree holds after; absent when the submodule was removed. */
  after?: string
}

/**
 * A time as it starts the names this tool makes (tree ids, session ids, saved patches, snapshots, report folders):
 * `20261203T151936Z`, UTC to the second, so that names sort by time.
 */
export function compactTime(t: Date): string {
  return t.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

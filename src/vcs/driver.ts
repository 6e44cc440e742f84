/**
 * One interface for every code source (git, svn, cvs, push): how trees are created, updated, compared and moved.
 * Drivers come from `createDriver` (vcs/index.ts).
 */
import type { Logger } from '../log.js'
import type { DriftFile, FileChanges, SubmoduleChange } from '../domain.js'
import type { Layout } from '../remote/server.js'
import type { RemoteShell } from '../remote/shell.js'
import type { PathTake, TreeRecord } from '../remote/state.js'
import type { Settings } from '../settings.js'

export interface VcsContext {
  sh: RemoteShell
  layout: Layout
  settings: Settings
  log: Logger
  /** Paths present in both trees that no update deletes (the app's own and the `keep` input), once known. */
  keep?: string[]
}

export interface InitResult {
  /** The revision both trees now hold. */
  revision: string
  /** The repository recorded in the state (for adopt: the adopted tree's origin, when it has one). */
  repository: string
  /** git submodules (svn externals) the trees hold. */
  submodules?: SubmoduleChange[]
}

export interface UpdateResult {
  /** The revision the ref resolved to (git: the commit). */
  commit: string
  /** The new base revision of the tree (unchanged for a partial update). */
  revision: string
  /** git: the new HEAD (a local commit composing the paths for a partial update). */
  head?: string
  /** For a partial update: what was taken. */
  take?: PathTake
  changes: FileChanges
  /** git submodules (svn externals) within the update, with their commits before and after. */
  submodules?: SubmoduleChange[]
}

/** What syncList found: the paths that may differ, or the reason the whole trees must be compared. */
export type SyncList = { paths: string[]; reason?: undefined } | { reason: string; paths?: undefined }

export interface VcsDriver {
  readonly method: string
  /** Programs the method needs on the server. */
  readonly tools: string[]
  /** rsync exclude patterns for per-tree metadata that a syncback must not copy (git's `.git` file). */
  readonly syncExcludes: string[]
  /** Checks `repository` at `ref` out into each of `treeIds` (fresh directories under trees/). */
  init(treeIds: string[]): Promise<InitResult>
  /** Copies the existing code directory `source` whole into each of `treeIds`. */
  adopt(source: string, treeIds: string[]): Promise<InitResult>
  /**
   * Brings `tree` to `ref` (whole, or only `paths`) and lists what changed. With `dryRun`, computes the same list and
   * changes nothing in the layout. `fetched`: the revision this run's `fetch(ref)` gave; the update brings the tree
   * to that revision without asking the repository again (what was checked is what is delivered, even if the branch
   * moved since).
   */
  update(tree: TreeRecord, ref: string, paths: string[], dryRun: boolean, opts?: { fetched?: string }): Promise<UpdateResult>
  /**
   * Makes sure `ref` can be had, before anything changes (deliver calls it first, so a wrong ref or an unreachable
   * repository fails the run while the site is untouched). Returns the revision it resolves to.
   */
  fetch?(ref: string): Promise<string>
  /**
   * Throws (a StepFailure saying what to do) when the tree must not go live as it is: svn, a working copy left with
   * unresolved conflicts. Optional; read-only.
   */
  checkReady?(tree: TreeRecord): Promise<void>
  /**
   * Files of the tree that differ from what it should hold (edited, deleted or added by hand). With `refresh` (the
   * run holds the lock), the method may update its own caches of the tree's state on the way (git: the index's stat
   * data and untracked cache), so that the next look costs less.
   */
  drift(tree: TreeRecord, refresh?: boolean): Promise<DriftFile[]>
  /**
   * Saves those files' changes as a patch at `dest` on the server; returns the path it wrote instead when the
   * method cannot make a patch (push keeps the files themselves in a .tar.gz).
   */
  saveDrift(tree: TreeRecord, files: DriftFile[], dest: string): Promise<void | string>
  /**
   * After a syncback copied `from` into `to` (whole or `paths`), makes `to`'s metadata agree; returns the fields of
   * `to`'s record that change.
   */
  afterSync(from: TreeRecord, to: TreeRecord, paths: string[]): Promise<Partial<TreeRecord>>
  /**
   * Optional: the paths where `to` may differ from `from` apart from their drift (which the caller adds), as far as
   * the method knows exactly; or why it cannot know, and then the whole trees are compared. git: the diff between
   * the commits the two trees record, and the ignored files of both trees.
   */
  syncList?(from: TreeRecord, to: TreeRecord): Promise<SyncList>
  /** Renames trees/<from> to trees/<to>, keeping the tree usable. */
  move(from: string, to: string): Promise<void>
  /** Removes what a half-finished init left (trees without state). */
  cleanHalfInit(): Promise<void>
}

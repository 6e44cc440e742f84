/**
 * The server's state (`.delivery/state.json`): which tree is live, which is safe, which is being worked on, and what
 * each tree holds. Parsed strictly: a damaged file is reported, never guessed at.
 */
import { compactTime } from '../domain.js'
import { DeliveryError } from '../errors.js'

export const LAYOUT_VERSION = 1

export interface PathTake {
  /** Component paths taken from another revision than the tree's base. */
  paths: string[]
  ref: string
  revision: string
}

export interface TreeRecord {
  id: string
  /** The revision the whole tree was checked out at (git: commit sha; svn: revision; cvs: tag/branch; push: sha). */
  revision: string
  /** git: the commit HEAD points to (a local commit composing `paths` over `revision` after a partial update). */
  head?: string
  /** Paths taken from other revisions by partial updates or syncbacks, oldest first. */
  paths?: PathTake[]
  /** Whether this tree's real path has been live. */
  served: boolean
  /** Whether its content changed since it was last live (then it takes a new id before going live again). */
  dirty: boolean
  /**
   * Set while an update changes the tree (cleared when it finishes): a tree whose update was cut off part-way is never
   * switched live until an update completes.
   */
  updating?: { runId: string; ref: string; at: string }
  /** Set while the tree is being renamed to this id (a run that dies mid-rename is reconciled by the next). */
  movingTo?: string
  updatedAt: string
}

/** A database snapshot taken before an upgrade (Moodle), as state.json and the journal record it. */
export interface SnapshotRecord {
  /** Absolute path of the dump on the server. */
  file: string
  /** Moodle's cache configuration (moodledata's muc/config.php) when the dump was taken, kept beside it. */
  muc?: string
  sha256: string
  bytes: number
  dbtype: string
  dbname: string
  prefix: string
  /** The database's Moodle version when it was dumped (the code that served it). */
  fromVersion: string
  fromRelease?: string
  /** The version the upgrade that followed brings the database to. */
  toVersion: string
  toRelease?: string
  /** The tree that served the database when it was dumped. */
  tree: string
  runId: string
  at: string
  ms: number
  /** Taken in maintenance mode with cron held: nothing wrote meanwhile. */
  quiet: boolean
}

export interface ServerState {
  layout: number
  state: 'production' | 'delivering'
  live: string
  safe: string
  /** While delivering: the tree being changed (the former live tree). */
  work?: string
  trees: Record<string, TreeRecord>
  method: string
  repository: string
  ref: string
  app: string
  updatedAt: string
  supersave?: { revision: string; updatedAt: string }
  /** Database snapshots taken before upgrades, oldest first (those `backup-keep` still keeps). */
  snapshots?: SnapshotRecord[]
  /** The last run that changed the state. */
  lastRun?: { runId: string; mode: string; actor: string; at: string }
  /**
   * A database restore that began (maintenance on, cron held) and has not finished (maintenance off, cron on): the
   * database may be partly restored (MySQL restores table by table). Only goback with restore-database: true (which
   * restores it again) or allow-downgrade: true (the admin answers for the database) may switch code until it is gone.
   */
  restoring?: { snapshot: string; runId: string; at: string; cron: boolean }
}

export class StateError extends DeliveryError {
  readonly kind = 'failure'
  constructor(message: string) {
    super(message)
    this.name = 'StateError'
  }
}

const TREE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/** Whether a name is a valid tree id (a single safe path component: never `..`, never an option). */
export function isTreeId(s: string): boolean {
  return TREE_ID.test(s)
}

function isTree(t: unknown): t is TreeRecord {
  const r = t as TreeRecord
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    TREE_ID.test(r.id) &&
    (r.movingTo === undefined || (typeof r.movingTo === 'string' && TREE_ID.test(r.movingTo))) &&
    typeof r.revision === 'string' &&
    typeof r.served === 'boolean' &&
    typeof r.dirty === 'boolean'
  )
}

/** Parses state.json text; throws StateError saying what is wrong. */
export function parseState(text: string, file: string): ServerState {
  let data: ServerState
  try {
    data = JSON.parse(text) as ServerState
  } catch (e) {
    throw new StateError(`${file} is not valid JSON (${(e as Error).message}); restore it from the journal or fix it by hand`)
  }
  const bad = (what: string) => new StateError(`${file} is damaged: ${what}; fix it by hand (the journal says what happened)`)
  if (typeof data !== 'object' || data === null) throw bad('not an object')
  if (data.layout !== LAYOUT_VERSION) throw bad(`layout ${JSON.stringify(data.layout)} is not ${LAYOUT_VERSION}`)
  if (data.state !== 'production' && data.state !== 'delivering') throw bad(`state ${JSON.stringify(data.state)}`)
  if (typeof data.trees !== 'object' || data.trees === null) throw bad('no trees')
  for (const [id, t] of Object.entries(data.trees)) if (!isTree(t) || t.id !== id) throw bad(`tree ${JSON.stringify(id)}`)
  for (const role of ['live', 'safe'] as const) {
    if (typeof data[role] !== 'string' || !data.trees[data[role]]) throw bad(`${role} names no known tree`)
  }
  if (data.state === 'delivering' && (typeof data.work !== 'string' || !data.trees[data.work])) throw bad('work names no known tree')
  if (data.state === 'production' && data.live === data.safe) throw bad('live and safe are the same tree in production')
  return data
}

/** A fresh, unique tree id: time first, so that ids sort by creation. */
export function newTreeId(now: Date, runId: string): string {
  const stamp = compactTime(now)
  const salt = Math.random().toString(36).slice(2, 6)
  const run = runId.replace(/[^A-Za-z0-9]/g, '').slice(-8)
  return `${stamp}-${run}-${salt}`
}

/** The tree a role names. */
export function tree(state: ServerState, id: string): TreeRecord {
  const t = state.trees[id]
  if (!t) throw new StateError(`state.json names no tree ${id}`)
  return t
}

/** The revision a tree holds, for reports: the head when paths were composed in, else the base revision. */
export function treeRevision(t: TreeRecord): string {
  return t.head ?? t.revision
}

/** What refuses every switch to new code while a database restore has not finished (state.restoring). */
export function unfinishedRestore(s: ServerState): string {
  const r = s.restoring!
  return `a database restore from ${r.snapshot} began (run ${r.runId}, ${r.at}) and did not finish: the database may be partly restored, and the site is likely in maintenance mode${r.cron ? ' with cron held' : ''}. Run goback with restore-database: true to restore it again and finish (maintenance off, cron on); or, if you restored the database yourself, goback with allow-downgrade: true`
}

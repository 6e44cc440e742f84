/**
 * The session files' format on the server, apart from the report: `<id>.json` holds a `StoredSessionRecord`, each line
 * of `<id>.jsonl` a `StoredIntervention`. Both are written field by field and read field by field, so a change of the
 * report (or of any other in-memory type) never changes what servers keep. `format` changes when a field changes
 * meaning or disappears; files written before it was numbered have none and are read as format 1.
 */
import { type FileChanges, emptyChanges } from '../domain.js'

/** The format this version writes and the newest it reads. */
export const SESSION_FORMAT = 1

/** A session's record (`<id>.json`), rewritten whole by rename when the session closes. */
export interface SessionRecord {
  id: string
  title: string
  description: string
  impact: string
  status: 'open' | 'closed'
  openedAt: string
  openedBy: string
  openRunUrl: string
  closedAt?: string
  closedBy?: string
  closeRunUrl?: string
  outputState?: string
  followup?: string
}

/** One intervention of a session on one host: the run, what it did, its outcome, its revisions and files. */
export interface Intervention {
  at: string
  runId: string
  actor: string
  runUrl: string
  mode: string
  host: string
  ref: string
  commit: string
  paths: string[]
  comment: string
  outcome: string
  error?: string
  rolledBack?: boolean
  revisionBefore?: string
  revisionAfter?: string
  files: FileChanges
}

/** `<id>.json` as written. */
export interface StoredSessionRecord extends SessionRecord {
  format: typeof SESSION_FORMAT
}

/** One line of `<id>.jsonl` as written. */
export interface StoredIntervention extends Intervention {
  format: typeof SESSION_FORMAT
}

/** The object written for a record: its known fields, nothing else. */
export function storedRecord(r: SessionRecord): StoredSessionRecord {
  return {
    format: SESSION_FORMAT,
    id: r.id,
    title: r.title,
    description: r.description,
    impact: r.impact,
    status: r.status,
    openedAt: r.openedAt,
    openedBy: r.openedBy,
    openRunUrl: r.openRunUrl,
    closedAt: r.closedAt,
    closedBy: r.closedBy,
    closeRunUrl: r.closeRunUrl,
    outputState: r.outputState,
    followup: r.followup,
  }
}

/** The object written for an intervention: its known fields, nothing else. */
export function storedIntervention(i: Intervention): StoredIntervention {
  return {
    format: SESSION_FORMAT,
    at: i.at,
    runId: i.runId,
    actor: i.actor,
    runUrl: i.runUrl,
    mode: i.mode,
    host: i.host,
    ref: i.ref,
    commit: i.commit,
    paths: [...i.paths],
    comment: i.comment,
    outcome: i.outcome,
    error: i.error,
    rolledBack: i.rolledBack,
    revisionBefore: i.revisionBefore,
    revisionAfter: i.revisionAfter,
    files: changesOf(i.files),
  }
}

type Json = Record<string, unknown>

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback)
const optStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

function changesOf(v: unknown): FileChanges {
  if (typeof v !== 'object' || v === null) return emptyChanges()
  const f = v as Json
  const renamed = Array.isArray(f.renamed) ? f.renamed.filter((r): r is Json => typeof r === 'object' && r !== null) : []
  return {
    added: strings(f.added),
    modified: strings(f.modified),
    deleted: strings(f.deleted),
    renamed: renamed.filter((r) => typeof r.from === 'string' && typeof r.to === 'string').map((r) => ({ from: r.from as string, to: r.to as string })),
  }
}

/** The format of a stored object; throws when it is newer than this version reads. */
function formatOf(o: Json): number {
  const f = o.format ?? 1
  if (f !== SESSION_FORMAT) throw new Error(`has format ${JSON.stringify(f)}, and this version of Delivery reads format ${SESSION_FORMAT}: upgrade Delivery`)
  return f
}

const NOT_A_RECORD = 'is not a session record (id, title, status open|closed): repair it by hand or move it aside'

/** A record from the parsed JSON of `<id>.json`; throws (what is wrong, to follow the file's name) when it is not one. */
export function readRecord(v: unknown, isId: (s: string) => boolean): SessionRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(NOT_A_RECORD)
  const o = v as Json
  formatOf(o)
  if (typeof o.id !== 'string' || !isId(o.id) || (o.status !== 'open' && o.status !== 'closed') || typeof o.title !== 'string') throw new Error(NOT_A_RECORD)
  return {
    id: o.id,
    title: o.title,
    description: str(o.description),
    impact: str(o.impact),
    status: o.status,
    openedAt: str(o.openedAt),
    openedBy: str(o.openedBy),
    openRunUrl: str(o.openRunUrl),
    closedAt: optStr(o.closedAt),
    closedBy: optStr(o.closedBy),
    closeRunUrl: optStr(o.closeRunUrl),
    outputState: optStr(o.outputState),
    followup: optStr(o.followup),
  }
}

/** An intervention from the parsed JSON of one line of `<id>.jsonl` (older lines may lack paths, comment or files). */
export function readIntervention(v: unknown): Intervention {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an intervention')
  const o = v as Json
  formatOf(o)
  if (typeof o.mode !== 'string' || typeof o.at !== 'string') throw new Error('not an intervention')
  return {
    at: o.at,
    runId: str(o.runId),
    actor: str(o.actor),
    runUrl: str(o.runUrl),
    mode: o.mode,
    host: str(o.host),
    ref: str(o.ref),
    commit: str(o.commit),
    paths: strings(o.paths),
    comment: str(o.comment),
    outcome: str(o.outcome),
    error: optStr(o.error),
    rolledBack: o.rolledBack === true ? true : undefined,
    revisionBefore: optStr(o.revisionBefore),
    revisionAfter: optStr(o.revisionAfter),
    files: changesOf(o.files),
  }
}

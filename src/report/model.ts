/**
 * The report data model: one per run (and one per session). Rendered as JSON (`report.json`), Markdown (the job
 * summary) and HTML (the email body). The JSON form is this object as it is; `schemaVersion` changes when a field
 * changes meaning or disappears (adding a field does not change it).
 */
import { type DriftFile, emptyChanges, type FileChanges, type SubmoduleChange } from '../domain.js'

export const REPORT_SCHEMA_VERSION = 1

/** Outcome of a run, of a host, or of a step. */
export type Outcome = 'success' | 'failure' | 'refused' | 'skipped'

export interface StepReport {
  /** Short name of the step: `lock`, `drift`, `syncback`, `switch`, `fetch`, `update`, `upgrade`, `health`, ... */
  name: string
  outcome: Outcome
  /** Wall time of the step in milliseconds. */
  ms: number
  /** One line saying what the step did or why it failed. */
  detail?: string
}

export interface DriftReport {
  /** The tree id in which the drift was found. */
  tree: string
  /** Which role the tree had: `live`, `safe`, `work`. */
  role: string
  files: DriftFile[]
  /** Path on the server of the saved patch (absent in a dry run, which saves nothing). */
  patch?: string
}

export interface HealthReport {
  url: string
  expect: string
  ok: boolean
  /** Last HTTP status seen (0 when no answer). */
  status: number
  attempts: number
  ms: number
  detail?: string
  /** How the GET was made: `ssh-forward` (through the SSH connection), or `server-curl` / `server-php` / `server-wget`. */
  via?: string
}

export interface PermissionFinding {
  path: string
  problem: 'world-writable' | 'owned-by-web-user' | 'writable-by-web-user'
}

/** The permission audit of the live tree: counts of every problem (the findings listed are the first ones). */
export interface PermissionAudit {
  /** The user the web server runs as (`web-user`). */
  webUser: string
  /** The tree audited (the live one). */
  tree: string
  /** Number of findings in all. */
  total: number
  counts: Partial<Record<PermissionFinding['problem'], number>>
  /** More findings exist than `permissions` lists. */
  truncated: boolean
  /** Why the audit is partial or could not run. */
  note?: string
  /** A delivery's audit: the number of changed paths it covered (with the folders above them); absent: the whole tree. */
  changedPaths?: number
}

/** `cluster: true`: a node's part in the coordinated sequence over the nodes of one site. */
export interface ClusterReport {
  /** `site`: this node ran the site-wide steps (maintenance, cron, upgrade, purge); `node`: only its own. */
  role: 'site' | 'node'
  /** The node that ran the site-wide steps. */
  site: string
  /** The node that ran the database upgrade, when one ran. */
  upgradedBy?: string
  /** goback with `restore-database: true`: the node that restored the database from its snapshot, when it did. */
  restoredBy?: string
}

/** The database snapshot taken before an upgrade (Moodle). */
export interface SnapshotReport {
  /** Path of the dump on the server. */
  file: string
  bytes: number
  ms: number
  sha256: string
  dbtype: string
  /** The database's version when dumped, and the version the upgrade brings it to. */
  fromVersion: string
  toVersion: string
  /** How much longer the maintenance window was because of the dump. */
  windowGrowthMs: number
}

/** A component whose version changes with a delivery (Moodle: from each version.php of the live and work trees). */
export interface ComponentChange {
  component: string
  /** Absent for a new plugin. */
  before?: string
  /** Absent for a removed plugin. */
  after?: string
}

/** What an upgrade will change, known before it runs. */
export interface UpgradePlanReport {
  components: ComponentChange[]
  maintenance: boolean
  /** Bytes of the site's tables: the size of the snapshot it would take (absent when none is taken). */
  snapshotBytes?: number
}

export interface HostReport {
  /** `user@host:port` as given. */
  host: string
  outcome: Outcome
  /** The application served from the trees (`moodle` groups the files by Moodle component). */
  app?: 'moodle' | 'none'
  /** Human sentence for the outcome (the refusal or the error, or what was done). */
  message?: string
  stateBefore?: string
  stateAfter?: string
  liveTreeBefore?: string
  liveTreeAfter?: string
  revisionBefore?: string
  revisionAfter?: string
  appVersionBefore?: string
  appVersionAfter?: string
  steps: StepReport[]
  files: FileChanges
  /** Every git submodule (svn external) delivered: path, URL, commit before and after. Absent when there are none. */
  submodules?: SubmoduleChange[]
  drift: DriftReport[]
  upgradeOutput?: string
  /** Moodle: the components whose version changes, before the upgrade runs. */
  upgradePlan?: UpgradePlanReport
  snapshot?: SnapshotReport
  health?: HealthReport
  rolledBack: boolean
  /** What must be restored by hand after a failure that could not be undone automatically. */
  restore?: string
  error?: string
  /** Dry run: the actions the mode would take, one sentence each. */
  plan?: string[]
  /** `status` only: what the server holds. */
  status?: Record<string, unknown>
  /** The first findings of the permission audit (see `permissionAudit` for the counts). */
  permissions?: PermissionFinding[]
  permissionAudit?: PermissionAudit
  /** `cluster: true` (deliver, backtoprod, goback): this node's part; its steps are `steps`. */
  cluster?: ClusterReport
  /** How the SSH user became each other user (sudo-user, web-user): the command form used and the rule allowing it. */
  sudo?: SudoUse[]
}

/** One user the run became through sudo. */
export interface SudoUse {
  user: string
  /** The input naming that user. */
  input: string
  /** The only form of command run as that user, e.g. `sudo -n -u www-data /usr/bin/php SCRIPT ARGS...`. */
  command: string
  /** A sudoers line that allows it (for the web user, the narrowest: PHP alone). */
  rule: string
}

export interface Report {
  schemaVersion: number
  tool: { name: string; version: string }
  /** `success` when every host succeeded; `refused` when the mode did not fit; `failure` otherwise. */
  outcome: Outcome
  mode: string
  dryRun: boolean
  startedAt: string
  finishedAt: string
  durationMs: number
  repository: string
  ref: string
  /** The commit the ref resolved to on the first host that resolved it. */
  commit: string
  actor: string
  event: string
  runUrl: string
  environment?: string
  app: string
  method: string
  paths: string[]
  comment?: string
  sessionId?: string
  /** session-open and session-close: the session, its interventions so far, and the files they touched. */
  session?: SessionReport
  hosts: HostReport[]
  /** The job artifact holding the report files, once uploaded (absent when the upload was skipped or failed). */
  artifact?: ArtifactRef
}

export interface ArtifactRef {
  name: string
  id: number
  /** Where a person downloads it (the workflow run's artifact page). */
  url?: string
}

export function newHostReport(host: string): HostReport {
  return { host, outcome: 'success', steps: [], files: emptyChanges(), drift: [], rolledBack: false }
}

/** The run's outcome from its hosts' outcomes. */
export function overallOutcome(hosts: HostReport[]): Outcome {
  if (hosts.length === 0) return 'failure'
  if (hosts.every((h) => h.outcome === 'success' || h.outcome === 'skipped')) return 'success'
  if (hosts.some((h) => h.outcome === 'failure')) return 'failure'
  return 'refused'
}

/** One intervention of a session, as the session report shows it. */
export interface SessionIntervention {
  at: string
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
  files: FileChanges
}

export interface SessionReport {
  id: string
  title: string
  /** The purpose of the session. */
  description: string
  impact: string
  status: 'open' | 'closed'
  openedAt: string
  openedBy: string
  closedAt?: string
  closedBy?: string
  /** The state the session leaves the site in, and what is left to do (session-close). */
  outputState?: string
  followup?: string
  /** Every intervention of the session on every host, oldest first. */
  interventions: SessionIntervention[]
  /** Every file the interventions touched: the union of their changes (a path may appear under several kinds). */
  files: FileChanges
  /** Lines of the server's intervention files that could not be read and are left out. */
  damagedLines?: number
}

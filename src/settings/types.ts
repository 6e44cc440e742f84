/**
 * The settings of a run: one validated object, built from the inputs by readSettings (src/settings.ts) and read by
 * everything downstream. The connection types belong to the transport (src/transport/client.ts).
 */
import type { ChatSettings } from '../notify/chat-settings.js'
import type { HostTarget, JumpTarget, SshAuth } from '../transport/client.js'
import type { HostKeyPolicy } from '../transport/hostkeys.js'

export type { HostTarget, SshAuth } from '../transport/client.js'

export const MODES = [
  'init',
  'status',
  'syncback',
  'supersyncback',
  'goback',
  'update',
  'backtoprod',
  'deliver',
  'session-open',
  'session-close',
] as const
export type Mode = (typeof MODES)[number]

export const METHODS = ['git', 'svn', 'cvs', 'push'] as const
export type Method = (typeof METHODS)[number]

export interface MailSettings {
  to: string[]
  from: string
  on: 'always' | 'failure' | 'never'
  host: string
  port: number
  secure: 'tls' | 'starttls' | 'none'
  username?: string
  password?: string
}

/** Where the run comes from: the GitHub Actions context, or the CLI's equivalents. */
export interface RunContext {
  /** Unique for this run attempt: `<run id>-<attempt>` on GitHub, random on the CLI. */
  runId: string
  actor: string
  event: string
  /** `owner/name` of the workflow repository ('' on the CLI). */
  workflowRepository: string
  serverUrl: string
  sha: string
  runUrl: string
  job: string
  workspace: string
  /** Where report files are written on the runner. */
  reportRoot: string
  /** The id a session-open of this run gives its session (the same on every host); made by the runner ('' until then). */
  sessionId: string
}

export interface Settings {
  mode: Mode
  hosts: HostTarget[]
  auth: SshAuth
  hostKeys: HostKeyPolicy
  jump?: JumpTarget
  timeoutMs: number
  /** Bound of a server command that has none of its own (`command-timeout`), in ms. */
  commandTimeoutMs: number
  sudoUser?: string
  webUser: string
  strategy: 'parallel' | 'rolling' | 'canary'
  maxParallel: number
  sharedCode: boolean
  /** The hosts are the web nodes of one site (one database, one moodledata, code on each): see src/cluster.ts. */
  cluster: boolean
  path: string
  method: Method
  /** The code source; '' when it is to come from the adopted tree (init with adopt). */
  repository: string
  /** '' means the remote's default branch (git) or HEAD (svn, cvs). */
  ref: string
  repositoryUsername?: string
  repositoryPassword?: string
  paths: string[]
  /** User-given keep paths (the app adds its own, e.g. Moodle's config.php). */
  keep: string[]
  adopt?: string
  onDrift: 'warn' | 'fail'
  /** `full`: deliver's syncback compares the whole trees, never only what the recorded revisions and drift say differs. */
  verify: 'auto' | 'full'
  comment: string
  lockTimeoutS: number
  dryRun: boolean
  app: 'auto' | 'moodle' | 'none'
  php: string
  maintenance: 'auto' | 'always' | 'never'
  upgrade: boolean
  allowDowngrade: boolean
  confirmPublicRoot: boolean
  /** Moodle: `auto` takes a database snapshot before a pending upgrade; `never` does not. */
  databaseBackup: 'auto' | 'never'
  /** Absolute folder for snapshots (undefined: `<path>/.delivery/backups`). */
  backupDir?: string
  backupKeep: number
  /** goback: restore the snapshot taken before the applied upgrade. */
  restoreDatabase: boolean
  /** Minutes of `maintenance.php --enablelater` before maintenance for an upgrade. */
  maintenanceNotice: number
  beforeUpgrade?: string
  afterSwitch?: string
  healthUrl?: string
  healthExpect: { status: number; text?: string }
  autoRollback: boolean
  session: 'auto' | 'required'
  sessionTitle: string
  sessionDescription: string
  sessionImpact: string
  sessionOutputState: string
  sessionFollowup: string
  artifactName: string
  environment?: string
  environmentUrl?: string
  githubToken?: string
  mail?: MailSettings
  /** Chat webhooks (Slack, Mattermost, Teams, generic JSON) and when to post to them; absent when none is given. */
  chat?: ChatSettings
  run: RunContext
  /** Every secret value given, for masking. */
  secrets: string[]
}

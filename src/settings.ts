/**
 * Inputs -> one validated Settings object. Every input is checked here, before any connection is made; all problems
 * are reported together, each naming the input, the problem and the fix. Nothing downstream reads inputs directly.
 */
import { randomBytes } from 'node:crypto'
import ssh2 from 'ssh2'
import { type InputName, type InputSource, INPUT_NAMES, SECRET_INPUTS } from './inputs.js'
import { maskSecrets, secretsInCommand } from './secrets.js'
import { type ChatEvent, type ChatSettings, CHAT_EVENTS, type ChatTarget } from './notify/chat-settings.js'
import { newSessionId } from './session/sessions.js'
import { HEARTBEAT_S, MIN_LOCK_TIMEOUT_S } from './remote/lock.js'
import { type HostKeyPolicy, normaliseFingerprint, parseKnownHosts } from './transport/hostkeys.js'
import { checkSource } from './vcs/source.js'
import {
  checkRaw,
  credentialsIn,
  InputError,
  InputErrors,
  parseAbsolutePath,
  parseBool,
  parseEmail,
  parseEnum,
  parseHostSpec,
  parseInteger,
  parseRef,
  parseRelativePaths,
  parseRepository,
  parseUrl,
  parseUser,
  show,
  splitList,
} from './validate.js'

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

export interface HostTarget {
  user: string
  host: string
  port: number
  /** `user@host:port`, the name used in reports and logs. */
  label: string
}

export interface SshAuth {
  privateKey?: string
  passphrase?: string
  password?: string
}

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
  /** The id a session-open of this run gives its session (the same on every host). */
  sessionId: string
}

export interface Settings {
  mode: Mode
  hosts: HostTarget[]
  auth: SshAuth
  hostKeys: HostKeyPolicy
  jump?: { target: HostTarget; auth: SshAuth }
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

const MULTILINE: InputName[] = [
  'hosts',
  'private-key',
  'jump-private-key',
  'known-hosts',
  'host-fingerprint',
  'paths',
  'keep',
  'comment',
  'before-upgrade',
  'after-switch',
  'session-description',
  'session-impact',
  'session-output-state',
  'session-followup',
  'mail-to',
]

const LARGE: Partial<Record<InputName, number>> = { 'known-hosts': 1024 * 1024, hosts: 256 * 1024, paths: 256 * 1024 }

const MODES_NEEDING_SOURCE: Mode[] = ['init', 'update', 'deliver']

/** `chat-on`: `always`, `never`, or a list of events. */
function parseChatOn(value: string): ChatEvent[] {
  const items = splitList(value)
  if (items.length === 1 && items[0] === 'always') return [...CHAT_EVENTS]
  if (items.length === 1 && items[0] === 'never') return []
  const bad = items.filter((i) => !(CHAT_EVENTS as readonly string[]).includes(i))
  if (bad.length || !items.length) {
    throw new InputError('chat-on', `${show(value)} is not always, never, or a list of ${CHAT_EVENTS.join(', ')}`, 'Use e.g. always, or failure, session')
  }
  return [...new Set(items as ChatEvent[])]
}

/**
 * A webhook URL: https (or http to this machine only); the value is a secret, so the message never shows it.
 */
function parseWebhookUrl(name: InputName, value: string, example: string): string {
  const v = value.trim()
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new InputError(name, 'is not a URL (the value is a secret and is not shown)', `Give the whole webhook URL, e.g. ${example}`)
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw new InputError(name, `uses ${u.protocol.replace(/[^a-z:]/g, '')} (the URL would travel in clear)`, 'Give an https:// URL')
  }
  if (/[\s\x00-\x1f]/.test(v)) throw new InputError(name, 'contains white space', 'Give the URL on one line, encoded')
  if (u.username || u.password) throw new InputError(name, 'holds credentials before the host', 'Give the URL as the service shows it')
  // As given (not normalised): the secret masked in every message is this exact text.
  return v
}

/** Checks a private key with ssh2's own parser, so a bad key fails here and not at the first connection. */
function checkPrivateKey(name: InputName, key: string, passphrase: string | undefined, passphraseInput: InputName): string {
  const text = key.replace(/\r\n/g, '\n').trim() + '\n'
  if (!/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\n/.test(text)) {
    throw new InputError(
      name,
      'is not a private key (expected a line -----BEGIN ... PRIVATE KEY-----)',
      'Paste the whole private key file, e.g. from a secret: ${{ secrets.SSH_PRIVATE_KEY }}',
    )
  }
  const parsed = ssh2.utils.parseKey(text, passphrase)
  if (parsed instanceof Error) {
    if (/encrypted|passphrase/i.test(parsed.message)) {
      throw new InputError(
        name,
        passphrase ? 'cannot be decrypted with the passphrase given' : 'is encrypted and no passphrase is given',
        `Give the key's passphrase in '${passphraseInput}'`,
      )
    }
    // The parser's message names the problem; masked all the same, as nothing of a key may be shown.
    const why = maskSecrets(parsed.message, [text]).slice(0, 200)
    throw new InputError(name, `cannot be read (${why})`, 'Give an OpenSSH or PEM private key (ed25519, ecdsa or RSA)')
  }
  const k = Array.isArray(parsed) ? parsed[0] : parsed
  if (!k || !k.isPrivateKey()) throw new InputError(name, 'holds a public key, not a private one', 'Give the private key file')
  return text
}

function defaultRunContext(env: NodeJS.ProcessEnv): RunContext {
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com'
  const runIdBase = env.GITHUB_RUN_ID ?? `cli-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  const attempt = env.GITHUB_RUN_ATTEMPT ?? '1'
  const workflowRepository = env.GITHUB_REPOSITORY ?? ''
  return {
    runId: env.GITHUB_RUN_ID ? `${runIdBase}-${attempt}` : runIdBase,
    actor: env.GITHUB_ACTOR ?? env.USER ?? 'cli',
    event: env.GITHUB_EVENT_NAME ?? 'cli',
    workflowRepository,
    serverUrl,
    sha: env.GITHUB_SHA ?? '',
    runUrl: env.GITHUB_RUN_ID && workflowRepository ? `${serverUrl}/${workflowRepository}/actions/runs/${env.GITHUB_RUN_ID}` : '',
    job: env.GITHUB_JOB ?? 'cli',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    reportRoot: env.RUNNER_TEMP ?? process.cwd(),
    sessionId: newSessionId(new Date()),
  }
}

/**
 * Reads and validates every input. `fromActions` selects the GitHub defaults for repository and ref (the CLI requires
 * both where the mode needs them). Throws InputErrors listing every problem.
 */
export function readSettings(input: InputSource, env: NodeJS.ProcessEnv = process.env, fromActions = true): Settings {
  const errors: InputError[] = []
  const raw = {} as Record<InputName, string>
  for (const name of INPUT_NAMES) {
    const value = input(name)
    try {
      checkRaw(name, value, { multiline: MULTILINE.includes(name), max: LARGE[name], secret: SECRET_INPUTS.includes(name) })
      raw[name] = value
    } catch (e) {
      errors.push(e as InputError)
      raw[name] = ''
    }
  }
  const run = defaultRunContext(env)
  /** Runs a parser, collecting its error; returns the fallback on error. */
  const take = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn()
    } catch (e) {
      if (e instanceof InputError) {
        errors.push(e)
        return fallback
      }
      throw e
    }
  }
  const opt = (name: InputName) => raw[name].trim() || undefined
  const orDefault = (name: InputName, def: string) => raw[name].trim() || def

  const mode = take(() => {
    if (!raw.mode.trim()) throw new InputError('mode', 'is required', `Give one of: ${MODES.join(', ')}`)
    return parseEnum('mode', raw.mode, MODES)
  }, 'status' as Mode)

  // Hosts and SSH login.
  const defaultUser = take(() => (opt('username') ? parseUser('username', raw.username) : undefined), undefined)
  const defaultPort = take(() => parseInteger('port', orDefault('port', '22'), 1, 65535), 22)
  const hosts = take(() => {
    const list = splitList(raw.hosts)
    if (list.length === 0) throw new InputError('hosts', 'is required', 'List the servers as [user@]host[:port]')
    if (list.length > 1000) throw new InputError('hosts', `lists ${list.length} hosts (at most 1000)`, 'Shard the fleet with a matrix')
    const out: HostTarget[] = []
    for (const entry of list) {
      const spec = parseHostSpec('hosts', entry)
      const user = spec.user ?? defaultUser
      if (!user) {
        throw new InputError('hosts', `${show(entry)} names no user and 'username' is empty`, "Give 'username' or write user@host")
      }
      const port = spec.port ?? defaultPort
      const hostPart = spec.host.includes(':') ? `[${spec.host}]` : spec.host
      const label = `${user}@${hostPart}:${port}`
      if (out.some((h) => h.label === label)) throw new InputError('hosts', `lists ${show(label)} twice`, 'List each server once')
      out.push({ user, host: spec.host, port, label })
    }
    return out
  }, [] as HostTarget[])

  const passphrase = opt('passphrase') !== undefined ? raw.passphrase : undefined
  const auth: SshAuth = {}
  if (raw['private-key'].trim()) {
    auth.privateKey = take(() => checkPrivateKey('private-key', raw['private-key'], passphrase, 'passphrase'), undefined)
    if (passphrase !== undefined) auth.passphrase = passphrase
  }
  if (raw.password !== '') auth.password = raw.password
  if (!raw['private-key'].trim() && raw.password === '') {
    errors.push(new InputError('private-key', 'and password are both empty', "Give 'private-key' (preferred) or 'password'"))
  }

  const insecure = take(() => parseBool('insecure-skip-host-key-check', orDefault('insecure-skip-host-key-check', 'false')), false)
  const knownHosts = take(() => {
    try {
      return parseKnownHosts(raw['known-hosts'])
    } catch (e) {
      throw new InputError('known-hosts', `is not valid known_hosts text: ${(e as Error).message}`, 'Paste lines as printed by ssh-keyscan')
    }
  }, [])
  const fingerprints = take(
    () =>
      splitList(raw['host-fingerprint']).map((f) => {
        const n = normaliseFingerprint(f)
        if (!n) {
          throw new InputError('host-fingerprint', `${show(f)} is not a SHA256 fingerprint`, 'Give SHA256:... as printed by ssh-keygen -lf')
        }
        return n
      }),
    [] as string[],
  )
  if (!insecure && knownHosts.length === 0 && fingerprints.length === 0) {
    errors.push(
      new InputError(
        'known-hosts',
        "and 'host-fingerprint' are both empty, so the server cannot be authenticated",
        "Give the servers' known_hosts lines (ssh-keyscan -p PORT HOST) or their fingerprints; or, knowingly, set insecure-skip-host-key-check: true",
      ),
    )
  }

  let jump: Settings['jump']
  if (opt('jump-host')) {
    const spec = take(() => parseHostSpec('jump-host', raw['jump-host']), undefined)
    if (spec) {
      const user = spec.user ?? defaultUser ?? hosts[0]?.user
      const port = spec.port ?? 22
      if (!user) errors.push(new InputError('jump-host', 'names no user', 'Write user@host'))
      const jumpAuth: SshAuth = { ...auth }
      if (raw['jump-private-key'].trim()) {
        jumpAuth.privateKey = take(() => checkPrivateKey('jump-private-key', raw['jump-private-key'], passphrase, 'passphrase'), undefined)
      }
      const hostPart = spec.host.includes(':') ? `[${spec.host}]` : spec.host
      jump = { target: { user: user ?? '', host: spec.host, port, label: `${user}@${hostPart}:${port}` }, auth: jumpAuth }
    }
  } else if (raw['jump-private-key'].trim()) {
    errors.push(new InputError('jump-private-key', "is given without 'jump-host'", "Give 'jump-host' or remove 'jump-private-key'"))
  }

  const timeoutS = take(() => parseInteger('timeout', orDefault('timeout', '30'), 1, 600, ' of seconds'), 30)
  const sudoUser = take(() => (opt('sudo-user') ? parseUser('sudo-user', raw['sudo-user']) : undefined), undefined)
  const webUser = take(() => parseUser('web-user', orDefault('web-user', 'www-data')), 'www-data')
  const strategy = take(() => parseEnum('strategy', orDefault('strategy', 'parallel'), ['parallel', 'rolling', 'canary'] as const), 'parallel')
  const maxParallel = take(() => parseInteger('max-parallel', orDefault('max-parallel', '0'), 0, 1000), 0)
  const sharedCode = take(() => parseBool('shared-code', orDefault('shared-code', 'false')), false)
  const cluster = take(() => parseBool('cluster', orDefault('cluster', 'false')), false)
  if (cluster && sharedCode) {
    errors.push(
      new InputError(
        'cluster',
        'is true together with shared-code: true',
        "Choose one: cluster: true when each node holds its own copy of the code (one database, one moodledata), shared-code: true when the nodes serve one code volume",
      ),
    )
  }

  const path = take(() => {
    if (!raw.path.trim()) throw new InputError('path', 'is required', 'Give the delivery root on the server, e.g. /srv/moodle')
    return parseAbsolutePath('path', raw.path)
  }, '/invalid')

  // Code source.
  const method = take(() => parseEnum('method', orDefault('method', 'git'), METHODS), 'git' as Method)
  let repository = take(() => parseRepository('repository', raw.repository), '')
  let ref = take(() => parseRef('ref', raw.ref), '')
  const adopt = take(() => (opt('adopt') ? parseAbsolutePath('adopt', raw.adopt) : undefined), undefined)
  if (adopt && mode !== 'init') {
    errors.push(new InputError('adopt', `is only used by mode init (mode is ${mode})`, "Remove 'adopt', or run mode: init"))
  }
  if (adopt && (adopt === path || adopt.startsWith(`${path}/`) || path.startsWith(`${adopt}/`))) {
    errors.push(new InputError('adopt', `${show(adopt)} overlaps the delivery root ${show(path)}`, 'Give a directory outside the delivery root'))
  }
  if (repository) take(() => checkSource(method, repository), undefined)
  if (method === 'svn' && ref && !/^(\d+|HEAD)$/.test(ref)) {
    errors.push(new InputError('ref', `${show(ref)} is not an SVN revision`, 'Give a revision number, or HEAD'))
  }
  if (method === 'git' || method === 'push') {
    const ownRepo = run.workflowRepository ? `${run.serverUrl}/${run.workflowRepository}.git` : ''
    if (method === 'git' && !repository && fromActions && !adopt) repository = ownRepo
    if (!ref && fromActions && (repository === ownRepo || method === 'push') && run.sha) ref = run.sha
  }
  const needsSource = MODES_NEEDING_SOURCE.includes(mode) && !(mode === 'init' && adopt)
  if (needsSource && method !== 'push' && !repository) {
    errors.push(
      new InputError('repository', `is required for mode ${mode} with method ${method}`, 'Give the repository URL (or adopt an existing tree with init)'),
    )
  }
  const credentials = method === 'git' || method === 'svn' ? credentialsIn(repository) : undefined
  if (credentials) {
    errors.push(
      new InputError('repository', `${credentials}: credentials in the URL would be stored in state, journal and reports and seen in the server's process list`, "Put them in 'repository-username' and 'repository-password' (an ssh URL keeps its login name: ssh://git@host/repo)"),
    )
  }

  const paths = take(() => parseRelativePaths('paths', raw.paths), [] as string[])
  if (paths.length && ['init', 'goback', 'backtoprod', 'status'].includes(mode)) {
    errors.push(new InputError('paths', `is not used by mode ${mode}`, "Remove 'paths'"))
  }
  const keep = take(() => parseRelativePaths('keep', raw.keep), [] as string[])

  const settings: Settings = {
    mode,
    hosts,
    auth,
    hostKeys: { knownHosts, fingerprints, insecure },
    jump,
    timeoutMs: timeoutS * 1000,
    commandTimeoutMs: take(() => parseInteger('command-timeout', orDefault('command-timeout', '3600'), 60, 7 * 86400, ' of seconds'), 3600) * 1000,
    sudoUser,
    webUser,
    strategy,
    maxParallel,
    sharedCode,
    cluster,
    path,
    method,
    repository,
    ref,
    repositoryUsername: take(() => (opt('repository-username') ? parseUser('repository-username', raw['repository-username']) : undefined), undefined),
    repositoryPassword: raw['repository-password'] || undefined,
    paths,
    keep,
    adopt,
    onDrift: take(() => parseEnum('on-drift', orDefault('on-drift', 'warn'), ['warn', 'fail'] as const), 'warn'),
    verify: take(() => parseEnum('verify', orDefault('verify', 'auto'), ['auto', 'full'] as const), 'auto'),
    comment: raw.comment.trim().slice(0, 4096),
    lockTimeoutS: take(() => {
      const n = parseInteger('lock-timeout', orDefault('lock-timeout', '1800'), 0, 31 * 86400, ' of seconds')
      if (n < MIN_LOCK_TIMEOUT_S) {
        throw new InputError(
          'lock-timeout',
          `${n} s is too short to be safe: a running delivery shows life every ${HEARTBEAT_S} s, and a lock that shows none for lock-timeout is taken over (the holder's commands are ended)`,
          `Give at least ${MIN_LOCK_TIMEOUT_S} (the default, 1800, suits most sites)`,
        )
      }
      return n
    }, 1800),
    dryRun: take(() => parseBool('dry-run', orDefault('dry-run', 'false')), false),
    app: take(() => parseEnum('app', orDefault('app', 'auto'), ['auto', 'moodle', 'none'] as const), 'auto'),
    php: take(() => {
      const v = orDefault('php', 'php')
      if (!/^[A-Za-z0-9._/+-]+$/.test(v) || v.startsWith('-') || v.includes('..')) {
        throw new InputError('php', `${show(v)} is not a program name or path`, 'Give e.g. php or /usr/bin/php8.2')
      }
      return v
    }, 'php'),
    maintenance: take(() => parseEnum('maintenance', orDefault('maintenance', 'auto'), ['auto', 'always', 'never'] as const), 'auto'),
    upgrade: take(() => parseBool('upgrade', orDefault('upgrade', 'true')), true),
    allowDowngrade: take(() => parseBool('allow-downgrade', orDefault('allow-downgrade', 'false')), false),
    confirmPublicRoot: take(() => parseBool('confirm-public-root', orDefault('confirm-public-root', 'false')), false),
    databaseBackup: take(() => parseEnum('database-backup', orDefault('database-backup', 'auto'), ['auto', 'never'] as const), 'auto'),
    backupDir: take(() => {
      if (!opt('backup-dir')) return undefined
      const d = parseAbsolutePath('backup-dir', raw['backup-dir'])
      if (d === path || [`${path}/trees`, `${path}/live`, '/proc', '/sys', '/dev'].some((p) => `${d}/`.startsWith(`${p}/`))) {
        throw new InputError('backup-dir', `${show(d)} is the delivery root, in its code trees or in a system folder`, 'Give a folder of its own, e.g. /var/backups/moodle, or leave it empty for <path>/.delivery/backups')
      }
      return d
    }, undefined),
    backupKeep: take(() => parseInteger('backup-keep', orDefault('backup-keep', '3'), 1, 1000), 3),
    restoreDatabase: take(() => parseBool('restore-database', orDefault('restore-database', 'false')), false),
    maintenanceNotice: take(() => parseInteger('maintenance-notice', orDefault('maintenance-notice', '0'), 0, 1440, ' of minutes'), 0),
    beforeUpgrade: opt('before-upgrade') ? raw['before-upgrade'] : undefined,
    afterSwitch: opt('after-switch') ? raw['after-switch'] : undefined,
    healthUrl: take(() => (opt('health-url') ? parseUrl('health-url', raw['health-url'], ['http:', 'https:']).href : undefined), undefined),
    healthExpect: take<Settings['healthExpect']>(() => {
      const v = orDefault('health-expect', '200')
      const m = /^([1-5]\d\d)(?: (.+))?$/.exec(v)
      if (!m) throw new InputError('health-expect', `${show(v)} is not "STATUS [text]"`, 'Write e.g. 200, or 200 Moodle')
      return { status: Number(m[1]), text: m[2] }
    }, { status: 200 }),
    autoRollback: take(() => parseBool('auto-rollback', orDefault('auto-rollback', 'true')), true),
    session: take(() => parseEnum('session', orDefault('session', 'auto'), ['auto', 'required'] as const), 'auto'),
    sessionTitle: raw['session-title'].trim(),
    sessionDescription: raw['session-description'].trim(),
    sessionImpact: raw['session-impact'].trim(),
    sessionOutputState: raw['session-output-state'].trim(),
    sessionFollowup: raw['session-followup'].trim(),
    artifactName: take(() => {
      const v = orDefault('artifact-name', 'delivery-report')
      if (/[":<>|*?\\/\r\n]/.test(v) || v.length > 200) {
        throw new InputError('artifact-name', `${show(v)} has characters an artifact name cannot have`, 'Use letters, digits, - and _')
      }
      return v
    }, 'delivery-report'),
    environment: take(() => {
      const v = opt('environment')
      if (v && !/^[^\s'"`$\\<>]{1,255}$/.test(v)) {
        throw new InputError('environment', `${show(v)} is not an environment name`, 'Use e.g. production')
      }
      return v
    }, undefined),
    environmentUrl: take(
      () => (opt('environment-url') ? parseUrl('environment-url', raw['environment-url'], ['http:', 'https:']).href : undefined),
      undefined,
    ),
    githubToken: raw['github-token'].trim() || env.GITHUB_TOKEN || undefined,
    run,
    secrets: [],
  }

  for (const name of ['health-url', 'environment-url'] as const) {
    if (opt(name) && credentialsIn(raw[name])) errors.push(new InputError(name, 'holds credentials in the URL', 'Give a URL without user:password@'))
  }
  if (mode === 'session-open' && !settings.sessionTitle) {
    errors.push(new InputError('session-title', 'is required by mode session-open', 'Give a short title for the session'))
  }

  // Mail.
  const mailTo = take(() => splitList(raw['mail-to']).map((a) => parseEmail('mail-to', a)), [] as string[])
  const mailOn = take(() => parseEnum('mail-on', orDefault('mail-on', 'always'), ['always', 'failure', 'never'] as const), 'always')
  const smtpPort = take(() => parseInteger('smtp-port', orDefault('smtp-port', '587'), 1, 65535), 587)
  const smtpSecure = take(() => parseEnum('smtp-secure', orDefault('smtp-secure', 'starttls'), ['tls', 'starttls', 'none'] as const), 'starttls')
  const mailFrom = take(() => (opt('mail-from') ? parseEmail('mail-from', raw['mail-from']) : undefined), undefined)
  const smtpHost = take(() => {
    const v = opt('smtp-host')
    if (v && !/^[A-Za-z0-9._-]+$|^\[?[0-9a-fA-F:.]+\]?$/.test(v)) {
      throw new InputError('smtp-host', `${show(v)} is not a host name`, 'Give the SMTP server name, e.g. smtp.example.org')
    }
    return v
  }, undefined)
  if (mailTo.length > 0) {
    if (!smtpHost) errors.push(new InputError('smtp-host', "is required when 'mail-to' is given", 'Give your SMTP server'))
    if (!mailFrom) errors.push(new InputError('mail-from', "is required when 'mail-to' is given", 'Give the sender address'))
    if (raw['smtp-password'] && !opt('smtp-username')) {
      errors.push(new InputError('smtp-username', "is empty while 'smtp-password' is given", 'Give the SMTP user name'))
    }
    settings.mail = {
      to: mailTo,
      from: mailFrom ?? '',
      on: mailOn,
      host: smtpHost ?? '',
      port: smtpPort,
      secure: smtpSecure,
      username: opt('smtp-username'),
      password: raw['smtp-password'] || undefined,
    }
  }

  // Chat.
  const chatOn = take(() => parseChatOn(orDefault('chat-on', 'always')), [...CHAT_EVENTS])
  const targets: ChatTarget[] = []
  const hooks = [
    ['slack-webhook-url', 'slack', 'https://hooks.slack.com/services/...'],
    ['mattermost-webhook-url', 'mattermost', 'https://mattermost.example.org/hooks/...'],
    ['teams-webhook-url', 'teams', 'the URL of the Workflows webhook (Post to a channel when a webhook request is received)'],
    ['webhook-url', 'webhook', 'https://ops.example.org/delivery-hook'],
  ] as const
  for (const [name, kind, example] of hooks) {
    const url = take(() => (raw[name].trim() ? parseWebhookUrl(name, raw[name], example) : undefined), undefined)
    if (url) targets.push({ kind, url, secret: kind === 'webhook' ? raw['webhook-secret'] || undefined : undefined })
  }
  if (raw['webhook-secret'] && !raw['webhook-url'].trim()) {
    errors.push(new InputError('webhook-secret', "is given while 'webhook-url' is empty", "Give the webhook's URL in 'webhook-url', or remove the secret"))
  }
  if (targets.length && chatOn.length) settings.chat = { targets, on: chatOn }

  settings.secrets = SECRET_INPUTS.map((n) => raw[n]).filter((s) => s.trim() !== '')
  if (settings.githubToken) settings.secrets.push(settings.githubToken)
  // Credentials written into the commands' text are masked in reports, mail, journal and logs like secret inputs.
  for (const text of [settings.beforeUpgrade, settings.afterSwitch]) if (text) settings.secrets.push(...secretsInCommand(text))
  if (errors.length > 0) throw new InputErrors(errors)
  return settings
}

/**
 * Every input of the action (and flag of the CLI), in one table: name, default, whether it is a secret, and a short
 * description. `action.yml` declares the same inputs; a unit test keeps the two in step. The table is the one source of
 * the defaults: readSettings (src/settings/problems.ts) reads an empty input as its default here, and has none of its
 * own (test/unit/settings-defaults.test.ts).
 */

export interface InputSpec {
  default?: string
  secret?: boolean
  description: string
}

export const INPUTS = {
  mode: { description: 'init | status | syncback | supersyncback | goback | update | backtoprod | deliver | session-open | session-close' },
  hosts: { description: 'Servers, one per line or comma-separated: [user@]host[:port]' },
  username: { description: 'SSH login user (required unless every host gives user@)' },
  port: { default: '22', description: 'SSH port (unless given in hosts)' },
  'private-key': { secret: true, description: 'SSH private key (OpenSSH or PEM; ed25519, ecdsa or RSA)' },
  passphrase: { secret: true, description: 'Passphrase of private-key' },
  password: { secret: true, description: 'SSH password (a key is preferred)' },
  'known-hosts': { description: 'known_hosts lines for the servers (and the jump host)' },
  'host-fingerprint': { description: 'Host key fingerprints, SHA256:... (alternative to known-hosts)' },
  'insecure-skip-host-key-check': { default: 'false', description: 'Accept any host key (a warning on every run)' },
  'jump-host': { description: 'Bastion [user@]host[:port] the connections go through' },
  'jump-private-key': { secret: true, description: 'Private key for the jump host (default: private-key)' },
  timeout: { default: '30', description: 'Seconds to connect and authenticate' },
  'command-timeout': { default: '3600', description: 'Seconds a server command may run (fetch, update, copy, push transfer) unless it has a bound of its own; past it, the command is ended on the server' },
  'sudo-user': { description: 'Code owner that tree and state commands run as (sudo -n -u)' },
  'web-user': { default: 'www-data', description: "The user PHP serves the site as; Moodle's CLI runs as it" },
  strategy: { default: 'parallel', description: 'parallel | rolling | canary across hosts' },
  'max-parallel': { default: '0', description: 'At most this many hosts at once (0: no bound)' },
  'shared-code': { default: 'false', description: 'The hosts serve one code volume: deliver once, run per-node steps on each' },
  cluster: { default: 'false', description: 'The hosts are nodes of one Moodle site (one database, one moodledata, code on each): one coordinated delivery' },
  path: { description: 'The delivery root on the server (absolute)' },
  method: { default: 'git', description: 'git | svn | cvs | push' },
  repository: { description: 'Code source (default: the workflow repository for git)' },
  ref: { description: 'Branch, tag, commit or revision to deliver' },
  'repository-username': { description: 'Username for svn / cvs / git over HTTPS' },
  'repository-password': { secret: true, description: 'Password or token for svn / cvs / git over HTTPS' },
  paths: { description: 'Component paths relative to the tree root (mod/forum); whole tree when empty' },
  keep: { description: 'Extra exact relative paths present in both trees (added to config.php for Moodle)' },
  adopt: { description: 'init only: absolute path of an existing code directory on the server to copy in' },
  'on-drift': { default: 'warn', description: 'warn | fail, when files were changed by hand on the server' },
  verify: { default: 'auto', description: "auto | full: full makes deliver's syncback compare the whole trees, as syncback alone always does" },
  comment: { description: 'Recorded with the intervention' },
  'lock-timeout': { default: '1800', description: 'Seconds a lock may show no sign of life (the heartbeat of its run) before it is stale and taken over; at least 30' },
  'dry-run': { default: 'false', description: 'Report what the mode would do; change nothing' },
  app: { default: 'auto', description: 'auto | moodle | none' },
  php: { default: 'php', description: 'PHP binary on the server' },
  maintenance: { default: 'auto', description: 'auto | always | never' },
  upgrade: { default: 'true', description: "Run Moodle's upgrade when pending" },
  'allow-downgrade': { default: 'false', description: 'Let goback put older Moodle code on a newer database' },
  'database-backup': { default: 'auto', description: 'auto (Moodle: a database snapshot before a pending upgrade) | never' },
  'backup-dir': { description: 'Folder on the server for database snapshots (default: <path>/.delivery/backups)' },
  'backup-keep': { default: '3', description: 'Database snapshots kept; the oldest go once a new one succeeded' },
  'restore-database': { default: 'false', description: 'goback: restore the snapshot taken before the applied upgrade' },
  'maintenance-notice': { default: '0', description: 'Minutes users are warned (maintenance.php --enablelater) before maintenance for an upgrade' },
  'confirm-public-root': { default: 'false', description: "Confirm the web server serves live/public (Moodle 5.1 layout)" },
  'before-upgrade': { description: 'Command run on the server before an upgrade (e.g. a database dump)' },
  'after-switch': { description: 'Command run on the server after every switch (e.g. reload php-fpm)' },
  'health-url': { description: 'URL probed from the server after the switch' },
  'health-expect': { default: '200', description: 'Expected status, optionally a space and a text the body contains' },
  'auto-rollback': { default: 'true', description: 'Go back by itself after a failure when that is safe' },
  session: { default: 'auto', description: 'auto | required' },
  'session-title': { description: 'Session title (session-open)' },
  'session-description': { description: 'Session purpose (session-open)' },
  'session-impact': { description: 'Session impact (session-open)' },
  'session-output-state': { description: 'State the session leaves the site in (session-close)' },
  'session-followup': { description: 'Follow-up of the session (session-close)' },
  'artifact-name': { default: 'delivery-report', description: 'Report artifact name (suffixed with job and mode)' },
  environment: { description: 'GitHub environment name for a deployment record' },
  'environment-url': { description: 'URL of the site, shown with the deployment' },
  'github-token': { default: '${{ github.token }}', secret: true, description: 'Token for the deployment record (default: the job token; CLI: $GITHUB_TOKEN)' },
  'mail-to': { description: 'Report recipients' },
  'mail-from': { description: 'Report sender' },
  'mail-on': { default: 'always', description: 'always | failure | never' },
  'smtp-host': { description: 'SMTP server' },
  'smtp-port': { default: '587', description: 'SMTP port' },
  'smtp-secure': { default: 'starttls', description: 'tls | starttls | none' },
  'smtp-username': { description: 'SMTP user' },
  'smtp-password': { secret: true, description: 'SMTP password' },
  'chat-on': { default: 'always', description: 'always | never, or a list of failure, success, session: which runs are posted to the webhooks' },
  'slack-webhook-url': { secret: true, description: 'Slack incoming webhook URL' },
  'mattermost-webhook-url': { secret: true, description: 'Mattermost incoming webhook URL' },
  'teams-webhook-url': { secret: true, description: 'Microsoft Teams Workflows webhook URL (Adaptive Card)' },
  'webhook-url': { secret: true, description: "Generic webhook URL: receives the report's summary as JSON" },
  'webhook-secret': { secret: true, description: 'Key of the HMAC-SHA256 signature (X-Delivery-Signature-256) of webhook-url posts' },
} as const satisfies Record<string, InputSpec>

export type InputName = keyof typeof INPUTS

export const INPUT_NAMES = Object.keys(INPUTS) as InputName[]

export const SECRET_INPUTS = INPUT_NAMES.filter((n) => (INPUTS[n] as InputSpec).secret)

export const OUTPUTS = {
  state: 'State after the run: production | delivering',
  'live-tree': 'Id of the live tree after the run',
  'revision-before': 'Revision before the run (first host)',
  'revision-after': 'Revision after the run (first host)',
  'changed-files': 'Number of distinct changed paths',
  'report-dir': 'Folder of the report files',
  'report-json': 'Path of report.json',
  'artifact-id': 'Id of the uploaded report artifact',
  'session-id': 'Id of the delivery session',
  'rolled-back': 'true when the run went back to the safe tree by itself',
  'app-version-before': 'Application version before (Moodle: $release)',
  'app-version-after': 'Application version after (Moodle: $release)',
} as const

export type OutputName = keyof typeof OUTPUTS

/** Reads one raw input value; '' when not given. */
export type InputSource = (name: InputName) => string

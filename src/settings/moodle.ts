/**
 * Settings of the application on the server (Moodle, or none): PHP, maintenance and upgrade, database snapshots, the
 * commands run around a switch, the health check after it, and going back by itself.
 */
import { InputError } from '../errors.js'
import type { InputName } from '../inputs.js'
import { credentialsIn } from '../credentials.js'
import { parseAbsolutePath, parseBool, parseEnum, parseInteger, parseUrl, show } from '../validate.js'
import type { DefaultedInput, Inputs } from './problems.js'
import type { Settings } from './types.js'

export type AppSettings = Pick<
  Settings,
  | 'app'
  | 'php'
  | 'maintenance'
  | 'upgrade'
  | 'allowDowngrade'
  | 'confirmPublicRoot'
  | 'databaseBackup'
  | 'backupDir'
  | 'backupKeep'
  | 'restoreDatabase'
  | 'maintenanceNotice'
  | 'beforeUpgrade'
  | 'afterSwitch'
  | 'healthUrl'
  | 'healthExpect'
  | 'autoRollback'
>

/** `path` is the delivery root (snapshots are kept out of its code trees). */
export function readApp(inputs: Inputs, path: string): AppSettings {
  const { raw } = inputs
  const opt = (name: InputName) => inputs.opt(name)
  const bool = (name: DefaultedInput) => inputs.parse(name, (v) => parseBool(name, v))

  const settings: AppSettings = {
    app: inputs.parse('app', (v) => parseEnum('app', v, ['auto', 'moodle', 'none'] as const)),
    php: inputs.parse('php', (v) => {
      if (!/^[A-Za-z0-9._/+-]+$/.test(v) || v.startsWith('-') || v.includes('..')) {
        throw new InputError('php', `${show(v)} is not a program name or path`, 'Give e.g. php or /usr/bin/php8.2')
      }
      return v
    }),
    maintenance: inputs.parse('maintenance', (v) => parseEnum('maintenance', v, ['auto', 'always', 'never'] as const)),
    upgrade: bool('upgrade'),
    allowDowngrade: bool('allow-downgrade'),
    confirmPublicRoot: bool('confirm-public-root'),
    databaseBackup: inputs.parse('database-backup', (v) => parseEnum('database-backup', v, ['auto', 'never'] as const)),
    backupDir: inputs.take(() => {
      if (!opt('backup-dir')) return undefined
      const d = parseAbsolutePath('backup-dir', raw['backup-dir'])
      if (d === path || [`${path}/trees`, `${path}/live`, '/proc', '/sys', '/dev'].some((p) => `${d}/`.startsWith(`${p}/`))) {
        throw new InputError('backup-dir', `${show(d)} is the delivery root, in its code trees or in a system folder`, 'Give a folder of its own, e.g. /var/backups/moodle, or leave it empty for <path>/.delivery/backups')
      }
      return d
    }, undefined),
    backupKeep: inputs.parse('backup-keep', (v) => parseInteger('backup-keep', v, 1, 1000)),
    restoreDatabase: bool('restore-database'),
    maintenanceNotice: inputs.parse('maintenance-notice', (v) => parseInteger('maintenance-notice', v, 0, 1440, ' of minutes')),
    beforeUpgrade: opt('before-upgrade') ? raw['before-upgrade'] : undefined,
    afterSwitch: opt('after-switch') ? raw['after-switch'] : undefined,
    healthUrl: inputs.take(() => (opt('health-url') ? parseUrl('health-url', raw['health-url'], ['http:', 'https:']).href : undefined), undefined),
    healthExpect: inputs.parse('health-expect', (v): Settings['healthExpect'] => {
      const m = /^([1-5]\d\d)(?: (.+))?$/.exec(v)
      if (!m) throw new InputError('health-expect', `${show(v)} is not "STATUS [text]"`, 'Write e.g. 200, or 200 Moodle')
      return { status: Number(m[1]), text: m[2] }
    }),
    autoRollback: bool('auto-rollback'),
  }
  if (opt('health-url') && credentialsIn(raw['health-url'])) inputs.add('health-url', 'holds credentials in the URL', 'Give a URL without user:password@')
  return settings
}

/**
 * Settings: defaults, lists, GitHub defaults for repository and ref, and that every problem is reported at once.
 */
import { InputErrors } from '../../src/errors.js'
import { describe, expect, it } from 'vitest'
import type { InputName } from '../../src/inputs.js'
import { readSettings } from '../../src/settings.js'
import { parseRelativePaths, splitList } from '../../src/validate.js'
import { ed25519Pair } from '../helpers/keys.js'

const key = ed25519Pair().private
const base: Partial<Record<InputName, string>> = {
  mode: 'deliver',
  hosts: 'deploy@web1.example.org, web2.example.org:2222\n\n',
  username: 'ops',
  'private-key': key,
  'host-fingerprint': `SHA256:${'A'.repeat(43)}`,
  path: '/srv/moodle/',
  repository: 'https://github.com/example/moodle.git',
  ref: 'v4.3.1',
}
const read = (extra: Partial<Record<InputName, string>> = {}, env: NodeJS.ProcessEnv = {}, fromActions = true) =>
  readSettings((n) => ({ ...base, ...extra })[n] ?? '', env, fromActions)

describe('settings', () => {
  it('reads hosts with their own user and port, and applies defaults', () => {
    const s = read()
    expect(s.hosts.map((h) => h.label)).toEqual(['deploy@web1.example.org:22', 'ops@web2.example.org:2222'])
    expect(s.path).toBe('/srv/moodle')
    expect(s.webUser).toBe('www-data')
    expect(s.lockTimeoutS).toBe(1800)
    expect(s.timeoutMs).toBe(30_000)
    expect(s.onDrift).toBe('warn')
    expect(s.autoRollback).toBe(true)
    expect(s.healthExpect).toEqual({ status: 200, text: undefined })
    expect(s.secrets).toContain(key)
  })

  it('defaults repository and ref to the workflow repository and commit on GitHub', () => {
    const env = { GITHUB_REPOSITORY: 'example/site', GITHUB_SHA: 'a'.repeat(40), GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '2' }
    const s = read({ repository: '', ref: '' }, env)
    expect(s.repository).toBe('https://github.com/example/site.git')
    expect(s.ref).toBe('a'.repeat(40))
    expect(s.run.runId).toBe('7-2')
    expect(s.run.runUrl).toBe('https://github.com/example/site/actions/runs/7')
    // Another repository: its default branch (empty ref), not the workflow's commit.
    expect(read({ ref: '' }, env).ref).toBe('')
    // The CLI requires the repository.
    expect(() => read({ repository: '', ref: '' }, {}, false)).toThrow(/Input 'repository': is required/)
  })

  it('reports every problem at once', () => {
    try {
      read({ hosts: 'a;b', path: 'x', timeout: 'soon' })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(InputErrors)
      const inputs = (e as InputErrors).errors.map((x) => x.input)
      expect(inputs).toEqual(expect.arrayContaining(['hosts', 'path', 'timeout']))
    }
  })

  it('cluster is a boolean, and not together with shared-code', () => {
    expect(read({ cluster: 'true' }).cluster).toBe(true)
    expect(read({}).cluster).toBe(false)
    expect(() => read({ cluster: 'yes' })).toThrow(/Input 'cluster': "yes" is not a boolean/)
    expect(() => read({ cluster: 'true', 'shared-code': 'true' })).toThrow(/Input 'cluster': is true together with shared-code: true\. Choose one: cluster: true when each node holds its own copy/)
  })

  it('a host without a user and no username is refused, naming both fixes', () => {
    expect(() => read({ username: '', hosts: 'web1' })).toThrow(/names no user and 'username' is empty.*Give 'username' or write user@host/)
  })

  it('an encrypted key without passphrase and a public key are refused', () => {
    const enc = ed25519Pair({ passphrase: 'p', cipher: 'aes256-cbc', rounds: 1 }).private
    expect(() => read({ 'private-key': enc })).toThrow(/is encrypted and no passphrase is given/)
    expect(read({ 'private-key': enc, passphrase: 'p' }).auth.passphrase).toBe('p')
  })

  it('mail needs a server and a sender; paths are normalised, sorted and unique', () => {
    expect(() => read({ 'mail-to': 'a@example.org' })).toThrow(/smtp-host/)
    const s = read({ 'mail-to': 'a@example.org, "Ops" <ops@example.org>', 'smtp-host': 'smtp.example.org', 'mail-from': 'd@example.org' })
    expect(s.mail?.to).toHaveLength(2)
    expect(s.mail?.port).toBe(587)
    expect(parseRelativePaths('paths', 'mod/forum/\nadmin/tool/x, mod/forum')).toEqual(['admin/tool/x', 'mod/forum'])
    expect(splitList(' a ,, b\n\nc ')).toEqual(['a', 'b', 'c'])
  })

  it('database snapshot inputs: defaults, and a backup-dir inside the code trees refused', () => {
    const s = read()
    expect([s.databaseBackup, s.backupDir, s.backupKeep, s.restoreDatabase, s.maintenanceNotice]).toEqual(['auto', undefined, 3, false, 0])
    expect(read({ 'backup-dir': '/var/backups/moodle/', 'backup-keep': '5', 'maintenance-notice': '15' })).toMatchObject({ backupDir: '/var/backups/moodle', backupKeep: 5, maintenanceNotice: 15 })
    for (const [name, value] of [['backup-dir', '/srv/moodle/trees/x'], ['backup-dir', '/srv/moodle'], ['backup-dir', 'rel'], ['backup-keep', '0'], ['database-backup', 'always'], ['maintenance-notice', '-1']] as const) {
      expect(() => read({ [name]: value }), `${name}: ${value}`).toThrow(InputErrors)
    }
  })
})

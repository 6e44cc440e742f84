/**
 * One source of defaults: an empty input means exactly its default in the table of inputs (src/inputs.ts, which a unit
 * test keeps equal to action.yml); readSettings has no default of its own.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { INPUT_NAMES, type InputName, INPUTS, type InputSpec } from '../../src/inputs.js'
import { readSettings } from '../../src/settings.js'
import { ed25519Pair } from '../helpers/keys.js'

const base: Partial<Record<InputName, string>> = {
  mode: 'deliver',
  hosts: 'deploy@web1.example.org',
  'private-key': ed25519Pair().private,
  'host-fingerprint': `SHA256:${'A'.repeat(43)}`,
  path: '/srv/moodle',
  repository: 'https://github.com/example/moodle.git',
  ref: 'v4.3.1',
  // Mail and chat settings exist only when a recipient and a webhook are given.
  'mail-to': 'ops@example.org',
  'mail-from': 'delivery@example.org',
  'smtp-host': 'smtp.example.org',
  'slack-webhook-url': 'https://hooks.slack.com/services/T0/B0/x',
}
const env = { GITHUB_RUN_ID: '7', GITHUB_REPOSITORY: 'example/site', GITHUB_SHA: 'a'.repeat(40) }
const read = (extra: Partial<Record<InputName, string>> = {}) => readSettings((n) => ({ ...base, ...extra })[n] ?? '', env, true)
const spec = (n: InputName) => INPUTS[n] as InputSpec
/** `github-token`'s default is an expression the Actions runner fills in (`${{ github.token }}`), not a value. */
const withDefault = INPUT_NAMES.filter((n) => spec(n).default !== undefined && n !== 'github-token')

describe('defaults', () => {
  const saved = new Map<InputName, string | undefined>()
  afterEach(() => {
    for (const [n, d] of saved) (INPUTS[n] as InputSpec).default = d
    saved.clear()
  })
  const setDefault = (n: InputName, d: string) => {
    if (!saved.has(n)) saved.set(n, spec(n).default)
    ;(INPUTS[n] as InputSpec).default = d
  }

  it('covers the inputs with a default', () => {
    expect(withDefault.length).toBeGreaterThan(30)
    expect(withDefault).toEqual(expect.arrayContaining(['port', 'timeout', 'web-user', 'lock-timeout', 'smtp-port', 'chat-on', 'health-expect']))
  })

  it.each(withDefault)('an empty %s reads as its default in the table of inputs', (name) => {
    expect(read({ [name]: '' })).toEqual(read({ [name]: spec(name).default }))
  })

  it('takes each default from the table: another default in the table is what an empty input reads as', () => {
    const other: [InputName, string, (s: ReturnType<typeof read>) => unknown, unknown][] = [
      ['port', '2222', (s) => s.hosts[0].port, 2222],
      ['timeout', '45', (s) => s.timeoutMs, 45_000],
      ['web-user', 'apache', (s) => s.webUser, 'apache'],
      ['strategy', 'rolling', (s) => s.strategy, 'rolling'],
      ['method', 'svn', (s) => s.method, 'svn'],
      ['lock-timeout', '600', (s) => s.lockTimeoutS, 600],
      ['command-timeout', '120', (s) => s.commandTimeoutMs, 120_000],
      ['php', '/usr/bin/php8.2', (s) => s.php, '/usr/bin/php8.2'],
      ['upgrade', 'false', (s) => s.upgrade, false],
      ['health-expect', '204 ok', (s) => s.healthExpect, { status: 204, text: 'ok' }],
      ['backup-keep', '5', (s) => s.backupKeep, 5],
      ['artifact-name', 'site-report', (s) => s.artifactName, 'site-report'],
      ['session', 'required', (s) => s.session, 'required'],
      ['smtp-port', '465', (s) => s.mail?.port, 465],
      ['smtp-secure', 'tls', (s) => s.mail?.secure, 'tls'],
      ['chat-on', 'failure', (s) => s.chat?.on, ['failure']],
    ]
    for (const [name, value, pick, expected] of other) {
      setDefault(name, value)
      expect(pick(read({ [name]: '', ...(name === 'method' ? { ref: '12' } : {}) })), name).toEqual(expected)
      setDefault(name, saved.get(name)!)
    }
  })
})

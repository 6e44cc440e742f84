/**
 * Secrets in inputs: never shown by a validation error, whatever the problem; credentials refused in any URL; secrets
 * written into hook text recognised; and masking inside values keeps JSON well formed however short the secret.
 */
import { InputErrors } from '../../src/errors.js'
import ssh2, { type ParsedKey } from 'ssh2'
import { describe, expect, it } from 'vitest'
import { type InputName, SECRET_INPUTS } from '../../src/inputs.js'
import { maskSecrets, maskValues, secretsInCommand } from '../../src/secrets.js'
import { readSettings, type Settings } from '../../src/settings.js'
import { withoutCredentials } from '../../src/credentials.js'
import { show } from '../../src/validate.js'
import { ed25519Pair } from '../helpers/keys.js'

const key = ed25519Pair().private
const base: Partial<Record<InputName, string>> = {
  mode: 'deliver',
  hosts: 'deploy@web1.example.org',
  'private-key': key,
  'host-fingerprint': `SHA256:${'A'.repeat(43)}`,
  path: '/srv/moodle',
  repository: 'https://github.com/example/moodle.git',
  ref: 'v4.3.1',
  'mail-to': 'ops@example.org',
  'mail-from': 'delivery@example.org',
  'smtp-host': 'smtp.example.org',
  'smtp-username': 'mailer',
}
const read = (extra: Partial<Record<InputName, string>>): Settings => readSettings((n) => ({ ...base, ...extra })[n] ?? '', {}, false)

/** Every message of the errors a set of inputs gives ('' when accepted). */
function messages(extra: Partial<Record<InputName, string>>): string {
  try {
    read(extra)
    return ''
  } catch (e) {
    if (e instanceof InputErrors) return e.message
    throw e
  }
}

/** Every piece of 4 characters of `secret`: none may appear in a message. */
const pieces = (secret: string) => Array.from({ length: secret.length - 3 }, (_, i) => secret.slice(i, i + 4)).filter((p) => /^[A-Za-z0-9]{4}$/.test(p))

describe('a secret input is never shown by a validation error', () => {
  const secret = 'Xq7Zk9PwR2vLmN4tYb6HcJ8dF3sG5aE1uWo0iKe'
  const keyText = ed25519Pair().private
  const keyBody = keyText.split('\n')[1]
  /** Each kind of problem a value can have, as a value holding `s`. */
  const problems: Record<string, (s: string) => string> = {
    'trailing newline (a password file)': (s) => `${s}\n`,
    'line break inside': (s) => `${s.slice(0, 10)}\r\n${s.slice(10)}`,
    'NUL byte': (s) => `${s}\0`,
    'too long': (s) => s.repeat(2000),
  }

  for (const name of SECRET_INPUTS) {
    for (const [kind, make] of Object.entries(problems)) {
      it(`${name}: ${kind}`, () => {
        const isKey = name.endsWith('private-key')
        const value = isKey ? `${make(keyBody)}`.replace(/\n$/, '') : make(secret)
        const extra: Partial<Record<InputName, string>> = { [name]: value }
        if (name === 'jump-private-key') extra['jump-host'] = 'jump.example.org'
        const msg = messages(extra)
        // A key is multi-line: its newline is not a problem, but it is not a key then.
        if (!(isKey && kind.includes('line'))) expect(msg).toContain(`Input '${name}'`)
        for (const p of pieces(isKey ? keyBody : secret)) expect(msg, `${name}: ${kind}`).not.toContain(p)
      })
    }
  }

  it('a private key that is not a key, cannot be read, or is public: the message shows none of it', () => {
    const parsed = ssh2.utils.parseKey(keyText)
    const pub = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey
    const pubText = `${pub.type} ${pub.getPublicSSH().toString('base64')}`
    const broken = keyText.replace(keyBody, `${keyBody.slice(0, 20)}!!${keyBody.slice(22)}`)
    for (const name of ['private-key', 'jump-private-key'] as const) {
      for (const value of [pubText, broken, keyText.replace('OPENSSH PRIVATE', 'RSA PRIVATE'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${keyBody}\n`]) {
        const msg = messages({ [name]: value, 'jump-host': 'jump.example.org' })
        expect(msg).toContain(`Input '${name}'`)
        for (const p of pieces(keyBody)) expect(msg, value.slice(0, 40)).not.toContain(p)
      }
    }
  })

  it('the line-break message still says where the break is and how to fix it', () => {
    expect(messages({ 'repository-password': `${secret}\n` })).toMatch(
      new RegExp(`Input 'repository-password': contains a line break \\(at character ${secret.length + 1} of ${secret.length + 1}\\).*ends with a newline`),
    )
    // A value that is not secret is still shown.
    expect(messages({ 'session-title': 'two\nlines' })).toMatch(/session-title': contains a line break \("two.{1,2}nlines"\)/)
  })
})

describe('credentials in a URL are refused for every scheme, and never shown', () => {
  const pw = 'Hunter2Secret'
  it('a password in any URL, a token as user name, an scp-like address with a password', () => {
    const cases: [string, string][] = [
      ['git', `https://bob:${pw}@github.com/x/y.git`],
      ['git', `https://${pw}@github.com/x/y.git`],
      ['git', `http://x-access-token:${pw}@git.example.org/r.git`],
      ['git', `ssh://git:${pw}@github.com/x/y.git`],
      ['git', `git+ssh://u:${pw}@host/r.git`],
      ['git', `ssh+git://u:${pw}@host/r.git`],
      ['git', `ftp://u:${pw}@host/r.git`],
      ['git', `ftps://${pw}@host/r.git`],
      ['git', `git://u:${pw}@host/r.git`],
      ['git', `file://u:${pw}@/srv/r.git`],
      ['git', `u:${pw}@host:x/y.git`],
      ['git', `HTTPS://u:${pw}@Host/r`],
      ['git', `https://:${pw}@host/r`],
      ['svn', `svn+ssh://u:${pw}@host/srv/svn/trunk`],
      ['svn', `svn://u:${pw}@host/repo/trunk`],
      ['svn', `svn://${pw}@host/repo/trunk`],
      ['svn', `https://u:${pw}@svn.example.org/r`],
    ]
    for (const [method, repository] of cases) {
      const msg = messages({ method, repository })
      expect(msg, repository).toMatch(/Input 'repository': holds (a password|a user name or token|a user name or password)[^\n]*repository-username' and 'repository-password'/)
      expect(msg, repository).not.toContain(pw)
    }
  })

  it('a login name alone is accepted where ssh authenticates it', () => {
    for (const [method, repository] of [
      ['git', 'ssh://git@github.com/x/y.git'],
      ['git', 'git@github.com:x/y.git'],
      ['git', 'git+ssh://deploy@host/r.git'],
      ['git', 'https://github.com/x/y.git'],
      ['git', '/srv/git/site.git'],
      ['svn', 'svn+ssh://deploy@host/srv/svn/trunk'],
      ['svn', 'https://svn.example.org/r/trunk'],
    ]) {
      expect(read({ method, repository, ref: '' }).repository, repository).toBe(repository)
    }
  })

  it('a location read from a server loses its credentials, an ssh login name stays', () => {
    expect(withoutCredentials(`https://deploy:${pw}@git.example.org/site.git`)).toBe('https://git.example.org/site.git')
    expect(withoutCredentials(`https://${pw}@github.com/x/y`)).toBe('https://github.com/x/y')
    expect(withoutCredentials(`ssh://git:${pw}@host/r.git`)).toBe('ssh://git@host/r.git')
    expect(withoutCredentials(`u:${pw}@host:x/y.git`)).toBe('host:x/y.git')
    expect(withoutCredentials(`:pserver:anon:${pw}@cvs.example.org:/cvs#m`)).toBe(':pserver:anon@cvs.example.org:/cvs#m')
    for (const kept of ['ssh://git@github.com/x/y.git', 'git@github.com:x/y.git', 'https://github.com/x/y.git', '/srv/git/site.git', ':pserver:anonymous@cvs.example.org:/cvs#m', ':ext:deploy@host:/cvs#m']) {
      expect(withoutCredentials(kept)).toBe(kept)
    }
  })

  it('a value shown back hides what could be credentials, and only that', () => {
    expect(show(`https://u:${pw}@h/r x`)).toBe('"https://***@h/r x"')
    expect(show(`:pserver:u:${pw}@cvs.example.org:/cvs`)).toBe('":pserver:***@cvs.example.org:/cvs"')
    expect(show(`u:${pw}@host:x.git`)).toBe('"***@host:x.git"')
    expect(show(':pserver:anonymous@cvs.example.org:/cvs#m')).toBe('":pserver:anonymous@cvs.example.org:/cvs#m"')
    expect(show('deploy@web1.example.org:2222')).toBe('"deploy@web1.example.org:2222"')
  })

  it('a URL with credentials is not shown whatever else is wrong with it', () => {
    for (const repository of [`https://u:${pw}@host/r x`, `https://u:${pw}@host/$(id)`, `-https://u:${pw}@h/r`]) {
      const msg = messages({ repository })
      expect(msg, repository).toContain("Input 'repository'")
      expect(msg).not.toContain(pw)
    }
    for (const name of ['health-url', 'environment-url'] as const) {
      for (const url of [`https://u:${pw}@moodle.example.org/`, `https://${pw}@moodle.example.org/`, `gopher://u:${pw}@h/`]) {
        const msg = messages({ [name]: url })
        expect(msg, url).toContain(`Input '${name}'`)
        expect(msg).not.toContain(pw)
      }
    }
  })
})

describe('secrets written into hook text', () => {
  it('are found in URLs, assignments, options, curl -u, Authorization headers and mysql -p', () => {
    const text = [
      'pg_dump "postgresql://moodle:Db-Pass-1@db.example.org/moodle" > /backup/moodle.sql',
      'PGPASSWORD=Pg-Pass-2 psql -h db -U moodle -c "select 1"',
      "export API_TOKEN='Tok en 3'",
      'mysqldump -u moodle -pMy-Pass-4 moodle | gzip > x.gz',
      'curl -fsS -u deploy:Curl-Pass-5 https://ci.example.org/hook',
      'curl -H "Authorization: Bearer Bearer-6xyz" https://api.example.org/',
      'tool --password=Opt-Pass-7 && tool --secret Opt-Sec-8',
      'curl https://Url-Token-9@hooks.example.org/x',
    ].join('\n')
    expect(secretsInCommand(text).sort()).toEqual(
      ['Db-Pass-1', 'Pg-Pass-2', 'Tok en 3', 'My-Pass-4', 'Curl-Pass-5', 'Bearer-6xyz', 'Opt-Pass-7', 'Opt-Sec-8', 'Url-Token-9'].sort(),
    )
  })

  it('leaves shell references and ordinary options alone', () => {
    expect(secretsInCommand('PGPASSWORD="$DB_PASSWORD" pg_dump moodle; mkdir -p /backup; git log --author Alice; curl --token "$(cat /etc/token)"')).toEqual([])
  })

  it('are masked like secret inputs', () => {
    const s = read({ 'before-upgrade': 'mysqldump -u moodle -pMy-Pass-4 moodle > /b.sql', 'after-switch': 'curl -u ci:Curl-Pass-5 https://ci/' })
    expect(s.secrets).toEqual(expect.arrayContaining(['My-Pass-4', 'Curl-Pass-5']))
  })
})

describe('masking inside values', () => {
  const record = {
    id: 'S20261203T101112Z-ab12cd',
    at: '2026-12-03T10:11:12.000Z',
    mode: 'deliver',
    outcome: 'success',
    title: 'term 1 fixes',
    count: 1,
    rolledBack: false,
    files: { added: ['mod/quiz/file1.php'], note: 'false alarm' },
  }
  for (const secret of ['1', 'false', '"', ':', '}', 'e']) {
    it(`a secret ${JSON.stringify(secret)}: the JSON stays valid, ids and times stay whole, text is masked`, () => {
      const text = JSON.stringify(maskValues(record, [secret]))
      const back = JSON.parse(text) as typeof record
      expect(back.id).toBe(record.id)
      expect(back.at).toBe(record.at)
      expect(back.count).toBe(1)
      expect(back.rolledBack).toBe(false)
      for (const text of [back.title, ...back.files.added, back.files.note]) expect(text).not.toContain(secret)
      // Substring masking of the serialised text is what broke it.
      if (secret === '1' || secret === 'false' || secret === '"') expect(() => JSON.parse(maskSecrets(JSON.stringify(record), [secret]))).toThrow()
    })
  }
})

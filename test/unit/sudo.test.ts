/**
 * The sudo preflight's verdicts: which inputs are named, and the sudoers line given, for each way sudo can refuse.
 * (The real sudo is exercised in test/integration/sudo.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { phpCommandForm, phpProblem, sudoersLine, sudoProblem } from '../../src/remote/sudo.js'

const needs = new Map([
  ['moodlecode', 'sudo-user'],
  ['www-data', 'web-user'],
])

describe('sudo preflight verdicts', () => {
  it('is content when every user may be become', () => {
    expect(sudoProblem('deploy', needs, [
      { user: 'moodlecode', ok: true, detail: 'moodlecode' },
      { user: 'www-data', ok: true, detail: 'www-data' },
    ])).toBeNull()
  })

  it('names each refused user with its input and what sudo said, and one line for all of them', () => {
    const p = sudoProblem('deploy', needs, [
      { user: 'moodlecode', ok: false, detail: 'sudo: a password is required' },
      { user: 'www-data', ok: false, detail: "Sorry, user deploy is not allowed to execute '/usr/bin/bash -c id -un' as www-data on web1." },
    ])
    expect(p).toContain('the SSH user deploy may not run commands as moodlecode and www-data through sudo without a password')
    expect(p).toContain('sudo-user moodlecode (sudo said: sudo: a password is required)')
    expect(p).toContain("web-user www-data (sudo said: Sorry, user deploy is not allowed")
    expect(p).toContain('Nothing was changed')
    expect(p).toContain('(visudo -f /etc/sudoers.d/delivery): deploy ALL=(moodlecode,www-data) NOPASSWD: ALL')
    expect(p).toContain('deploy ALL=(moodlecode,www-data) NOPASSWD: /usr/bin/bash works too')
  })

  it('asks only for the users missing', () => {
    const p = sudoProblem('deploy', needs, [
      { user: 'moodlecode', ok: true, detail: 'moodlecode' },
      { user: 'www-data', ok: false, detail: 'sudo: a password is required' },
    ])
    expect(p).toContain(': deploy ALL=(www-data) NOPASSWD: ALL')
    expect(p).not.toContain('sudo-user')
  })

  it('says to install sudo when the server has none', () => {
    const p = sudoProblem('deploy', new Map([['moodlecode', 'sudo-user']]), 'no-sudo')
    expect(p).toBe(
      'sudo-user needs sudo, which is not installed on the server: install it (apt-get install sudo), then add this line to a sudoers file (visudo -f /etc/sudoers.d/delivery): deploy ALL=(moodlecode) NOPASSWD: ALL. Nothing was changed',
    )
    expect(sudoProblem('deploy', needs, 'no-sudo')).toMatch(/^sudo-user and web-user need sudo/)
  })

  it('writes sudoers lines', () => {
    expect(sudoersLine('deploy', ['moodlecode'])).toBe('deploy ALL=(moodlecode) NOPASSWD: ALL')
    expect(sudoersLine('deploy', ['a', 'b'], '/usr/bin/bash')).toBe('deploy ALL=(a,b) NOPASSWD: /usr/bin/bash')
  })
})

describe('web-user preflight verdicts (PHP only)', () => {
  it('is content when PHP ran as the web user', () => {
    expect(phpProblem('deploy', 'www-data', { kind: 'ok', php: '/usr/bin/php' })).toBeNull()
    expect(phpCommandForm('www-data', '/usr/bin/php')).toBe('sudo -n -u www-data /usr/bin/php SCRIPT ARGS...')
  })

  it('names the narrow php rule for the php given, what sudo said, and that ALL works too', () => {
    const p = phpProblem('deploy', 'www-data', { kind: 'refused', php: '/usr/bin/php8.2', detail: 'sudo: a password is required' })
    expect(p).toContain('the SSH user deploy may not run /usr/bin/php8.2 as web-user www-data through sudo without a password (sudo said: sudo: a password is required)')
    expect(p).toContain('Nothing was changed')
    expect(p).toContain('(visudo -f /etc/sudoers.d/delivery): deploy ALL=(www-data) NOPASSWD: /usr/bin/php8.2 (')
    expect(p).toContain('always as sudo -n -u www-data /usr/bin/php8.2 SCRIPT ARGS...')
    expect(p).toContain('deploy ALL=(www-data) NOPASSWD: ALL works too')
    expect(p).not.toContain('bash')
  })

  it('refuses a php that is not found, or not an absolute path, naming the input', () => {
    expect(phpProblem('deploy', 'www-data', { kind: 'no-php', php: 'php9' })).toMatch(/^php: the SSH user deploy finds no program php9 on the server .*give php as an absolute path/)
    expect(phpProblem('deploy', 'www-data', { kind: 'not-absolute', php: 'php', found: 'php' })).toMatch(/^php: php is php for the SSH user deploy \(command -v\), not a program with an absolute path.*sudoers rules name programs by their full path/)
  })

  it('says to install sudo, or that the web user does not exist', () => {
    expect(phpProblem('deploy', 'www-data', { kind: 'no-sudo' })).toMatch(/^web-user needs sudo, which is not installed .*deploy ALL=\(www-data\) NOPASSWD: \/usr\/bin\/php/)
    expect(phpProblem('deploy', 'www-dat', { kind: 'no-user', php: 'php' })).toMatch(/^web-user www-dat does not exist on the server/)
  })
})

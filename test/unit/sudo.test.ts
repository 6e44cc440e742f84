/**
 * The sudo preflight's verdicts: which inputs are named, and the sudoers line given, for each way sudo can refuse.
 * (The real sudo is exercised in test/integration/sudo.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { sudoersLine, sudoProblem } from '../../src/remote/sudo.js'

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

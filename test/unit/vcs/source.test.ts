/**
 * Validation of `repository` for svn, cvs and push, through readSettings as every run does it: good values pass,
 * hostile ones are refused naming the input, and a password in a value is never shown back.
 */
import { InputErrors } from '../../../src/errors.js'
import { describe, expect, it } from 'vitest'
import type { InputName } from '../../../src/inputs.js'
import { readSettings } from '../../../src/settings.js'

function settings(values: Partial<Record<InputName, string>>) {
  const all: Partial<Record<InputName, string>> = { mode: 'init', hosts: 'u@h', path: '/srv/m', password: 'x', 'insecure-skip-host-key-check': 'true', ...values }
  return readSettings((n) => all[n] ?? '', {}, false)
}

function refused(values: Partial<Record<InputName, string>>): string {
  try {
    settings(values)
  } catch (e) {
    if (e instanceof InputErrors) return e.message
    throw e
  }
  throw new Error(`accepted ${JSON.stringify(values)}`)
}

describe('svn repository', () => {
  it('accepts the URL forms svn uses', () => {
    for (const url of ['https://svn.example.org/repo/trunk', 'svn://127.0.0.1:3690/repo/tags/v1', 'svn+ssh://deploy@host/srv/svn/trunk', 'file:///var/svn/repo/trunk', 'http://[::1]:8080/r']) {
      expect(settings({ method: 'svn', repository: url }).repository).toBe(url)
    }
  })

  it('refuses options, other transports, hosts that are options, credentials (unseen), non-revisions', () => {
    const cases: [Partial<Record<InputName, string>>, RegExp][] = [
      [{ repository: '-ooption' }, /starts with -/],
      [{ repository: 'ext::sh' }, /remote helper|not a Subversion URL/],
      [{ repository: 'file:///x ; rm -rf /' }, /not allowed/],
      [{ repository: 'svn+ssh://-oProxyCommand=x/repo' }, /no valid host/],
      [{ repository: 'gopher://h/r' }, /not a Subversion URL/],
      [{ repository: 'file://otherhost/r' }, /names a host/],
      [{ repository: 'https://bob:hunter22@svn.example.org/r' }, /credentials in the URL/],
      [{ repository: 'file:///r', ref: 'trunk' }, /not an SVN revision/],
      [{ repository: 'file:///r', ref: '-r' }, /Input 'ref'/],
    ]
    for (const [v, re] of cases) {
      const msg = refused({ method: 'svn', ...v })
      expect(msg, JSON.stringify(v)).toMatch(re)
      expect(msg).toMatch(/Input '(repository|ref)'/)
      expect(msg).not.toContain('hunter22')
    }
  })
})

describe('cvs repository', () => {
  it('accepts CVSROOT#module forms', () => {
    for (const r of ['/var/lib/cvs#moodle', ':pserver:anonymous@cvs.example.org:/cvsroot#moodle', ':pserver:u@127.0.0.1:2401/srv/cvs#a/b', ':ext:deploy@host:/cvs#moodle', ':local:/cvs#m']) {
      expect(settings({ method: 'cvs', repository: r }).repository).toBe(r)
    }
  })

  it('refuses what is not CVSROOT#module, hosts that are options, passwords (unseen)', () => {
    const cases: [string, RegExp][] = [
      ['/var/lib/cvs', /not CVSROOT#module/],
      ['/var/lib/cvs#', /not CVSROOT#module/],
      ['/a#b#c', /not CVSROOT#module/],
      ['/cvs#../etc', /not a module name/],
      ['/cvs#-m', /not a module name/],
      [':ext:-oProxyCommand=x@host:/cvs#m', /not a CVS root/],
      [':ext:u@-oProxyCommand:/cvs#m', /not a CVS root/],
      [':pserver:u:hunter22@host:/cvs#m', /holds a password/],
      [':gserver:h:/cvs#m', /not a CVS root/],
      ['relative/cvs#m', /not a CVS root/],
    ]
    for (const [r, re] of cases) {
      const msg = refused({ method: 'cvs', repository: r })
      expect(msg, r).toMatch(re)
      expect(msg).not.toContain('hunter22')
    }
  })
})

describe('push repository', () => {
  it('is empty (the workspace) or an absolute path on the runner', () => {
    expect(settings({ method: 'push' }).repository).toBe('')
    expect(settings({ method: 'push', repository: '/home/runner/work/site' }).repository).toBe('/home/runner/work/site')
    expect(refused({ method: 'push', repository: 'site' })).toMatch(/not an absolute path on the runner/)
  })
})

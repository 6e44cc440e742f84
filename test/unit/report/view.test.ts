/**
 * The short forms every rendering shares: repository names, revisions, durations, the email subject.
 */
import { describe, expect, it } from 'vitest'
import { mailSubject, shouldMail } from '../../../src/notify/mail.js'
import { formatMs, hostName, shortRepository, shortRev } from '../../../src/report/view.js'
import { loadReport } from '../../helpers/reports.js'

describe('shortRepository', () => {
  it.each([
    ['https://github.com/example/moodle.git', 'example/moodle'],
    ['https://github.com/example/moodle', 'example/moodle'],
    ['https://user@git.example.org/group/sub/site.git/', 'sub/site'],
    ['git@github.com:example/moodle.git', 'example/moodle'],
    ['ssh://git@host:2222/srv/git/site.git', 'git/site'],
    ['svn://svn.example.org/moodle/trunk', 'moodle/trunk'],
    ['/var/lib/cvs#moodle', 'moodle'],
    ['/srv/git/moodle.git', 'moodle'],
    ['file:///srv/git/moodle.git', 'git/moodle'],
    ['', ''],
  ])('%s -> %s', (repo, short) => expect(shortRepository(repo)).toBe(short))
})

describe('short forms', () => {
  it('revisions, durations, host names', () => {
    expect(shortRev('8c1f0b5d2e4a6c8e0f1a3b5c7d9e1f2a4b6c8d0e')).toBe('8c1f0b5d2e4a')
    expect(shortRev('1234')).toBe('1234')
    expect(shortRev(undefined)).toBe('–')
    expect(formatMs(850)).toBe('850 ms')
    expect(formatMs(12_340)).toBe('12.3 s')
    expect(formatMs(125_000)).toBe('2 min 05 s')
    expect(formatMs(3_720_000)).toBe('1 h 02 min')
    expect(hostName('deploy@moodle.example.org:2222')).toBe('moodle.example.org')
    expect(hostName('deploy@[::1]:22')).toBe('::1')
  })
})

describe('the email subject', () => {
  it('[Delivery] <repository> <environment or first host>: <mode> <outcome> (<ref>)', () => {
    const r = loadReport('deliver-success')
    expect(mailSubject(r)).toBe('[Delivery] example-university/moodle-site production: deliver success (release-2025-03)')
    const f = loadReport('backtoprod-failure')
    // No environment: the first host; no ref: the revision now live.
    expect(mailSubject(f)).toBe('[Delivery] web/shop shop-a.example.org: backtoprod failure (222222222222)')
    expect(mailSubject({ ...r, dryRun: true, outcome: 'refused' })).toBe('[Delivery] example-university/moodle-site production: deliver dry-run refused (release-2025-03)')
    expect(mailSubject({ ...r, ref: '', commit: '' , environment: 'line\r\nBcc: x@y' })).not.toMatch(/[\r\n]/)
  })

  it('mail-on', () => {
    expect(shouldMail('always', 'success')).toBe(true)
    expect(shouldMail('failure', 'success')).toBe(false)
    expect(shouldMail('failure', 'refused')).toBe(true)
    expect(shouldMail('failure', 'failure')).toBe(true)
    expect(shouldMail('never', 'failure')).toBe(false)
  })
})

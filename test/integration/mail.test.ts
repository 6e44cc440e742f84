/**
 * The report email against a real SMTP server on loopback (smtp-server), parsed back with mailparser: recipients,
 * subject, both bodies, attachments; a 10,000-file report; secrets masked; STARTTLS with a self-signed certificate and
 * authentication; servers that refuse, that are not there, that never answer; and the Action end to end against a
 * real sshd with mail-to set. A mail failure is a warning and never fails a delivery; bad mail inputs are refused
 * before any connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeReportMail, mailReport, sendMail } from '../../src/notify/mail.js'
import type { Report } from '../../src/report/model.js'
import type { MailSettings } from '../../src/settings.js'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { largeReport, loadReport } from '../helpers/reports.js'
import { closedPort, silentServer, type SmtpHandle, startSmtp } from '../helpers/smtp.js'

const mailSettings = (port: number, over: Partial<MailSettings> = {}): MailSettings => ({
  to: ['ops@example.org', 'Teachers <teachers@example.org>'],
  from: 'Delivery <delivery@example.org>',
  on: 'always',
  host: '127.0.0.1',
  port,
  secure: 'none',
  ...over,
})

describe('the report email through a real SMTP server', () => {
  let smtp: SmtpHandle
  beforeAll(async () => {
    smtp = await startSmtp()
  })
  afterAll(async () => {
    await smtp?.stop()
  })

  it('reaches every recipient with the subject, an HTML body, a text alternative and both attachments', async () => {
    const report = loadReport('deliver-success')
    const res = await mailReport(report, mailSettings(smtp.port), [], { timeoutMs: 10_000 })
    expect(res.warning).toBeUndefined()
    expect(res.sent).toBe(true)
    const m = await smtp.next()
    expect(m.to.sort()).toEqual(['ops@example.org', 'teachers@example.org'])
    expect(m.from).toBe('delivery@example.org')
    const p = m.parsed
    expect(p.subject).toBe('[Delivery] example-university/moodle-site production: deliver success (release-2025-03)')
    expect(p.headers.get('auto-submitted')).toBe('auto-generated')
    expect(p.text).toContain('2 hosts now serve revision 8c1f0b5d2e4a')
    expect(p.text).toContain('A mod/forum/classes/local/<draft>&notes.php')
    expect(p.html).toContain('mod/forum/classes/local/&lt;draft&gt;&amp;notes.php')
    expect(p.html).toContain('tool_demo')
    expect(p.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['report.json', 'application/json'],
      ['report.html', 'text/html'],
    ])
    const json = JSON.parse(p.attachments[0].content.toString('utf8'))
    expect(json.hosts[0].files.added).toContain('mod/forum/classes/local/<draft>&notes.php')
    expect(p.attachments[1].content.toString('utf8')).toContain('<!DOCTYPE html>')
  })

  it('keeps a 10,000-file report readable: counts by component in the body, the whole list attached', async () => {
    const report = largeReport(10_000)
    const res = await mailReport(report, mailSettings(smtp.port), [], { timeoutMs: 10_000 })
    expect(res.sent).toBe(true)
    const p = (await smtp.next()).parsed
    expect(p.html).toContain('the attached report.html and report.json list them all')
    expect(p.html).toContain('mod_quiz')
    expect(p.html).not.toContain('classes/file00040.php')
    expect(p.text).toContain('assignsubmission_file')
    const json = JSON.parse(p.attachments[0].content.toString('utf8'))
    const f = json.hosts[0].files
    expect(f.added.length + f.modified.length + f.deleted.length + f.renamed.length).toBe(10_000)
    expect(p.attachments[1].content.toString('utf8')).toContain('classes/file00040.php')
  })

  it('shows no secret in the subject, the bodies or the attachments', async () => {
    const secret = 's3cr3t-Token-Value'
    const report: Report = { ...loadReport('deliver-success'), comment: `oops, pasted ${secret} here`, ref: `x${secret}` }
    report.hosts[0].error = `failed with ${secret}`
    await mailReport(report, mailSettings(smtp.port), [secret], { timeoutMs: 10_000 })
    const m = await smtp.next()
    const everything = [m.raw, m.parsed.subject, m.parsed.text, m.parsed.html, ...m.parsed.attachments.map((a) => a.content.toString('utf8'))].join('\n')
    expect(everything).not.toContain(secret)
    expect(m.parsed.text).toContain('oops, pasted *** here')
    expect(m.parsed.subject).toContain('(x***)')
  })

  it('mail-on decides: failure sends only when the run did not succeed, never sends nothing', async () => {
    const before = smtp.connections()
    const ok = await mailReport(loadReport('deliver-success'), mailSettings(smtp.port, { on: 'failure' }), [], { timeoutMs: 10_000 })
    const never = await mailReport(loadReport('backtoprod-failure'), mailSettings(smtp.port, { on: 'never' }), [], { timeoutMs: 10_000 })
    expect(ok.sent || never.sent).toBe(false)
    expect(smtp.connections()).toBe(before)
    const failed = await mailReport(loadReport('backtoprod-failure'), mailSettings(smtp.port, { on: 'failure' }), [], { timeoutMs: 10_000 })
    expect(failed.sent).toBe(true)
    expect((await smtp.next()).parsed.subject).toBe('[Delivery] web/shop shop-a.example.org: backtoprod failure (222222222222)')
  })
})

describe('SMTP servers that do not cooperate', () => {
  const report = loadReport('deliver-success')

  it('a server that refuses the recipients gives a warning, not an error', async () => {
    const smtp = await startSmtp({ refuseRecipients: true })
    try {
      const res = await mailReport(report, mailSettings(smtp.port), [], { timeoutMs: 10_000 })
      expect(res.sent).toBe(false)
      expect(res.warning).toMatch(/not sent.*550|550.*not sent|EENVELOPE/s)
      expect(res.warning).toContain('The delivery itself is not affected')
      expect(smtp.messages).toHaveLength(0)
    } finally {
      await smtp.stop()
    }
  })

  it('a wrong password is refused by the server and reported, with the password masked', async () => {
    const smtp = await startSmtp({ auth: { user: 'mailer', pass: 'right-password' } })
    try {
      const res = await mailReport(report, mailSettings(smtp.port, { username: 'mailer', password: 'wrong-password' }), ['wrong-password'], { timeoutMs: 10_000 })
      expect(res.sent).toBe(false)
      expect(res.warning).toMatch(/EAUTH|535|Invalid username or password/)
      expect(res.warning).not.toContain('wrong-password')
    } finally {
      await smtp.stop()
    }
  })

  it('starttls refuses to go on with a server that offers no TLS (no password in clear)', async () => {
    const smtp = await startSmtp({ security: 'none', auth: { user: 'mailer', pass: 'pw' } })
    try {
      const res = await sendMail(mailSettings(smtp.port, { secure: 'starttls', username: 'mailer', password: 'pw' }), composeReportMail(report, []), { timeoutMs: 10_000 })
      expect(res.ok).toBe(false)
      expect(res.error).toMatch(/STARTTLS|TLS/i)
      expect(smtp.messages).toHaveLength(0)
    } finally {
      await smtp.stop()
    }
  })

  it('implicit TLS refuses a certificate nobody trusts', async () => {
    const smtp = await startSmtp({ security: 'tls' })
    try {
      const res = await sendMail(mailSettings(smtp.port, { secure: 'tls' }), composeReportMail(report, []), { timeoutMs: 10_000 })
      expect(res.ok).toBe(false)
      expect(res.error).toMatch(/self[- ]signed|certificate/i)
      expect(smtp.messages).toHaveLength(0)
    } finally {
      await smtp.stop()
    }
  })

  it('nothing listening: a warning', async () => {
    const res = await mailReport(report, mailSettings(await closedPort()), [], { timeoutMs: 5_000 })
    expect(res.sent).toBe(false)
    expect(res.warning).toMatch(/ECONNREFUSED|ECONNECTION/)
  })

  it('a server that never answers is given up after the timeout', async () => {
    const silent = await silentServer()
    try {
      const res = await mailReport(report, mailSettings(silent.port), [], { timeoutMs: 1_500 })
      expect(res.sent).toBe(false)
      expect(res.warning).toMatch(/ETIMEDOUT|[Gg]reeting never received|timeout/i)
      expect(silent.connections()).toBe(1)
    } finally {
      await silent.stop()
    }
  }, 20_000)
})

describe('the Action with mail-to, end to end over a real sshd', () => {
  let t: Target
  let repo: MoodleRepo
  let smtp: SmtpHandle
  const auth = { user: 'mailer', pass: 'Smtp-Pa55word!' }
  let mailInputs: Record<string, string>

  beforeAll(async () => {
    t = await startTarget()
    t.base.app = 'none'
    repo = await makeMoodleRepo(t.sshd.user)
    smtp = await startSmtp({ security: 'starttls', auth })
    mailInputs = {
      'mail-to': 'ops@example.org, dean@example.org',
      'mail-from': 'delivery@example.org',
      'smtp-host': '127.0.0.1',
      'smtp-port': String(smtp.port),
      'smtp-secure': 'starttls',
      'smtp-username': auth.user,
      'smtp-password': auth.pass,
    }
  })
  afterAll(async () => {
    await t?.stop()
    await repo?.remove()
    await smtp?.stop()
  })

  it('invalid mail settings are refused before any connection, naming the input', async () => {
    for (const [input, value] of [
      ['mail-to', 'ops@example.org, not an address'],
      ['smtp-secure', 'ssl'],
      ['smtp-port', '99999'],
      ['smtp-host', 'smtp.example.org; rm -rf /'],
    ]) {
      const r = await runAction({ ...t.base, mode: 'status', ...mailInputs, [input]: value })
      expect(r.code, input).not.toBe(0)
      expect(r.stdout, input).toContain(`Input '${input}'`)
    }
    const noFrom = await runAction({ ...t.base, mode: 'status', ...mailInputs, 'mail-from': '' })
    expect(noFrom.stdout).toContain("Input 'mail-from': is required when 'mail-to' is given")
    expect(t.sshd.connectionCount()).toBe(0)
    expect(smtp.connections()).toBe(0)
  })

  it('init then deliver: the email tells what reached production, over STARTTLS with authentication', async () => {
    const env = { NODE_EXTRA_CA_CERTS: smtp.certFile as string, GITHUB_REPOSITORY: 'example/site', GITHUB_SERVER_URL: 'https://github.com' }
    const init = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1', ...mailInputs, 'mail-on': 'failure' }, { env })
    expect(init.code, init.stdout).toBe(0)
    expect(smtp.messages).toHaveLength(0)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2', environment: 'production', ...mailInputs }, { env })
    expect(r.code, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/report email sent to ops@example.org, dean@example.org/)
    const m = await smtp.next()
    expect(m.secure).toBe(true)
    expect(m.user).toBe(auth.user)
    expect(m.to.sort()).toEqual(['dean@example.org', 'ops@example.org'])
    // The repository is a local path: its last folder names it.
    expect(m.parsed.subject).toBe(`[Delivery] repo production: deliver success (v2)`)
    expect(m.parsed.text).toContain(`revision ${repo.commits.v2.slice(0, 12)}`)
    expect(m.parsed.text).toContain('R theme/boost/config.php -> theme/boost/settings.php')
    expect(m.parsed.text).toContain('D lib/old.php')
    expect(m.parsed.html).toContain('mod/forum/newfile.php')
    const attached = JSON.parse(m.parsed.attachments.find((a) => a.filename === 'report.json')!.content.toString('utf8'))
    expect(attached.hosts[0].files).toEqual(r.report!.hosts[0].files)
    expect(m.raw).not.toContain(auth.pass)
    expect(m.raw).not.toContain(Buffer.from(auth.pass).toString('base64'))
  })

  it('a certificate nobody trusts stops the email, not the delivery', async () => {
    const before = smtp.messages.length
    const r = await runAction({ ...t.base, mode: 'status', ...mailInputs })
    expect(r.code, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/::warning::.*report email .*was not sent.*(self[- ]signed|certificate)/)
    // Only the runner's masking commands may name the password.
    expect(r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(auth.pass)
    expect(smtp.messages.length).toBe(before)
  })

  it('a refused mode is mailed with mail-on: failure', async () => {
    const env = { NODE_EXTRA_CA_CERTS: smtp.certFile as string }
    const r = await runAction({ ...t.base, mode: 'backtoprod', ...mailInputs, 'mail-on': 'failure' }, { env })
    expect(r.code).toBe(1)
    const m = await smtp.next()
    expect(m.parsed.subject).toMatch(/^\[Delivery\] 127\.0\.0\.1: backtoprod refused \(/)
    expect(m.parsed.text).toMatch(/run goback/)
  })
})

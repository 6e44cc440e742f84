/**
 * Golden-file tests of the renderings (JSON, Markdown, HTML, plain text, and the email's bodies) for two fixed reports
 * and for a report with 10,000 changed files; escaping of hostile file names; the job summary's size bound.
 */
import { describe, expect, it } from 'vitest'
import { composeReportMail, MAIL_ATTACHMENT_LIMIT, MAIL_FILE_LIMIT } from '../../../src/notify/mail.js'
import { renderHtml } from '../../../src/report/html.js'
import { renderJson } from '../../../src/report/json.js'
import { renderMarkdown, SUMMARY_LIMIT } from '../../../src/report/markdown.js'
import { countChangedPaths } from '../../../src/domain.js'
import type { Report } from '../../../src/report/model.js'
import { renderText } from '../../../src/report/text.js'
import { expectGolden, largeReport, loadReport } from '../../helpers/reports.js'

const clone = (r: Report): Report => JSON.parse(JSON.stringify(r)) as Report

describe.each(['deliver-success', 'backtoprod-failure'])('the renderings of %s', (name) => {
  const report = loadReport(name)
  it('report.json', () => expectGolden(`${name}.json`, renderJson(report)))
  it('report.md (the job summary)', () => expectGolden(`${name}.md`, renderMarkdown(report)))
  it('report.html', () => expectGolden(`${name}.html`, renderHtml(report)))
  it('the email: subject, plain text and HTML bodies', () => {
    const mail = composeReportMail(report, [])
    expectGolden(`${name}.mail.txt`, `Subject: ${mail.subject}\n\n${mail.text}`)
    expectGolden(`${name}.mail.html`, mail.html)
    expect(mail.attachments.map((a) => a.filename)).toEqual(['report.json', 'report.html'])
    expect(mail.attachments[0].content).toBe(renderJson(report))
    expect(mail.attachments[1].content).toBe(renderHtml(report))
  })
  it('the renderers do not change the model', () => {
    const before = JSON.stringify(report)
    renderJson(report)
    renderMarkdown(report)
    renderHtml(report)
    renderText(report)
    expect(JSON.stringify(report)).toBe(before)
  })
})

describe('report.json', () => {
  it('is the model plus per-component counts for Moodle hosts only', () => {
    const json = JSON.parse(renderJson(loadReport('deliver-success')))
    expect(json.schemaVersion).toBe(1)
    expect(json.hosts[0].components).toEqual([
      { component: 'core', added: 0, modified: 2, deleted: 1, renamed: 0 },
      { component: 'assignsubmission_file', added: 0, modified: 1, deleted: 0, renamed: 0 },
      { component: 'mod_forum', added: 1, modified: 2, deleted: 1, renamed: 0 },
      { component: 'theme_boost', added: 0, modified: 1, deleted: 0, renamed: 1 },
      { component: 'tool_demo', added: 2, modified: 0, deleted: 0, renamed: 0 },
    ])
    const other = JSON.parse(renderJson(loadReport('backtoprod-failure')))
    expect(other.hosts[0].components).toBeUndefined()
  })
})

describe('escaping', () => {
  const hostile = (() => {
    const r = clone(loadReport('deliver-success'))
    r.hosts[0].files.added.push('mod/forum/<img src=x onerror=alert(1)>.php', 'lib/a&b.php', 'lib/```\n# heading.php', 'lib/</td></tr></table>.php')
    r.hosts[0].error = '<script>alert("x")</script>'
    r.comment = '<b>bold</b> & "quoted" | pipe'
    r.runUrl = 'javascript:alert(1)'
    r.hosts[0].health!.url = 'javascript:alert(2)'
    return r
  })()

  it('HTML: file names, errors and comments print as text, never as markup; only http(s) links', () => {
    const page = renderHtml(hostile)
    expect(page).not.toContain('<img')
    expect(page).not.toContain('<script')
    expect(page).not.toContain('<b>bold')
    expect(page).not.toContain('</td></tr></table>.php')
    expect(page).toContain('mod/forum/&lt;img src=x onerror=alert(1)&gt;.php')
    expect(page).toContain('lib/a&amp;b.php')
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    expect(page).not.toMatch(/href="javascript:/i)
    // Balanced: as many table rows open as close.
    expect(page.match(/<tr>/g)?.length).toBe(page.match(/<\/tr>/g)?.length)
  })

  it('Markdown: a file name cannot end its code block or open HTML', () => {
    const md = renderMarkdown(hostile)
    // Outside fenced blocks (where GitHub shows text as it is) no tag but the summary's own.
    const outside = md.replace(/^(`{3,})\n[\s\S]*?\n\1$/gm, '')
    expect(outside).toContain('&lt;script&gt;')
    expect(outside).not.toContain('<img')
    expect(outside).not.toContain('<script')
    expect(outside).not.toContain('<b>')
    expect(md).toContain('A mod/forum/<img src=x onerror=alert(1)>.php')
    // The list of files is fenced with more backticks than any run inside it.
    const list = md.slice(md.indexOf('<details><summary>Changed files'))
    const fence = /\n(`{4,})\n/.exec(list)?.[1]
    expect(fence, list).toBeDefined()
    expect(list).toContain('lib/```')
  })

  it('plain text keeps names as they are', () => {
    expect(renderText(hostile)).toContain('A mod/forum/<img src=x onerror=alert(1)>.php')
  })
})

describe('a report with 10,000 changed files', () => {
  const report = largeReport(10_000)
  const all = [...report.hosts[0].files.added, ...report.hosts[0].files.modified, ...report.hosts[0].files.deleted, ...report.hosts[0].files.renamed.map((r) => r.to)]

  it('report.json holds every file, and counts that add up', () => {
    const json = JSON.parse(renderJson(report))
    const f = json.hosts[0].files
    expect(f.added.length + f.modified.length + f.deleted.length + f.renamed.length).toBe(10_000)
    const total = json.hosts[0].components.reduce((t: number, c: Record<string, number>) => t + c.added + c.modified + c.deleted + c.renamed, 0)
    expect(total).toBe(10_000)
  })

  it('report.html lists every file once, escaped, folded', () => {
    const page = renderHtml(report)
    const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    // One line per file: the change letter, then the path (`from → to` for a rename).
    const lines = [...page.matchAll(/<b style="color:#[0-9a-f]{6}">[AMDR]<\/b>&nbsp; ([^<]*)<br>/g)].map((m) => unescape(m[1]).split(' → ').at(-1))
    expect(lines.sort()).toEqual([...all].sort())
    // Light enough to attach to an email.
    expect(page.length).toBeLessThan(1_200_000)
    expect(page).toContain('<details><summary')
    expect(page).not.toContain('odd <name>')
  })

  it('the job summary stays under 1 MiB and says where the rest is (golden)', () => {
    const md = renderMarkdown(report)
    expect(Buffer.byteLength(md)).toBeLessThan(SUMMARY_LIMIT)
    expect(md).toContain('are not shown here: the report artifact lists them all')
    expectGolden('large-10000.md', md)
  })

  it('the email body summarises by component and points to the attachments (golden)', () => {
    const mail = composeReportMail(report, [])
    expect(countChangedPaths(report.hosts[0].files)).toBeGreaterThan(MAIL_FILE_LIMIT)
    expect(mail.html).toContain('the attached report.html and report.json list them all')
    expect(mail.html.length).toBeLessThan(100_000)
    expect(mail.text.length).toBeLessThan(50_000)
    expectGolden('large-10000.mail.html', mail.html)
    expectGolden('large-10000.mail.txt', `Subject: ${mail.subject}\n\n${mail.text}`)
    expect(mail.attachments[1].content).toBe(renderHtml(report))
  })

  it('100,000 files: the email leaves out what is too large to attach and says where the report is', () => {
    const big = largeReport(100_000)
    big.artifact = { name: 'delivery-report-deploy-deliver', id: 7, url: 'https://github.com/o/r/actions/runs/1/artifacts/7' }
    const mail = composeReportMail(big, [])
    expect(mail.attachments.map((a) => a.filename)).toEqual(['report.json'])
    expect(mail.attachments.reduce((t, a) => t + Buffer.byteLength(a.content), 0)).toBeLessThanOrEqual(MAIL_ATTACHMENT_LIMIT)
    expect(mail.text).toContain('the attached report.json lists them all, as does the report artifact delivery-report-deploy-deliver (https://github.com/o/r/actions/runs/1/artifacts/7)')
    expect(mail.html.length).toBeLessThan(100_000)
  })

  it('200,000 files still give a job summary under the limit', () => {
    const md = renderMarkdown(largeReport(200_000))
    expect(Buffer.byteLength(md)).toBeLessThan(SUMMARY_LIMIT)
  })
})

describe('submodules in the renderings', () => {
  const report = clone(loadReport('deliver-success'))
  report.hosts[0].submodules = [
    { path: 'mod/attendance', url: 'https://***@git.example.org/attendance.git', before: 'a'.repeat(40), after: 'b'.repeat(40) },
    { path: 'mod/certificate', url: '/srv/git/certificate.git', after: 'c'.repeat(40) },
    { path: 'mod/<img src=x>', url: 'https://git.example.org/x.git', before: 'd'.repeat(40) },
  ]
  it('each lists every submodule with its commit before and after', () => {
    for (const text of [renderMarkdown(report), renderHtml(report), renderText(report)]) {
      expect(text).toContain('mod/attendance')
      expect(text).toContain(`${'a'.repeat(12)} → ${'b'.repeat(12)}`)
      expect(text).toContain(`${'c'.repeat(12)} (added)`)
      expect(text).toContain(`${'d'.repeat(12)} (removed)`)
      expect(text).toContain('https://***@git.example.org/attendance.git')
    }
    expect(renderHtml(report)).not.toContain('<img src=x>')
    // In Markdown, paths are code spans, which GitHub shows as text.
    expect(renderMarkdown(report)).toContain('`mod/<img src=x>`')
  })
})

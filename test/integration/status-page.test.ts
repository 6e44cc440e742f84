/**
 * The status page on a real server (sshd on loopback, the bundled Action): each run that changes the server stores its
 * record and rewrites .delivery/reports/index.html (0644, outside the trees); runs and sessions newest first with
 * outcome, who, versions and files; every name from the repository, the inputs or the server is escaped; runs the
 * journal names without a record (cut off) are listed; damaged lines are shown, not fatal; dry runs and refused modes
 * change nothing; `status` says where the page is; a link planted in place of the page is replaced, never followed.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'

let t: Target
let repo: MoodleRepo
const page = () => t.sh(`cat ${t.root}/.delivery/reports/index.html`)
const HOSTILE = '<img src=x onerror=alert(1)>'

beforeAll(async () => {
  t = await startTarget()
  repo = await makeMoodleRepo(t.sshd.user)
  t.base.repository = repo.dir
  t.base.app = 'none'
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

describe('the status page of a site', () => {
  it('init writes it outside the trees, readable by everyone, listing the run', async () => {
    const r = await runAction({ ...t.base, mode: 'init', ref: 'v1' })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`status page ${t.root}/.delivery/reports/index.html`)
    const mode = await t.sh(`stat -c '%a %F' ${t.root}/.delivery/reports/index.html`)
    expect(mode.trim()).toBe('644 regular file')
    const html = await page()
    expect(html).toMatch(/^<!DOCTYPE html>/)
    expect(html).toContain('<td class="nowrap">init</td>')
    expect(html).toContain('>success</span>')
    expect(html).toContain('test-actor')
    // The run record beside it.
    const records = (await t.sh(`ls ${t.root}/.delivery/reports`)).trim().split('\n')
    expect(records.filter((f) => /^\d{8}T\d{6}Z-.*\.json$/.test(f))).toHaveLength(1)
    // Not under the trees the web server serves.
    expect(await t.sh(`find -L ${t.root}/live -name index.html -path '*reports*' | wc -l`)).toBe('0\n')
  })

  it('lists sessions and deliveries newest first, with versions, files and hostile names escaped', async () => {
    await repo.commit('hostile name', { [`mod/forum/${HOSTILE}.php`]: '<?php\n' })
    const open = await runAction({ ...t.base, mode: 'session-open', 'session-title': `Spring <b>release</b> ${HOSTILE}`, 'session-description': 'forum & "quotes"' })
    expect(open.code).toBe(0)
    const d = await runAction({ ...t.base, mode: 'deliver', ref: 'main', comment: `fix ${HOSTILE}` }, { env: { GITHUB_REPOSITORY: 'example/site' } })
    expect(d.code).toBe(0)
    const html = await page()
    // Escaped everywhere: the file name, the comment, the session title.
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>release')
    expect(html).toContain('mod/forum/&lt;img src=x onerror=alert(1)&gt;.php')
    expect(html).toContain('Spring &lt;b&gt;release&lt;/b&gt;')
    expect(html).toContain('forum &amp; &quot;quotes&quot;')
    // Newest first: deliver, then session-open, then init.
    const order = ['<td class="nowrap">deliver</td>', '<td class="nowrap">session-open</td>', '<td class="nowrap">init</td>'].map((s) => html.indexOf(s))
    expect(order.every((i) => i > 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    // Revision before -> after of the deliver, its files by kind.
    expect(html).toContain(`${repo.commits.v1.slice(0, 12)} → ${repo.head.slice(0, 12)}`)
    expect(html).toContain('<td class="files">10<div class="note" title="3 added, 5 modified, 1 deleted, 1 renamed">A 3 · M 5 · D 1 · R 1</div></td>')
    expect(html).toContain('<summary>10 changed files</summary>')
    expect(html).toContain('theme/boost/config.php → theme/boost/settings.php')
    // The deliver joined the session: the row names it.
    expect(html).toMatch(/<td>Spring &lt;b&gt;release&lt;\/b&gt; &lt;img src=x onerror=alert\(1\)&gt;<\/td>\s*<td><a href="https:\/\/github.com\/example\/site\/actions\/runs\/\d+">run<\/a>/)
    expect(html).toContain('>open</span>')
  })

  it('a dry run and a refused mode leave the page as it was; status says where it is', async () => {
    const before = await page()
    const dry = await runAction({ ...t.base, mode: 'deliver', ref: 'v2', 'dry-run': 'true' })
    expect(dry.code).toBe(0)
    const refused = await runAction({ ...t.base, mode: 'backtoprod' })
    expect(refused.report?.outcome).toBe('refused')
    expect(await page()).toBe(before)
    const st = await runAction({ ...t.base, mode: 'status' })
    expect(st.code).toBe(0)
    expect(st.stdout).toContain(`status page ${t.root}/.delivery/reports/index.html`)
    expect(st.report?.hosts[0].status?.statusPage).toBe(`${t.root}/.delivery/reports/index.html`)
    expect(await page()).toBe(before)
  })

  it('lists a run the journal names without an end as cut off, and shows damaged lines without failing', async () => {
    const cut = JSON.stringify({ at: '2099-01-01T00:00:00.000Z', runId: 'cut-run-1', actor: `mallory ${HOSTILE}`, mode: 'update', event: 'start', host: 'x', ref: 'v9' })
    await t.sh(`printf '%s\\n%s\\n' '${cut}' '{"half a line' >> ${t.root}/.delivery/journal.jsonl`)
    await t.sh(`printf 'not json' > ${t.root}/.delivery/reports/20990101T000000Z-broken.json`)
    // A record planted as a link to a file elsewhere: never read (its text could be anything the code owner may read).
    const elsewhere = `/tmp/dlv-leak-${Math.random().toString(36).slice(2, 8)}`
    await t.sh(`printf '%s' '{"runId":"LEAKED-TEXT","host":{},"files":[]}' > ${elsewhere} && ln -s ${elsewhere} ${t.root}/.delivery/reports/20990101T000001Z-link.json`)
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code).toBe(0)
    const html = await page()
    expect(html).toContain('>interrupted</span>')
    expect(html).toContain('no end in the journal: the run was cut off after start')
    expect(html).toContain('mallory &lt;img')
    expect(html).toContain('Unreadable entries')
    expect(html).toContain('20990101T000000Z-broken.json')
    expect(html).toContain('{&quot;half a line')
    expect(html).not.toContain('not json')
    expect(html).not.toContain('LEAKED')
    await t.sh(`rm -f ${t.root}/.delivery/reports/20990101T000000Z-broken.json ${t.root}/.delivery/reports/20990101T000001Z-link.json ${elsewhere}`)
  })

  it('replaces a link planted in place of the page, never writing through it', async () => {
    const outside = `/tmp/dlv-outside-${Math.random().toString(36).slice(2, 8)}`
    await t.sh(`printf 'precious' > ${outside} && rm -f ${t.root}/.delivery/reports/index.html && ln -s ${outside} ${t.root}/.delivery/reports/index.html`)
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code).toBe(0)
    expect(await t.sh(`cat ${outside}`)).toBe('precious')
    expect((await t.sh(`stat -c %F ${t.root}/.delivery/reports/index.html`)).trim()).toBe('regular file')
    await t.sh(`rm -f ${outside}`)
    // For the screenshot in docs/ (STATUS_PAGE_OUT=path writes the last page there).
    if (process.env.STATUS_PAGE_OUT) writeFileSync(process.env.STATUS_PAGE_OUT, await page())
  })

  it('a reports folder replaced by a link is refused with a warning; the run itself succeeds', async () => {
    const elsewhere = mkdtempSync('/tmp/dlv-elsewhere-')
    chmodSync(elsewhere, 0o777)
    await t.sh(`mv ${t.root}/.delivery/reports ${t.root}/.delivery/reports.moved && ln -s ${elsewhere} ${t.root}/.delivery/reports`)
    try {
      const r = await runAction({ ...t.base, mode: 'syncback' })
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/the status page was not written: .*is a symbolic link/)
      expect(() => readFileSync(`${elsewhere}/index.html`)).toThrow()
    } finally {
      await t.sh(`rm ${t.root}/.delivery/reports && mv ${t.root}/.delivery/reports.moved ${t.root}/.delivery/reports`)
      rmSync(elsewhere, { recursive: true, force: true })
    }
  })
})

/**
 * The status page's rendering from records, journal lines and session records: newest first, records win over the
 * journal, runs cut off are named, every value escaped, only http(s) links. STATUS_PAGE_OUT=path writes the page of
 * the first test there (docs/status-page.png is its screenshot).
 */
import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { hostSummary } from '../../../src/notify/summary.js'
import type { Report } from '../../../src/report/model.js'
import { historyRows, type JournalLine, renderStatusPage, type RunRecord, type StatusPageData } from '../../../src/report/status-page.js'
import { fileRows } from '../../../src/report/view.js'
import type { SessionRecord } from '../../../src/session/sessions.js'
import { loadReport } from '../../helpers/reports.js'

function record(r: Report, host: number, over: Partial<RunRecord> = {}): RunRecord {
  const h = r.hosts[host]
  return {
    recordVersion: 1,
    runId: `run-${r.mode}-${host}`,
    mode: r.mode,
    actor: r.actor,
    trigger: r.event,
    runUrl: r.runUrl,
    repository: r.repository,
    ref: r.ref,
    commit: r.commit,
    comment: r.comment,
    finishedAt: r.finishedAt,
    host: hostSummary(h),
    files: fileRows(h.files).slice(0, 200),
    filesNotListed: 0,
    ...over,
  }
}

const session: SessionRecord = {
  id: 'S20250314T090000Z-k2m9qa',
  title: 'March release: forum fixes',
  description: 'Forum fixes and the new demo tool',
  impact: 'Forum read-only for 5 minutes',
  status: 'closed',
  openedAt: '2025-03-14T09:00:00.000Z',
  openedBy: 'jdupont',
  openRunUrl: 'https://github.com/example-university/moodle-site/actions/runs/13851230000',
  closedAt: '2025-03-14T10:05:00.000Z',
  closedBy: 'jdupont',
  outputState: 'production on release-2025-03',
  followup: 'watch the forum cron tonight',
}

function data(): StatusPageData {
  const ok = loadReport('deliver-success')
  const bad = loadReport('backtoprod-failure')
  const journal: JournalLine[] = [
    { at: '2025-03-12T16:40:00.000Z', runId: 'old-1', actor: 'mmartin', mode: 'syncback', event: 'start', ref: '' },
    { at: '2025-03-12T16:40:09.000Z', runId: 'old-1', actor: 'mmartin', mode: 'syncback', event: 'end', outcome: 'success' },
    { at: '2025-03-13T08:15:00.000Z', runId: 'cut-1', actor: 'ops-bot', mode: 'update', event: 'start', ref: 'release-2025-03' },
    { at: '2025-03-13T08:15:30.000Z', runId: 'cut-1', actor: 'ops-bot', mode: 'update', event: 'fetch' },
    // A run that has a record: the journal does not list it twice.
    { at: ok.finishedAt, runId: 'run-deliver-0', actor: ok.actor, mode: 'deliver', event: 'end', outcome: 'success' },
  ]
  return {
    root: '/srv/moodle',
    host: 'deploy@moodle1.example.edu:22',
    generatedAt: '2025-03-15T18:03:41.007Z',
    state: { state: 'production', live: 't20250314-93bc', revision: ok.commit, appVersion: ok.hosts[0].appVersionAfter },
    records: [
      record(ok, 0, { sessionId: session.id }),
      record({ ...bad, runUrl: 'https://github.com/example-university/moodle-site/actions/runs/13852000000', ref: 'release-2025-03b' }, 3, { runId: 'run-fail', finishedAt: '2025-03-15T18:03:41.007Z' }),
    ],
    journal,
    sessions: [session],
    damaged: [],
  }
}

describe('the status page', () => {
  it('lists runs newest first: records, then what the journal alone tells', () => {
    const d = data()
    const rows = historyRows(d)
    expect(rows.map((r) => [r.mode, r.outcome])).toEqual([
      ['backtoprod', 'failure'],
      ['deliver', 'success'],
      ['update', 'interrupted'],
      ['syncback', 'success'],
    ])
    const html = renderStatusPage(d)
    if (process.env.STATUS_PAGE_OUT) writeFileSync(process.env.STATUS_PAGE_OUT, html)
    expect(html).toContain('3a9e7c1b5d3f → 8c1f0b5d2e4a')
    expect(html).toContain('4.3.3 (Build: 20240212) → 4.3.4 (Build: 20240422)')
    expect(html).toContain('<span class="err">2 by hand</span>')
    expect(html).toContain('Files changed by hand in the live tree t20250301-4f2a (2), saved in <span class="path">/srv/moodle/.delivery/drift/20250314T093002Z-t20250301-4f2a.patch</span>')
    expect(html).toContain('Restore by hand: the database from the dump taken by before-upgrade, then run goback')
    expect(html).toContain('no end in the journal: the run was cut off after fetch')
    expect(html).toContain('<td>March release: forum fixes</td>')
    expect(html).toContain('>closed</span>')
  })

  it('escapes every value and links only http(s) URLs', () => {
    const d = data()
    const evil = '<script>alert(1)</script>"\'&'
    d.root = `/srv/${evil}`
    d.records[0].actor = evil
    d.records[0].runUrl = 'javascript:alert(1)'
    d.records[0].files = [{ kind: 'added', path: `mod/${evil}.php` }]
    d.sessions[0].title = evil
    d.journal.push({ at: '2025-03-16T00:00:00.000Z', runId: evil, actor: evil, mode: evil, event: 'start', runUrl: 'data:text/html,x' })
    d.damaged = [evil]
    const html = renderStatusPage(d)
    expect(html).not.toContain('<script>')
    expect(html).not.toContain('javascript:')
    expect(html).not.toContain('data:text')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;')
  })
})

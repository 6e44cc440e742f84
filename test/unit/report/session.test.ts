/**
 * The session report: built from every host's records (interventions in time order, union of files), and shown in
 * the three renderings with hostile text escaped.
 */
import { describe, expect, it } from 'vitest'
import { renderHtml } from '../../../src/report/html.js'
import { renderMarkdown } from '../../../src/report/markdown.js'
import { buildSessionReport, unionChanges } from '../../../src/report/session.js'
import { renderText } from '../../../src/report/text.js'
import type { Intervention, SessionData } from '../../../src/session/sessions.js'
import { loadReport } from '../../helpers/reports.js'

const files = (over: Partial<Intervention['files']>) => ({ added: [], modified: [], deleted: [], renamed: [], ...over })
const intervention = (at: string, host: string, mode: string, f: Intervention['files'], comment = ''): Intervention => ({
  at, runId: at, actor: 'alice', runUrl: 'https://github.com/o/r/actions/runs/1', mode, host, ref: 'v2', commit: 'c', paths: [], comment, outcome: 'success', files: f,
})
const record = { id: 'S20261125T100000Z-abcd12', title: 'Forum <b>fix</b>', description: 'Purpose & scope', impact: 'none', status: 'closed' as const, openedAt: '2026-11-25T10:00:00Z', openedBy: 'alice', openRunUrl: '', closedAt: '2026-11-27T10:00:00Z', closedBy: 'bob', outputState: 'All good', followup: '<script>alert(1)</script>' }
const data: SessionData[] = [
  { record, damaged: [], interventions: [intervention('2026-11-26T09:00:00Z', 'h1', 'update', files({ modified: ['mod/forum/lib.php'] }), '`rm -rf` | pipe')] },
  { record, damaged: ['{broken'], interventions: [intervention('2026-11-25T11:00:00Z', 'h2', 'syncback', files({})), intervention('2026-11-26T09:00:01Z', 'h2', 'update', files({ modified: ['mod/forum/lib.php'], added: ['mod/forum/new.php'] }))] },
]

describe('session report', () => {
  it('merges the hosts: interventions in time order, files once per kind, damaged lines counted', () => {
    const s = buildSessionReport(data)!
    expect(s.interventions.map((i) => `${i.host}:${i.mode}`)).toEqual(['h2:syncback', 'h1:update', 'h2:update'])
    expect(s.files).toEqual({ added: ['mod/forum/new.php'], modified: ['mod/forum/lib.php'], deleted: [], renamed: [] })
    expect(s.damagedLines).toBe(1)
    expect(buildSessionReport([])).toBeUndefined()
    expect(unionChanges([files({ renamed: [{ from: 'a', to: 'b' }] }), files({ renamed: [{ from: 'a', to: 'b' }] })]).renamed).toHaveLength(1)
  })

  it('appears in the three renderings, escaped', () => {
    const r = { ...loadReport('deliver-success'), mode: 'session-close', session: buildSessionReport(data) }
    const html = renderHtml(r)
    expect(html).toContain('Session: Forum &lt;b&gt;fix&lt;/b&gt;')
    expect(html).not.toContain('<script>alert(1)')
    expect(html).toContain('mod/forum/new.php')
    const md = renderMarkdown(r)
    expect(md).toContain('### Session: Forum &lt;b&gt;fix&lt;/b&gt;')
    expect(md).not.toContain('<script>')
    expect(md).toMatch(/\| h1 \| .*whole tree/)
    const text = renderText(r)
    expect(text).toContain('== Session: Forum <b>fix</b> ==')
    expect(text).toContain('All good')
    expect(text).toMatch(/1 line\(s\) of the server's session files could not be read/)
  })
})

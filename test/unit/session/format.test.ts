/**
 * The session files kept on servers: a session written before the format was numbered (the fixture, as
 * `.delivery/sessions/` holds it, with a cut last line) still reads; what is written is the stored type's own fields,
 * so a change of the report model never changes the files.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildSessionReport } from '../../../src/report/session.js'
import { type Intervention, readIntervention, readRecord, SESSION_FORMAT, type StoredIntervention, storedIntervention, storedRecord } from '../../../src/session/format.js'
import { isSessionId, parseInterventions } from '../../../src/session/sessions.js'

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/session/${name}`, import.meta.url), 'utf8')
const ID = 'S20261125T100000Z-ab12cd'

/** Every field of the stored intervention: adding or removing one fails to compile until this list (and the format) is updated. */
const STORED_KEYS: Record<keyof StoredIntervention, true> = {
  format: true, at: true, runId: true, actor: true, runUrl: true, mode: true, host: true, ref: true, commit: true, paths: true, comment: true,
  outcome: true, error: true, rolledBack: true, revisionBefore: true, revisionAfter: true, files: true,
}

const full: Intervention = {
  at: '2026-12-01T10:00:00.000Z', runId: '7', actor: 'alice', runUrl: 'https://github.com/o/r/actions/runs/7', mode: 'update', host: 'deploy@web1:22',
  ref: 'v2', commit: 'abc', paths: ['mod/forum'], comment: 'c', outcome: 'failure', error: 'e', rolledBack: true, revisionBefore: 'a', revisionAfter: 'b',
  files: { added: ['x'], modified: [], deleted: [], renamed: [{ from: 'y', to: 'z' }] },
}

describe('session files on the server', () => {
  it('reads a session written before the format was numbered: record, interventions, older lines, a cut last line', () => {
    const record = readRecord(JSON.parse(fixture(`${ID}.json`)), isSessionId)
    expect(record).toMatchObject({ id: ID, title: 'Forum fix', status: 'closed', openedBy: 'alice', closedBy: 'bob', closeRunUrl: 'https://github.com/o/r/actions/runs/104', followup: 'Watch the cron log' })
    const { interventions, damaged } = parseInterventions(fixture(`${ID}.jsonl`))
    expect(damaged).toHaveLength(1)
    expect(damaged[0]).toMatch(/^\{"at":"2026-11-27T09:00:00.000Z","runId":"104"/)
    expect(interventions.map((i) => `${i.runId}:${i.mode}:${i.outcome}`)).toEqual(['101:syncback:success', '102:update:success', '103:deliver:failure', '99:update:success'])
    const [, update, deliver, older] = interventions
    expect(update).toMatchObject({ ref: 'MOODLE_403_STABLE', paths: ['mod/forum'], comment: 'digest fix, ticket 42', revisionAfter: '1f2e3d4c5b6a79880716253443526170fedcba98' })
    expect(update.files).toEqual({ added: ['mod/forum/classes/digest.php'], modified: ['mod/forum/lib.php'], deleted: ['mod/forum/old.php'], renamed: [{ from: 'mod/forum/a.php', to: 'mod/forum/b.php' }] })
    expect(deliver).toMatchObject({ rolledBack: true, error: expect.stringContaining('answered 500') })
    expect(older).toMatchObject({ paths: [], comment: '', host: 'deploy@web2:22' })
    const report = buildSessionReport([{ record, interventions, damaged }])!
    expect(report.interventions.map((i) => i.at)).toEqual([...report.interventions.map((i) => i.at)].sort())
    expect(report.files.modified).toEqual(['mod/forum/lib.php', 'index.php'])
    expect(report.damagedLines).toBe(1)
  })

  it('writes the stored fields only, field by field, and reads back what it wrote', () => {
    const withMore = { ...full, extra: 'a field some other type gained', format: 99 } as Intervention
    const stored = storedIntervention(withMore)
    expect(Object.keys(stored).sort()).toEqual(Object.keys(STORED_KEYS).sort())
    expect(stored.format).toBe(SESSION_FORMAT)
    expect(readIntervention(JSON.parse(JSON.stringify(stored)))).toEqual(full)
    const record = readRecord(JSON.parse(fixture(`${ID}.json`)), isSessionId)
    const written = JSON.parse(JSON.stringify(storedRecord({ ...record, extra: 1 } as typeof record)))
    expect(written).toEqual({ format: SESSION_FORMAT, ...JSON.parse(fixture(`${ID}.json`)) })
    expect(readRecord(written, isSessionId)).toEqual(record)
  })

  it('leaves out an intervention line of a newer format, and refuses a record of a newer format, saying to upgrade', () => {
    const newer = JSON.stringify({ ...storedIntervention(full), format: SESSION_FORMAT + 1 })
    const { interventions, damaged } = parseInterventions(`${JSON.stringify(storedIntervention(full))}\n${newer}\n`)
    expect(interventions).toHaveLength(1)
    expect(damaged).toHaveLength(1)
    const record = { ...JSON.parse(fixture(`${ID}.json`)), format: SESSION_FORMAT + 1 }
    expect(() => readRecord(record, isSessionId)).toThrow(/has format 2, and this version of Delivery reads format 1: upgrade Delivery/)
    expect(() => readRecord({ id: 'x', title: 't', status: 'open' }, isSessionId)).toThrow(/is not a session record/)
  })
})

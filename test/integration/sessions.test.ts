/**
 * Delivery sessions on the server, over a real sshd: open, joined by every intervention run after run, required,
 * closed, listed by status; damaged session files are reported, not crashed on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { type SmtpHandle, startSmtp } from '../helpers/smtp.js'

let t: Target
let repo: MoodleRepo
let smtp: SmtpHandle
let mail: Record<string, string>

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  t.base.repository = ''
  repo = await makeMoodleRepo(t.sshd.user)
  t.base.repository = repo.dir
  expect((await runAction({ ...t.base, mode: 'init', ref: 'v1' })).code).toBe(0)
  smtp = await startSmtp()
  mail = { 'mail-to': 'teachers@example.org', 'mail-from': 'delivery@example.org', 'smtp-host': '127.0.0.1', 'smtp-port': String(smtp.port), 'smtp-secure': 'none' }
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
  await smtp?.stop()
})

interface Line {
  mode: string
  outcome: string
  runId: string
  paths: string[]
  comment: string
  files: { modified: string[]; added: string[] }
}
const lines = async (id: string) =>
  (await t.sh(`cat ${t.root}/.delivery/sessions/${id}.jsonl`))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line)

describe('delivery sessions', () => {
  it('session: required refuses interventions while no session is open, naming session-open', async () => {
    const before = await t.sh(`cat ${t.root}/.delivery/state.json`)
    const r = await runAction({ ...t.base, mode: 'syncback', session: 'required' })
    expect(r.code).toBe(1)
    expect(r.report?.outcome).toBe('refused')
    expect(r.report?.hosts[0].error).toMatch(/no delivery session is open .* session-open/)
    expect(await t.sh(`cat ${t.root}/.delivery/state.json`)).toBe(before)
    const close = await runAction({ ...t.base, mode: 'session-close' })
    expect(close.report?.outcome).toBe('refused')
    expect(close.report?.hosts[0].error).toMatch(/nothing to close/)
  })

  it('session-open needs a title, records the session and outputs its id; a second one is refused', async () => {
    const bad = await runAction({ ...t.base, mode: 'session-open' })
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/Input 'session-title': is required by mode session-open/)
    const r = await runAction({ ...t.base, ...mail, mode: 'session-open', 'session-title': 'Forum upgrade', 'session-description': 'Deliver the forum fixes', 'session-impact': 'Forum unavailable for 2 minutes' })
    expect(r.code, r.stdout).toBe(0)
    const id = r.outputs['session-id']
    // The recipients are told that a session opened, with its purpose and impact.
    const opened = await smtp.next()
    expect(opened.to).toEqual(['teachers@example.org'])
    expect(opened.parsed.subject).toMatch(/session-open success \(Forum upgrade\)/)
    expect(opened.parsed.text).toContain('Deliver the forum fixes')
    expect(opened.parsed.html).toContain('Forum unavailable for 2 minutes')
    expect(id).toMatch(/^S\d{8}T\d{6}Z-/)
    const rec = await readServerJson<{ status: string; title: string; impact: string }>(t, `${t.root}/.delivery/sessions/${id}.json`)
    expect(rec).toMatchObject({ status: 'open', title: 'Forum upgrade', impact: 'Forum unavailable for 2 minutes' })
    expect((await t.sh(`cat ${t.root}/.delivery/sessions/current`)).trim()).toBe(id)
    const again = await runAction({ ...t.base, mode: 'session-open', 'session-title': 'Another' })
    expect(again.report?.outcome).toBe('refused')
    expect(again.report?.hosts[0].error).toContain(`session ${id} is open`)
  })

  it('every intervention joins the open session, run after run, with its outcome and files', async () => {
    const id = (await t.sh(`cat ${t.root}/.delivery/sessions/current`)).trim()
    expect((await runAction({ ...t.base, mode: 'syncback', session: 'required', comment: 'monday: secure' })).outputs['session-id']).toBe(id)
    expect((await runAction({ ...t.base, mode: 'goback' })).code).toBe(0)
    const up = await runAction({ ...t.base, mode: 'update', ref: 'v2', paths: 'mod/forum', comment: 'tuesday: forum only' })
    expect(up.code, up.stdout).toBe(0)
    expect(up.report?.sessionId).toBe(id)
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).code).toBe(0)
    // A refused run and a dry run leave no trace in the session.
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).report?.outcome).toBe('refused')
    expect((await runAction({ ...t.base, mode: 'syncback', 'dry-run': 'true' })).code).toBe(0)
    const l = await lines(id)
    expect(l.map((x) => `${x.mode}:${x.outcome}`)).toEqual(['syncback:success', 'goback:success', 'update:success', 'backtoprod:success'])
    expect(l[2]).toMatchObject({ paths: ['mod/forum'], comment: 'tuesday: forum only' })
    expect(l[2].files.modified).toEqual(['mod/forum/lib.php'])
    expect(l[2].files.added).toEqual(['mod/forum/newfile.php'])
    expect(new Set(l.map((x) => x.runId)).size).toBe(4)
  })

  it('status shows the open session and the history; a damaged line is reported, not crashed on', async () => {
    const id = (await t.sh(`cat ${t.root}/.delivery/sessions/current`)).trim()
    await t.sh(`printf '{"mode":"update","at":"x' >> ${t.root}/.delivery/sessions/${id}.jsonl`)
    const st = await runAction({ ...t.base, mode: 'status' })
    expect(st.code, st.stdout).toBe(0)
    const sessions = st.report?.hosts[0].status?.sessions as { open: { id: string; interventions: number; damagedLines: number }; recent: { id: string }[] }
    expect(sessions.open).toMatchObject({ id, interventions: 4, damagedLines: 1 })
    expect(sessions.recent[0].id).toBe(id)
  })

  it('session-close records the output state and follow-up; the next session is listed first', async () => {
    const id = (await t.sh(`cat ${t.root}/.delivery/sessions/current`)).trim()
    const r = await runAction({ ...t.base, ...mail, mode: 'session-close', 'session-output-state': 'Forum fixed in production', 'session-followup': 'Watch the forum logs' })
    expect(r.code, r.stdout).toBe(0)
    // The session report: every intervention, and the union of the files they touched, in the three renderings.
    const s = r.report?.session as { interventions: { mode: string; comment: string }[]; files: { modified: string[]; added: string[] }; damagedLines: number; status: string }
    expect(s.status).toBe('closed')
    expect(s.interventions.map((i) => i.mode)).toEqual(['syncback', 'goback', 'update', 'backtoprod'])
    expect(s.files.modified).toContain('mod/forum/lib.php')
    expect(s.damagedLines).toBe(1)
    expect(r.summary).toContain('Session: Forum upgrade')
    expect(r.summary).toContain('tuesday: forum only')
    const closed = await smtp.next()
    expect(closed.parsed.subject).toMatch(/session-close success \(Forum upgrade\)/)
    for (const body of [closed.parsed.text ?? '', String(closed.parsed.html)]) {
      expect(body).toContain('Forum fixed in production')
      expect(body).toContain('Watch the forum logs')
      expect(body).toContain('monday: secure')
      expect(body).toContain('mod/forum/newfile.php')
    }
    const json = closed.parsed.attachments.find((a) => a.filename === 'report.json')
    expect(JSON.parse(json!.content.toString()).session.interventions).toHaveLength(4)
    expect(r.outputs['session-id']).toBe(id)
    expect(r.stdout).toMatch(/::warning::.*could not be read/)
    const rec = await readServerJson<{ status: string; outputState: string; followup: string }>(t, `${t.root}/.delivery/sessions/${id}.json`)
    expect(rec).toMatchObject({ status: 'closed', outputState: 'Forum fixed in production', followup: 'Watch the forum logs' })
    expect(await t.sh(`test -e ${t.root}/.delivery/sessions/current || echo none`)).toContain('none')
    // Interventions without a session are fine with session: auto.
    expect((await runAction({ ...t.base, mode: 'syncback' })).outputs['session-id']).toBe('')
    const second = await runAction({ ...t.base, mode: 'session-open', 'session-title': 'Next' })
    expect(second.code).toBe(0)
    const st = await runAction({ ...t.base, mode: 'status' })
    const recent = (st.report?.hosts[0].status?.sessions as { recent: { id: string; status: string }[] }).recent
    expect(recent.map((x) => x.status)).toEqual(['open', 'closed'])
    expect(recent[1].id).toBe(id)
  })

  it('a damaged session record is reported clearly by the modes that need it', async () => {
    const id = (await t.sh(`cat ${t.root}/.delivery/sessions/current`)).trim()
    await t.sh(`echo '{broken' > ${t.root}/.delivery/sessions/${id}.json`)
    const r = await runAction({ ...t.base, mode: 'session-close' })
    expect(r.code).toBe(1)
    expect(r.report?.hosts[0].error).toMatch(new RegExp(`${id}\\.json is not valid JSON .*repair it by hand`))
    const st = await runAction({ ...t.base, mode: 'status' })
    expect(st.code, st.stdout).toBe(0)
    expect(JSON.stringify(st.report?.hosts[0].status)).toMatch(/is not valid JSON/)
  })
})

describe('a session on two hosts', () => {
  it('has one id on both, collects both hosts\' interventions run after run, and closes as one report', async () => {
    const { startFleet } = await import('../helpers/fleet.js')
    const fleet = await startFleet(2)
    const repo2 = await makeMoodleRepo(fleet.servers[0].sshd.user)
    try {
      const base = { ...fleet.base, repository: repo2.dir }
      expect((await runAction({ ...base, mode: 'init', ref: 'v1' })).code).toBe(0)
      const open = await runAction({ ...base, mode: 'session-open', 'session-title': 'Two nodes' })
      expect(open.code, open.stdout).toBe(0)
      const id = open.outputs['session-id']
      for (const s of fleet.servers) expect((await s.sh('cat .delivery/sessions/current')).trim()).toBe(id)
      expect((await runAction({ ...base, mode: 'deliver', ref: 'v2', session: 'required', comment: 'run 1' })).code).toBe(0)
      expect((await runAction({ ...base, mode: 'goback', session: 'required', comment: 'run 2' })).code).toBe(0)
      const close = await runAction({ ...base, mode: 'session-close', 'session-output-state': 'v2 then back to v1' })
      expect(close.code, close.stdout).toBe(0)
      const s = close.report?.session as { interventions: { host: string; mode: string; comment: string }[]; files: { modified: string[] } }
      expect(s.interventions.map((i) => `${i.host}|${i.mode}|${i.comment}`).sort()).toEqual(
        fleet.servers.flatMap((srv) => [`${srv.label}|deliver|run 1`, `${srv.label}|goback|run 2`]).sort(),
      )
      expect(s.files.modified).toContain('mod/forum/lib.php')
      for (const srv of fleet.servers) {
        expect(await srv.sh('test -e .delivery/sessions/current || echo closed')).toContain('closed')
        expect(JSON.parse(await srv.sh(`cat .delivery/sessions/${id}.json`)).status).toBe('closed')
      }
    } finally {
      await fleet.stop()
      await repo2.remove()
    }
  })
})

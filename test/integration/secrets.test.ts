/**
 * Secrets end to end, over a real sshd with an SMTP server on loopback: secrets as short as `1` and `false` leave
 * report.json, the journal and the session well formed (masking inside values, command output kept whole), and a
 * password written into a hook's text is masked in the report files, the summary, the log and the email.
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
  repo = await makeMoodleRepo(t.sshd.user)
  t.base.repository = repo.dir
  const init = await runAction({ ...t.base, mode: 'init', ref: 'v1' })
  expect(init.code, init.stdout).toBe(0)
  smtp = await startSmtp()
  mail = { 'mail-to': 'ops@example.org', 'mail-from': 'delivery@example.org', 'smtp-host': '127.0.0.1', 'smtp-port': String(smtp.port), 'smtp-secure': 'none' }
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
  await smtp?.stop()
})

/** Every line of a JSON-lines file on the server, parsed (throws on a line that is not JSON). */
const jsonLines = async (path: string) =>
  (await t.sh(`cat ${path}`))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('short secrets', () => {
  // A password `false` (the key logs in first) and a repository password `1`: both are secrets, masked everywhere.
  const short = { password: 'false', 'repository-password': '1' }

  it('a secret 1 and a secret false: report.json, the journal and the session stay valid, and the session survives', async () => {
    const open = await runAction({ ...t.base, ...short, mode: 'session-open', 'session-title': 'Term 1 fixes' })
    expect(open.code, open.stdout).toBe(0)
    const id = open.outputs['session-id']
    const deliver = await runAction({ ...t.base, ...short, ...mail, mode: 'deliver', ref: 'v2', comment: 'false alarm 1 fixed' })
    expect(deliver.code, deliver.stdout).toBe(0)
    // report.json is parsed by runAction; the files on disk and in the mail parse too.
    expect(deliver.report?.outcome).toBe('success')
    expect(deliver.report?.comment).toBe('*** alarm *** fixed')
    expect(deliver.report?.sessionId).toBe(id)
    const m = await smtp.next()
    expect(JSON.parse(m.parsed.attachments.find((a) => a.filename === 'report.json')!.content.toString('utf8')).outcome).toBe('success')
    // Every journal line is JSON, with its numbers and booleans as they were.
    const journal = await jsonLines(`${t.root}/.delivery/journal.jsonl`)
    expect(journal.length).toBeGreaterThan(2)
    expect(journal.some((e) => e.runId && e.mode === 'deliver')).toBe(true)
    // The session: its record and its intervention line read back whole.
    const rec = await readServerJson<{ id: string; title: string; status: string }>(t, `${t.root}/.delivery/sessions/${id}.json`)
    expect(rec).toMatchObject({ id, status: 'open', title: 'Term *** fixes' })
    const lines = await jsonLines(`${t.root}/.delivery/sessions/${id}.jsonl`)
    expect(lines.map((l) => [l.mode, l.outcome, l.comment])).toEqual([['deliver', 'success', '*** alarm *** fixed']])
    // The next runs read state.json and the session as they are: nothing dropped, nothing damaged.
    const st = await runAction({ ...t.base, ...short, mode: 'status' })
    expect(st.code, st.stdout).toBe(0)
    const open2 = (st.report?.hosts[0].status?.sessions as { open: { id: string; interventions: number; damagedLines?: number } }).open
    expect(open2).toMatchObject({ id, interventions: 1 })
    expect(open2.damagedLines ?? 0).toBe(0)
    const close = await runAction({ ...t.base, ...short, mode: 'session-close' })
    expect(close.code, close.stdout).toBe(0)
    expect((close.report?.session as { interventions: unknown[] }).interventions).toHaveLength(1)
  })
})

describe('credentials read from the server', () => {
  it("an adopted checkout's origin holding a token is recorded without it, anywhere", async () => {
    const token = 'Tok3n-Adopt-99x'
    const site = `/tmp/dlv-adopt-cred-${process.pid}`
    const root = `${t.root}-adopt`
    try {
      await t.sh(`rm -rf ${site} && mkdir -p ${site} && cd ${site} && git init -q -b main && echo '<?php' > index.php && git add -A && git -c user.name=a -c user.email=a@b commit -qm one && git remote add origin https://deploy:${token}@git.example.org/site.git`)
      const r = await runAction({ ...t.base, path: root, repository: '', mode: 'init', adopt: site })
      expect(r.code, r.stdout).toBe(0)
      expect(r.stdout).toMatch(/::warning::.*origin holds credentials; recorded without them as https:\/\/git\.example\.org\/site\.git/)
      const state = await readServerJson<{ repository: string }>(t, `${root}/.delivery/state.json`)
      expect(state.repository).toBe('https://git.example.org/site.git')
      const onServer = await t.sh(`cat ${root}/.delivery/state.json ${root}/.delivery/journal.jsonl; git --git-dir=${root}/.delivery/repo.git config --list`)
      expect([onServer, ...Object.values(r.reportFiles), r.summary, r.stdout].join('\n')).not.toContain(token)
    } finally {
      await t.sh(`rm -rf ${site} ${root}`)
    }
  })
})

describe('secrets in hook text', () => {
  it('a password written into after-switch is masked in the report files, the summary, the log and the email', async () => {
    const pw = 'Hook-Pass-42x'
    const r = await runAction({
      ...t.base,
      ...mail,
      mode: 'goback',
      'after-switch': `echo "purged the cache of postgres://moodle:${pw}@db.example.org/moodle"\nPGPASSWORD=${pw} true`,
    })
    expect(r.code, r.stdout).toBe(0)
    const hook = r.report?.hosts[0].steps.find((s) => s.name === 'after-switch') as { detail?: string } | undefined
    expect(hook?.detail).toContain('postgres://moodle:***@db.example.org/moodle')
    const m = await smtp.next()
    const everything = [
      ...Object.values(r.reportFiles),
      r.summary,
      r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'),
      r.stderr,
      m.raw,
    ].join('\n')
    expect(everything).toContain('purged the cache of')
    expect(everything).not.toContain(pw)
  })
})

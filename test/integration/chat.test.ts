/**
 * Chat messages against real HTTP servers on 127.0.0.1: each payload is checked against what its service documents
 * (test/helpers/chat-schemas.ts) and for what a reader needs (outcome, mode, hosts, versions, counts by component,
 * drift, upgrade, links); hostile names stay text; secrets never leave; the generic webhook's signature verifies.
 * Webhooks that fail (500, no answer, nothing listening, redirects, 4xx, 429) give a warning after a bounded number of
 * tries, never an exception; and the inputs are validated without showing the secret URL.
 */
import { createHmac } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { chatReport, type ChatSettings, type ChatTarget, shouldChat, SIGNATURE_HEADER } from '../../src/notify/chat.js'
import { postWebhook } from '../../src/notify/chat-post.js'
import type { Report } from '../../src/report/model.js'
import { readSettings } from '../../src/settings.js'
import type { InputName } from '../../src/inputs.js'
import { runAction, startTarget } from '../helpers/action.js'
import { validateMattermost, validateSlack, validateTeams } from '../helpers/chat-schemas.js'
import { largeReport, loadReport } from '../helpers/reports.js'
import { closedPort, silentServer } from '../helpers/smtp.js'
import { ed25519Pair } from '../helpers/keys.js'

interface Seen {
  path: string
  headers: http.IncomingHttpHeaders
  body: string
}

type Answer = (req: Seen, n: number) => { status: number; body?: string; headers?: Record<string, string> } | 'hang'

/** An HTTP server that records every request and answers as told (by default 200 "ok", as Slack does). */
async function hookServer(answer: Answer = () => ({ status: 200, body: 'ok' })) {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const s = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      seen.push(s)
      const a = answer(s, seen.length)
      if (a === 'hang') return
      res.writeHead(a.status, { 'Content-Type': 'text/plain', ...a.headers })
      res.end(a.body ?? '')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as AddressInfo).port
  const handle = {
    seen,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
  servers.push(handle)
  return handle
}
const servers: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

const FAST = { attempts: 3, attemptTimeoutMs: 2000, totalMs: 20_000, backoffMs: 10 }

function report(): Report {
  const r = loadReport('deliver-success')
  r.artifact = { name: 'delivery-report-deliver-deliver', id: 4242, url: 'https://github.com/example-university/moodle-site/actions/runs/13851234567/artifacts/4242' }
  return r
}

const SLACK_TOKEN = 'T000/B000/XXXXsecretXXXX'

describe('chat payloads, as each service documents them', () => {
  it('posts to Slack, Mattermost, Teams and the generic webhook at once, each payload in its documented form', async () => {
    const srv = await hookServer((s) => (s.path.startsWith('/teams') ? { status: 202 } : { status: 200, body: 'ok' }))
    const chat: ChatSettings = {
      on: ['success', 'failure', 'session'],
      targets: [
        { kind: 'slack', url: srv.url(`/services/${SLACK_TOKEN}`) },
        { kind: 'mattermost', url: srv.url('/hooks/mm-generated-key') },
        { kind: 'teams', url: srv.url('/teams/workflows/abc?sig=teams-signature') },
        { kind: 'webhook', url: srv.url('/generic'), secret: 'hmac-key-0123' },
      ],
    }
    const res = await chatReport(report(), chat, [], FAST)
    expect(res.warnings).toEqual([])
    expect(res.info).toHaveLength(4)
    const by = (p: string) => JSON.parse(srv.seen.find((s) => s.path.startsWith(p))!.body)
    for (const s of srv.seen) expect(s.headers['content-type']).toMatch(/^application\/json/)

    const slack = by('/services/')
    expect(validateSlack(slack)).toEqual([])
    expect(slack.text).toBe('[Delivery] example-university/moodle-site production: deliver success (release-2025-03)')
    const sj = JSON.stringify(slack)
    for (const want of ['deliver succeeded', 'moodle1.example.edu', 'moodle2.example.edu', '3a9e7c1b5d3f → 8c1f0b5d2e4a', '4.3.3 (Build: 20240212) → 4.3.4 (Build: 20240422)', 'mod_forum', 'tool_demo', 'Drift\\n2 file(s) changed by hand', 'Upgrade\\nsuccess', 'actions/runs/13851234567', 'artifacts/4242']) {
      expect(sj, want).toContain(want)
    }
    // Values go as plain_text only: nothing from the report can become markup or a mention.
    expect(sj).not.toContain('"mrkdwn"')

    const mm = by('/hooks/')
    expect(validateMattermost(mm)).toEqual([])
    expect(mm.text).toMatch(/^#### ✅ deliver succeeded: production/)
    expect(mm.text).toContain('| moodle1.example.edu:22 |'.replace('moodle1', 'deploy@moodle1'))
    expect(mm.text).toContain('4.3.3 (Build: 20240212) → 4.3.4 (Build: 20240422)')
    expect(mm.text).toContain('[Workflow run](https://github.com/example-university/moodle-site/actions/runs/13851234567)')
    expect(mm.text).toContain('mod\\_forum')

    const teams = by('/teams/')
    expect(validateTeams(teams)).toEqual([])
    const card = teams.attachments[0].content
    expect(card.version).toBe('1.4')
    expect(card.actions.map((a: { url: string }) => a.url)).toEqual([
      'https://github.com/example-university/moodle-site/actions/runs/13851234567',
      'https://github.com/example-university/moodle-site/actions/runs/13851234567/artifacts/4242',
    ])
    const facts = card.body[3].items[1].facts as { title: string; value: string }[]
    expect(facts.map((f) => f.title)).toEqual(['Outcome', 'Revision', 'Version', 'Files', 'Components', 'Drift', 'Upgrade'])

    const hook = srv.seen.find((s) => s.path === '/generic')!
    const body = JSON.parse(hook.body)
    expect(hook.headers['x-delivery-event']).toBe('run')
    expect(hook.headers['x-delivery-id']).toBe(body.deliveryId)
    // The receiver's check, as README documents it.
    const expected = `sha256=${createHmac('sha256', 'hmac-key-0123').update(hook.body).digest('hex')}`
    expect(hook.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(expected)
    expect(body).toMatchObject({ schemaVersion: 1, kind: 'run', outcome: 'success', mode: 'deliver', site: 'production', ref: 'release-2025-03', artifact: { id: 4242 } })
    expect(body.hosts[0]).toMatchObject({ revisionAfter: '8c1f0b5d2e4a6c8e0f1a3b5c7d9e1f2a4b6c8d0e', appVersionBefore: '4.3.3 (Build: 20240212)', drift: { files: 2 }, upgrade: { outcome: 'success' } })
    expect(body.hosts[0].components.map((c: { component: string }) => c.component)).toContain('tool_demo')
    expect(body.hosts[0].files.total).toBeGreaterThan(0)
    expect(body.hosts[0]).not.toHaveProperty('steps')
  })

  it('the generic webhook carries no signature without a secret; a session-open is its own event', async () => {
    const srv = await hookServer()
    const r: Report = { ...report(), mode: 'session-open', session: { id: 'S20250314T093000Z-abc123', title: 'March release', description: 'd', impact: 'i', status: 'open', openedAt: '2025-03-14T09:30:00Z', openedBy: 'jdupont', interventions: [], files: { added: [], modified: [], deleted: [], renamed: [] } } }
    await chatReport(r, { on: ['session'], targets: [{ kind: 'webhook', url: srv.url('/h') }] }, [], FAST)
    expect(srv.seen[0].headers[SIGNATURE_HEADER.toLowerCase()]).toBeUndefined()
    expect(srv.seen[0].headers['x-delivery-event']).toBe('session-open')
    expect(JSON.parse(srv.seen[0].body).session).toMatchObject({ title: 'March release', status: 'open', interventions: 0 })
  })

  it('keeps hostile names as text: no Slack mention or markup, Markdown escaped for Mattermost and Teams', async () => {
    const srv = await hookServer()
    const r = report()
    r.hosts[0].error = '<!channel> *boom* [click](https://evil.example/) | `x` <script>'
    r.hosts[0].outcome = 'failure'
    r.outcome = 'failure'
    const targets: ChatTarget[] = [
      { kind: 'slack', url: srv.url('/s') },
      { kind: 'mattermost', url: srv.url('/m') },
      { kind: 'teams', url: srv.url('/t') },
    ]
    await chatReport(r, { on: ['failure'], targets }, [], FAST)
    const [s, m, t] = ['/s', '/m', '/t'].map((p) => JSON.parse(srv.seen.find((x) => x.path === p)!.body))
    expect(validateSlack(s)).toEqual([])
    expect(JSON.stringify(s)).not.toContain('"mrkdwn"')
    expect(m.text).not.toContain('[click](https://evil.example/)')
    expect(m.text).toContain('\\[click\\]')
    expect(m.text).not.toContain('<script>')
    expect(JSON.stringify(t)).not.toContain('[click](https://evil.example/)')
  })

  it('shows no secret, whether in the report or in the URL of a webhook that failed', async () => {
    const secret = 's3cr3t-Token-Value'
    const srv = await hookServer((s) => (s.path.startsWith('/bad') ? { status: 404, body: `no hook ${s.path}` } : { status: 200 }))
    const r = report()
    r.comment = `pasted ${secret} here`
    r.hosts[0].error = `failed with ${secret}`
    const bad = srv.url(`/bad/${SLACK_TOKEN}`)
    const res = await chatReport(r, { on: ['success'], targets: [{ kind: 'webhook', url: srv.url('/ok') }, { kind: 'slack', url: bad }] }, [secret, bad], FAST)
    for (const s of srv.seen.filter((x) => x.path === '/ok')) expect(s.body).not.toContain(secret)
    expect(res.warnings).toHaveLength(1)
    expect(res.warnings[0]).toContain('Slack webhook at 127.0.0.1')
    expect(res.warnings[0]).toContain('HTTP 404')
    expect(res.warnings[0]).not.toContain(SLACK_TOKEN)
  })

  it('stays within every limit for 10,000 files and 40 hosts', async () => {
    const srv = await hookServer()
    const r = largeReport(10_000)
    r.hosts = Array.from({ length: 40 }, (_, i) => ({ ...r.hosts[0], host: `deploy@node${i}.example.edu:22`, error: 'x'.repeat(5000) }))
    await chatReport(r, { on: ['success'], targets: [{ kind: 'slack', url: srv.url('/s') }, { kind: 'mattermost', url: srv.url('/m') }, { kind: 'teams', url: srv.url('/t') }] }, [], FAST)
    const [s, m, t] = ['/s', '/m', '/t'].map((p) => JSON.parse(srv.seen.find((x) => x.path === p)!.body))
    expect(validateSlack(s)).toEqual([])
    expect(validateMattermost(m)).toEqual([])
    expect(validateTeams(t)).toEqual([])
    expect(JSON.stringify(s)).toContain('and 30 more host(s): 30 success')
    expect(JSON.stringify(s)).toContain('"Files\\n10000 (2500 added, 2500 modified, 2500 deleted, 2500 renamed)"')
  })

  it('chat-on decides which runs are posted', async () => {
    const runs = [
      { mode: 'deliver', outcome: 'success' },
      { mode: 'deliver', outcome: 'failure' },
      { mode: 'backtoprod', outcome: 'refused' },
      { mode: 'session-open', outcome: 'success' },
      { mode: 'session-close', outcome: 'failure' },
    ] as const
    const on = (e: ('success' | 'failure' | 'session')[]) => runs.map((r) => shouldChat(e, r))
    expect(on(['failure'])).toEqual([false, true, true, false, true])
    expect(on(['success'])).toEqual([true, false, false, true, false])
    expect(on(['session'])).toEqual([false, false, false, true, true])
    expect(on(['success', 'failure', 'session'])).toEqual([true, true, true, true, true])
    const srv = await hookServer()
    const res = await chatReport(report(), { on: ['failure'], targets: [{ kind: 'slack', url: srv.url('/s') }] }, [], FAST)
    expect(srv.seen).toHaveLength(0)
    expect(res.info[0]).toMatch(/no chat message: chat-on is failure and the run succeeded/)
  })
})

describe('webhooks that do not cooperate: a warning, a bounded number of tries', () => {
  const body = JSON.stringify({ text: 'x' })

  it('500 every time: three tries, then a warning', async () => {
    const srv = await hookServer(() => ({ status: 500, body: 'internal error' }))
    const res = await chatReport(report(), { on: ['success'], targets: [{ kind: 'slack', url: srv.url('/s') }] }, [], FAST)
    expect(srv.seen).toHaveLength(3)
    expect(res.warnings[0]).toMatch(/not posted to the Slack webhook at 127\.0\.0\.1:\d+ after 3 try\(s\): HTTP 500: internal error\. The delivery itself is not affected/)
  })

  it('500 once, then 200: delivered on the second try', async () => {
    const srv = await hookServer((_, n) => (n === 1 ? { status: 503 } : { status: 200, body: 'ok' }))
    const res = await chatReport(report(), { on: ['success'], targets: [{ kind: 'mattermost', url: srv.url('/m') }] }, [], FAST)
    expect(res.warnings).toEqual([])
    expect(res.info[0]).toMatch(/report posted to the Mattermost webhook at .* \(HTTP 200, try 2\)/)
    expect(srv.seen[0].body).toBe(srv.seen[1].body)
  })

  it('a server that accepts and never answers is given up after the try timeout', async () => {
    const silent = await silentServer()
    servers.push(silent)
    const r = await postWebhook(`http://127.0.0.1:${silent.port}/x`, body, {}, { attempts: 2, attemptTimeoutMs: 300, totalMs: 10_000, backoffMs: 10 })
    expect(r).toMatchObject({ ok: false, status: 0, attempts: 2 })
    expect(r.error).toBe('no answer within 300 ms')
    expect(silent.connections()).toBe(2)
  })

  it('an HTTP server that reads the request and never answers is given up the same way', async () => {
    const srv = await hookServer(() => 'hang')
    const r = await postWebhook(srv.url('/x'), body, {}, { attempts: 1, attemptTimeoutMs: 300, totalMs: 10_000, backoffMs: 10 })
    expect(r.error).toBe('no answer within 300 ms')
    expect(srv.seen).toHaveLength(1)
  })

  it('nothing listening: connection refused, a warning', async () => {
    const port = await closedPort()
    const res = await chatReport(report(), { on: ['success'], targets: [{ kind: 'teams', url: `http://127.0.0.1:${port}/t` }] }, [], FAST)
    expect(res.warnings[0]).toMatch(/Teams webhook at 127\.0\.0\.1:\d+ after 3 try\(s\): ECONNREFUSED/)
  })

  it('a redirect is not followed (the payload goes nowhere nobody chose) and not retried', async () => {
    const other = await hookServer()
    for (const status of [301, 302, 307, 308]) {
      const srv = await hookServer(() => ({ status, headers: { Location: other.url('/elsewhere') } }))
      const r = await postWebhook(srv.url('/moved'), body, {}, FAST)
      expect(r).toMatchObject({ ok: false, status, attempts: 1 })
      expect(r.error).toContain(`a redirect to ${other.url('/elsewhere')}, not followed`)
      expect(srv.seen).toHaveLength(1)
    }
    expect(other.seen).toHaveLength(0)
  })

  it('a 4xx answer (a bad or revoked webhook) is not retried', async () => {
    const srv = await hookServer(() => ({ status: 403, body: 'invalid_token' }))
    const r = await postWebhook(srv.url('/x'), body, {}, FAST)
    expect(r).toMatchObject({ ok: false, status: 403, attempts: 1, error: 'HTTP 403: invalid_token' })
  })

  it('429 is retried as Retry-After asks, and given up when that passes the time bound', async () => {
    const srv = await hookServer((_, n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '0' } } : { status: 200 }))
    expect(await postWebhook(srv.url('/x'), body, {}, FAST)).toMatchObject({ ok: true, attempts: 2 })
    const slow = await hookServer(() => ({ status: 429, headers: { 'Retry-After': '3600' } }))
    const r = await postWebhook(slow.url('/x'), body, {}, FAST)
    expect(r).toMatchObject({ ok: false, status: 429, attempts: 1 })
    expect(r.error).toContain('Retry-After 3600 s is past the time bound')
  })

  it('the total time bound stops the tries before the count does', async () => {
    const srv = await hookServer(() => ({ status: 500 }))
    const r = await postWebhook(srv.url('/x'), body, {}, { attempts: 50, attemptTimeoutMs: 2000, totalMs: 300, backoffMs: 100 })
    expect(r.ok).toBe(false)
    // 100 + 200 ms of waits leave no room for a wait of 400 ms: at most three tries.
    expect(r.attempts).toBeLessThanOrEqual(3)
    expect(srv.seen.length).toBe(r.attempts)
  })
})

describe('chat inputs', () => {
  const key = ed25519Pair().private
  const base: Partial<Record<InputName, string>> = { mode: 'status', hosts: 'deploy@web1.example.org', 'private-key': key, 'host-fingerprint': `SHA256:${'A'.repeat(43)}`, path: '/srv/moodle' }
  const read = (extra: Partial<Record<InputName, string>>) => readSettings((n) => ({ ...base, ...extra })[n] ?? '', {}, true)
  const problems = (extra: Partial<Record<InputName, string>>) => {
    try {
      read(extra)
      return ''
    } catch (e) {
      return (e as Error).message
    }
  }

  it('reads the webhooks as secrets, and chat-on as always, never or a list', () => {
    const s = read({ 'slack-webhook-url': 'https://hooks.slack.com/services/T0/B0/abc', 'webhook-url': 'https://ops.example.org/h', 'webhook-secret': 'k3y-value', 'chat-on': 'failure, session' })
    expect(s.chat).toEqual({
      on: ['failure', 'session'],
      targets: [
        { kind: 'slack', url: 'https://hooks.slack.com/services/T0/B0/abc', secret: undefined },
        { kind: 'webhook', url: 'https://ops.example.org/h', secret: 'k3y-value' },
      ],
    })
    expect(s.secrets).toEqual(expect.arrayContaining(['https://hooks.slack.com/services/T0/B0/abc', 'k3y-value']))
    expect(read({ 'teams-webhook-url': 'https://x.example.org/w' }).chat?.on).toEqual(['success', 'failure', 'session'])
    expect(read({ 'teams-webhook-url': 'https://x.example.org/w', 'chat-on': 'never' }).chat).toBeUndefined()
    expect(read({}).chat).toBeUndefined()
  })

  it('refuses bad values, naming the input and never showing the URL', () => {
    const clear = problems({ 'slack-webhook-url': 'http://hooks.example.org/services/SECRET1' })
    expect(clear).toMatch(/Input 'slack-webhook-url': uses http: .*https:\/\//)
    expect(clear).not.toContain('SECRET1')
    const notUrl = problems({ 'teams-webhook-url': 'SECRET2 not a url' })
    expect(notUrl).toMatch(/Input 'teams-webhook-url': is not a URL/)
    expect(notUrl).not.toContain('SECRET2')
    expect(problems({ 'mattermost-webhook-url': 'https://user:SECRET3@mm.example.org/hooks/x' })).toMatch(/'mattermost-webhook-url': holds credentials/)
    expect(problems({ 'webhook-secret': 'k' })).toMatch(/'webhook-secret': is given while 'webhook-url' is empty/)
    expect(problems({ 'slack-webhook-url': 'https://h.example.org/x', 'chat-on': 'failure, sometimes' })).toMatch(/'chat-on': .* is not always, never, or a list of success, failure, session/)
    // Loopback may use http (a relay on the runner itself).
    expect(problems({ 'webhook-url': 'http://127.0.0.1:8080/hook' })).toBe('')
  })
})

describe('the Action with webhooks, end to end over a real sshd', () => {
  it('posts the run to every webhook; a failing one is a warning, the run succeeds, no URL is printed', async () => {
    const t = await startTarget()
    try {
      const ok = await hookServer()
      const down = await hookServer(() => ({ status: 500, body: 'down' }))
      const inputs = {
        ...t.base,
        mode: 'status',
        'slack-webhook-url': ok.url(`/services/${SLACK_TOKEN}`),
        'teams-webhook-url': down.url('/workflows/teams-sig-0123456789'),
        'webhook-url': ok.url('/generic-hook-path'),
        'webhook-secret': 'shared-hmac-secret',
      }
      const r = await runAction(inputs)
      expect(r.code).toBe(0)
      expect(ok.seen.map((s) => s.path).sort()).toEqual(['/generic-hook-path', `/services/${SLACK_TOKEN}`])
      expect(validateSlack(JSON.parse(ok.seen.find((s) => s.path.startsWith('/services/'))!.body))).toEqual([])
      const hook = ok.seen.find((s) => s.path === '/generic-hook-path')!
      expect(hook.headers['x-delivery-signature-256']).toBe(`sha256=${createHmac('sha256', 'shared-hmac-secret').update(hook.body).digest('hex')}`)
      expect(JSON.parse(hook.body)).toMatchObject({ mode: 'status', outcome: 'success', kind: 'run' })
      expect(down.seen).toHaveLength(3)
      expect(r.stdout).toMatch(/::warning::the report was not posted to the Teams webhook at 127\.0\.0\.1:\d+ after 3 try\(s\): HTTP 500: down/)
      const printed = r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n') + r.stderr + r.summary
      for (const secret of [SLACK_TOKEN, 'teams-sig-0123456789', 'generic-hook-path', 'shared-hmac-secret']) expect(printed).not.toContain(secret)
    } finally {
      await t.stop()
    }
  })
})

/**
 * The report in chat: Slack (Block Kit through an incoming webhook), Mattermost (Markdown through an incoming
 * webhook), Microsoft Teams (an Adaptive Card through a Workflows webhook) and a generic JSON webhook (the report's
 * summary, signed with HMAC-SHA256 when a secret is given). Every message is built from the masked summary
 * (summary.ts): no file list, no secret. Posting never throws and never fails a delivery: a webhook that cannot be
 * reached, times out or answers other than 2xx is retried a bounded number of times within a total time bound, then
 * reported as a warning. URLs are secrets: messages name a webhook by its kind and host only.
 */
import { createHmac, randomUUID } from 'node:crypto'
import type { Outcome, Report } from '../report/model.js'
import { mdEscape } from '../report/markdown.js'
import { beforeAfter, formatMs, shortRev } from '../report/view.js'
import { maskSecrets } from '../transport/run.js'
import { VERSION } from '../version.js'
import { type HostSummary, maskValues, type ReportSummary, summarize } from './summary.js'

export { maskValues } from './summary.js'
import { mailSubject } from './mail.js'
import type { ChatEvent, ChatKind, ChatSettings, ChatTarget } from './chat-settings.js'

export { CHAT_EVENTS, type ChatEvent, type ChatKind, type ChatSettings, type ChatTarget } from './chat-settings.js'

/** The header that carries the signature of the generic webhook's body: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'X-Delivery-Signature-256'
export const EVENT_HEADER = 'X-Delivery-Event'
export const ID_HEADER = 'X-Delivery-Id'

const KIND_NAME: Record<ChatKind, string> = { slack: 'Slack', mattermost: 'Mattermost', teams: 'Teams', webhook: 'JSON' }
const ICON: Record<Outcome, string> = { success: '✅', failure: '❌', refused: '⛔', skipped: '⏭️' }

/** Whether `chat-on` asks for a message about this run. */
export function shouldChat(on: readonly ChatEvent[], r: Pick<Report, 'mode' | 'outcome'>): boolean {
  if (on.includes('session') && (r.mode === 'session-open' || r.mode === 'session-close')) return true
  return on.includes(r.outcome === 'success' ? 'success' : 'failure')
}

/** Cuts text to at most `max` characters, saying so with an ellipsis. */
export function clip(text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`
}

const http = (u: string | undefined): string | undefined => {
  if (!u) return undefined
  try {
    const p = new URL(u)
    return p.protocol === 'https:' || p.protocol === 'http:' ? p.href : undefined
  } catch {
    return undefined
  }
}

/** Where the report files are: the artifact's page, else the run's page (its artifacts are listed there). */
function artifactLink(s: ReportSummary): { url: string; label: string } | undefined {
  const a = s.artifact
  const url = http(a?.url) ?? (a && http(s.runUrl) ? `${s.runUrl}#artifacts` : undefined)
  return url ? { url, label: `Report artifact${a ? ` ${a.name}` : ''}` } : undefined
}

/** The facts of one host, as label and plain value, in the order every message shows them. */
export function hostFacts(h: HostSummary): [string, string][] {
  const facts: [string, string][] = [['Outcome', `${ICON[h.outcome]} ${h.outcome}${h.rolledBack ? ' (went back to the safe tree)' : ''}`]]
  const rev = beforeAfter(h.revisionBefore, h.revisionAfter, shortRev)
  if (rev) facts.push(['Revision', rev])
  const ver = beforeAfter(h.appVersionBefore, h.appVersionAfter)
  if (ver) facts.push(['Version', ver])
  const f = h.files
  const kinds = (['added', 'modified', 'deleted', 'renamed'] as const).filter((k) => f[k] > 0).map((k) => `${f[k]} ${k}`)
  facts.push(['Files', `${f.total}${kinds.length ? ` (${kinds.join(', ')})` : ''}`])
  if (h.components?.length) {
    const shown = h.components.slice(0, 12).map((c) => `${c.component} ${c.added + c.modified + c.deleted + c.renamed}`)
    facts.push(['Components', `${shown.join(', ')}${h.components.length > 12 ? `, and ${h.components.length - 12} more` : ''}`])
  }
  facts.push(['Drift', h.drift.files ? `${h.drift.files} file(s) changed by hand, saved (${h.drift.trees.map((t) => `${t.role} ${t.files}`).join(', ')})` : 'none'])
  if (h.upgrade) facts.push(['Upgrade', `${h.upgrade.outcome} in ${formatMs(h.upgrade.ms)}${h.upgrade.detail ? `: ${h.upgrade.detail}` : ''}`])
  if (h.restore) facts.push(['Restore by hand', h.restore])
  if (h.error) facts.push(['Error', h.error])
  return facts
}

function runLine(s: ReportSummary): string {
  const parts = [s.repositoryName || s.repository, s.ref, s.commit ? shortRev(s.commit) : '', `by ${s.actor}`, s.trigger ? `(${s.trigger})` : ''].filter(Boolean)
  return parts.join(' · ')
}

function sessionLines(s: ReportSummary): string[] {
  const x = s.session
  if (!x) return []
  const lines = [`Session ${x.title} (${x.id}), ${x.status}: ${x.interventions} intervention(s), ${x.files} file(s)`]
  if (x.outputState) lines.push(`Output state: ${x.outputState}`)
  if (x.followup) lines.push(`Follow-up: ${x.followup}`)
  return lines
}

/** At most this many hosts get their own section; the others are counted by outcome. */
const HOSTS_SHOWN = 10

function otherHosts(s: ReportSummary): string | undefined {
  const rest = s.hosts.slice(HOSTS_SHOWN)
  if (!rest.length) return undefined
  const by = new Map<string, number>()
  for (const h of rest) by.set(h.outcome, (by.get(h.outcome) ?? 0) + 1)
  return `and ${rest.length} more host(s): ${[...by].map(([o, n]) => `${n} ${o}`).join(', ')} (the report lists them all)`
}

// --- Slack ---------------------------------------------------------------------------------------------------------

type SlackText = { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean }
const plain = (text: string, max: number): SlackText => ({ type: 'plain_text', text: clip(text, max) || ' ' })

/**
 * Slack's incoming webhook payload: `text` (the notification and fallback line) and Block Kit `blocks` (header,
 * sections, context, action buttons). Every value from the report goes in plain_text objects, so nothing in a name can
 * turn into markup or a mention. Limits kept: 50 blocks, header 150 characters, section text 3000, 10 fields of 2000,
 * button text 75, button URL 3000.
 */
export function slackPayload(s: ReportSummary, subject: string): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = []
  blocks.push({ type: 'header', text: plain(`${ICON[s.outcome]} ${s.headline}: ${s.site}`, 150) })
  blocks.push({ type: 'section', text: plain([s.verdict, ...sessionLines(s)].join('\n'), 3000) })
  blocks.push({ type: 'context', elements: [plain(runLine(s), 2000)] })
  for (const h of s.hosts.slice(0, HOSTS_SHOWN)) {
    blocks.push({ type: 'divider' })
    blocks.push({ type: 'section', text: plain(h.host, 3000), fields: hostFacts(h).slice(0, 10).map(([k, v]) => plain(`${k}\n${v}`, 2000)) })
  }
  const rest = otherHosts(s)
  if (rest) blocks.push({ type: 'section', text: plain(rest, 3000) })
  const buttons: Record<string, unknown>[] = []
  if (http(s.runUrl) && s.runUrl.length <= 3000) buttons.push({ type: 'button', text: plain('Workflow run', 75), url: s.runUrl })
  const art = artifactLink(s)
  if (art && art.url.length <= 3000) buttons.push({ type: 'button', text: plain(art.label, 75), url: art.url })
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons })
  return { text: clip(subject, 3000), blocks: blocks.slice(0, 50) }
}

// --- Mattermost ----------------------------------------------------------------------------------------------------

/** Mattermost's post size limit (characters) in a default installation. */
export const MATTERMOST_TEXT_LIMIT = 16383

/**
 * Mattermost's incoming webhook payload: `text` in Markdown (Mattermost does not render Slack's blocks): a heading,
 * the verdict, a table of the hosts, the components, and links. Values are escaped for Markdown.
 */
export function mattermostPayload(s: ReportSummary): Record<string, unknown> {
  const e = mdEscape
  const out: string[] = [`#### ${ICON[s.outcome]} ${e(s.headline)}: ${e(s.site)}`, e(s.verdict)]
  for (const l of sessionLines(s)) out.push(e(l))
  out.push(`_${e(runLine(s))}_`)
  const shown = s.hosts.slice(0, HOSTS_SHOWN)
  if (shown.length) {
    out.push('', '| Host | Outcome | Revision | Version | Files | Drift | Upgrade |', '|---|---|---|---|---:|---|---|')
    for (const h of shown) {
      const f = Object.fromEntries(hostFacts(h))
      out.push(`| ${[h.host, f.Outcome, f.Revision ?? '–', f.Version ?? '–', f.Files, f.Drift, f.Upgrade ?? '–'].map((v) => e(v)).join(' | ')} |`)
    }
    const rest = otherHosts(s)
    if (rest) out.push('', e(rest))
    for (const h of shown) {
      const f = Object.fromEntries(hostFacts(h))
      if (f.Components) out.push('', `**${e(h.host)}** components: ${e(f.Components)}`)
      if (f['Restore by hand']) out.push('', `**${e(h.host)}** restore by hand: ${e(f['Restore by hand'])}`)
      if (f.Error) out.push('', `**${e(h.host)}** error: ${e(clip(f.Error, 1000))}`)
    }
  }
  const art = artifactLink(s)
  const links = [http(s.runUrl) ? `[Workflow run](${s.runUrl})` : '', art ? `[${e(art.label)}](${art.url})` : ''].filter(Boolean)
  if (links.length) out.push('', links.join(' · '))
  return { text: clip(out.join('\n'), MATTERMOST_TEXT_LIMIT) }
}

// --- Microsoft Teams -----------------------------------------------------------------------------------------------

/** Adaptive Card text is a Markdown subset: brackets and emphasis marks in values are escaped. */
const cardText = (s: string) => s.replace(/[\\[\]*_`]/g, (c) => `\\${c}`)

/**
 * Teams through a Workflows (Power Automate) webhook: a message activity whose one attachment is an Adaptive Card 1.4
 * (TextBlocks, FactSets, Action.OpenUrl), full width.
 */
export function teamsPayload(s: ReportSummary): Record<string, unknown> {
  const good = s.outcome === 'success'
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: cardText(`${ICON[s.outcome]} ${s.headline}: ${s.site}`), size: 'Large', weight: 'Bolder', color: good ? 'Good' : 'Attention', wrap: true },
    { type: 'TextBlock', text: cardText([s.verdict, ...sessionLines(s)].join('\n\n')), wrap: true },
    { type: 'TextBlock', text: cardText(runLine(s)), isSubtle: true, spacing: 'None', wrap: true },
  ]
  for (const h of s.hosts.slice(0, HOSTS_SHOWN)) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        { type: 'TextBlock', text: cardText(h.host), weight: 'Bolder', wrap: true },
        { type: 'FactSet', facts: hostFacts(h).map(([title, value]) => ({ title, value: cardText(clip(value, 1000)) })) },
      ],
    })
  }
  const rest = otherHosts(s)
  if (rest) body.push({ type: 'TextBlock', text: cardText(rest), wrap: true })
  const actions: Record<string, unknown>[] = []
  if (http(s.runUrl)) actions.push({ type: 'Action.OpenUrl', title: 'Workflow run', url: s.runUrl })
  const art = artifactLink(s)
  if (art) actions.push({ type: 'Action.OpenUrl', title: art.label, url: art.url })
  const card: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    fallbackText: `${s.headline}: ${s.site}`,
    body,
    msteams: { width: 'Full' },
  }
  if (actions.length) card.actions = actions
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] }
}

// --- Generic webhook -----------------------------------------------------------------------------------------------

/** `sha256=` and the hex HMAC-SHA256 of the raw body under the secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
}

/** The generic webhook's body: the summary, with an id (the same on every retry) and the time it was sent. */
export function webhookBody(s: ReportSummary, id: string, sentAt: Date): string {
  return JSON.stringify({ ...s, deliveryId: id, sentAt: sentAt.toISOString() })
}

// --- Posting -------------------------------------------------------------------------------------------------------

export interface PostOptions {
  /** Tries in all (default 3). */
  attempts: number
  /** Bound on one try, from connecting to the end of the answer (default 10 s). */
  attemptTimeoutMs: number
  /** Bound on all the tries of one webhook together, waits included (default 30 s). */
  totalMs: number
  /** Wait before the second try; doubled before each later one (default 1 s). */
  backoffMs: number
}

export const DEFAULT_POST: PostOptions = { attempts: 3, attemptTimeoutMs: 10_000, totalMs: 30_000, backoffMs: 1000 }

export interface PostResult {
  ok: boolean
  /** The last HTTP status (0: no answer). */
  status: number
  attempts: number
  /** Why it failed, in words (unmasked: the caller masks). */
  error?: string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } }
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${formatMs(timeoutMs)}`
  const cause = err.cause
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.startsWith(cause.code) ? ` (${cause.message})` : ''}`
  return cause?.message ?? err.message
}

/**
 * POSTs `body` to `url`. Answers 2xx are success. Redirects are not followed (a webhook that moved must be given its
 * new address, and the body must not be sent somewhere nobody chose). Retried: no connection, no answer in time, 5xx
 * and 429 (waiting as Retry-After asks when that fits the time left); not retried: other 3xx and 4xx.
 */
export async function postWebhook(url: string, body: string, headers: Record<string, string>, opts: PostOptions = DEFAULT_POST): Promise<PostResult> {
  const deadline = Date.now() + opts.totalMs
  let last: PostResult = { ok: false, status: 0, attempts: 0, error: 'not sent' }
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const left = deadline - Date.now()
    if (left <= 0) break
    const timeout = Math.min(opts.attemptTimeoutMs, left)
    let retryAfterMs: number | undefined
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': `delivery/${VERSION}`, ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeout),
      })
      const text = (await res.text()).slice(0, 300).replace(/\s+/g, ' ').trim()
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, attempts: attempt }
      const answer = `HTTP ${res.status}${text ? `: ${text}` : ''}`
      if (res.status >= 300 && res.status < 400) {
        return { ok: false, status: res.status, attempts: attempt, error: `${answer} (a redirect${res.headers.get('location') ? ` to ${res.headers.get('location')}` : ''}, not followed: give the webhook's current URL)` }
      }
      last = { ok: false, status: res.status, attempts: attempt, error: answer }
      if (res.status !== 429 && res.status < 500) return last
      const ra = res.headers.get('retry-after')
      if (ra && /^\d{1,6}$/.test(ra.trim())) retryAfterMs = Number(ra.trim()) * 1000
    } catch (e) {
      last = { ok: false, status: 0, attempts: attempt, error: describeFetchError(e, timeout) }
    }
    if (attempt === opts.attempts) break
    const wait = retryAfterMs ?? opts.backoffMs * 2 ** (attempt - 1)
    if (Date.now() + wait >= deadline) {
      last.error += retryAfterMs !== undefined ? ` (Retry-After ${retryAfterMs / 1000} s is past the time bound)` : ''
      break
    }
    await sleep(wait)
  }
  return last
}

/** The secret parts of a webhook URL (the whole, the path with its query, each alone), long enough to mask. */
export function urlParts(url: string): string[] {
  const parts = [url]
  try {
    const u = new URL(url)
    for (const p of [`${u.pathname}${u.search}`, u.pathname, u.search.slice(1), decodeURIComponent(u.pathname)]) if (p.length >= 8) parts.push(p)
  } catch {
    /* validated before */
  }
  return parts
}

/** How a target is named in the log: its kind and host, never its URL (a secret). */
export function targetLabel(t: ChatTarget): string {
  let host = '?'
  try {
    host = new URL(t.url).host
  } catch {
    /* validated before */
  }
  return `${KIND_NAME[t.kind]} webhook at ${host}`
}

/** The request for one target: body and headers (the generic webhook's signed when a secret is given). */
export function chatRequest(t: ChatTarget, s: ReportSummary, subject: string, now = new Date()): { body: string; headers: Record<string, string> } {
  switch (t.kind) {
    case 'slack':
      return { body: JSON.stringify(slackPayload(s, subject)), headers: {} }
    case 'mattermost':
      return { body: JSON.stringify(mattermostPayload(s)), headers: {} }
    case 'teams':
      return { body: JSON.stringify(teamsPayload(s)), headers: {} }
    case 'webhook': {
      const id = randomUUID()
      const body = webhookBody(s, id, now)
      const headers: Record<string, string> = { [EVENT_HEADER]: s.kind, [ID_HEADER]: id }
      if (t.secret) headers[SIGNATURE_HEADER] = signBody(body, t.secret)
      return { body, headers }
    }
  }
}

export interface ChatOutcome {
  info: string[]
  warnings: string[]
}

/**
 * Sends the report to every chat target at once, when `chat-on` asks for it. Never throws; failures come back as
 * warnings (masked), each saying that the delivery is not affected.
 */
export async function chatReport(r: Report, chat: ChatSettings, secrets: readonly string[], opts: PostOptions = DEFAULT_POST): Promise<ChatOutcome> {
  const out: ChatOutcome = { info: [], warnings: [] }
  if (!chat.targets.length) return out
  if (!shouldChat(chat.on, r)) {
    out.info.push(`no chat message: chat-on is ${chat.on.length ? chat.on.join(', ') : 'never'} and the run ${r.outcome === 'success' ? 'succeeded' : r.outcome}`)
    return out
  }
  // A service may echo the path or query of its URL in an error: those parts are masked too.
  const hidden = [...secrets, ...chat.targets.flatMap((t) => urlParts(t.url))]
  const summary = maskValues(summarize(r), secrets)
  const subject = maskSecrets(mailSubject(r), secrets)
  await Promise.all(
    chat.targets.map(async (t) => {
      const label = targetLabel(t)
      try {
        const req = chatRequest(t, summary, subject)
        const res = await postWebhook(t.url, req.body, req.headers, opts)
        if (res.ok) out.info.push(`report posted to the ${label} (HTTP ${res.status}${res.attempts > 1 ? `, try ${res.attempts}` : ''})`)
        else out.warnings.push(maskSecrets(`the report was not posted to the ${label} after ${res.attempts} try(s): ${res.error}. The delivery itself is not affected`, hidden))
      } catch (e) {
        out.warnings.push(maskSecrets(`the report was not posted to the ${label}: ${(e as Error).message}. The delivery itself is not affected`, hidden))
      }
    }),
  )
  return out
}

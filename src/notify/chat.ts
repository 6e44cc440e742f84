/**
 * The report in chat: Slack (Block Kit through an incoming webhook), Mattermost (Markdown through an incoming
 * webhook), Microsoft Teams (an Adaptive Card through a Workflows webhook) and a generic JSON webhook (the report's
 * summary, signed with HMAC-SHA256 when a secret is given). Every message is built from the masked summary
 * (summary.ts): no file list, no secret. Posting never throws and never fails a delivery: a webhook that cannot be
 * reached, times out or answers other than 2xx is retried a bounded number of times within a total time bound, then
 * reported as a warning. URLs are secrets: messages name a webhook by its kind and host only. The messages are built in
 * chat-payloads.ts, posted by chat-post.ts.
 */
import { randomUUID } from 'node:crypto'
import type { Report } from '../report/model.js'
import { maskSecrets } from '../transport/run.js'
import type { ChatEvent, ChatKind, ChatSettings, ChatTarget } from './chat-settings.js'
import { mattermostPayload, signBody, slackPayload, teamsPayload, webhookBody } from './chat-payloads.js'
import { DEFAULT_POST, type PostOptions, postWebhook, urlParts } from './chat-post.js'
import { mailSubject } from './mail.js'
import { maskValues, type ReportSummary, summarize } from './summary.js'

export { CHAT_EVENTS, type ChatEvent, type ChatKind, type ChatSettings, type ChatTarget } from './chat-settings.js'

/** The header that carries the signature of the generic webhook's body: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'X-Delivery-Signature-256'
export const EVENT_HEADER = 'X-Delivery-Event'
export const ID_HEADER = 'X-Delivery-Id'

const KIND_NAME: Record<ChatKind, string> = { slack: 'Slack', mattermost: 'Mattermost', teams: 'Teams', webhook: 'JSON' }

/** Whether `chat-on` asks for a message about this run. */
export function shouldChat(on: readonly ChatEvent[], r: Pick<Report, 'mode' | 'outcome'>): boolean {
  if (on.includes('session') && (r.mode === 'session-open' || r.mode === 'session-close')) return true
  return on.includes(r.outcome === 'success' ? 'success' : 'failure')
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

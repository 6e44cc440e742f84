/**
 * Settings of the notifications: the report by mail (SMTP), and the chat webhooks (Slack, Mattermost, Teams, generic
 * JSON) with the runs they are posted for. The webhook URLs are secrets: no message shows them.
 */
import { InputError } from '../errors.js'
import type { InputName } from '../inputs.js'
import { type ChatEvent, CHAT_EVENTS, type ChatTarget } from '../notify/chat-settings.js'
import { parseEmail, parseEnum, parseInteger, show, splitList } from '../validate.js'
import type { Inputs } from './problems.js'
import type { Settings } from './types.js'

/** `chat-on`: `always`, `never`, or a list of events. */
function parseChatOn(value: string): ChatEvent[] {
  const items = splitList(value)
  if (items.length === 1 && items[0] === 'always') return [...CHAT_EVENTS]
  if (items.length === 1 && items[0] === 'never') return []
  const bad = items.filter((i) => !(CHAT_EVENTS as readonly string[]).includes(i))
  if (bad.length || !items.length) {
    throw new InputError('chat-on', `${show(value)} is not always, never, or a list of ${CHAT_EVENTS.join(', ')}`, 'Use e.g. always, or failure, session')
  }
  return [...new Set(items as ChatEvent[])]
}

/**
 * A webhook URL: https (or http to this machine only); the value is a secret, so the message never shows it.
 */
function parseWebhookUrl(name: InputName, value: string, example: string): string {
  const v = value.trim()
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new InputError(name, 'is not a URL (the value is a secret and is not shown)', `Give the whole webhook URL, e.g. ${example}`)
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw new InputError(name, `uses ${u.protocol.replace(/[^a-z:]/g, '')} (the URL would travel in clear)`, 'Give an https:// URL')
  }
  if (/[\s\x00-\x1f]/.test(v)) throw new InputError(name, 'contains white space', 'Give the URL on one line, encoded')
  if (u.username || u.password) throw new InputError(name, 'holds credentials before the host', 'Give the URL as the service shows it')
  // As given (not normalised): the secret masked in every message is this exact text.
  return v
}

/** The report by mail; undefined when no recipient is given. */
export function readMail(inputs: Inputs): Settings['mail'] {
  const { raw } = inputs
  const mailTo = inputs.take(() => splitList(raw['mail-to']).map((a) => parseEmail('mail-to', a)), [] as string[])
  const mailOn = inputs.parse('mail-on', (v) => parseEnum('mail-on', v, ['always', 'failure', 'never'] as const))
  const smtpPort = inputs.parse('smtp-port', (v) => parseInteger('smtp-port', v, 1, 65535))
  const smtpSecure = inputs.parse('smtp-secure', (v) => parseEnum('smtp-secure', v, ['tls', 'starttls', 'none'] as const))
  const mailFrom = inputs.take(() => (inputs.opt('mail-from') ? parseEmail('mail-from', raw['mail-from']) : undefined), undefined)
  const smtpHost = inputs.take(() => {
    const v = inputs.opt('smtp-host')
    if (v && !/^[A-Za-z0-9._-]+$|^\[?[0-9a-fA-F:.]+\]?$/.test(v)) {
      throw new InputError('smtp-host', `${show(v)} is not a host name`, 'Give the SMTP server name, e.g. smtp.example.org')
    }
    return v
  }, undefined)
  if (mailTo.length === 0) return undefined
  if (!smtpHost) inputs.add('smtp-host', "is required when 'mail-to' is given", 'Give your SMTP server')
  if (!mailFrom) inputs.add('mail-from', "is required when 'mail-to' is given", 'Give the sender address')
  if (raw['smtp-password'] && !inputs.opt('smtp-username')) {
    inputs.add('smtp-username', "is empty while 'smtp-password' is given", 'Give the SMTP user name')
  }
  return {
    to: mailTo,
    from: mailFrom ?? '',
    on: mailOn,
    host: smtpHost ?? '',
    port: smtpPort,
    secure: smtpSecure,
    username: inputs.opt('smtp-username'),
    password: raw['smtp-password'] || undefined,
  }
}

const HOOKS = [
  ['slack-webhook-url', 'slack', 'https://hooks.slack.com/services/...'],
  ['mattermost-webhook-url', 'mattermost', 'https://mattermost.example.org/hooks/...'],
  ['teams-webhook-url', 'teams', 'the URL of the Workflows webhook (Post to a channel when a webhook request is received)'],
  ['webhook-url', 'webhook', 'https://ops.example.org/delivery-hook'],
] as const

/** The chat webhooks and when to post to them; undefined when none is given (or chat-on is never). */
export function readChat(inputs: Inputs): Settings['chat'] {
  const { raw } = inputs
  const chatOn = inputs.parse('chat-on', parseChatOn)
  const targets: ChatTarget[] = []
  for (const [name, kind, example] of HOOKS) {
    const url = inputs.take(() => (raw[name].trim() ? parseWebhookUrl(name, raw[name], example) : undefined), undefined)
    if (url) targets.push({ kind, url, secret: kind === 'webhook' ? raw['webhook-secret'] || undefined : undefined })
  }
  if (raw['webhook-secret'] && !raw['webhook-url'].trim()) {
    inputs.add('webhook-secret', "is given while 'webhook-url' is empty", "Give the webhook's URL in 'webhook-url', or remove the secret")
  }
  return targets.length && chatOn.length ? { targets, on: chatOn } : undefined
}

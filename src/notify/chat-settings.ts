/**
 * The chat settings (read by settings.ts, used by chat.ts): the webhooks given and the runs `chat-on` asks to post.
 * Kept apart so that reading the inputs does not load the message builders.
 */

/** What `chat-on` may list: runs that succeeded, runs that did not, and session-open / session-close. */
export type ChatEvent = 'success' | 'failure' | 'session'
export const CHAT_EVENTS: readonly ChatEvent[] = ['success', 'failure', 'session']

export type ChatKind = 'slack' | 'mattermost' | 'teams' | 'webhook'

export interface ChatTarget {
  kind: ChatKind
  /** As given (a secret). */
  url: string
  /** webhook only: the HMAC-SHA256 key of the signature header. */
  secret?: string
}

export interface ChatSettings {
  targets: ChatTarget[]
  on: readonly ChatEvent[]
}

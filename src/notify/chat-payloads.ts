/**
 * The chat messages, one builder per service, from the masked summary (summary.ts): Slack (Block Kit), Mattermost
 * (Markdown), Microsoft Teams (an Adaptive Card) and the generic JSON webhook (the summary itself, signed with
 * HMAC-SHA256 when a secret is given). No file list, no secret; every value from the report is escaped or sent as
 * plain text for the service it goes to.
 */
import { createHmac } from 'node:crypto'
import type { Outcome } from '../report/model.js'
import { mdEscape } from '../report/markdown.js'
import { beforeAfter, formatMs, shortRev } from '../report/view.js'
import type { HostSummary, ReportSummary } from './summary.js'

const ICON: Record<Outcome, string> = { success: '✅', failure: '❌', refused: '⛔', skipped: '⏭️' }

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

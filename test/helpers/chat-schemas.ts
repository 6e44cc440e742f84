/**
 * Checks of chat payloads against what each service documents: the required fields, their types and their limits.
 * Each returns the list of problems (empty when the payload fits).
 *
 * - Slack incoming webhooks / Block Kit: `text` and/or `blocks`; at most 50 blocks; header: plain_text, 150 chars;
 *   section: `text` (3000) and/or `fields` (at most 10, 2000 each); context: 1–10 elements; actions: 1–25 elements,
 *   button text plain_text of 75 chars, button url of 3000; divider.
 * - Mattermost incoming webhooks: `text` (Markdown), and/or `attachments`; a post is at most 16383 characters.
 * - Microsoft Teams Workflows webhook: `type: "message"`, `attachments[]` of `contentType:
 *   "application/vnd.microsoft.card.adaptive"` with `content` an AdaptiveCard: `type`, `version` (required at the top
 *   level); elements TextBlock (`text` string), FactSet (`facts[]` of `title`/`value` strings), Container (`items[]`);
 *   Action.OpenUrl (`url` required).
 */

type Json = Record<string, unknown>
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const len = (s: string) => [...s].length

function slackText(t: unknown, where: string, max: number, plainOnly: boolean, out: string[]): void {
  if (!isObj(t)) return void out.push(`${where}: not a text object`)
  if (t.type !== 'plain_text' && (plainOnly || t.type !== 'mrkdwn')) out.push(`${where}: type ${String(t.type)}`)
  if (typeof t.text !== 'string' || t.text.length === 0) return void out.push(`${where}: text missing or empty`)
  if (len(t.text) > max) out.push(`${where}: ${len(t.text)} > ${max} characters`)
}

export function validateSlack(p: unknown): string[] {
  const out: string[] = []
  if (!isObj(p)) return ['payload is not an object']
  if (p.text === undefined && p.blocks === undefined) out.push('neither text nor blocks')
  if (p.text !== undefined && typeof p.text !== 'string') out.push('text is not a string')
  if (p.blocks === undefined) return out
  if (!Array.isArray(p.blocks)) return [...out, 'blocks is not an array']
  if (p.blocks.length > 50) out.push(`${p.blocks.length} blocks > 50`)
  p.blocks.forEach((b, i) => {
    const w = `blocks[${i}]`
    if (!isObj(b)) return void out.push(`${w}: not an object`)
    switch (b.type) {
      case 'header':
        slackText(b.text, `${w}.text`, 150, true, out)
        break
      case 'section':
        if (b.text === undefined && b.fields === undefined) out.push(`${w}: neither text nor fields`)
        if (b.text !== undefined) slackText(b.text, `${w}.text`, 3000, false, out)
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > 10) out.push(`${w}.fields: 1 to 10 items`)
          else b.fields.forEach((f, j) => slackText(f, `${w}.fields[${j}]`, 2000, false, out))
        }
        break
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) out.push(`${w}.elements: 1 to 10 items`)
        else b.elements.forEach((e, j) => slackText(e, `${w}.elements[${j}]`, 3000, false, out))
        break
      case 'divider':
        break
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) out.push(`${w}.elements: 1 to 25 items`)
        else
          b.elements.forEach((e, j) => {
            if (!isObj(e) || e.type !== 'button') return void out.push(`${w}.elements[${j}]: not a button`)
            slackText(e.text, `${w}.elements[${j}].text`, 75, true, out)
            if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000 || !/^https?:\/\//.test(e.url))) out.push(`${w}.elements[${j}].url: not a URL of at most 3000 characters`)
          })
        break
      default:
        out.push(`${w}: unexpected block type ${String(b.type)}`)
    }
  })
  return out
}

export function validateMattermost(p: unknown): string[] {
  if (!isObj(p)) return ['payload is not an object']
  const out: string[] = []
  if (typeof p.text !== 'string' && !Array.isArray(p.attachments)) out.push('neither text nor attachments')
  if (typeof p.text === 'string' && len(p.text) > 16383) out.push(`text: ${len(p.text)} > 16383 characters`)
  return out
}

function cardElement(e: unknown, w: string, out: string[]): void {
  if (!isObj(e)) return void out.push(`${w}: not an object`)
  switch (e.type) {
    case 'TextBlock':
      if (typeof e.text !== 'string') out.push(`${w}.text: required string`)
      break
    case 'FactSet':
      if (!Array.isArray(e.facts)) out.push(`${w}.facts: required array`)
      else e.facts.forEach((f, i) => (!isObj(f) || typeof f.title !== 'string' || typeof f.value !== 'string') && out.push(`${w}.facts[${i}]: title and value strings required`))
      break
    case 'Container':
      if (!Array.isArray(e.items)) out.push(`${w}.items: required array`)
      else e.items.forEach((x, i) => cardElement(x, `${w}.items[${i}]`, out))
      break
    default:
      out.push(`${w}: unexpected element type ${String(e.type)}`)
  }
}

export function validateTeams(p: unknown): string[] {
  if (!isObj(p)) return ['payload is not an object']
  const out: string[] = []
  if (p.type !== 'message') out.push('type is not "message"')
  if (!Array.isArray(p.attachments) || p.attachments.length === 0) return [...out, 'attachments: a non-empty array required']
  p.attachments.forEach((a, i) => {
    const w = `attachments[${i}]`
    if (!isObj(a)) return void out.push(`${w}: not an object`)
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive') out.push(`${w}.contentType: ${String(a.contentType)}`)
    const c = a.content
    if (!isObj(c)) return void out.push(`${w}.content: not an object`)
    if (c.type !== 'AdaptiveCard') out.push(`${w}.content.type: ${String(c.type)}`)
    if (typeof c.version !== 'string' || !/^1\.[4-6]$/.test(c.version)) out.push(`${w}.content.version: ${String(c.version)} (expected 1.4 to 1.6)`)
    if (c.body !== undefined) {
      if (!Array.isArray(c.body)) out.push(`${w}.content.body: not an array`)
      else c.body.forEach((e, j) => cardElement(e, `${w}.content.body[${j}]`, out))
    }
    if (c.actions !== undefined) {
      if (!Array.isArray(c.actions)) out.push(`${w}.content.actions: not an array`)
      else
        c.actions.forEach((x, j) => {
          if (!isObj(x) || x.type !== 'Action.OpenUrl') return void out.push(`${w}.content.actions[${j}]: not Action.OpenUrl`)
          if (typeof x.url !== 'string' || !/^https?:\/\//.test(x.url)) out.push(`${w}.content.actions[${j}].url: required URL`)
        })
    }
  })
  return out
}

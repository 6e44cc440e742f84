/**
 * Judging the responses a load run collected against what was live while each request ran.
 *
 * A timeline is a list of segments: the tree (and the commit label of its code) that may have been live between
 * `from` and `to` (epoch ms). Each switch is known only within a window (for the delivery: the `switch` step, from its
 * start to its journal entry; for the seed procedure: the time stamps around its two `mv`), so consecutive segments
 * overlap by that window: a response is judged against every tree that may have been live at some instant between
 * the request's sending and its end. That errs towards leniency: a response is "mixed" only when no tree that could
 * have been live during the request holds the code it shows, or when its two files come from different commits.
 */
import type { Sample } from './load.js'

export interface Segment {
  from: number
  to: number
  /** Tree name as the page prints it (the tree's folder name; `live` for the seed procedure's plain directories). */
  tree: string
  label: string
}

export interface Verdict {
  requests: number
  ok: number
  /** Failed requests by kind: an error code, `HTTP <status>`, or `bad body`. */
  failed: Record<string, number>
  failedTotal: number
  mixed: number
  /** Of the mixed: responses whose two PHP files came from different commits (a request that ran across a swap). */
  torn: number
  /** Requests the generator could not send (too many in flight): a sign of an overloaded machine, not of the site. */
  notSent: number
  /** Send times (epoch ms) of the first and last failed or mixed request, if any. */
  firstBad?: number
  lastBad?: number
  /** A few examples of bad responses, for the report. */
  examples: string[]
}

const PAGE = /^tree=(\S+) index=(\S+) lib=(\S+)/

export function classify(samples: Sample[], timeline: Segment[]): Verdict {
  const v: Verdict = { requests: 0, ok: 0, failed: {}, failedTotal: 0, mixed: 0, torn: 0, notSent: 0, examples: [] }
  const bad = (s: Sample, what: string) => {
    v.firstBad = Math.min(v.firstBad ?? Infinity, s.t0)
    v.lastBad = Math.max(v.lastBad ?? -Infinity, s.t0)
    if (v.examples.length < 5) v.examples.push(`${new Date(s.t0).toISOString()} ${what}`)
  }
  for (const s of samples) {
    if (s.error === 'dropped') {
      v.notSent++
      continue
    }
    v.requests++
    let kind: string | undefined
    const m = PAGE.exec(s.body)
    if (s.error) kind = s.error
    else if (s.status !== 200) kind = `HTTP ${s.status}`
    else if (!m) kind = 'bad body'
    if (kind) {
      v.failed[kind] = (v.failed[kind] ?? 0) + 1
      v.failedTotal++
      bad(s, `${kind} ${s.body.slice(0, 80).replace(/\s+/g, ' ')}`)
      continue
    }
    const [, tree, index, lib] = m as RegExpExecArray
    const possible = timeline.filter((seg) => seg.from <= s.t1 && seg.to >= s.t0)
    const fits = index === lib && possible.some((seg) => seg.tree === tree && seg.label === index)
    if (!fits) {
      v.mixed++
      if (index !== lib) v.torn++
      bad(s, `mixed: ${s.body.trim()} while live could be ${possible.map((p) => `${p.tree}@${p.label}`).join(' or ')}`)
    } else v.ok++
  }
  return v
}

/** Adds up verdicts. */
export function addVerdicts(vs: Verdict[]): Verdict {
  const out: Verdict = { requests: 0, ok: 0, failed: {}, failedTotal: 0, mixed: 0, torn: 0, notSent: 0, examples: [] }
  for (const v of vs) {
    out.requests += v.requests
    out.ok += v.ok
    out.failedTotal += v.failedTotal
    out.mixed += v.mixed
    out.torn += v.torn
    out.notSent += v.notSent
    for (const [k, n] of Object.entries(v.failed)) out.failed[k] = (out.failed[k] ?? 0) + n
    for (const e of v.examples) if (out.examples.length < 8) out.examples.push(e)
  }
  return out
}

export const failedText = (v: Verdict): string =>
  v.failedTotal === 0 ? '0' : `${v.failedTotal} (${Object.entries(v.failed).map(([k, n]) => `${n} ${k}`).join(', ')})`

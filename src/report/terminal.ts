/**
 * The report on a terminal (the CLI): the plain-text rendering of text.ts, in colour when the output is a terminal that
 * wants it. The job summary's Markdown is for GitHub; a person at a terminal reads this. Values from the server (file
 * names, command output) are printed with their control characters made visible, so that none can drive the terminal.
 */
import type { Outcome, Report } from './model.js'
import { type Paint, renderText } from './text.js'

/** Above this many changed files on a host, the terminal shows counts; report.json lists them all. */
export const TERMINAL_FILE_LIMIT = 300

const SGR = (code: string) => (t: string) => `\x1b[${code}m${t}\x1b[0m`
const COLOUR: Record<Outcome, (t: string) => string> = { success: SGR('32'), failure: SGR('31'), refused: SGR('33'), skipped: SGR('2') }
const ANSI: Paint = { outcome: (o, t) => COLOUR[o](t), heading: SGR('1'), dim: SGR('2') }

/** Colour only on a terminal, and not when NO_COLOR is set (https://no-color.org) or the terminal is dumb. */
export function wantsColour(out: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return out.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb'
}

/** Control characters (an escape sequence in a file name, a carriage return in output) shown as `\xNN`. */
function visible(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

function visibleValues<T>(v: T): T {
  if (typeof v === 'string') return visible(v) as T
  if (Array.isArray(v)) return v.map(visibleValues) as T
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visibleValues(x)])) as T
  return v
}

/** The report (already masked) as a terminal shows it; `reportDir` is named where a long list is cut. */
export function renderTerminal(r: Report, opts: { colour: boolean; reportDir?: string }): string {
  return renderText(visibleValues(r), {
    fileLimit: TERMINAL_FILE_LIMIT,
    fullListNote: `report.json${opts.reportDir ? ` in ${opts.reportDir}` : ''} lists them all`,
    paint: opts.colour ? ANSI : undefined,
  })
}

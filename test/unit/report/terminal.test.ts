/**
 * The report on a terminal: text, not the job summary's Markdown; colour only when asked (a TTY without NO_COLOR);
 * control characters from the server shown, never sent to the terminal.
 */
import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../../src/report/markdown.js'
import { renderTerminal, TERMINAL_FILE_LIMIT, wantsColour } from '../../../src/report/terminal.js'
import { largeReport, loadReport } from '../../helpers/reports.js'

describe('the terminal rendering', () => {
  const report = loadReport('deliver-success')

  it('reads as text: no HTML entities, no Markdown tables or folds, arrows as they are', () => {
    // What the CLI printed before: the summary's Markdown.
    expect(renderMarkdown(report)).toContain('-&gt;')
    const text = renderTerminal(report, { colour: false })
    expect(text).toContain('live -> trees/t20250301-7d10 (safe copy)')
    expect(text).toContain('R theme/boost/config.php -> theme/boost/settings.php')
    expect(text).toContain('mod/forum/classes/local/<draft>&notes.php')
    for (const md of ['&gt;', '&lt;', '&amp;', '<details>', '|---', '###', '**']) expect(text, md).not.toContain(md)
    expect(text).not.toContain('\x1b[')
  })

  it('in colour: the outcome in its colour, headings bold; the words are the same', () => {
    const plain = renderTerminal(report, { colour: false })
    const coloured = renderTerminal(report, { colour: true })
    expect(coloured).toContain('\x1b[32mDelivery deliver succeeded')
    expect(coloured).toContain('\x1b[1mSteps\x1b[0m')
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(plain)
    const failed = renderTerminal(loadReport('backtoprod-failure'), { colour: true })
    expect(failed).toMatch(/\x1b\[31m== [^\n]*: failure ==/)
  })

  it('colour only on a terminal, not with NO_COLOR, not on a dumb terminal', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true)
    expect(wantsColour({ isTTY: false }, {})).toBe(false)
    expect(wantsColour({}, {})).toBe(false)
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false)
    expect(wantsColour({ isTTY: true }, { TERM: 'dumb' })).toBe(false)
  })

  it('a file name or output holding escape sequences cannot drive the terminal', () => {
    const r = loadReport('deliver-success')
    r.hosts[0].files.added.push('mod/forum/\x1b]0;pwned\x07evil\x1b[2J.php')
    r.hosts[0].steps[0].detail = 'line\rover\x9b31m'
    const text = renderTerminal(r, { colour: false })
    expect(text).toContain('mod/forum/\\x1b]0;pwned\\x07evil\\x1b[2J.php')
    expect(text).toContain('line\\x0dover\\x9b31m')
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/)
  })

  it('a long list is cut, naming the report that holds it whole', () => {
    const text = renderTerminal(largeReport(TERMINAL_FILE_LIMIT + 50), { colour: false, reportDir: '/tmp/r' })
    expect(text).toContain(`the ${TERMINAL_FILE_LIMIT + 50} files are not listed here: report.json in /tmp/r lists them all`)
    expect(text.split('\n').length).toBeLessThan(200)
  })
})

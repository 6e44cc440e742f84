/**
 * A reader that keeps resolving files through `live` while deliveries, gobacks and backtoprods switch it never misses
 * a file, and always reads a complete file of one version or another.
 */
import { readFile, realpath } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'

let t: Target
let repo: MoodleRepo

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeMoodleRepo(t.sshd.user)
  expect((await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })).code).toBe(0)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

describe('switching live under a reader', () => {
  it('never makes a file disappear or appear partial', async () => {
    // lib.php differs between v1 and v2 (v3 keeps v2's); view.php between v1 and v3 (v2 keeps v1's).
    const libs = new Map<string, string>()
    for (const v of ['v1', 'v2']) libs.set(await repo.exec(`git show ${v}:mod/forum/lib.php`), v)
    const views = new Map<string, string>()
    for (const v of ['v1', 'v3']) views.set(await repo.exec(`git show ${v}:mod/forum/view.php`), v)
    // What the reader saw, in order (each change once): it must have seen every switch happen under it.
    const seenLib: string[] = []
    const seenView: string[] = []
    const note = (seen: string[], v: string) => {
      if (seen[seen.length - 1] !== v) seen.push(v)
    }
    let reads = 0
    let realReads = 0
    const misses: string[] = []
    let running = true
    const reader = (async () => {
      while (running) {
        try {
          const text = await readFile(`${t.root}/live/mod/forum/lib.php`, 'utf8')
          const lib = libs.get(text)
          if (!lib) misses.push(`unexpected content: ${text.slice(0, 40)}`)
          else note(seenLib, lib)
          const viewText = await readFile(`${t.root}/live/mod/forum/view.php`, 'utf8')
          const view = views.get(viewText)
          if (!view) misses.push(`unexpected content: ${viewText.slice(0, 40)}`)
          else note(seenView, view)
          reads++
          // As nginx with $realpath_root: resolve the tree once, then read inside it.
          const tree = await realpath(`${t.root}/live`)
          await readFile(`${tree}/index.php`, 'utf8')
          realReads++
        } catch (e) {
          misses.push((e as Error).message)
        }
      }
    })()
    const sequence: [string, Record<string, string>][] = [
      ['deliver', { ref: 'v2' }],
      ['goback', {}],
      ['backtoprod', {}],
      ['deliver', { ref: 'v3' }],
      ['goback', {}],
      ['update', { ref: 'v1' }],
      ['backtoprod', {}],
    ]
    try {
      for (const [mode, extra] of sequence) {
        const r = await runAction({ ...t.base, mode, repository: repo.dir, ...extra })
        expect(r.code, `${mode}: ${r.stdout}`).toBe(0)
      }
    } finally {
      running = false
      await reader
    }
    expect(misses).toEqual([])
    // Served in turn: v1; deliver v2; goback: v1; backtoprod: v2; deliver v3; goback: v2; update v1 and backtoprod: v1.
    expect(seenLib).toEqual(['v1', 'v2', 'v1', 'v2', 'v1'])
    expect(seenView).toEqual(['v1', 'v3', 'v1'])
    expect(reads).toBeGreaterThan(sequence.length)
    expect(realReads).toBeGreaterThan(0)
  })
})

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
    const versions = new Set<string>()
    for (const v of ['v1', 'v2', 'v3']) versions.add(await repo.exec(`git show ${v}:mod/forum/lib.php`))
    let reads = 0
    let realReads = 0
    const misses: string[] = []
    let running = true
    const reader = (async () => {
      while (running) {
        try {
          const text = await readFile(`${t.root}/live/mod/forum/lib.php`, 'utf8')
          if (!versions.has(text)) misses.push(`unexpected content: ${text.slice(0, 40)}`)
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
    expect(reads).toBeGreaterThan(sequence.length)
    expect(realReads).toBeGreaterThan(0)
  })
})

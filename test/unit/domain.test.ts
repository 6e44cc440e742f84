/**
 * The shared domain helpers: counting changed paths, and the compact time that starts the names made on servers.
 */
import { describe, expect, it } from 'vitest'
import { compactTime, countChangedPaths, emptyChanges } from '../../src/domain.js'
import { newTreeId } from '../../src/remote/state.js'
import { newSessionId } from '../../src/session/sessions.js'

describe('domain helpers', () => {
  it('counts each changed path once, a rename as two', () => {
    expect(countChangedPaths(emptyChanges())).toBe(0)
    expect(countChangedPaths({ added: ['a'], modified: ['a', 'b'], deleted: [], renamed: [{ from: 'b', to: 'c' }] })).toBe(3)
  })

  it('writes a time as UTC to the second, sortable, and every name made from a time starts with it', () => {
    const t = new Date('2026-12-03T15:19:36.789Z')
    expect(compactTime(t)).toBe('20261203T151936Z')
    expect(compactTime(new Date('2026-12-03T15:19:36Z')) < compactTime(new Date('2026-12-03T15:19:37Z'))).toBe(true)
    expect(newTreeId(t, 'run-42')).toMatch(/^20261203T151936Z-run42-[a-z0-9]{1,4}$/)
    expect(newSessionId(t)).toMatch(/^S20261203T151936Z-[a-z0-9]{6}$/)
  })
})

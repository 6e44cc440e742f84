import { describe, expect, it } from 'vitest'
import type { ServerState } from '../../../src/remote/state.js'
import { StateError } from '../../../src/remote/state.js'
import { needsReconcile, reconcile } from '../../../src/steps/switch.js'
import { fakeContext, FakeShell, probeOf } from '../../helpers/fake-shell.js'

const tree = (id: string, over = {}) => ({ id, revision: `rev-${id}`, served: true, dirty: false, updatedAt: '2026-12-01T00:00:00Z', ...over })

function production(): ServerState {
  return { layout: 1, state: 'production', live: 'A', safe: 'B', trees: { A: tree('A'), B: tree('B') }, method: 'git', repository: 'https://git.example/site.git', ref: 'main', app: 'none', updatedAt: '' }
}

function delivering(): ServerState {
  return { ...production(), state: 'delivering', live: 'B', safe: 'B', work: 'A', trees: { A: tree('A', { served: false, dirty: true }), B: tree('B') } }
}

/** Runs reconcile on a server whose disk is described by `disk` (live target, trees) and whose state.json says `state`. */
async function settle(state: ServerState, disk: { liveTarget?: string; trees?: string[] }) {
  const sh = new FakeShell()
  const probe = probeOf(state, { liveExists: disk.liveTarget !== '', liveTarget: disk.liveTarget ?? `trees/${state.live}`, trees: disk.trees ?? Object.keys(state.trees) })
  const ctx = fakeContext(sh, probe, { mode: 'deliver' })
  const needed = needsReconcile(probe, state)
  const fixed = await reconcile(ctx, state)
  const written = sh.calls.filter((c) => c.what.startsWith('write state.json')).map((c) => JSON.parse(c.stdin ?? '{}') as ServerState)
  // A journal line goes with the state write that it records (its argument before the journal's path), or on its own.
  const journal = sh.calls
    .flatMap((c) => (c.what === 'write state.json and append to the journal' ? [c.args[c.args.length - 2]] : c.what === 'append to the journal' ? [c.stdin ?? '{}'] : []))
    .map((line) => JSON.parse(line) as { event: string; fixed: string[] })
  return { sh, ctx, needed, fixed, written, journal }
}

describe('reconcile: what a run that died mid-way left, brought in line with the disk', () => {
  it('a layout as state.json says: nothing to do, nothing written', async () => {
    const r = await settle(production(), {})
    expect(r.needed).toBe(false)
    expect(r.fixed).toEqual([])
    expect(r.sh.calls).toEqual([])
  })

  it('a rename that happened but was not recorded: the tree takes its new id, as not served and clean', async () => {
    const s = delivering()
    s.trees.A.movingTo = 'A2'
    const r = await settle(s, { trees: ['A2', 'B'] })
    expect(r.needed).toBe(true)
    expect(r.fixed).toEqual(['recorded the rename of trees/A to trees/A2'])
    expect(r.written).toHaveLength(1)
    const w = r.written[0]
    expect(Object.keys(w.trees).sort()).toEqual(['A2', 'B'])
    expect(w.work).toBe('A2')
    expect(w.trees.A2).toMatchObject({ id: 'A2', served: false, dirty: false })
    expect(w.trees.A2.movingTo).toBeUndefined()
    expect(r.journal).toEqual([expect.objectContaining({ event: 'reconcile', fixed: r.fixed })])
  })

  it('a rename that did not happen: the tree keeps its id', async () => {
    const s = delivering()
    s.trees.A.movingTo = 'A2'
    const r = await settle(s, { trees: ['A', 'B'] })
    expect(r.fixed).toEqual(['trees/A was not renamed; kept its id'])
    expect(r.written[0].trees.A.movingTo).toBeUndefined()
    expect(r.written[0].trees.A2).toBeUndefined()
  })

  it('live missing while its tree is complete (init died before the symlink): live is pointed at it', async () => {
    const s = production()
    s.trees.A.served = false
    const r = await settle(s, { liveTarget: '' })
    expect(r.needed).toBe(true)
    expect(r.sh.whats[0]).toBe('switch live to A')
    expect(r.sh.calls[0].args.slice(-2)).toEqual(['/srv/site', 'A'])
    expect(r.fixed).toEqual(['live was missing: pointed it at trees/A'])
    expect(r.written[0].trees.A.served).toBe(true)
  })

  it('live switched to the work tree by a run that then stopped: state production, the former live tree is the safe one', async () => {
    const r = await settle(delivering(), { liveTarget: 'trees/A' })
    expect(r.needed).toBe(true)
    expect(r.written[0]).toMatchObject({ state: 'production', live: 'A', safe: 'B' })
    expect(r.written[0].work).toBeUndefined()
    expect(r.written[0].trees.A).toMatchObject({ served: true, dirty: false })
    expect(r.fixed[0]).toContain('state is production (application steps after that switch may not have run)')
    expect(r.ctx.log.lines).toContainEqual({ level: 'warning', message: r.fixed[0] })
  })

  it('live switched back to the safe tree by a run that then stopped: state delivering, the former live tree is the work tree', async () => {
    const r = await settle(production(), { liveTarget: 'trees/B' })
    expect(r.written[0]).toMatchObject({ state: 'delivering', live: 'B', safe: 'B', work: 'A' })
    expect(r.fixed[0]).toContain('switched back to trees/B')
  })

  it('live pointing anywhere else was changed by hand: a StateError, and nothing written', async () => {
    for (const target of ['trees/C', '/var/www/elsewhere', 'trees/B']) {
      const s = target === 'trees/B' ? delivering() : production()
      if (target === 'trees/B') s.live = 'A' // delivering, live recorded at the work tree, disk at the safe one
      const sh = new FakeShell()
      const probe = probeOf(s, { liveTarget: target })
      const ctx = fakeContext(sh, probe)
      expect(needsReconcile(probe, s)).toBe(true)
      await expect(reconcile(ctx, s)).rejects.toThrow(StateError)
      expect(sh.calls, target).toEqual([])
    }
  })

  it('a state write that fails (lock lost, disk full) stops reconcile with that error', async () => {
    const sh = new FakeShell().fail('write state.json', 'No space left on device')
    const probe = probeOf(delivering(), { liveTarget: 'trees/A' })
    await expect(reconcile(fakeContext(sh, probe), delivering())).rejects.toThrow(/No space left on device/)
    expect(sh.whats).not.toContain('append to the journal')
  })
})

import { describe, expect, it } from 'vitest'
import { MODE_TABLE, refusal } from '../../../src/modes/table.js'
import type { ServerState } from '../../../src/remote/state.js'
import { MODES, type Mode } from '../../../src/settings.js'
import { fakeProbe, probeOf } from '../../helpers/fake-shell.js'

const ROOT = '/srv/moodle'
const tree = (id: string, over = {}) => ({ id, revision: `rev-${id}`, served: true, dirty: false, updatedAt: '2026-12-01T00:00:00Z', ...over })

/** A site serving trees/A, trees/B its safe copy. */
function production(): ServerState {
  return { layout: 1, state: 'production', live: 'A', safe: 'B', trees: { A: tree('A'), B: tree('B') }, method: 'git', repository: 'https://git.example/site.git', ref: 'main', app: 'moodle', updatedAt: '' }
}

/** After goback: trees/B serves, trees/A is the work tree being updated. */
function delivering(over: Partial<ServerState['trees'][string]> = {}): ServerState {
  return { ...production(), state: 'delivering', live: 'B', safe: 'B', work: 'A', trees: { A: tree('A', { served: false, ...over }), B: tree('B') } }
}

const noLayout = fakeProbe()
const inProduction = probeOf(production())
const inDelivery = probeOf(delivering())
const halfUpdated = probeOf(delivering({ updating: { runId: 'r-9', ref: 'v4.3', at: '' } }))
const damaged = fakeProbe({ liveExists: true, liveTarget: 'trees/A', stateText: '{not json', stateError: 'state.json is damaged' })
const liveOnly = fakeProbe({ liveExists: true, liveTarget: 'trees/A' })

/** Every mode, and whether it runs in each state ('fits'), or the mode its refusal sends the admin to. */
const EXPECTED: Record<Mode, { none: string; production: string; delivering: string }> = {
  init: { none: 'fits', production: 'run mode status', delivering: 'run mode status' },
  status: { none: 'fits', production: 'fits', delivering: 'fits' },
  syncback: { none: 'run mode init first', production: 'fits', delivering: 'run backtoprod (or deliver)' },
  supersyncback: { none: 'run mode init first', production: 'fits', delivering: 'run backtoprod (or deliver)' },
  goback: { none: 'run mode init first', production: 'fits', delivering: 'to undo the goback, run backtoprod' },
  update: { none: 'run mode init first', production: 'run goback first, or deliver', delivering: 'fits' },
  backtoprod: { none: 'run mode init first', production: 'run goback and update first, or deliver', delivering: 'fits' },
  deliver: { none: 'run mode init first', production: 'fits', delivering: 'fits' },
  'session-open': { none: 'fits', production: 'fits', delivering: 'fits' },
  'session-close': { none: 'open one with mode session-open', production: 'open one with mode session-open', delivering: 'open one with mode session-open' },
}

describe('the table of modes: which states each mode fits', () => {
  it('has one row per mode', () => {
    expect(Object.keys(MODE_TABLE).sort()).toEqual([...MODES].sort())
  })

  for (const mode of MODES) {
    it(`${mode}: no layout, production, delivering`, () => {
      const want = EXPECTED[mode]
      for (const [state, probe] of [['none', noLayout], ['production', inProduction], ['delivering', inDelivery]] as const) {
        const r = refusal(mode, probe, ROOT)
        if (want[state] === 'fits') expect(r, `${mode} in ${state}`).toBeNull()
        else expect(r, `${mode} in ${state}`).toContain(want[state])
      }
    })
  }

  it('a refusal names the root and the state it found', () => {
    expect(refusal('update', inProduction, ROOT)).toContain('live serves trees/A')
    expect(refusal('syncback', inDelivery, ROOT)).toMatch(/^syncback runs in production, but a delivery is in progress \(state delivering: live serves trees\/B while trees\/A is being updated\)/)
    expect(refusal('supersyncback', inDelivery, ROOT)).toMatch(/^supersyncback runs in production/)
    expect(refusal('goback', noLayout, ROOT)).toBe(`No delivery layout at ${ROOT}: run mode init first`)
  })

  it('init refuses a root that has live or state.json, naming which', () => {
    expect(refusal('init', liveOnly, ROOT)).toContain(`at ${ROOT} (live)`)
    expect(refusal('init', inProduction, ROOT)).toContain('(live and .delivery/state.json)')
    expect(refusal('init', fakeProbe({ stateText: '{}' }), ROOT)).toContain('(.delivery/state.json)')
  })

  it('live without state.json is no layout for the other modes, and says so', () => {
    expect(refusal('deliver', liveOnly, ROOT)).toContain("live exists but .delivery/state.json does not")
  })

  it('backtoprod refuses a work tree whose update did not finish; update and deliver resume it', () => {
    expect(refusal('backtoprod', halfUpdated, ROOT)).toContain('by run r-9 did not finish')
    expect(refusal('backtoprod', halfUpdated, ROOT)).toContain('run update again (or deliver, which resumes)')
    expect(refusal('update', halfUpdated, ROOT)).toBeNull()
    expect(refusal('deliver', halfUpdated, ROOT)).toBeNull()
  })

  it('a damaged state.json is not a refusal (the engine fails naming the damage)', () => {
    for (const mode of MODES) if (mode !== 'init' && mode !== 'session-close') expect(refusal(mode, damaged, ROOT), mode).toBeNull()
    expect(refusal('init', damaged, ROOT)).toContain('already exists')
  })

  it('session-open refuses while a session is open; session-close needs one', () => {
    const open = probeOf(production(), { session: '20261203-ab12' })
    expect(refusal('session-open', open, ROOT)).toContain('session 20261203-ab12 is open: close it with mode session-close')
    expect(refusal('session-close', open, ROOT)).toBeNull()
  })

  it('session: required refuses every intervention without an open session, and nothing else', () => {
    for (const mode of MODES) {
      const r = refusal(mode, inProduction, ROOT, 'required')
      if (MODE_TABLE[mode].intervention) expect(r, mode).toContain('open one first with mode session-open')
      else expect(r ?? '', mode).not.toContain('session is required')
    }
    const open = probeOf(production(), { session: '20261203-ab12' })
    expect(refusal('deliver', open, ROOT, 'required')).toBeNull()
    expect(refusal('update', probeOf(production(), { session: '20261203-ab12' }), ROOT, 'required')).toContain('run goback first')
  })
})

describe('the table of modes: what each mode does', () => {
  const where = (f: (m: Mode) => boolean) => MODES.filter(f)

  it('only status leaves the server as it is; every intervention writes', () => {
    expect(where((m) => !MODE_TABLE[m].writes)).toEqual(['status'])
    for (const m of MODES) if (MODE_TABLE[m].intervention) expect(MODE_TABLE[m].writes, m).toBe(true)
    expect(where((m) => MODE_TABLE[m].intervention)).toEqual(['syncback', 'supersyncback', 'goback', 'update', 'backtoprod', 'deliver'])
  })

  it('the modes that need a code source, that take paths, and those that put a tree live', () => {
    expect(where((m) => MODE_TABLE[m].source !== 'none')).toEqual(['init', 'update', 'deliver'])
    expect(where((m) => MODE_TABLE[m].paths === 'refused')).toEqual(['init', 'status', 'goback', 'backtoprod'])
    expect(where((m) => MODE_TABLE[m].paths === 'used')).toEqual(['syncback', 'supersyncback', 'update', 'deliver'])
    expect(where((m) => MODE_TABLE[m].deployment === 'record')).toEqual(['init', 'backtoprod', 'deliver'])
    expect(where((m) => MODE_TABLE[m].deployment === 'inactive')).toEqual(['goback'])
    expect(where((m) => MODE_TABLE[m].putsLive)).toEqual(['init', 'goback', 'backtoprod', 'deliver'])
  })

  it('per-node steps: the modes that switch run after-switch on every node; the health check follows a switch to new code', () => {
    expect(where((m) => MODE_TABLE[m].nodeSteps.includes('after-switch'))).toEqual(['goback', 'backtoprod', 'deliver'])
    expect(where((m) => MODE_TABLE[m].nodeSteps.includes('health'))).toEqual(['backtoprod', 'deliver'])
    expect(where((m) => MODE_TABLE[m].cluster !== undefined)).toEqual(['goback', 'backtoprod', 'deliver'])
    expect(where((m) => MODE_TABLE[m].sharedCode === 'each-host')).toEqual(['status'])
  })
})

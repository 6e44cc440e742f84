import { describe, expect, it } from 'vitest'
import { preflight, writes } from '../../../src/host/admit.js'
import type { Probe } from '../../../src/remote/server.js'
import type { ServerState } from '../../../src/remote/state.js'
import type { Mode, Settings } from '../../../src/settings.js'
import { Refusal, StepFailure } from '../../../src/errors.js'
import { fakeContext, fakeProbe, FakeShell, probeOf } from '../../helpers/fake-shell.js'

const tree = (id: string) => ({ id, revision: `rev-${id}`, served: true, dirty: false, updatedAt: '' })
const production = (): ServerState => ({ layout: 1, state: 'production', live: 'A', safe: 'B', trees: { A: tree('A'), B: tree('B') }, method: 'git', repository: 'r', ref: 'main', app: 'none', updatedAt: '' })
const holder = { runId: 'other-7', actor: 'bob', host: 'deploy@web1:22', pid: 0, startedAt: '2026-12-03T11:59:00Z', mode: 'deliver' }

/** The checks before the lock, for `mode` on a server as `probe` describes it; the error thrown (or undefined) and the log. */
function check(mode: Mode, probe: Probe, settings: Partial<Settings> = {}, tools: string[] = ['git']) {
  const ctx = fakeContext(new FakeShell(), probe, { mode, method: 'git', lockTimeoutS: 600, session: 'auto', ...settings })
  ctx.vcs = { method: settings.method ?? 'git', tools } as unknown as typeof ctx.vcs
  let error: Error | undefined
  try {
    preflight(ctx, { log: ctx.log })
  } catch (e) {
    error = e as Error
  }
  return { error, warnings: ctx.log.lines.filter((l) => l.level === 'warning').map((l) => l.message), writes: writes(ctx), sh: ctx.sh as FakeShell }
}

describe('the checks before the lock', () => {
  it('a live run holds the lock: a writing mode fails naming it first, then what to run once it is over', () => {
    const r = check('update', probeOf(production(), { lock: holder, lockAgeS: 12 }))
    expect(r.error).toBeInstanceOf(StepFailure)
    expect(r.error?.message).toMatch(/^\/srv\/site is locked by run other-7 of bob on deploy@web1:22 \(mode deliver, started .*\), whose last sign of life was 12 s ago: that run is active/)
    expect(r.error?.message).toContain('. Then: update changes the work tree')
  })

  it("a stale lock does not stop a writing mode here (it is taken over under the lock); the run's own lock neither", () => {
    expect(check('deliver', probeOf(production(), { lock: holder, lockAgeS: 600 })).error).toBeUndefined()
    expect(check('deliver', probeOf(production(), { lock: { ...holder, runId: 'run-1' }, lockAgeS: 5 })).error).toBeUndefined()
  })

  it('a dry run says a real run would fail now; status reports the lock without a warning; a reader warns', () => {
    const locked = probeOf(production(), { lock: holder, lockAgeS: 12 })
    const dry = check('deliver', locked, { dryRun: true })
    expect(dry.writes).toBe(false)
    expect(dry.error?.message).toMatch(/the lock is held by run other-7 of bob .*: a real run would fail now$/)
    expect(check('status', locked).warnings).toEqual([])
    const staleDry = check('syncback', probeOf(production(), { lock: holder, lockAgeS: 900 }), { dryRun: true })
    expect(staleDry.error).toBeUndefined()
    expect(staleDry.warnings).toEqual([expect.stringContaining('stale: a real run would take it over')])
  })

  it('a method other than the layout was made with: update and deliver are refused, naming the method to set', () => {
    for (const mode of ['update', 'deliver'] as const) {
      const r = check(mode, probeOf({ ...production(), state: mode === 'update' ? 'delivering' : 'production', work: 'B' }), { method: 'svn' }, ['svn'])
      expect(r.error, mode).toBeInstanceOf(Refusal)
      expect(r.error?.message).toBe('The layout at /srv/site was initialised with method git, not svn: set method: git')
    }
    expect(check('syncback', probeOf(production()), { method: 'svn' }, ['svn']).error).toBeUndefined()
  })

  it('a mode that does not fit is refused; one that may fit once a dead run is reconciled waits for the lock', () => {
    expect(check('backtoprod', probeOf(production())).error).toBeInstanceOf(Refusal)
    // live points at the safe tree: a goback died before recording its switch; backtoprod is judged after reconcile.
    const died = probeOf(production(), { liveTarget: 'trees/B' })
    expect(check('backtoprod', died).error).toBeUndefined()
    expect(check('backtoprod', died, { dryRun: true }).error).toBeInstanceOf(Refusal)
  })

  it('a damaged state.json or session fails every mode but status', () => {
    const damaged = fakeProbe({ liveExists: true, liveTarget: 'trees/A', stateText: '{', stateError: 'state.json is not JSON: restore it from the journal' })
    expect(check('deliver', damaged).error?.message).toBe('state.json is not JSON: restore it from the journal')
    expect(check('status', damaged).error).toBeUndefined()
    const session = probeOf(production(), { sessionError: 'sessions/current holds no session id' })
    expect(check('goback', session).error).toBeInstanceOf(StepFailure)
    expect(check('status', session).error).toBeUndefined()
  })

  it("a server without the method's tools: the modes that fetch code are refused before anything changes, the others run", () => {
    const noGit = (s: ServerState | null) => (s ? probeOf(s, { tools: { git: false } }) : fakeProbe({ tools: { git: false } }))
    expect(check('init', noGit(null)).error?.message).toBe('the server lacks git, needed by method git: install it on the server')
    expect(check('deliver', noGit(production())).error?.message).toContain('the server lacks git')
    expect(check('syncback', noGit(production())).error).toBeUndefined()
    expect(check('status', noGit(production())).error).toBeUndefined()
  })

  it('runs nothing on the server', () => {
    expect(check('deliver', probeOf(production(), { lock: holder, lockAgeS: 12 })).sh.calls).toEqual([])
  })
})

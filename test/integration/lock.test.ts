/**
 * The lock over a real sshd: a live run keeps its lock with a heartbeat whatever its commands are doing, so a second
 * run is refused naming it; a run that lost its lock changes nothing more; state writes and switches check the lock on
 * the server; two takers of one stale lock cannot both win; a command that times out is ended on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { sleep } from '../helpers/proc.js'
import { parseKnownHosts } from '../../src/transport/hostkeys.js'
import { SshConnection } from '../../src/transport/ssh.js'
import { TimeoutError } from '../../src/transport/run.js'
import { SshShell } from '../../src/remote/shell.js'
import { Layout, parseProbe, PROBE, probe, switchLive, writeState } from '../../src/remote/server.js'
import { acquireLock, LockLostError } from '../../src/remote/lock.js'
import { parseState } from '../../src/remote/state.js'

let t: Target
let repo: MoodleRepo

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeMoodleRepo(t.sshd.user)
  const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })
  expect(r.code, r.stdout).toBe(0)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

async function connect(): Promise<SshConnection> {
  return SshConnection.connect({
    target: { user: t.sshd.user, host: '127.0.0.1', port: t.sshd.port, label: `${t.sshd.user}@127.0.0.1:${t.sshd.port}` },
    auth: { privateKey: t.sshd.privateKey },
    hostKeys: { knownHosts: parseKnownHosts(t.sshd.knownHostsLine), fingerprints: [], insecure: false },
    timeoutMs: 10_000,
    secrets: [],
  })
}

const stateOf = () => readServerJson<{ state: string }>(t, `${t.root}/.delivery/state.json`)
const exists = async (p: string) => (await t.sh(`test -e ${p} && echo y || echo n`)).trim() === 'y'
const journalOf = async () => (await t.sh(`cat ${t.root}/.delivery/journal.jsonl`)).trim().split('\n').map((l) => JSON.parse(l) as { runId: string; event: string; to?: string })

describe('a live run keeps its lock', () => {
  it('a run started while another runs a hook longer than lock-timeout is refused naming it; only the first switches', async () => {
    const mark = `${t.root}/.hook`
    await t.sh(`rm -f ${mark}.*`)
    const before = (await journalOf()).length
    // Run A: a delivery whose after-switch command outlasts B's check below.
    const a = runAction(
      { ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2', 'after-switch': `touch ${mark}.start; sleep 25; touch ${mark}.done` },
      { env: { GITHUB_RUN_ID: '1001' } },
    )
    for (let i = 0; i < 600 && !(await exists(`${mark}.start`)); i++) await sleep(100)
    expect(await exists(`${mark}.start`)).toBe(true)
    // Make A's lock look an hour old (as if its last sign of life were that old, whatever its command is doing): only
    // a heartbeat made after this keeps A's lock alive for B, whose lock-timeout is 30 s.
    const lock = `${t.root}/.delivery/lock`
    const age = async () => Number((await t.sh(`echo $(( $(date +%s) - $(stat -c %Y ${lock}) ))`)).trim())
    await t.sh(`touch -d '1 hour ago' ${lock}`)
    expect(await age()).toBeGreaterThan(3000)
    for (let i = 0; i < 100 && (await age()) > 30; i++) await sleep(200)
    expect(await age()).toBeLessThanOrEqual(30)
    const b = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3', 'lock-timeout': '30' }, { env: { GITHUB_RUN_ID: '2002' } })
    expect(b.code).toBe(1)
    expect(b.report?.hosts[0].error).toMatch(/is locked by run 1001-1 of test-actor .* that run is active/)
    expect(await exists(`${mark}.done`)).toBe(false)
    const ra = await a
    expect(ra.code, ra.stdout).toBe(0)
    expect(await exists(`${mark}.done`)).toBe(true)
    const s = await readServerJson<{ live: string; trees: Record<string, { revision: string }> }>(t, `${t.root}/.delivery/state.json`)
    expect(s.trees[s.live].revision).toBe(repo.commits.v2)
    const events = (await journalOf()).slice(before)
    expect(events.filter((e) => e.runId === '2002-1')).toEqual([])
    expect(events.filter((e) => e.event === 'switch' && e.runId === '1001-1').length).toBeGreaterThan(0)
    expect(events.some((e) => e.event === 'lock-takeover')).toBe(false)
    await t.sh(`rm -f ${mark}.*`)
  }, 120_000)

  it('a run refused by a live lock names the holder before any advice about the state', async () => {
    expect((await runAction({ ...t.base, mode: 'goback' })).code).toBe(0)
    const lock = JSON.stringify({ runId: 'busy-run-3', actor: 'carol', host: 'runner-9', pid: 0, startedAt: '2026-12-03T10:00:00Z', mode: 'deliver' })
    await t.sh(`printf '%s' '${lock}' > ${t.root}/.delivery/lock`)
    const r = await runAction({ ...t.base, mode: 'goback' })
    expect(r.code).toBe(1)
    const error = r.report?.hosts[0].error ?? ''
    expect(error).toMatch(/^\S+ is locked by run busy-run-3 of carol on runner-9 \(mode deliver/)
    expect(error.indexOf('busy-run-3')).toBeLessThan(error.indexOf('goback already happened'))
    const dry = await runAction({ ...t.base, mode: 'goback', 'dry-run': 'true' })
    expect(dry.code).toBe(1)
    expect(dry.report?.hosts[0].error).toMatch(/^the lock is held by run busy-run-3 of carol .*: a real run would fail now$/)
    await t.sh(`rm ${t.root}/.delivery/lock`)
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).code).toBe(0)
  })
})

describe('a run that lost its lock', () => {
  it('stops at once, changes nothing more, and says who holds it', async () => {
    const mark = `${t.root}/.hook`
    await t.sh(`rm -f ${mark}.*`)
    const a = runAction(
      { ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3', 'after-switch': `touch ${mark}.start; sleep 12; touch ${mark}.done` },
      { env: { GITHUB_RUN_ID: '3003' } },
    )
    for (let i = 0; i < 600 && !(await exists(`${mark}.start`)); i++) await sleep(100)
    // Someone else's lock replaces A's (a hand, or a run that wrongly judged it stale).
    const other = JSON.stringify({ runId: 'intruder-4', actor: 'mallory', host: 'runner-6', pid: 0, startedAt: '2026-12-03T11:00:00Z', mode: 'goback' })
    await t.sh(`printf '%s' '${other}' > ${t.root}/.delivery/lock.new && mv ${t.root}/.delivery/lock.new ${t.root}/.delivery/lock`)
    const state = await t.sh(`cat ${t.root}/.delivery/state.json`)
    const journalLines = (await journalOf()).length
    const r = await a
    expect(r.code).toBe(1)
    expect(r.report?.hosts[0].error).toMatch(/lost its lock to run intruder-4 of mallory on runner-6/)
    expect(await t.sh(`cat ${t.root}/.delivery/lock`)).toBe(other)
    expect(await t.sh(`cat ${t.root}/.delivery/state.json`)).toBe(state)
    expect((await journalOf()).length).toBe(journalLines)
    // Once the other run's lock is gone, the next run finishes the delivery.
    await t.sh(`rm -f ${mark}.* ${t.root}/.delivery/lock`)
    const next = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3' })
    expect(next.code, next.stdout).toBe(0)
    expect((await stateOf()).state).toBe('production')
  }, 120_000)

  it('a state write or a switch checks the lock in the same server command, and refuses when it is not the run\'s own', async () => {
    const conn = await connect()
    try {
      const layout = new Layout(t.root)
      const sh = new SshShell(conn, { runId: 'mine-5', setsid: true })
      sh.guard = { path: layout.lock, runId: 'mine-5' }
      const other = JSON.stringify({ runId: 'theirs-6', actor: 'dave', host: 'runner-3', pid: 0, startedAt: '2026-12-03T12:00:00Z' })
      await t.sh(`printf '%s' '${other}' > ${t.root}/.delivery/lock`)
      const text = await t.sh(`cat ${t.root}/.delivery/state.json`)
      const live = await t.sh(`readlink ${t.root}/live`)
      const state = parseState(text, layout.state)
      const safe = state.safe
      await expect(writeState(sh, layout, { ...state, comment: 'changed' } as typeof state)).rejects.toThrow(LockLostError)
      await expect(writeState(sh, layout, state)).rejects.toThrow(/lost its lock to run theirs-6 of dave on runner-3/)
      await expect(switchLive(sh, layout, safe)).rejects.toThrow(LockLostError)
      expect(await t.sh(`cat ${t.root}/.delivery/state.json`)).toBe(text)
      expect(await t.sh(`readlink ${t.root}/live`)).toBe(live)
      // The lock is ours again: the same write goes through.
      await t.sh(`printf '%s' '{"runId":"mine-5","actor":"me","host":"h","pid":0,"startedAt":"x"}' > ${t.root}/.delivery/lock`)
      await writeState(sh, layout, state)
      await t.sh(`rm ${t.root}/.delivery/lock`)
    } finally {
      await conn.close()
    }
  })
})

describe('the look under the lock, in the command that takes it', () => {
  it('reads the server as it is once the lock is taken, and runs nothing when the lock is held', async () => {
    const conn = await connect()
    try {
      const layout = new Layout(t.root)
      const sh = new SshShell(conn, { runId: 'mine-9', setsid: true })
      const info = { runId: 'mine-9', actor: 'heidi', host: 'runner-9', pid: 0, startedAt: '2026-12-04T10:00:00Z' }
      const before = await probe(sh, layout)
      // state.json changed by another run after the first look: the look under the lock sees the change.
      const text = await t.sh(`cat ${t.root}/.delivery/state.json`)
      const changed = JSON.stringify({ ...JSON.parse(text), comment: 'changed meanwhile' }, null, 2)
      await t.sh(`cat > ${t.root}/.delivery/state.json <<'EOF2'\n${changed}\nEOF2`)
      const res = await acquireLock(sh, layout, info, 3600, { script: PROBE, args: [layout.root] })
      expect(res.acquired).toBe(true)
      const under = parseProbe((res as { after?: string }).after ?? '', layout)
      expect(under.lock?.runId).toBe('mine-9')
      expect(before.lock).toBeNull()
      expect(under.stateText).toBe(`${changed}\n`)
      expect(under.trees).toEqual(before.trees)
      expect(under.tools).toEqual(before.tools)
      // Held by a live run: refused, and the script after the lock does not run.
      const other = { ...info, runId: 'other-10' }
      const held = await acquireLock(sh, layout, other, 3600, { script: `touch ${t.root}/ran`, args: [] })
      expect(held).toMatchObject({ acquired: false, holder: { runId: 'mine-9' } })
      expect('after' in held).toBe(false)
      expect((await t.sh(`test -e ${t.root}/ran && echo ran || echo no`)).trim()).toBe('no')
      // A script after the lock that fails half-way: the lock is taken all the same, and its output is not given.
      await t.sh(`rm ${t.root}/.delivery/lock`)
      const failing = await acquireLock(sh, layout, other, 3600, { script: `echo state=; echo half; false; echo never`, args: [] })
      expect(failing.acquired).toBe(true)
      expect('after' in failing).toBe(false)
      expect(JSON.parse(await t.sh(`cat ${t.root}/.delivery/lock`)).runId).toBe('other-10')
      await t.sh(`printf '%s' '${text.replace(/'/g, `'\\''`)}' > ${t.root}/.delivery/state.json && rm ${t.root}/.delivery/lock`)
    } finally {
      await conn.close()
    }
  })
})

describe('a state write with the journal line that records it', () => {
  it('writes both in one server command, appends neither when the lock is not the run\'s own, and carries a line of any length', async () => {
    const conn = await connect()
    try {
      const layout = new Layout(t.root)
      const sh = new SshShell(conn, { runId: 'mine-7', setsid: true })
      sh.guard = { path: layout.lock, runId: 'mine-7' }
      const text = await t.sh(`cat ${t.root}/.delivery/state.json`)
      const state = parseState(text, layout.state)
      const lines = (await journalOf()).length
      const entry = (note: string) => ({ at: '2026-12-04T10:00:00Z', runId: 'mine-7', actor: 'me', mode: 'deliver', event: 'test', note })
      // Someone else's lock: nothing is written, not even the journal line.
      await t.sh(`printf '%s' '{"runId":"theirs-8","actor":"erin","host":"h","pid":0,"startedAt":"x"}' > ${t.root}/.delivery/lock`)
      await expect(writeState(sh, layout, { ...state, comment: 'no' } as typeof state, entry('refused'))).rejects.toThrow(LockLostError)
      expect(await t.sh(`cat ${t.root}/.delivery/state.json`)).toBe(text)
      expect((await journalOf()).length).toBe(lines)
      // The run's own lock: the state, then its line, as written; a hostile value stays data, a secret is masked.
      await t.sh(`printf '%s' '{"runId":"mine-7","actor":"me","host":"h","pid":0,"startedAt":"x"}' > ${t.root}/.delivery/lock`)
      const hostile = `a "quote", a %s, $(touch ${t.root}/pwned), \`x\`, a\nnewline and the s3cret`
      await writeState(sh, layout, { ...state, comment: 'one' } as typeof state, entry(hostile), ['s3cret'])
      expect((JSON.parse(await t.sh(`cat ${t.root}/.delivery/state.json`)) as { comment?: string }).comment).toBe('one')
      let j = await journalOf()
      expect(j.length).toBe(lines + 1)
      expect(j[j.length - 1]).toEqual(entry(hostile.replace('s3cret', '***')))
      expect((await t.sh(`test -e ${t.root}/pwned && echo yes || echo no`)).trim()).toBe('no')
      // A line whose quoting doubles it, just under the bound: still one command.
      const quotes = `'"`.repeat(8000)
      await writeState(sh, layout, state, entry(quotes))
      j = await journalOf()
      expect((j[j.length - 1] as unknown as { note: string }).note).toBe(quotes)
      // A line longer than a command line may be (128 KiB, in bytes) goes in a command of its own, after the state.
      const long = '€'.repeat(50_000)
      await writeState(sh, layout, { ...state, comment: 'two' } as typeof state, entry(long))
      expect((JSON.parse(await t.sh(`cat ${t.root}/.delivery/state.json`)) as { comment?: string }).comment).toBe('two')
      j = await journalOf()
      expect(j.length).toBe(lines + 3)
      expect((j[j.length - 1] as unknown as { note: string }).note).toBe(long)
      await writeState(sh, layout, state)
      await t.sh(`rm ${t.root}/.delivery/lock`)
    } finally {
      await conn.close()
    }
  })
})

describe('two takers of one stale lock', () => {
  it('only one wins; the others are refused naming the winner', async () => {
    for (let round = 0; round < 3; round++) {
      // The stale run left a command running (its process group carries the run's marker).
      await t.sh(`setsid bash -c 'sleep 300; true' delivery:dead-${round} </dev/null >/dev/null 2>&1 & echo $! > ${t.root}/.sleeper`)
      const pid = (await t.sh(`cat ${t.root}/.sleeper`)).trim()
      const stale = JSON.stringify({ runId: `dead-${round}`, actor: 'erin', host: 'runner-0', pid: 0, startedAt: '2026-12-01T00:00:00Z', mode: 'syncback' })
      await t.sh(`printf '%s' '${stale}' > ${t.root}/.delivery/lock && touch -d '2 hours ago' ${t.root}/.delivery/lock`)
      const ids = [`${round}1`, `${round}2`, `${round}3`]
      const runs = await Promise.all(ids.map((id) => runAction({ ...t.base, mode: 'syncback', 'lock-timeout': '3600' }, { env: { GITHUB_RUN_ID: id } })))
      expect(runs.filter((r) => r.code === 0)).toHaveLength(1)
      const winner = ids[runs.findIndex((r) => r.code === 0)]
      for (const r of runs.filter((x) => x.code !== 0)) expect(r.report?.hosts[0].error).toMatch(new RegExp(`locked by run ${winner}-1 of test-actor`))
      // The stale run's command was ended (by the taker that moved its lock aside); at most one takeover is recorded.
      expect(await t.sh(`kill -0 ${pid} 2>/dev/null && echo alive || echo ended`)).toBe('ended\n')
      const takeovers = (await journalOf()).filter((e) => e.event === 'lock-takeover' && ids.some((id) => e.runId === `${id}-1`))
      expect(takeovers.length).toBeLessThanOrEqual(1)
      expect(await exists(`${t.root}/.delivery/lock`)).toBe(false)
      expect(await t.sh(`ls -A ${t.root}/.delivery | grep -c '^lock' || true`)).toBe('0\n')
      await t.sh(`rm -f ${t.root}/.sleeper`)
    }
  }, 180_000)
})

describe('a taker whose stale lock was replaced just before it moved it', () => {
  it('puts back what it moved and is refused naming the run that holds it', async () => {
    // A server whose mv, the first time it moves the lock aside, lets another taker win just before: the lock read
    // as stale is replaced by that taker's fresh lock, then moved.
    const shim = `/tmp/dlv-lockrace-${process.pid}`
    const s = await startTarget({ extraConfig: `SetEnv PATH=${shim}:/usr/local/bin:/usr/bin:/bin` })
    try {
      await s.sh(`mkdir -p ${shim} ${s.root}/.delivery && cat > ${shim}/mv <<'EOF2'
#!/bin/bash
for a in "$@"; do case "$a" in */.delivery/lock) if [ -e ${shim}/RACE ]; then rm -f ${shim}/RACE; cp ${shim}/WINNER "$a"; fi;; esac; done
exec /bin/mv "$@"
EOF2
chmod +x ${shim}/mv`)
      const winner = JSON.stringify({ runId: 'winner-8', actor: 'frank', host: 'runner-4', pid: 0, startedAt: '2026-12-03T13:00:00Z', mode: 'deliver' })
      const stale = JSON.stringify({ runId: 'dead-9', actor: 'erin', host: 'runner-0', pid: 0, startedAt: '2026-12-01T00:00:00Z', mode: 'syncback' })
      await s.sh(`printf '%s' '${winner}' > ${shim}/WINNER && touch ${shim}/RACE && printf '%s' '${stale}' > ${s.root}/.delivery/lock && touch -d '2 hours ago' ${s.root}/.delivery/lock`)
      const conn = await SshConnection.connect({
        target: { user: s.sshd.user, host: '127.0.0.1', port: s.sshd.port, label: 'race' },
        auth: { privateKey: s.sshd.privateKey },
        hostKeys: { knownHosts: parseKnownHosts(s.sshd.knownHostsLine), fingerprints: [], insecure: false },
        timeoutMs: 10_000,
        secrets: [],
      })
      try {
        const sh = new SshShell(conn, { runId: 'taker-1', setsid: true })
        const info = { runId: 'taker-1', actor: 'grace', host: 'runner-5', pid: 0, startedAt: '2026-12-03T13:00:01Z' }
        const res = await acquireLock(sh, new Layout(s.root), info, 3600)
        expect(await s.sh(`test -e ${shim}/RACE && echo pending || echo raced`)).toBe('raced\n')
        expect(res).toMatchObject({ acquired: false, holder: { runId: 'winner-8', actor: 'frank' } })
        expect(await s.sh(`cat ${s.root}/.delivery/lock`)).toBe(winner)
        expect(await s.sh(`ls -A ${s.root}/.delivery | grep -vx .lock-guard`)).toBe('lock\n')
      } finally {
        await conn.close()
      }
    } finally {
      await s.sh(`rm -rf ${shim}`).catch(() => undefined)
      await s.stop()
    }
  })
})

describe('a lock replaced while the probe reads it', () => {
  it("is read whole from one file: a stale run's lock never takes the fresh lock's time and reads as alive", async () => {
    // A server whose base64, reading the lock, lets a taker replace it right after (a new file, a fresh time): the
    // probe must not pair the stale run's text with the new file's time (a run refused as "that run is active").
    const shim = `/tmp/dlv-proberace-${process.pid}`
    const s = await startTarget({ extraConfig: `SetEnv PATH=${shim}:/usr/local/bin:/usr/bin:/bin` })
    try {
      await s.sh(`mkdir -p ${shim} ${s.root}/.delivery && cat > ${shim}/base64 <<'EOF2'
#!/bin/bash
/usr/bin/base64 "$@"; rc=$?
case "$(readlink /proc/$$/fd/0)" in */.delivery/lock) if [ -e ${shim}/RACE ]; then rm -f ${shim}/RACE; cp ${shim}/WINNER ${s.root}/.delivery/lock.new; mv -f ${s.root}/.delivery/lock.new ${s.root}/.delivery/lock; fi;; esac
exit $rc
EOF2
chmod +x ${shim}/base64`)
      const winner = JSON.stringify({ runId: 'winner-8', actor: 'frank', host: 'runner-4', pid: 0, startedAt: '2026-12-03T13:00:00Z', mode: 'deliver' })
      const stale = JSON.stringify({ runId: 'dead-9', actor: 'erin', host: 'runner-0', pid: 0, startedAt: '2026-12-01T00:00:00Z', mode: 'syncback' })
      await s.sh(`printf '%s' '${winner}' > ${shim}/WINNER && touch ${shim}/RACE && printf '%s' '${stale}' > ${s.root}/.delivery/lock && touch -d '2 hours ago' ${s.root}/.delivery/lock`)
      const conn = await SshConnection.connect({
        target: { user: s.sshd.user, host: '127.0.0.1', port: s.sshd.port, label: 'race' },
        auth: { privateKey: s.sshd.privateKey },
        hostKeys: { knownHosts: parseKnownHosts(s.sshd.knownHostsLine), fingerprints: [], insecure: false },
        timeoutMs: 10_000,
        secrets: [],
      })
      try {
        const p = await probe(new SshShell(conn, { runId: 'prober-1', setsid: true }), new Layout(s.root))
        expect(await s.sh(`test -e ${shim}/RACE && echo pending || echo raced`)).toBe('raced\n')
        expect(p.lock?.runId).toBe('dead-9')
        expect(p.lockAgeS).toBeGreaterThan(3600)
      } finally {
        await conn.close()
      }
    } finally {
      await s.sh(`rm -rf ${shim}`).catch(() => undefined)
      await s.stop()
    }
  })
})

describe('a command that times out', () => {
  it('is ended on the server with its whole process group, and the error says so', async () => {
    const conn = await connect()
    try {
      const sh = new SshShell(conn, { runId: 'timeout-7', setsid: true })
      const late = `${t.root}/.late`
      await t.sh(`rm -f ${late} ${late}.start`)
      const err = await sh
        .run('a slow command', `touch "$1.start"; (sleep 4; touch "$1") & sleep 6; touch "$1"`, [late], { timeoutMs: 1500 })
        .then(() => undefined, (e: Error) => e)
      expect(err).toBeInstanceOf(TimeoutError)
      expect(err?.message).toMatch(/a slow command failed \(exit code 124\): .*timed out after 1\.5 s; its process group on the server was ended \(groups [\d ]+\)/s)
      expect(await exists(`${late}.start`)).toBe(true)
      expect((await t.sshd.exec(`pgrep -f '[d]elivery:timeout-7' || echo none`)).stdout).toBe('none\n')
      // Past the moment the command (and its background child) would have written the file: nothing was written.
      await sleep(6000)
      expect(await exists(late)).toBe(false)
    } finally {
      await conn.close()
    }
  })
})

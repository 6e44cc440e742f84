/**
 * Fleets against real sshd servers on loopback (127.0.0.1, .2, .3), each with its own delivery root at the same path:
 * parallel delivery with one host failing mid-delivery, rolling stopping at the first failure, canary stopping the
 * rollout when the first host's health check fails, max-parallel, one connection per host; and shared code (one code
 * volume served by several nodes).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction } from '../helpers/action.js'
import { type Fleet, startFleet } from '../helpers/fleet.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { inParallel, run } from '../helpers/proc.js'

let fleet: Fleet
let shared: Fleet
let repo: MoodleRepo
let health: http.Server
let healthStatus = 200
/** Statuses answered first, one per request, before healthStatus. */
let healthAnswers: number[] = []
let healthUrl: string
let scratch: string

interface Journal {
  at: string
  runId: string
  event: string
  host: string
  hosts?: { host: string; outcome: string }[]
}

const journal = async (dir: string): Promise<Journal[]> =>
  (await readFile(`${dir}/.delivery/journal.jsonl`, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Journal)

const liveIndex = (dir: string) => readFile(`${dir}/live/index.php`, 'utf8')
const state = async (dir: string) => JSON.parse(await readFile(`${dir}/.delivery/state.json`, 'utf8')) as { state: string; live: string }
const counts = (f: Fleet) => f.servers.map((s) => s.sshd.connectionCount())
const delta = (before: number[], f: Fleet) => counts(f).map((n, i) => n - before[i])

beforeAll(async () => {
  ;[fleet, shared] = await Promise.all([
    startFleet(4, { addresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.1'] }),
    startFleet(3, { shared: true }),
  ])
  repo = await makeMoodleRepo('dlvtest')
  health = http.createServer((_req, res) => {
    const status = healthAnswers.shift() ?? healthStatus
    res.writeHead(status, { 'content-type': 'text/plain' })
    res.end(status === 200 ? 'Moodle is fine' : 'broken')
  })
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve))
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/login/index.php`
  scratch = await mkdtemp('/tmp/dlv-fleet-scratch-')
  await run('chmod', ['0777', scratch], { check: true })
  const init = await runAction({ ...fleet.base, mode: 'init', repository: repo.dir, ref: 'v1' })
  if (init.code !== 0) throw new Error(`init failed: ${init.stdout}`)
})

afterAll(async () => {
  await Promise.all([fleet?.stop(), shared?.stop()])
  await repo?.remove()
  await new Promise((resolve) => health?.close(resolve))
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

describe('many hosts', () => {
  it('refuses bad fleet inputs before connecting anywhere, naming each', async () => {
    const before = counts(fleet)
    const bad: [Record<string, string>, RegExp][] = [
      [{ strategy: 'random' }, /Input 'strategy': "random" is not one of parallel, rolling, canary/],
      [{ 'max-parallel': '-1' }, /Input 'max-parallel': "-1" is not a whole number/],
      [{ 'max-parallel': 'two' }, /Input 'max-parallel'/],
      [{ 'shared-code': 'yes' }, /Input 'shared-code': "yes" is not a boolean/],
      [{ 'sudo-user': 'root; rm -rf /' }, /Input 'sudo-user'/],
      [{ 'web-user': '$(id)' }, /Input 'web-user'/],
      [{ 'jump-host': 'bastion.example.org:99999' }, /Input 'jump-host'/],
      [{ 'jump-host': '-oProxyCommand=touch /tmp/x' }, /Input 'jump-host'/],
      [{ 'jump-private-key': fleet.servers[0].sshd.privateKey }, /Input 'jump-private-key': is given without 'jump-host'/],
      [{ 'jump-host': 'bastion.example.org', 'jump-private-key': 'not a key' }, /Input 'jump-private-key': is not a private key/],
      [{ hosts: `${fleet.base.hosts}\n${fleet.servers[0].label}` }, /Input 'hosts': lists .* twice/],
    ]
    const runs = await inParallel(bad, ([inputs]) => runAction({ ...fleet.base, mode: 'status', ...inputs }))
    for (const [i, [inputs, message]] of bad.entries()) {
      const r = runs[i]
      expect(r.code, JSON.stringify(inputs)).toBe(1)
      expect(r.stdout, JSON.stringify(inputs)).toMatch(message)
      expect(r.stdout).toContain('Invalid input: nothing was done')
    }
    expect(counts(fleet)).toEqual(before)
  })

  it('init gave each server its own layout at the same path', async () => {
    const lives = await Promise.all(fleet.servers.map(async (s) => (await state(s.dir)).live))
    expect(new Set(lives).size).toBe(4)
    for (const s of fleet.servers) expect(await liveIndex(s.dir)).toContain('v1')
  })

  it('parallel: one host failing mid-delivery leaves it consistent, the others deliver, the run fails', async () => {
    const [, , broken] = fleet.servers
    // A folder of its live tree cannot be written: the ref is fetched, syncback and goback work (the copy only reads
    // it), and the update of that tree (now the work tree) fails.
    await broken.sh('chmod a-w live/mod/forum')
    const before = counts(fleet)
    const r = await runAction({ ...fleet.base, mode: 'deliver', repository: repo.dir, ref: 'v2' })
    await broken.sh('chmod -R u+w trees')
    expect(r.code).toBe(1)
    expect(r.report!.outcome).toBe('failure')
    expect(r.report!.hosts.map((h) => h.outcome)).toEqual(['success', 'success', 'failure', 'success'])
    expect(r.report!.hosts.map((h) => h.host)).toEqual(fleet.servers.map((s) => s.label))
    // One connection each, the failing host's included.
    expect(delta(before, fleet)).toEqual([1, 1, 1, 1])
    for (const i of [0, 1, 3]) {
      expect(r.report!.hosts[i].revisionAfter).toBe(repo.commits.v2)
      expect(await liveIndex(fleet.servers[i].dir)).toContain('v2')
    }
    // The failed host went back to its safe copy at goback: it serves v1, whole, and says so.
    const h = r.report!.hosts[2]
    expect(h.error).toMatch(/update the work tree failed/)
    expect(h.stateAfter).toBe('delivering')
    expect(h.revisionAfter).toBe(repo.commits.v1)
    expect(await liveIndex(broken.dir)).toContain('v1')
    expect((await state(broken.dir)).state).toBe('delivering')
    expect(await broken.sh('test -e .delivery/lock || echo unlocked')).toContain('unlocked')
    expect(r.summary).toMatch(new RegExp(`${broken.sshd.host.replace(/\./g, '\\.')}:${broken.sshd.port} \\| ❌ failure \\| ${repo.commits.v1.slice(0, 12)}`))

    // The next run resumes the delivery on that host and leaves the others as they are (same code).
    const again = await runAction({ ...fleet.base, mode: 'deliver', repository: repo.dir, ref: 'v2' })
    expect(again.code, again.stdout).toBe(0)
    expect(await liveIndex(broken.dir)).toContain('v2')
  })

  it('rolling: one host at a time, stopping at the first failure', async () => {
    const [first, second] = fleet.servers
    await second.sh('chmod -R a-w .delivery/repo.git/objects')
    const before = counts(fleet)
    const beforeStates = await Promise.all(fleet.servers.map((s) => state(s.dir)))
    const r = await runAction({ ...fleet.base, mode: 'deliver', repository: repo.dir, ref: 'v3', strategy: 'rolling' })
    await second.sh('chmod -R u+w .delivery/repo.git/objects')
    expect(r.code).toBe(1)
    expect(r.report!.hosts.map((h) => h.outcome)).toEqual(['success', 'failure', 'skipped', 'skipped'])
    expect(r.report!.hosts[2].message).toContain(`not run: ${second.label} did not succeed (strategy rolling`)
    expect(delta(before, fleet)).toEqual([1, 1, 0, 0])
    expect(r.report!.hosts[0].revisionAfter).toBe(repo.commits.v3)
    for (const i of [2, 3]) expect(await state(fleet.servers[i].dir)).toEqual(beforeStates[i])
    // In order: the second host started after the first had ended (both stamped by the runner's clock).
    const end1 = (await journal(first.dir)).filter((e) => e.event === 'end').at(-1) as Journal
    const start2 = (await journal(second.dir)).find((e) => e.event === 'start' && e.runId === end1.runId) as Journal
    expect(start2.at >= end1.at).toBe(true)
    // Finish the rollout (in parallel: the hosts that have v3 already deliver it again, changing nothing).
    const done = await runAction({ ...fleet.base, mode: 'deliver', repository: repo.dir, ref: 'v3' })
    expect(done.code, done.stdout).toBe(0)
    expect(done.report!.hosts.map((h) => h.revisionAfter)).toEqual(Array(4).fill(repo.commits.v3))
  })

  it('canary: when the first host fails its health check, it goes back and no other host is touched', async () => {
    healthStatus = 500
    const before = counts(fleet)
    const beforeStates = await Promise.all(fleet.servers.map((s) => state(s.dir)))
    const r = await runAction({ ...fleet.base, mode: 'deliver', repository: repo.dir, ref: 'v2', strategy: 'canary', 'health-url': healthUrl })
    expect(r.code).toBe(1)
    expect(r.report!.hosts.map((h) => h.outcome)).toEqual(['failure', 'skipped', 'skipped', 'skipped'])
    const canary = r.report!.hosts[0]
    expect(canary.error).toContain('health check failed')
    expect(canary.rolledBack).toBe(true)
    expect(canary.revisionAfter).toBe(repo.commits.v3) // it went back to the code it served before
    expect(r.report!.hosts[1].message).toContain(`the canary host ${fleet.servers[0].label} did not succeed`)
    expect(delta(before, fleet)).toEqual([1, 0, 0, 0])
    for (const i of [1, 2, 3]) expect(await state(fleet.servers[i].dir)).toEqual(beforeStates[i])

    healthStatus = 200
    const ok = await runAction({ ...fleet.base, mode: 'deliver', repository: repo.dir, ref: 'v2', strategy: 'canary', 'health-url': healthUrl })
    expect(ok.code, ok.stdout).toBe(0)
    expect(ok.report!.hosts.every((h) => (h.health as { ok: boolean } | undefined)?.ok === true)).toBe(true)
    expect(ok.report!.hosts.map((h) => h.revisionAfter)).toEqual(Array(4).fill(repo.commits.v2))
  })

  it('max-parallel bounds how many hosts run at once', async () => {
    // Each host's after-switch waits until two hosts have reached it: the run can only finish if two run at once.
    const barrier = `${scratch}/barrier`
    await run('install', ['-d', '-m', '0777', barrier], { check: true })
    const wait = `touch ${barrier}/"$(echo $SSH_CONNECTION | cut -d' ' -f4)"; for i in $(seq 1 300); do [ "$(ls ${barrier} | wc -l)" -ge 2 ] && exit 0; sleep 0.1; done; echo "alone at the barrier"; exit 1`
    const r = await runAction({ ...fleet.base, mode: 'deliver', repository: repo.dir, ref: 'v3', 'max-parallel': '2', 'after-switch': wait })
    expect(r.code, r.stdout).toBe(0)
    expect((await readdir(barrier)).length).toBe(4)
    // Never more than two at once: the intervals from each host's journal (start .. end of this run) overlap by 2 at most.
    const runId = (await journal(fleet.servers[0].dir)).at(-1)!.runId
    const spans = await Promise.all(
      fleet.servers.map(async (s) => {
        const j = (await journal(s.dir)).filter((e) => e.runId === runId)
        return [Date.parse(j.find((e) => e.event === 'start')!.at), Date.parse(j.find((e) => e.event === 'end')!.at)] as const
      }),
    )
    const maxOverlap = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a <= s && s <= b).length))
    expect(maxOverlap).toBe(2)
  })
})

describe('shared code', () => {
  it('without shared-code, hosts serving one volume collide on its lock', async () => {
    const init = await runAction({ ...shared.base, mode: 'init', repository: repo.dir, ref: 'v1', 'shared-code': 'true' })
    expect(init.code, init.stdout).toBe(0)
    expect(init.report!.hosts.map((h) => h.outcome)).toEqual(['success', 'success', 'success'])
    const r = await runAction({ ...shared.base, mode: 'syncback' })
    expect(r.code).toBe(1)
    expect(r.report!.hosts.filter((h) => h.outcome === 'success')).toHaveLength(1)
    expect(r.report!.hosts.filter((h) => h.error?.includes('is locked by run'))).toHaveLength(2)
  })

  it('delivers once, then runs after-switch and the health check on every node', async () => {
    const log = `${scratch}/nodes.log`
    const before = counts(shared)
    const r = await runAction({
      ...shared.base,
      mode: 'deliver',
      repository: repo.dir,
      ref: 'v2',
      'shared-code': 'true',
      'after-switch': `echo "$SSH_CONNECTION" | cut -d' ' -f4 >> ${log}`,
      'health-url': healthUrl,
    })
    expect(r.code, r.stdout).toBe(0)
    expect(delta(before, shared)).toEqual([1, 1, 1])
    // after-switch runs after every switch: on the first host after deliver's goback and after its backtoprod; on each
    // other node once, when the delivery is over.
    const ports = (await readFile(log, 'utf8')).trim().split('\n').map(Number)
    const [p0, p1, p2] = shared.servers.map((s) => s.sshd.port)
    expect(ports.filter((p) => p === p0)).toHaveLength(2)
    expect(ports.filter((p) => p === p1)).toHaveLength(1)
    expect(ports.filter((p) => p === p2)).toHaveLength(1)
    const [first, ...nodes] = r.report!.hosts
    expect(first.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['syncback', 'update', 'switch', 'after-switch', 'health']))
    for (const n of nodes) {
      expect(n.outcome).toBe('success')
      expect(n.steps.map((s) => s.name)).toEqual(['connect', 'shared code', 'after-switch', 'health'])
      expect(n.message).toBe(`shared code: delivered by ${shared.servers[0].label}; ran here: after-switch, health check`)
      expect(n.revisionAfter).toBe(repo.commits.v2)
      expect(n.liveTreeAfter).toBe(first.liveTreeAfter)
    }
    // One delivery in the journal, with the nodes' outcomes, under the first host's lock.
    const all = await journal(shared.path)
    const j = all.filter((e) => e.runId === all.at(-1)!.runId)
    expect(j.filter((e) => e.event === 'switch').length).toBe(2)
    const nodesEvent = j.find((e) => e.event === 'nodes')!
    expect(nodesEvent.hosts).toEqual(nodes.map((n) => ({ host: n.host, outcome: 'success' })))
    expect(j.map((e) => e.event).indexOf('nodes')).toBeLessThan(j.map((e) => e.event).indexOf('end'))
  })

  it('a dry run plans the per-node steps; status looks at the volume from every node', async () => {
    const before = await readFile(`${shared.path}/.delivery/state.json`, 'utf8')
    const journalBefore = await readFile(`${shared.path}/.delivery/journal.jsonl`, 'utf8')
    const dry = await runAction({ ...shared.base, mode: 'deliver', repository: repo.dir, ref: 'v3', 'shared-code': 'true', 'dry-run': 'true', 'after-switch': 'true', 'health-url': healthUrl })
    expect(dry.code, dry.stdout).toBe(0)
    for (const n of dry.report!.hosts.slice(1)) {
      expect(n.plan).toEqual(['run the after-switch command on this node after the switch', `check ${healthUrl} from this node`])
      expect(n.steps.map((x) => x.name)).toEqual(['connect', 'shared code'])
    }
    expect(await readFile(`${shared.path}/.delivery/state.json`, 'utf8')).toBe(before)
    expect(await readFile(`${shared.path}/.delivery/journal.jsonl`, 'utf8')).toBe(journalBefore)
    const st = await runAction({ ...shared.base, mode: 'status', 'shared-code': 'true' })
    expect(st.code, st.stdout).toBe(0)
    expect(st.report!.hosts.map((h) => h.status?.live)).toEqual(Array(3).fill(JSON.parse(before).live))
  })

  it('a failure on the first host leaves the nodes untouched', async () => {
    await run('chmod', ['-R', 'a-w', `${shared.path}/.delivery/repo.git/objects`], { check: true })
    const before = counts(shared)
    const r = await runAction({ ...shared.base, mode: 'deliver', repository: repo.dir, ref: 'v3', 'shared-code': 'true', 'after-switch': 'true' })
    await run('chmod', ['-R', 'u+w', `${shared.path}/.delivery/repo.git/objects`], { check: true })
    expect(r.code).toBe(1)
    expect(r.report!.hosts.map((h) => h.outcome)).toEqual(['failure', 'skipped', 'skipped'])
    expect(r.report!.hosts[1].message).toBe(`not run: ${shared.servers[0].label}, which delivers the shared code, did not succeed`)
    expect(delta(before, shared)).toEqual([1, 0, 0])
    // The first host stopped after its goback: the volume serves the safe copy of v2, whole.
    expect(r.report!.hosts[0].revisionAfter).toBe(repo.commits.v2)
    expect(await liveIndex(shared.path)).toContain('v2')
  })

  it('a node whose health check fails fails the run; the report says which code every node serves', async () => {
    // The first host's check passes (one request), the nodes' fail.
    healthAnswers = [200]
    healthStatus = 503
    try {
      const r = await runAction({ ...shared.base, mode: 'deliver', repository: repo.dir, ref: 'v3', 'shared-code': 'true', 'health-url': healthUrl })
      expect(r.code).toBe(1)
      expect(r.report!.outcome).toBe('failure')
      expect(r.report!.hosts.map((h) => h.outcome)).toEqual(['success', 'failure', 'failure'])
      for (const n of r.report!.hosts.slice(1)) {
        expect(n.error).toContain('health check failed')
        expect(n.steps.map((x) => `${x.name}:${x.outcome}`)).toEqual(['connect:success', 'shared code:success', 'health:failure'])
      }
      // One volume: the switch stands (the first host's own check passed), and every node reports serving v3.
      expect(r.report!.hosts.map((h) => h.revisionAfter)).toEqual(Array(3).fill(repo.commits.v3))
      expect((await state(shared.path)).state).toBe('production')
      expect(await shared.servers[0].sh('test -e .delivery/lock || echo unlocked')).toContain('unlocked')
    } finally {
      healthAnswers = []
      healthStatus = 200
    }
  })

  it('hosts that do not share one volume are found out', async () => {
    const r = await runAction({ ...fleet.base, mode: 'syncback', 'shared-code': 'true', hosts: fleet.servers.slice(0, 2).map((s) => s.label).join('\n') })
    expect(r.code).toBe(1)
    const node = r.report!.hosts[1]
    expect(node.outcome).toBe('failure')
    expect(node.error).toContain(`this host does not see the code volume ${fleet.servers[0].label} delivered to`)
    expect(node.error).toContain('every host must mount the same delivery root')
  })
})

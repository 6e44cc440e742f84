/**
 * Jump hosts for real: two target sshd servers live in a network namespace the test runner has no route to; a bastion
 * sshd (TCP forwarding allowed) sits in a namespace reachable from both sides. The targets can only be reached through
 * it. Its host key is verified like the targets', it takes its own key (`jump-private-key`), and a fleet behind it
 * costs it one login per run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction } from '../helpers/action.js'
import { type Fleet, type FleetServer, startFleet } from '../helpers/fleet.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { type BastionNetwork, makeBastionNetwork } from '../helpers/netns.js'
import { run } from '../helpers/proc.js'
import { type SshdHandle, startSshd } from '../helpers/sshd.js'

let netw: BastionNetwork
let bastion: SshdHandle
let closed: SshdHandle
let fleet: Fleet
let a: FleetServer
let b: FleetServer
let repo: MoodleRepo

/** Inputs for a run on both targets through the bastion. */
let base: Record<string, string>

beforeAll(async () => {
  netw = await makeBastionNetwork()
  ;[bastion, closed, fleet] = await Promise.all([
    startSshd({ netns: netw.bastionNs, listenAddress: netw.bastionAddress, allowTcpForwarding: true }),
    startSshd({ netns: netw.bastionNs, listenAddress: netw.bastionAddress, allowTcpForwarding: false }),
    startFleet(2, { netns: netw.innerNs, listenAddress: netw.innerAddress }),
  ])
  ;[a, b] = fleet.servers
  repo = await makeMoodleRepo(a.sshd.user)
  // The targets accept one key, the bastion another (as a site would have).
  base = {
    ...fleet.base,
    'jump-host': `${bastion.user}@${bastion.host}:${bastion.port}`,
    'jump-private-key': bastion.privateKey,
    'known-hosts': `${bastion.knownHostsLine}\n${fleet.base['known-hosts']}`,
  }
})

afterAll(async () => {
  await Promise.all([bastion?.stop(), closed?.stop(), fleet?.stop()])
  await repo?.remove()
  await netw?.remove()
})

/**
 * Whether an SSH server answers at host:port from this process within 2 s (its banner arrives). A bare TCP connect
 * would not do: some networks accept every outgoing connection (a proxy) and answer nothing.
 */
function sshAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port })
    const done = (ok: boolean) => {
      s.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), 2000)
    s.once('data', (d: Buffer) => {
      clearTimeout(timer)
      done(d.toString('latin1').startsWith('SSH-2.0-'))
    })
    s.once('error', () => {
      clearTimeout(timer)
      done(false)
    })
    s.once('close', () => {
      clearTimeout(timer)
      done(false)
    })
  })
}

const counts = () => ({ bastion: bastion.connectionCount(), a: a.sshd.connectionCount(), b: b.sshd.connectionCount() })

describe('jump host', () => {
  it('the targets cannot be reached from the runner, the bastion can', async () => {
    expect(await sshAnswers(a.sshd.host, a.sshd.port)).toBe(false)
    expect(counts().a).toBe(0)
    expect(await sshAnswers(bastion.host, bastion.port)).toBe(true)
    // ...while from the bastion's namespace the target answers.
    const probe = await run('ip', ['netns', 'exec', netw.bastionNs, 'bash', '-c', `exec 3<>/dev/tcp/${a.sshd.host}/${a.sshd.port}; head -c 8 <&3`])
    expect(probe.stdout).toBe('SSH-2.0-')
  })

  it('delivers to both targets through one login on the bastion', async () => {
    const before = counts()
    const init = await runAction({ ...base, mode: 'init', repository: repo.dir, ref: 'v1' })
    expect(init.code, init.stdout).toBe(0)
    expect(init.report!.hosts.map((h) => h.outcome)).toEqual(['success', 'success'])
    const after = counts()
    expect(after.bastion - before.bastion).toBe(1)
    expect(after.a - before.a).toBe(1)
    expect(after.b - before.b).toBe(1)
    // The targets saw the connection come from the bastion's side of their network.
    expect(a.sshd.readLog()).toContain(`Connection from ${netw.bastionInnerAddress} port`)
    expect(a.sshd.readLog()).not.toContain(`Connection from ${netw.bastionAddress.replace(/\d+$/, '1')} `)
    expect(init.report!.hosts[0].steps[0]).toMatchObject({ name: 'connect', detail: `through the jump host ${base['jump-host']}` })

    const r = await runAction({ ...base, mode: 'deliver', repository: repo.dir, ref: 'v2' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.hosts.map((h) => h.revisionAfter)).toEqual([repo.commits.v2, repo.commits.v2])
    expect(await a.sh('cat live/index.php')).toContain('v2')
    expect(await b.sh('cat live/index.php')).toContain('v2')
    expect(counts().bastion - after.bastion).toBe(1)
  })

  it('verifies the bastion host key, before any forwarding', async () => {
    const before = counts()
    const r = await runAction({ ...base, mode: 'status', 'known-hosts': [a.sshd.knownHostsLine, b.sshd.knownHostsLine].join('\n') })
    expect(r.code).toBe(1)
    for (const h of r.report!.hosts) {
      expect(h.error).toMatch(new RegExp(`jump host ${base['jump-host']}: host key verification failed: the host key SHA256:\\S+ of ${bastion.host}:${bastion.port} is not trusted`))
    }
    expect(counts().a).toBe(before.a)
    expect(counts().b).toBe(before.b)
  })

  it("verifies each target's host key too, behind the bastion", async () => {
    const before = counts()
    const r = await runAction({ ...base, mode: 'status', 'known-hosts': [bastion.knownHostsLine, a.sshd.knownHostsLine].join('\n') })
    expect(r.code).toBe(1)
    const [ha, hb] = r.report!.hosts
    expect(ha.outcome).toBe('success')
    expect(hb.outcome).toBe('failure')
    expect(hb.error).toContain(`host key verification failed: the host key ${b.sshd.fingerprint} of ${b.sshd.host}:${b.sshd.port} is not trusted`)
    expect(hb.error).toContain(`(via the jump host ${base['jump-host']})`)
    expect(counts().b - before.b).toBe(1) // it got there, and refused the key
    // Fingerprints work as well as known_hosts lines, for the bastion as for the targets.
    const fp = await runAction({
      ...base,
      mode: 'status',
      'known-hosts': '',
      'host-fingerprint': [bastion.fingerprint, a.sshd.fingerprint, b.sshd.fingerprint].join(','),
    })
    expect(fp.code, fp.stdout).toBe(0)
  })

  it('authenticates to the bastion with jump-private-key, and says so when it is wrong or missing', async () => {
    const before = counts()
    const missing = await runAction({ ...base, mode: 'status', 'jump-private-key': '' })
    expect(missing.code).toBe(1)
    expect(missing.report!.hosts[0].error).toContain(`authentication failed for ${bastion.user} at the jump host ${base['jump-host']}: check jump-private-key`)
    const wrong = await runAction({ ...base, mode: 'status', 'jump-private-key': b.sshd.rsaKey })
    expect(wrong.code).toBe(1)
    expect(wrong.report!.hosts[1].error).toContain(`authentication failed for ${bastion.user} at the jump host`)
    expect(counts().a).toBe(before.a)
    expect(counts().b).toBe(before.b)
    // Without jump-private-key, private-key is used for the bastion too.
    await bastion.authorize(a.sshd.publicKey)
    const same = await runAction({ ...base, mode: 'status', 'jump-private-key': '' })
    expect(same.code, same.stdout).toBe(0)
  })

  it('a bastion that forbids forwarding is named as the problem', async () => {
    const r = await runAction({
      ...base,
      mode: 'status',
      'jump-host': `${closed.user}@${closed.host}:${closed.port}`,
      'jump-private-key': closed.privateKey,
      'known-hosts': [closed.knownHostsLine, a.sshd.knownHostsLine, b.sshd.knownHostsLine].join('\n'),
    })
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toContain(`the jump host ${closed.user}@${closed.host}:${closed.port} could not open a connection to ${a.sshd.host}:${a.sshd.port}`)
    expect(r.report!.hosts[0].error).toContain('AllowTcpForwarding')
  })

  it('works with the restricted authorized_keys lines the documentation recommends', async () => {
    const dir = await mkdtemp('/tmp/dlv-jumpkey-')
    try {
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'delivery', '-f', `${dir}/key`], { check: true })
      const pub = (await readFile(`${dir}/key.pub`, 'utf8')).trim()
      const key = await readFile(`${dir}/key`, 'utf8')
      // The bastion: forwarding to the two servers only, no shell. The servers: commands only (no pty, no forwarding).
      const open = fleet.servers.map((s) => `permitopen="${s.sshd.host}:${s.sshd.port}"`).join(',')
      await bastion.authorize(`restrict,port-forwarding,${open},command="/usr/sbin/nologin" ${pub}`)
      for (const s of fleet.servers) await s.sshd.authorize(`restrict ${pub}`)
      const r = await runAction({ ...base, mode: 'deliver', repository: repo.dir, ref: 'v3', 'private-key': key, 'jump-private-key': key })
      expect(r.code, r.stdout).toBe(0)
      expect(r.report!.hosts.map((h) => h.revisionAfter)).toEqual([repo.commits.v3, repo.commits.v3])
      // A destination the line does not permit is refused by the bastion, and said so.
      const other = await runAction({ ...base, mode: 'status', hosts: `${a.sshd.user}@${netw.innerAddress}:22`, 'private-key': key, 'jump-private-key': key })
      expect(other.code).toBe(1)
      expect(other.report!.hosts[0].error).toContain('the jump host forbids forwarding there')
      expect(other.report!.hosts[0].error).toContain('permitopen=')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("the post step releases the run's locks through the bastion, with one login", async () => {
    const runId = String(Math.floor(Math.random() * 1e9))
    const lock = JSON.stringify({ runId: `${runId}-1`, actor: 'test-actor', host: 'x', pid: 0, startedAt: new Date().toISOString(), mode: 'deliver' })
    for (const s of [a, b]) await s.sh(`printf '%s' '${lock}' > .delivery/lock`)
    const before = counts()
    const hosts = [a, b].map((s) => ({ user: s.sshd.user, host: s.sshd.host, port: s.sshd.port, label: s.label }))
    const r = await runAction({ ...base, mode: 'deliver', repository: repo.dir }, { entry: 'post', state: { locks: JSON.stringify(hosts) }, env: { GITHUB_RUN_ID: runId } })
    expect(r.code, r.stdout).toBe(0)
    expect(r.stdout).toContain(`${a.label}: released the delivery lock left by the main step`)
    expect(r.stdout).toContain(`${b.label}: released the delivery lock left by the main step`)
    for (const s of [a, b]) expect(await s.sh('test -e .delivery/lock || echo released')).toContain('released')
    expect(counts().bastion - before.bastion).toBe(1)
  })

  it('a target the bastion cannot reach fails that host alone', async () => {
    const r = await runAction({ ...base, mode: 'status', hosts: `${a.label}\n${a.sshd.user}@${netw.innerAddress}:1`, timeout: '5' })
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].outcome).toBe('success')
    expect(r.report!.hosts[1].error).toContain(`could not open a connection to ${netw.innerAddress}:1`)
  })
})

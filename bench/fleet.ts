/**
 * Fleet: one `deliver` to 1, 4 and 16 hosts in parallel (the default strategy), each host a real sshd on its own
 * loopback port. The `path` input is the same for every host, so each sshd runs in a mount namespace of its own
 * (`unshare -m --propagation private`) where a per-host folder is bind-mounted on the common delivery path: each host
 * has its own layout, lock and journal, as separate servers would. Measured: the wall time of the run against one
 * host's (same run, same tree, same change size), and the SSH connections each host's sshd accepted during the run
 * (its log's "Connection from" lines).
 *
 * All hosts share this machine's 2 cores and one disk: the work each host does on its server (rsync, git) is not
 * parallel here as it is across real servers, so the ratio measures the orchestration plus that contention.
 *
 *   node bench/run.mjs fleet [--hosts 1,4,16] [--files 2000] [--change 10] [--runs 3] [--cli NAME=PATH,…]
 *                            [--out fleet]   (the name of the results file: bench/results/OUT.json)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { run } from '../test/helpers/proc.js'
import { startSshd } from '../test/helpers/sshd.js'
import { type ReportJson, timed } from './lib/site.js'
import { makeTreeRepo } from './lib/tree.js'
import { clis, defer, list, load, machine, max, median, options, ratio, runMain, say, secs, sh, table, writeResults } from './lib/util.js'

const USER = 'dlvbench'

/**
 * The per-host process, started as `unshare -m --propagation private node fleet.mjs --host-child DIR MOUNT PUBKEY`:
 * bind-mounts DIR on MOUNT in its own namespace, starts a test sshd there, authorises PUBKEY, prints the sshd's port,
 * known_hosts line and log path as one JSON line, and stops when its standard input closes.
 */
async function hostChild(dir: string, mount: string, pub: string): Promise<void> {
  await run('mount', ['--bind', dir, mount], { check: true })
  const sshd = await startSshd({ user: USER })
  appendFileSync(join(dirname(sshd.logPath), 'authorized_keys'), `${pub.trim()}\n`)
  process.stdout.write(`${JSON.stringify({ port: sshd.port, knownHostsLine: sshd.knownHostsLine, logPath: sshd.logPath })}\n`)
  const bound = setTimeout(() => process.stdin.destroy(), 3 * 3600_000)
  await new Promise((r) => process.stdin.on('close', r).resume())
  clearTimeout(bound)
  await sshd.stop()
}

interface Host {
  port: number
  knownHostsLine: string
  logPath: string
  dir: string
  child: ChildProcess
}

async function startHost(dir: string, mount: string, pub: string): Promise<Host> {
  const child = spawn('unshare', ['-m', '--propagation', 'private', process.execPath, process.argv[1], '--host-child', dir, mount, pub], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    rl.once('line', resolve)
    child.once('exit', (c) => reject(new Error(`a fleet host exited (${c}) before its sshd was up`)))
  })
  const info = JSON.parse(line) as { port: number; knownHostsLine: string; logPath: string }
  return { ...info, dir, child }
}

const connections = (h: Host): number => readFileSync(h.logPath, 'utf8').split('\n').filter((l) => l.includes('Connection from')).length

interface Measure {
  cli: string
  hosts: number
  run: number
  ms: number
  ok: boolean
  error?: string
  /** Connections each host accepted during the run. */
  connections: number[]
  /** The longest and the median host, by the sum of its steps (ms). */
  hostMsMax: number
  hostMsMedian: number
  /** CPU time of the CLI process (user + system), ms: the runner's own work (ssh2 is pure JavaScript here). */
  runnerCpuMs: number
  /** Share of the machine's CPU time that was busy during the run (every process: the servers, the runner, others). */
  machineBusy: number
}

/** Busy and total CPU time of the whole machine so far (jiffies, /proc/stat). */
function cpuStat(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f
  const busy = user + nice + system + irq + softirq + steal
  return { busy, total: busy + idle + iowait }
}

async function main() {
  const o = options({ hosts: '1,4,16', files: '2000', change: '10', runs: '3', cli: 'Delivery=dist/cli.js', out: 'fleet' })
  const CLIS = clis(o.cli)
  const sizes = list(o.hosts)
  const n = Math.max(...sizes)
  const info = await machine()
  const loads = [load()]
  const base = await mkdtemp('/tmp/dlv-bench-fleet-')
  defer(() => rm(base, { recursive: true, force: true }))
  await chmod(base, 0o755)
  const mount = join(base, 'srv')
  await sh(`mkdir -p ${mount} && ssh-keygen -q -t ed25519 -N '' -C bench-fleet -f ${base}/id_ed25519`)
  const pub = await readFile(`${base}/id_ed25519.pub`, 'utf8')
  say(`fleet: ${n} hosts, ${o.files} files, change of ${o.change} files`)
  const hosts: Host[] = []
  defer(async () => {
    for (const h of hosts) h.child.stdin?.end()
    await Promise.all(hosts.map((h) => new Promise((r) => (h.child.exitCode !== null ? r(null) : h.child.once('exit', r)))))
  })
  for (let i = 0; i < n; i++) {
    const dir = join(base, `host${i}`)
    await sh(`mkdir -p ${dir} && chown ${USER}: ${dir}`)
    hosts.push(await startHost(dir, mount, pub))
  }
  for (const c of CLIS) await sh(`for d in ${base}/host*; do install -d -o ${USER} -g ${USER} "$d/${c.name.replace(/[^A-Za-z0-9-]/g, '-')}"; done`)
  await writeFile(join(base, 'known_hosts'), hosts.map((h) => h.knownHostsLine).join('\n') + '\n')
  const repo = await makeTreeRepo(USER, Number(o.files))
  defer(() => repo.remove())
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: base, USER: 'bench' }
  const deliver = (c: (typeof CLIS)[number], mode: string, count: number, ref: string) =>
    timed('/usr/bin/time', [
      '-f', 'DLVCPU %U %S', process.execPath, c.path, '--mode', mode, '--hosts', hosts.slice(0, count).map((h) => `${USER}@127.0.0.1:${h.port}`).join(','),
      '--private-key-file', join(base, 'id_ed25519'), '--known-hosts-file', join(base, 'known_hosts'),
      '--path', join(mount, c.name.replace(/[^A-Za-z0-9-]/g, '-')), '--repository', repo.dir, '--ref', ref, '--app', 'none', '--web-user', USER,
    ], { env, cwd: base })
  for (const c of CLIS) {
    const init = await deliver(c, 'init', n, repo.head)
    if (init.code !== 0) throw new Error(`init of ${n} hosts failed: ${init.stderr.slice(-2000)}`)
    say(`${c.name}: init of ${n} hosts in ${secs(init.ms)} s`)
  }
  const measures: Measure[] = []
  for (let r = 1; r <= Number(o.runs); r++) {
    for (const count of r % 2 ? sizes : [...sizes].reverse()) {
      for (const c of r % 2 ? CLIS : [...CLIS].reverse()) {
        const ref = await repo.change(Number(o.change))
        const before = hosts.map(connections)
        const cpu0 = cpuStat()
        const res = await deliver(c, 'deliver', count, ref)
        const cpu1 = cpuStat()
        const after = hosts.map(connections)
        const runnerCpu = /DLVCPU ([\d.]+) ([\d.]+)/.exec(res.stderr)
        const m = /^report-json=(.+)$/m.exec(res.stdout)
        const report = m ? (JSON.parse(await readFile(m[1].trim(), 'utf8')) as ReportJson) : undefined
        const hostMs = (report?.hosts ?? []).map((h) => h.steps.reduce((a, s) => a + s.ms, 0))
        const ms: Measure = {
          cli: c.name,
          hosts: count,
          run: r,
          ms: res.ms,
          ok: res.code === 0,
          error: res.code === 0 ? undefined : (report?.hosts.find((h) => h.error)?.error ?? res.stderr.slice(-400)),
          connections: after.slice(0, count).map((a, i) => a - before[i]),
          hostMsMax: max(hostMs),
          hostMsMedian: median(hostMs),
          runnerCpuMs: runnerCpu ? (Number(runnerCpu[1]) + Number(runnerCpu[2])) * 1000 : NaN,
          machineBusy: (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total),
        }
        measures.push(ms)
        say(`run ${r}, ${c.name}, ${count} host(s): ${secs(ms.ms)} s, connections per host ${[...new Set(ms.connections)].join('/')}${ms.ok ? '' : `, FAILED: ${ms.error}`}`)
      }
    }
    loads.push(load())
  }
  const rows: (string | number)[][] = []
  const summary: Record<string, unknown>[] = []
  for (const c of CLIS) {
    const one = median(measures.filter((m) => m.cli === c.name && m.hosts === 1).map((m) => m.ms))
    for (const count of sizes) {
      const ms = measures.filter((m) => m.cli === c.name && m.hosts === count)
      const t = median(ms.map((m) => m.ms))
      const conns = ms.flatMap((m) => m.connections)
      rows.push([c.name, count, ms.length, `${ms.filter((m) => m.ok).length}/${ms.length}`, secs(t), ratio(t, one), secs(median(ms.map((m) => m.hostMsMedian))), secs(median(ms.map((m) => m.hostMsMax))), secs(median(ms.map((m) => m.runnerCpuMs))), `${(100 * median(ms.map((m) => m.machineBusy))).toFixed(0)} %`, `${Math.min(...conns)}–${Math.max(...conns)}`])
      summary.push({ cli: c.name, hosts: count, runs: ms.length, medianMs: t, overOneHost: t / one, runnerCpuMs: median(ms.map((m) => m.runnerCpuMs)), machineBusy: median(ms.map((m) => m.machineBusy)), connectionsMin: Math.min(...conns), connectionsMax: Math.max(...conns) })
    }
  }
  const md = table(['system', 'hosts', 'runs', 'succeeded', 'total (s, median)', 'over 1 host', 'per-host steps (s, median host)', 'slowest host (s)', 'runner CPU (s)', 'machine CPU busy', 'connections per host'], rows)
  const file = writeResults(o.out, { options: o, clis: CLIS, machine: info, loads, summary, measures })
  process.stdout.write(`\n${md}\n\nload average: ${loads.map((l) => l.load1).join(', ')}\nresults: ${file}\n`)
}

if (process.argv[2] === '--host-child') {
  await hostChild(process.argv[3], process.argv[4], process.argv[5])
} else {
  await runMain(main)
}

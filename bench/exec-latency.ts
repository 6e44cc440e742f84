/**
 * The time of one remote command over an open SSH connection, the unit every delivery step pays: `--runs` commands
 * `true` in a row over one ssh2 connection with TCP_NODELAY (as Delivery opens it), over one without it (Nagle's
 * algorithm on: ssh2's default, and Delivery's before it set TCP_NODELAY), and, for comparison, with the OpenSSH client
 * through a multiplexed master connection (a new client process per command).
 *
 *   node bench/run.mjs exec-latency [--runs 20]
 */
import net from 'node:net'
import ssh2 from 'ssh2'
import { startSite, timed } from './lib/site.js'
import { defer, load, machine, max, median, min, now, options, runMain, table, writeResults } from './lib/util.js'

async function ssh2Series(port: number, user: string, key: string, noDelay: boolean, runs: number): Promise<number[]> {
  const sock = net.connect(port, '127.0.0.1')
  await new Promise((r) => sock.once('connect', r))
  sock.setNoDelay(noDelay)
  const c = new ssh2.Client()
  await new Promise<void>((res, rej) => {
    c.once('ready', () => res()).once('error', rej).connect({ sock, username: user, privateKey: key })
  })
  const exec = () =>
    new Promise<number>((res, rej) => {
      const t = now()
      c.exec('true', (e, ch) => {
        if (e) return rej(e)
        ch.on('close', () => res(now() - t)).resume()
        ch.stderr.resume()
      })
    })
  const out: number[] = []
  for (let i = 0; i < runs; i++) out.push(await exec())
  c.end()
  return out
}

async function main() {
  const o = options({ runs: '20' })
  const runs = Number(o.runs)
  const info = await machine()
  const site = await startSite()
  defer(() => site.stop())
  const key = site.target.sshd.privateKey
  const series: { key: string; label: string; ms: number[] }[] = [
    { key: 'nodelay', label: 'ssh2 with TCP_NODELAY (as Delivery opens it)', ms: await ssh2Series(site.port, site.user, key, true, runs) },
    { key: 'nagle', label: "ssh2 without TCP_NODELAY (Nagle's algorithm on: ssh2's default)", ms: await ssh2Series(site.port, site.user, key, false, runs) },
  ]
  const base = ['-i', site.keyFile, '-o', `UserKnownHostsFile=${site.knownHostsFile}`, '-o', 'BatchMode=yes', '-o', `ControlPath=${site.work}/cm-%p`, '-p', String(site.port), `${site.user}@127.0.0.1`]
  const master = timed('ssh', ['-o', 'ControlMaster=yes', '-o', 'ControlPersist=no', '-N', ...base])
  for (let i = 0; (await timed('ssh', ['-O', 'check', ...base])).code !== 0; i++) {
    if (i >= 50) throw new Error('the OpenSSH master connection did not come up')
    await new Promise((r) => setTimeout(r, 100))
  }
  const mux: number[] = []
  for (let i = 0; i < runs; i++) {
    const r = await timed('ssh', [...base, 'true'])
    if (r.code !== 0) throw new Error(`ssh through the master failed: ${r.stderr}`)
    mux.push(r.ms)
  }
  series.push({ key: 'openssh-mux', label: 'OpenSSH client, multiplexed (a new client process per command)', ms: mux })
  await timed('ssh', ['-O', 'exit', ...base])
  await master
  const rows = series.map(({ label, ms }) => [label, `${median(ms).toFixed(1)} ms`, `${min(ms).toFixed(1)}–${max(ms).toFixed(1)} ms`])
  const md = table(['one command `true` over an open connection', 'median', 'min–max'], rows)
  const file = writeResults('exec-latency', { options: o, machine: info, loads: [load()], series })
  process.stdout.write(`\n${md}\n\nresults: ${file}\n`)
}

await runMain(main)

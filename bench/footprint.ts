/**
 * Footprint: the size of dist/ (what the Action ships: files, bytes, gzip -9 of the whole), and the time from the
 * CLI's process start to its first remote command. The sshd runs every command through a `ForceCommand` wrapper that
 * writes `date +%s%N` before running the command unchanged, so the first stamp after the process was started marks
 * the first remote command (the probe); both clocks are this machine's. For reference: `node -e 0`, and
 * `node dist/cli.js --version` (process start to exit, no connection). Also counted with the same wrapper: the remote
 * commands (SSH exec requests) of one `deliver` of a small tree, and the connections it opened.
 *
 *   node bench/run.mjs footprint [--runs 10] [--files 500] [--cli NAME=PATH,…]
 */
import { readdirSync, statSync } from 'node:fs'
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { startSite, timed } from './lib/site.js'
import { makeTreeRepo } from './lib/tree.js'
import { clis, defer, load, machine, median, min, max, options, runMain, say, sh, table, writeResults } from './lib/util.js'

function files(dir: string): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = []
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f)
      const s = statSync(p)
      if (s.isDirectory()) walk(p)
      else out.push({ path: relative(dir, p), bytes: s.size })
    }
  }
  walk(dir)
  return out.sort((a, b) => b.bytes - a.bytes)
}

const ms = (x: number) => `${x.toFixed(0)} ms`

async function main() {
  const o = options({ runs: '10', files: '500', cli: 'Delivery=dist/cli.js' })
  const CLIS = clis(o.cli)
  const info = await machine()
  const loads = [load()]
  const dir = await mkdtemp('/tmp/dlv-bench-foot-')
  defer(() => sh(`rm -rf ${dir}`))
  await chmod(dir, 0o755)
  const stampFile = join(dir, 'stamps')
  const wrapper = join(dir, 'stamp.sh')
  await writeFile(wrapper, `#!/bin/bash\ndate +%s%N >> ${stampFile}\nexec bash -c "$SSH_ORIGINAL_COMMAND"\n`, { mode: 0o755 })
  const site = await startSite({ extraConfig: `ForceCommand ${wrapper}` })
  defer(() => site.stop())
  await sh(`touch ${stampFile} && chown ${site.user}: ${stampFile}`)
  const repo = await makeTreeRepo(site.user, Number(o.files))
  defer(() => repo.remove())
  const stamps = async () => (await readFile(stampFile, 'utf8')).split('\n').filter(Boolean).map((l) => Number(BigInt(l) / 1000n) / 1000)

  const sizes: Record<string, unknown>[] = []
  const rows: (string | number)[][] = []
  const startRows: (string | number)[][] = []
  const nodeBare: number[] = []
  for (let i = 0; i < Number(o.runs); i++) nodeBare.push((await timed(process.execPath, ['-e', '0'])).ms)
  for (const c of CLIS) {
    const dist = dirname(c.path)
    const list = files(dist)
    const js = list.filter((f) => f.path.endsWith('.js'))
    const gz = Number((await sh(`tar -C ${dist} -cf - . | gzip -9 | wc -c`)).trim())
    sizes.push({ cli: c.name, files: list.length, bytes: list.reduce((a, f) => a + f.bytes, 0), gzipBytes: gz, largest: list.slice(0, 6) })
    rows.push([c.name, list.length, `${(list.reduce((a, f) => a + f.bytes, 0) / 2 ** 20).toFixed(2)} MiB`, `${(js.reduce((a, f) => a + f.bytes, 0) / 2 ** 20).toFixed(2)} MiB`, `${(gz / 2 ** 20).toFixed(2)} MiB`, list.slice(0, 3).map((f) => `${f.path} ${(f.bytes / 1024).toFixed(0)} KiB`).join(', ')])

    const version: number[] = []
    const first: number[] = []
    const total: number[] = []
    for (let i = 0; i < Number(o.runs); i++) {
      version.push((await timed(process.execPath, [c.path, '--version'])).ms)
      const before = (await stamps()).length
      const r = await site.cli({ mode: 'status' }, c.path)
      if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`)
      const s = (await stamps()).slice(before).filter((t) => t >= r.t0)
      if (!s.length) throw new Error('no remote command was stamped')
      first.push(s[0] - r.t0)
      total.push(r.ms)
    }
    // One deliver of a small tree: how many remote commands and connections it takes.
    const root = await site.makeRoot(`foot-${c.name.replace(/[^A-Za-z0-9-]/g, '-')}`)
    const init = await site.cli({ mode: 'init', repository: repo.dir, ref: repo.head, app: 'none', path: root }, c.path)
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
    const ref = await repo.change(10)
    const n0 = (await stamps()).length
    const c0 = site.target.sshd.connectionCount()
    const d = await site.cli({ mode: 'deliver', repository: repo.dir, ref, app: 'none', path: root }, c.path)
    if (d.code !== 0) throw new Error(`deliver failed: ${d.stderr}`)
    const commands = (await stamps()).length - n0
    const conns = site.target.sshd.connectionCount() - c0
    startRows.push([c.name, ms(median(nodeBare)), ms(median(version)), `${ms(median(first))} (${ms(min(first))}–${ms(max(first))})`, ms(median(total)), `${commands} commands, ${conns} connection(s), ${ms(d.ms)}`])
    sizes[sizes.length - 1].startup = { nodeBareMs: nodeBare, versionMs: version, firstRemoteCommandMs: first, statusTotalMs: total, deliver: { commands, connections: conns, ms: d.ms } }
    say(`${c.name}: first remote command after ${ms(median(first))}`)
  }
  const md = [
    table(['system', 'files in dist/', 'size', 'of which .js', 'gzip -9 of dist/', 'largest files'], rows),
    '',
    table(['system', '`node -e 0`', '`cli.js --version`', 'process start → first remote command (median, min–max)', '`--mode status` total', `one deliver (${o.files} files, 10 changed)`], startRows),
  ].join('\n')
  const file = writeResults('footprint', { options: o, clis: CLIS, machine: info, loads: [...loads, load()], sizes })
  process.stdout.write(`\n${md}\n\nresults: ${file}\n`)
}

await runMain(main)

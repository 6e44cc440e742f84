/**
 * Cost against tree size and change size: synthetic Moodle-shaped trees of `--sizes` files, each delivered with
 * changes of `--changes` files, `--runs` times each (`--runs-large` for trees of 100 000 files and more). Measured:
 * the wall time of the whole `deliver` (CLI process start to exit) and of each of its phases (from report.json's
 * steps), against the seed tool's procedure on the same server, to the same commits, in the same run: remove the old
 * backup, `cp -R live save`, `mv live work; mv save live`, `git fetch` + `git reset --hard` in the work copy,
 * `mv live save; mv work live` (one SSH session, time stamps between the phases). The two alternate, run by run.
 * After init, each system makes one delivery that is not measured (the first one after init copies whole files: see
 * below); its time is in the results' `setup`.
 *
 * Several builds of the CLI can be measured in the same run, each on its own delivery root (`--cli NAME=PATH,…`).
 *
 *   node bench/run.mjs cost [--sizes 10000,30000,100000] [--changes 10,100,1000] [--runs 3] [--runs-large 1]
 *                           [--cli Delivery=dist/cli.js,…]
 */
import { chmod, mkdtemp } from 'node:fs/promises'
import { runAs } from '../test/helpers/proc.js'
import { type CliRun, type ReportStep, SEED, startSite, stamps } from './lib/site.js'
import { makeTreeRepo } from './lib/tree.js'
import { clis, defer, list, load, machine, median, now, options, ratio, runMain, say, secs, sh, table, writeResults } from './lib/util.js'

const o = options({ sizes: '10000,30000,100000', changes: '10,100,1000', runs: '3', 'runs-large': '1', cli: 'Delivery=dist/cli.js' })
const CLIS = clis(o.cli)
const SEED_NAME = 'seed'

/** The delivery's phases, from the steps of its report in order. */
export function oursPhases(run: CliRun): Record<string, number> {
  const steps: ReportStep[] = run.report?.hosts[0]?.steps ?? []
  const p: Record<string, number> = { start: 0, checks: 0, syncback: 0, goback: 0, update: 0, backtoprod: 0, other: 0 }
  let phase: keyof typeof p = 'checks'
  let stepsMs = 0
  for (const s of steps) {
    stepsMs += s.ms
    if (s.name === 'connect') {
      p.start += s.ms
      continue
    }
    if (s.name === 'syncback' || s.name === 'record syncback') phase = 'syncback'
    else if (s.name === 'update') phase = 'update'
    else if (phase === 'syncback') phase = 'goback'
    else if (phase === 'update') phase = 'backtoprod'
    p[phase] += s.ms
  }
  const inProcess = run.report?.durationMs ?? run.ms
  p.start += run.ms - inProcess // Node start, module loading, settings, report writing
  p.other = Math.max(0, inProcess - stepsMs) // probe, state and journal writes, lock release
  return p
}

function seedPhases(run: CliRun): Record<string, number> {
  const t = stamps(run.stdout)
  const g = (a: string, b: string) => (t.get(b) ?? NaN) - (t.get(a) ?? NaN)
  const inside = g('start', 'swap2.end')
  return {
    ssh: run.ms - inside,
    'rm old backup': g('start', 'rm'),
    'cp -R': g('rm', 'copy'),
    'mv, mv': g('swap1.begin', 'swap1.end'),
    update: g('swap1.end', 'update'),
    'mv, mv (back)': g('swap2.begin', 'swap2.end'),
  }
}

interface Run {
  files: number
  change: number
  run: number
  system: string
  ms: number
  phases: Record<string, number>
  ok: boolean
  error?: string
}

async function main() {
  const info = await machine()
  const loads = [load()]
  const runs: Run[] = []
  const setup: Record<string, unknown>[] = []
  for (const files of list(o.sizes)) {
    say(`cost: ${files} files`)
    const t0 = now()
    const site = await startSite()
    const stopSite = () => site.stop()
    defer(stopSite)
    const repo = await makeTreeRepo(site.user, files)
    defer(() => repo.remove())
    const generated = now() - t0
    say(`tree: ${repo.files.length} files, ${(repo.bytes / 2 ** 20).toFixed(0)} MiB, generated and committed in ${secs(generated)} s`)
    const roots = new Map<string, string>()
    let initMs = 0
    for (const c of CLIS) {
      roots.set(c.name, await site.makeRoot(c.name.replace(/[^A-Za-z0-9-]/g, '-')))
      const init = await site.cli({ mode: 'init', repository: repo.dir, ref: repo.head, app: 'none', path: roots.get(c.name) as string }, c.path)
      if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
      initMs = init.ms
    }
    const seedDir = await mkdtemp('/tmp/dlv-bench-seed-')
    defer(() => sh(`rm -rf ${seedDir}`))
    await chmod(seedDir, 0o755)
    await sh(`chown ${site.user}: ${seedDir}`)
    const ts = now()
    const r = await runAs(site.user, 'set -e; cd "$1"; git clone -q "$2" live; cp -R live save', { args: [seedDir, repo.dir] })
    if (r.code !== 0) throw new Error(`seed setup failed: ${r.stderr}`)
    const first = roots.get(CLIS[0].name) as string
    setup.push({ files, bytes: repo.bytes, generateMs: generated, initMs, seedSetupMs: now() - ts, du: (await sh(`du -sm ${first}/trees ${first}/.delivery ${seedDir} ${repo.dir} | awk '{print $1" MiB "$2}'`)).trim() })
    // One delivery per system, not measured: the first one after init differs from the steady state (init checks the
    // two trees out at different times, so the first syncback finds every file's mtime different and copies it all).
    const warm = await repo.change(10)
    const firstMs: Record<string, number> = {}
    for (const c of CLIS) {
      const w = await site.cli({ mode: 'deliver', repository: repo.dir, ref: warm, app: 'none', path: roots.get(c.name) as string }, c.path)
      if (w.code !== 0) throw new Error(`the first delivery failed: ${w.stderr}`)
      firstMs[c.name] = w.ms
    }
    firstMs[SEED_NAME] = (await site.ssh(SEED.deliver, [seedDir, warm])).ms
    ;(setup[setup.length - 1] as Record<string, unknown>).firstDeliveryMs = firstMs
    say(`first delivery after init (not measured): ${JSON.stringify(firstMs)}`)
    const n = files >= 100_000 ? Number(o['runs-large']) : Number(o.runs)
    for (const change of list(o.changes)) {
      for (let i = 1; i <= n; i++) {
        const ref = await repo.change(change)
        const systems = [...CLIS.map((c) => c.name), SEED_NAME]
        const order = i % 2 ? systems : [...systems].reverse()
        for (const system of order) {
          const c = CLIS.find((x) => x.name === system)
          if (c) {
            const run = await site.cli({ mode: 'deliver', repository: repo.dir, ref, app: 'none', path: roots.get(c.name) as string }, c.path)
            const ok = run.code === 0
            runs.push({ files, change, run: i, system, ms: run.ms, phases: oursPhases(run), ok, error: ok ? undefined : (run.report?.hosts[0]?.error ?? run.stderr.slice(-400)) })
          } else {
            const run = await site.ssh(SEED.deliver, [seedDir, ref])
            const ok = run.code === 0
            runs.push({ files, change, run: i, system, ms: run.ms, phases: seedPhases(run), ok, error: ok ? undefined : run.stderr.slice(-400) })
          }
          const last = runs[runs.length - 1]
          say(`${files} files, ${change} changed, run ${i}, ${system}: ${secs(last.ms)} s${last.ok ? '' : ` FAILED: ${last.error}`}`)
        }
      }
      loads.push(load())
    }
    say(`steps of the last delivery: ${JSON.stringify(runs.filter((x) => x.system !== SEED_NAME).at(-1)?.phases)}`)
    await repo.remove()
    await sh(`rm -rf ${seedDir}`)
    await site.stop()
  }

  const rows: (string | number)[][] = []
  const phaseRows: (string | number)[][] = []
  const summary: Record<string, unknown>[] = []
  for (const files of list(o.sizes)) {
    for (const change of list(o.changes)) {
      const pick = (s: string) => runs.filter((r) => r.files === files && r.change === change && r.system === s)
      const seed = pick(SEED_NAME)
      const ms = median(seed.map((r) => r.ms))
      const ph = (rs: Run[], k: string) => secs(median(rs.map((r) => r.phases[k])))
      const row: (string | number)[] = [files, change, seed.length, secs(ms)]
      const entry: Record<string, unknown> = { files, change, runs: seed.length, seedMedianMs: ms, seedPhases: Object.fromEntries(Object.keys(seed[0]?.phases ?? {}).map((k) => [k, median(seed.map((r) => r.phases[k]))])) }
      for (const c of CLIS) {
        const ours = pick(c.name)
        const mo = median(ours.map((r) => r.ms))
        const failed = ours.filter((r) => !r.ok).length
        row.push(`${secs(mo)}${failed ? ` (${failed} failed)` : ''}`, ratio(ms, mo))
        phaseRows.push([c.name, files, change, secs(mo), ...['start', 'checks', 'syncback', 'goback', 'update', 'backtoprod', 'other'].map((k) => ph(ours, k))])
        entry[c.name] = { medianMs: mo, speedup: ms / mo, failed, phases: Object.fromEntries(Object.keys(ours[0]?.phases ?? {}).map((k) => [k, median(ours.map((r) => r.phases[k]))])) }
      }
      rows.push(row)
      phaseRows.push([SEED_NAME, files, change, secs(ms), `rm old backup ${ph(seed, 'rm old backup')}`, `cp -R ${ph(seed, 'cp -R')}`, `mv+mv ${ph(seed, 'mv, mv')}`, `update ${ph(seed, 'update')}`, `mv+mv ${ph(seed, 'mv, mv (back)')}`, `ssh ${ph(seed, 'ssh')}`, ''])
      summary.push(entry)
    }
  }
  const md = [
    table(['files', 'changed files', 'runs', 'seed procedure (s)', ...CLIS.flatMap((c) => [`${c.name} deliver (s)`, `seed ÷ ${c.name}`])], rows),
    '',
    table(['system', 'files', 'changed', 'total', 'start', 'checks', 'syncback', 'goback', 'update', 'backtoprod', 'other'], phaseRows),
  ].join('\n')
  const file = writeResults('cost', { options: o, clis: CLIS, machine: info, loads, setup, summary, runs })
  process.stdout.write(`\n${md}\n\nsetup: ${JSON.stringify(setup, null, 1)}\nload average: ${loads.map((l) => l.load1).join(', ')}\nresults: ${file}\n`)
}

await runMain(main)

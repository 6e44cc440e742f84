/**
 * Cost against tree size and change size: synthetic Moodle-shaped trees of `--sizes` files, each delivered with
 * changes of `--changes` files (plus the cells of `--extra SIZE:CHANGE,…`), `--runs` times per cell. Measured: the wall
 * time of the whole `deliver` (CLI process start to exit) and of each of its phases (from report.json's steps), against
 * the seed tool's procedure on the same server, to the same commits, in the same run: remove the old backup,
 * `cp -R live save`, `mv live work; mv save live`, `git fetch` + `git reset --hard` in the work copy,
 * `mv live save; mv work live` (one SSH session, time stamps between the phases). The systems alternate, run by run.
 *
 * The first delivery after `init` is measured apart: for each size, `--first-runs` times (`--first-runs-large` for
 * trees of `--large` files and more), a fresh delivery root is initialised and given one delivery of the smallest
 * change; the later deliveries of the same size and change are the comparison. The last of these roots then takes
 * the measured runs.
 *
 * Several builds of the CLI can be measured in the same run, each on its own delivery roots (`--cli NAME=PATH,…`).
 *
 *   node bench/run.mjs cost [--sizes 10000,30000,100000] [--changes 10,100] [--extra 30000:1000] [--runs 5]
 *                           [--first-runs 5] [--first-runs-large 1] [--large 100000] [--seed-max N] [--cli Delivery=dist/cli.js,…]
 */
import { chmod, mkdtemp } from 'node:fs/promises'
import { runAs } from '../test/helpers/proc.js'
import { type CliRun, type ReportStep, SEED, type Site, startSite, stamps } from './lib/site.js'
import { makeTreeRepo } from './lib/tree.js'
import { clis, defer, list, load, machine, max, median, min, now, options, ratio, runMain, say, secs, sh, table, writeResults } from './lib/util.js'

const o = options({
  sizes: '10000,30000,100000',
  changes: '10,100',
  extra: '30000:1000',
  runs: '5',
  'first-runs': '5',
  'first-runs-large': '1',
  large: '100000',
  'seed-max': '1000000',
  cli: 'Delivery=dist/cli.js',
})
const CLIS = clis(o.cli)
const SEED_NAME = 'seed'
const PHASES = ['start', 'checks', 'syncback', 'goback', 'update', 'backtoprod', 'other'] as const
const SEED_PHASES = ['ssh', 'rm old backup', 'cp -R', 'mv, mv', 'update', 'mv, mv (back)'] as const

/** The cells to measure: each size with every `--changes`, plus the `--extra` SIZE:CHANGE pairs. */
export function cells(sizes: number[], changes: number[], extra: string): Map<number, number[]> {
  const out = new Map<number, number[]>(sizes.map((s) => [s, [...changes]]))
  for (const item of extra.split(',').filter(Boolean)) {
    const m = /^(\d+):(\d+)$/.exec(item)
    if (!m) throw new Error(`--extra: "${item}" is not SIZE:CHANGE (e.g. 30000:1000)`)
    const cell = out.get(Number(m[1]))
    if (!cell) throw new Error(`--extra: ${m[1]} is not one of --sizes (${sizes.join(',')})`)
    if (!cell.includes(Number(m[2]))) cell.push(Number(m[2]))
  }
  for (const v of out.values()) v.sort((a, b) => a - b)
  return out
}

/** The delivery's phases, from the steps of its report in order. */
export function oursPhases(run: CliRun): Record<string, number> {
  const steps: ReportStep[] = run.report?.hosts[0]?.steps ?? []
  const p: Record<string, number> = Object.fromEntries(PHASES.map((k) => [k, 0]))
  let phase = 'checks'
  let stepsMs = 0
  for (const s of steps) {
    stepsMs += s.ms
    if (s.name === 'connect') {
      p.start += s.ms
      continue
    }
    // checks until syncback; goback from the fresh path or switch after it; update; backtoprod from the next ones.
    if (s.name === 'syncback' || s.name === 'record syncback') phase = 'syncback'
    else if (s.name === 'update') phase = 'update'
    else if (s.name === 'fresh path' || s.name === 'switch') phase = phase === 'update' || phase === 'backtoprod' ? 'backtoprod' : 'goback'
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
  return {
    ssh: run.ms - g('start', 'swap2.end'),
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
  /** Delivery's steps as its report gives them (name and ms), for a breakdown finer than the phases. */
  steps?: [string, number][]
  ok: boolean
  error?: string
}

interface FirstRun extends Run {
  initMs: number
}

/** Median, min and max of a list of times (ms), and their count. */
const stats = (xs: number[]) => ({ runs: xs.length, medianMs: median(xs), minMs: min(xs), maxMs: max(xs) })
const range = (xs: number[]) => `${secs(median(xs))} (${secs(min(xs))}–${secs(max(xs))})`
const phaseMedians = (rs: Run[], keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, median(rs.map((r) => r.phases[k]))]))
const safeName = (name: string) => name.replace(/[^A-Za-z0-9-]/g, '-')
const stepsOf = (run: CliRun): [string, number][] => (run.report?.hosts[0]?.steps ?? []).map((s) => [s.name, s.ms])

async function deliver(site: Site, cli: { name: string; path: string }, root: string, repoDir: string, ref: string): Promise<{ run: CliRun; ok: boolean; error?: string }> {
  const run = await site.cli({ mode: 'deliver', repository: repoDir, ref, app: 'none', path: root }, cli.path)
  const ok = run.code === 0
  return { run, ok, error: ok ? undefined : (run.report?.hosts[0]?.error ?? run.stderr.slice(-400)) }
}

async function main() {
  const CELLS = cells(list(o.sizes), list(o.changes), o.extra)
  const runsPerCell = Number(o.runs)
  const info = await machine()
  const loads = [load()]
  const runs: Run[] = []
  const firsts: FirstRun[] = []
  const setup: Record<string, unknown>[] = []
  for (const [files, changes] of CELLS) {
    say(`cost: ${files} files, changes of ${changes.join(', ')} files`)
    const t0 = now()
    const site = await startSite()
    defer(() => site.stop())
    const repo = await makeTreeRepo(site.user, files)
    defer(() => repo.remove())
    const generated = now() - t0
    say(`tree: ${repo.files.length} files, ${(repo.bytes / 2 ** 20).toFixed(0)} MiB, generated and committed in ${secs(generated)} s`)

    // The first delivery after init, on fresh roots; the last root stays for the measured runs.
    const firstChange = changes[0]
    const k = files >= Number(o.large) ? Number(o['first-runs-large']) : Number(o['first-runs'])
    const roots = new Map<string, string>()
    for (let j = 1; j <= Math.max(1, k); j++) {
      for (const c of j % 2 ? CLIS : [...CLIS].reverse()) {
        const root = await site.makeRoot(`${safeName(c.name)}-${j}`)
        const init = await site.cli({ mode: 'init', repository: repo.dir, ref: repo.head, app: 'none', path: root }, c.path)
        if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
        const ref = await repo.change(firstChange)
        const d = await deliver(site, c, root, repo.dir, ref)
        if (j <= k) firsts.push({ files, change: firstChange, run: j, system: c.name, ms: d.run.ms, phases: oursPhases(d.run), steps: stepsOf(d.run), ok: d.ok, error: d.error, initMs: init.ms })
        say(`${files} files, init ${j}, ${c.name}: init ${secs(init.ms)} s, first delivery (${firstChange} changed) ${secs(d.run.ms)} s${d.ok ? '' : ` FAILED: ${d.error}`}`)
        if (!d.ok) throw new Error(`the first delivery after init failed: ${d.error}`)
        const previous = roots.get(c.name)
        if (previous) await sh(`rm -rf ${previous}`)
        roots.set(c.name, root)
      }
    }

    // Above --seed-max files the seed procedure is not run (its cp -R dominates the benchmark's time there): those
    // cells measure Delivery alone (the ratio of sizes needs no seed).
    const withSeed = files <= Number(o['seed-max'])
    const seedDir = await mkdtemp('/tmp/dlv-bench-seed-')
    defer(() => sh(`rm -rf ${seedDir}`))
    await chmod(seedDir, 0o755)
    await sh(`chown ${site.user}: ${seedDir}`)
    const ts = now()
    const r = withSeed ? await runAs(site.user, 'set -e; cd "$1"; git clone -q "$2" live; cp -R live save', { args: [seedDir, repo.dir] }) : { code: 0, stderr: '' }
    if (r.code !== 0) throw new Error(`seed setup failed: ${r.stderr}`)
    const first = roots.get(CLIS[0].name) as string
    setup.push({ files, bytes: repo.bytes, generateMs: generated, seedSetupMs: now() - ts, du: (await sh(`du -sm ${first}/trees ${first}/.delivery ${seedDir} ${repo.dir} | awk '{print $1" MiB "$2}'`)).trim() })

    for (const change of changes) {
      for (let i = 1; i <= runsPerCell; i++) {
        const ref = await repo.change(change)
        const systems = [...CLIS.map((c) => c.name), ...(withSeed ? [SEED_NAME] : [])]
        for (const system of i % 2 ? systems : [...systems].reverse()) {
          const c = CLIS.find((x) => x.name === system)
          if (c) {
            const d = await deliver(site, c, roots.get(c.name) as string, repo.dir, ref)
            runs.push({ files, change, run: i, system, ms: d.run.ms, phases: oursPhases(d.run), steps: stepsOf(d.run), ok: d.ok, error: d.error })
          } else {
            const s = await site.ssh(SEED.deliver, [seedDir, ref])
            const ok = s.code === 0
            runs.push({ files, change, run: i, system, ms: s.ms, phases: seedPhases(s), ok, error: ok ? undefined : s.stderr.slice(-400) })
          }
          const last = runs[runs.length - 1]
          say(`${files} files, ${change} changed, run ${i}, ${system}: ${secs(last.ms)} s${last.ok ? '' : ` FAILED: ${last.error}`}`)
        }
      }
      loads.push(load())
    }
    say(`phases of the last delivery: ${JSON.stringify(runs.filter((x) => x.system !== SEED_NAME).at(-1)?.phases)}`)
    await repo.remove()
    await sh(`rm -rf ${seedDir}`)
    await site.stop()
  }

  // Medians per cell: of the times, of each phase, and of the per-run ratios (seed ÷ system, same run index).
  const summary: Record<string, unknown>[] = []
  const rows: (string | number)[][] = []
  const phaseRows: (string | number)[][] = []
  for (const [files, changes] of CELLS) {
    for (const change of changes) {
      const pick = (s: string) => runs.filter((r) => r.files === files && r.change === change && r.system === s)
      const seed = pick(SEED_NAME).filter((r) => r.ok)
      const entry: Record<string, unknown> = { files, change, seed: { ...stats(seed.map((r) => r.ms)), failed: pick(SEED_NAME).length - seed.length, phases: phaseMedians(seed, SEED_PHASES) } }
      const row: (string | number)[] = [files, change, seed.length, range(seed.map((r) => r.ms))]
      for (const c of CLIS) {
        const all = pick(c.name)
        const ours = all.filter((r) => r.ok)
        const perRun = ours.flatMap((r) => seed.filter((s) => s.run === r.run).map((s) => s.ms / r.ms))
        entry[c.name] = {
          ...stats(ours.map((r) => r.ms)),
          failed: all.length - ours.length,
          seedOver: median(seed.map((r) => r.ms)) / median(ours.map((r) => r.ms)),
          seedOverPerRun: { min: min(perRun), max: max(perRun) },
          phases: phaseMedians(ours, PHASES),
        }
        row.push(`${range(ours.map((r) => r.ms))}${all.length > ours.length ? ` (${all.length - ours.length} failed)` : ''}`, ratio(median(seed.map((r) => r.ms)), median(ours.map((r) => r.ms))))
        phaseRows.push([c.name, files, change, ...PHASES.map((k) => secs(median(ours.map((r) => r.phases[k]))))])
      }
      rows.push(row)
      summary.push(entry)
    }
  }
  const first: Record<string, unknown>[] = []
  const firstRows: (string | number)[][] = []
  for (const [files, changes] of CELLS) {
    for (const c of CLIS) {
      const f = firsts.filter((r) => r.files === files && r.system === c.name && r.ok)
      const later = runs.filter((r) => r.files === files && r.change === changes[0] && r.system === c.name && r.ok).map((r) => r.ms)
      const fm = median(f.map((r) => r.ms))
      first.push({ files, change: changes[0], system: c.name, ...stats(f.map((r) => r.ms)), initMedianMs: median(f.map((r) => r.initMs)), later: stats(later), overLaterMedian: fm / median(later), noMoreThanAny: fm <= max(later) })
      firstRows.push([c.name, files, changes[0], f.length, range(f.map((r) => r.ms)), later.length ? range(later) : '–', ratio(fm, median(later))])
    }
  }
  // The issue's ratios, for the first CLI (bench/tables.mjs computes the README's verdicts from the same summary).
  const D = CLIS[0].name
  const at = (files: number, change: number) => summary.find((e) => e.files === files && e.change === change)?.[D] as { medianMs: number; seedOver: number } | undefined
  const sizes = [...CELLS.keys()]
  const small = Math.min(...sizes)
  const large = Math.max(...sizes)
  const c0 = Math.min(...CELLS.get(small) ?? [])
  const ratios = {
    seedOverDelivery: summary.map((e) => ({ files: e.files, change: e.change, ratio: (e[D] as { seedOver: number }).seedOver })),
    largeOverSmall: { change: c0, large, small, ratio: (at(large, c0)?.medianMs ?? NaN) / (at(small, c0)?.medianMs ?? NaN) },
    firstOverLater: first.filter((f) => f.system === D).map((f) => ({ files: f.files, ratio: f.overLaterMedian, noMoreThanAny: f.noMoreThanAny })),
  }
  const ratioText = [
    `seed ÷ ${D}: ${ratios.seedOverDelivery.map((r) => `${r.files}/${r.change} ${ratio(r.ratio, 1)}`).join(', ')}`,
    `${D} at ${large} files ÷ at ${small} files (${c0} changed): ${ratio(ratios.largeOverSmall.ratio, 1)}`,
    `first delivery after init ÷ later ones (medians): ${ratios.firstOverLater.map((r) => `${r.files} files ${ratio(r.ratio as number, 1)}${r.noMoreThanAny ? '' : ' (more than every later one)'}`).join(', ')}`,
  ].join('\n')
  const md = [
    table(['files', 'changed files', 'runs', 'seed procedure (s)', ...CLIS.flatMap((c) => [`${c.name} deliver (s)`, `seed ÷ ${c.name}`])], rows),
    '',
    table(['system', 'files', 'changed', ...PHASES], phaseRows),
    '',
    table(['system', 'files', 'changed', 'runs', 'first delivery after init (s)', 'later deliveries (s)', 'first ÷ later'], firstRows),
  ].join('\n')
  const file = writeResults('cost', { options: o, clis: CLIS, machine: info, loads, setup, summary, first, ratios, runs, firsts })
  process.stdout.write(`\n${md}\n\n${ratioText}\nload average: ${loads.map((l) => l.load1).join(', ')}\nresults: ${file}\n`)
}

await runMain(main)

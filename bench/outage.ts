/**
 * Outage under load: nginx + php-fpm on loopback serve a PHP page through `live` (document root on the symlink,
 * `$realpath_root`); the page names the tree it came from and the commit of its two PHP files. A load generator keeps
 * a steady request rate (keep-alive off) for the whole of each operation, from `--pre` ms before it to `--post` ms
 * after it (the trailing part covers OPcache's revalidate_freq of 2 s). Counted: failed requests (connection errors,
 * non-200 answers) and mixed responses (a tree or commit that was not live at any instant of the request).
 *
 * Compared in the same run, under the same load, against the seed tool's procedure on its own site (same server, same
 * php-fpm pool): `cp -R live save`, `mv live work; mv save live`, update, `mv live save; mv work live`.
 * Operations per round: deliver (a change of `--change` files), goback, backtoprod; the order of the two systems
 * alternates between rounds.
 *
 * Several builds of the CLI can be measured in the same run, each on its own delivery root and site (`--cli`).
 *
 *   node bench/run.mjs outage [--files 10000] [--rounds 5] [--rate 200] [--change 10] [--pre 500] [--post 3000]
 *                             [--cli Delivery=dist/cli.js,…]
 */
import { mkdtemp, chmod } from 'node:fs/promises'
import { runAs } from '../test/helpers/proc.js'
import { addVerdicts, classify, failedText, type Segment, type Verdict } from './lib/classify.js'
import { type Sample, startLoad } from './lib/load.js'
import { SEED, type ServerState, type Site, stamps, startSite } from './lib/site.js'
import { makeTreeRepo, type TreeRepo } from './lib/tree.js'
import { clis, clockSkew, defer, load, machine, median, options, runMain, say, secs, sh, sleep, table, writeResults } from './lib/util.js'
import { startWeb } from './lib/web.js'

const o = options({ files: '10000', rounds: '5', rate: '200', change: '10', pre: '500', post: '3000', cli: 'Delivery=dist/cli.js' })
const CLIS = clis(o.cli)
const rate = Number(o.rate)

type Op = 'deliver' | 'goback' | 'backtoprod'
interface Measure {
  system: string
  op: Op
  round: number
  ms: number
  ok: boolean
  error?: string
  verdict: Verdict
  switches: number
  /** How far the system clock stepped against the monotonic one during the measure (ms; a run before this fix took
   * its sample times from the monotonic clock, and a step of about 1.3 s between two rounds made every answer of the
   * later rounds look mixed). */
  clockStepMs: number
}

/** Runs fn under load; the samples, and how far the system clock stepped meanwhile. */
async function underLoad(port: number, fn: () => Promise<void>): Promise<{ samples: Sample[]; clockStepMs: number }> {
  const skew = clockSkew()
  const l = startLoad({ port, rate, maxMs: 10 * 60_000 })
  await sleep(Number(o.pre))
  await fn()
  await sleep(Number(o.post))
  const samples = await l.stop()
  return { samples, clockStepMs: Math.round(clockSkew() - skew) }
}

/** The delivery: one CLI run under load; the timeline from the journal's switch events and the switch steps' times. */
async function ours(site: Site, cli: { name: string; path: string; root: string }, repo: TreeRepo, web: number, op: Op, round: number, ref: string): Promise<Measure> {
  const before: ServerState = await site.state(cli.root)
  const seen = (await site.journal(cli.root)).length
  let run: Awaited<ReturnType<Site['cli']>> | undefined
  const { samples, clockStepMs } = await underLoad(web, async () => {
    run = await site.cli({ mode: op, repository: repo.dir, ref, app: 'none', path: cli.root }, cli.path)
  })
  if (!run) throw new Error('no run')
  const after: ServerState = await site.state(cli.root)
  const switches = (await site.journal(cli.root)).slice(seen).filter((e) => e.event === 'switch')
  const switchMs = (run.report?.hosts[0]?.steps ?? []).filter((s) => s.name === 'switch').map((s) => s.ms)
  const label = (id: string) => repo.labels.get((after.trees[id] ?? before.trees[id])?.revision ?? '') ?? '?'
  const timeline: Segment[] = []
  let from = -Infinity
  let tree = before.live
  switches.forEach((e, i) => {
    const at = Date.parse(e.at)
    timeline.push({ from, to: at, tree, label: label(tree) })
    from = at - (switchMs[i] ?? 1000)
    tree = e.to ?? '?'
  })
  timeline.push({ from, to: Infinity, tree, label: label(tree) })
  const ok = run.code === 0
  return {
    system: cli.name,
    op,
    round,
    ms: run.ms,
    ok,
    error: ok ? undefined : (run.report?.hosts[0]?.error ?? run.stderr.slice(-500)),
    verdict: classify(samples, timeline),
    switches: switches.length,
    clockStepMs,
  }
}

/** The seed procedure: one SSH session under load; the timeline from the stamps around its renames. */
async function seed(site: Site, dir: string, labels: { live: string; save: string; work: string }, web: number, op: Op, round: number, ref: string, refLabel: string): Promise<Measure> {
  let run: Awaited<ReturnType<Site['ssh']>> | undefined
  const { samples, clockStepMs } = await underLoad(web, async () => {
    run = await site.ssh(SEED[op], op === 'deliver' ? [dir, ref] : [dir])
  })
  if (!run) throw new Error('no run')
  const t = stamps(run.stdout)
  const timeline: Segment[] = []
  const before = labels.live
  if (op === 'deliver') {
    // The backup copy serves between the two swaps: the same commit as before. The update lands at the second swap.
    labels.save = labels.live
    labels.live = refLabel
    timeline.push({ from: -Infinity, to: t.get('swap2.end') ?? Infinity, tree: 'live', label: before })
    timeline.push({ from: t.get('swap2.begin') ?? Infinity, to: Infinity, tree: 'live', label: refLabel })
  } else if (op === 'goback') {
    labels.work = labels.live
    labels.live = labels.save
    timeline.push({ from: -Infinity, to: t.get('swap.end') ?? Infinity, tree: 'live', label: before })
    timeline.push({ from: t.get('swap.begin') ?? Infinity, to: Infinity, tree: 'live', label: labels.live })
  } else {
    labels.save = labels.live
    labels.live = labels.work
    timeline.push({ from: -Infinity, to: t.get('swap.end') ?? Infinity, tree: 'live', label: before })
    timeline.push({ from: t.get('swap.begin') ?? Infinity, to: Infinity, tree: 'live', label: labels.live })
  }
  const ok = run.code === 0
  return { system: 'seed', op, round, ms: run.ms, ok, error: ok ? undefined : run.stderr.slice(-500), verdict: classify(samples, timeline), switches: op === 'deliver' ? 2 : 1, clockStepMs }
}

async function main() {
  const info = await machine()
  const loads = [load()]
  say(`outage: ${o.files} files, ${o.rounds} rounds, ${rate} req/s`)
  const site = await startSite()
  defer(() => site.stop())
  const repo = await makeTreeRepo(site.user, Number(o.files))
  defer(() => repo.remove())
  say(`tree: ${repo.files.length} files, ${(repo.bytes / 2 ** 20).toFixed(0)} MiB`)
  const seedDir = await mkdtemp('/tmp/dlv-bench-seed-')
  defer(() => sh(`rm -rf ${seedDir}`))
  await chmod(seedDir, 0o755)
  await sh(`chown ${site.user}: ${seedDir}`)
  const systems: { name: string; path: string; root: string }[] = []
  for (const c of CLIS) systems.push({ ...c, root: await site.makeRoot(c.name.replace(/[^A-Za-z0-9-]/g, '-')) })
  const web = await startWeb([...systems.map((c) => ({ root: `${c.root}/live` })), { root: `${seedDir}/live` }], site.user)
  defer(() => web.stop())
  const seedPort = web.ports[systems.length]
  const measures: Measure[] = []
  {
    for (const c of systems) {
      const init = await site.cli({ mode: 'init', repository: repo.dir, ref: repo.head, app: 'none', path: c.root }, c.path)
      if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
    }
    const r = await runAs(site.user, 'set -e; cd "$1"; git clone -q "$2" live; cp -R live save', { args: [seedDir, repo.dir] })
    if (r.code !== 0) throw new Error(`seed setup failed: ${r.stderr}`)
    const labels = { live: 'c0', save: 'c0', work: 'c0' }
    for (const port of web.ports) {
      const warm = startLoad({ port, rate: 50 })
      await sleep(1000)
      const s = await warm.stop()
      if (!s.every((x) => x.status === 200)) throw new Error(`the site on ${port} does not answer 200: ${JSON.stringify(s[0])}\n${web.logs()}`)
    }
    for (let round = 1; round <= Number(o.rounds); round++) {
      const ref = await repo.change(Number(o.change))
      const refLabel = repo.labels.get(ref) ?? '?'
      const names = [...systems.map((c) => c.name), 'seed']
      const order = round % 2 ? names : [...names].reverse()
      for (const system of order) {
        const i = systems.findIndex((c) => c.name === system)
        for (const op of ['deliver', 'goback', 'backtoprod'] as Op[]) {
          const m = i >= 0
            ? await ours(site, systems[i], repo, web.ports[i], op, round, ref)
            : await seed(site, seedDir, labels, seedPort, op, round, ref, refLabel)
          measures.push(m)
          say(`round ${round} ${system} ${op}: ${secs(m.ms)} s, ${m.verdict.requests} requests, failed ${failedText(m.verdict)}, mixed ${m.verdict.mixed}${Math.abs(m.clockStepMs) > 20 ? `, system clock stepped ${m.clockStepMs} ms` : ''}${m.ok ? '' : `, RUN FAILED: ${m.error}`}`)
        }
      }
      loads.push(load())
    }
  }
  const rows: (string | number)[][] = []
  const summary: Record<string, unknown>[] = []
  for (const system of [...systems.map((c) => c.name), 'seed']) {
    for (const op of ['deliver', 'goback', 'backtoprod'] as Op[]) {
      const ms = measures.filter((m) => m.system === system && m.op === op)
      const v = addVerdicts(ms.map((m) => m.verdict))
      const runsWithBad = ms.filter((m) => m.verdict.failedTotal + m.verdict.mixed > 0).length
      rows.push([system === 'seed' ? 'seed (cp -R + mv)' : system, op, ms.length, `${ms.filter((m) => m.ok).length}/${ms.length}`, secs(median(ms.map((m) => m.ms))), v.requests, failedText(v), `${v.mixed}${v.torn ? ` (${v.torn} torn)` : ''}`, `${runsWithBad}/${ms.length}`, v.notSent])
      summary.push({ system, op, runs: ms.length, medianMs: median(ms.map((m) => m.ms)), ...v })
    }
  }
  const md = table(['system', 'operation', 'runs', 'succeeded', 'median time (s)', 'requests', 'failed', 'mixed (of which torn)', 'runs with failed or mixed', 'not sent'], rows)
  const file = writeResults('outage', { options: o, clis: CLIS, machine: info, loads, tree: { files: repo.files.length, bytes: repo.bytes }, summary, measures })
  process.stdout.write(`\n${md}\n\nload average: ${loads.map((l) => l.load1).join(', ')}\nresults: ${file}\n`)
}

await runMain(main)

/**
 * Maintenance window: how long a Moodle-like site answers 503 during a delivery, for a code-only delivery (target 0 s)
 * and for one whose code needs a database upgrade (target: the upgrade's own duration, nothing more). The site is the
 * fixture in bench/fixtures/moodle (Moodle's page answers and CLI exit codes; the "upgrade" sleeps
 * `--upgrade-seconds`) plus `--files` synthetic files, served by nginx + php-fpm through `live`; a load generator
 * asks for the page `--rate` times a second from `--pre` ms before the delivery to `--post` ms after it.
 *
 * Reported per delivery: the seconds of 503 (sum of the runs of consecutive 503 answers, each answer counting for one
 * request interval) and of 500 ("Site is being upgraded": an upgrade running without maintenance mode), other
 * failures, whether the upgrade ran (the database's version after the run), how long the upgrade itself took (from
 * the fixture's CLI log), and the 503 time beyond it, cut in two: before the upgrade (from the first 503 answer to the
 * upgrade's start: the rest of maintenance on, the snapshot, the switch, the round trips) and after it (from its end
 * to the last 503 answer), with the purge step's time when it ran between the upgrade and maintenance off. After a run that left the database behind the code (an upgrade
 * the delivery did not run), the benchmark runs the upgrade itself, outside the measurement, so the next run starts
 * from a consistent site.
 *
 *   node bench/run.mjs maintenance [--files 2000] [--rounds 3] [--rate 50] [--upgrade-seconds 3] [--cli NAME=PATH,…]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { chmod, mkdtemp } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { Sample } from './lib/load.js'
import { startLoad } from './lib/load.js'
import { type Site, shq, startSite } from './lib/site.js'
import { makeTreeRepo } from './lib/tree.js'
import { clis, defer, load, machine, median, options, ROOT, runMain, say, secs, sh, sleep, table, writeResults } from './lib/util.js'
import { startWeb } from './lib/web.js'

const o = options({ files: '2000', rounds: '3', rate: '50', 'upgrade-seconds': '3', pre: '500', post: '1500', cli: 'Delivery=dist/cli.js' })
const CLIS = clis(o.cli)
const rate = Number(o.rate)
const interval = 1000 / rate

function fixtureFiles(): Record<string, string> {
  const dir = join(ROOT, 'bench', 'fixtures', 'moodle')
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f)
      if (statSync(p).isDirectory()) walk(p)
      else if (f !== 'README.md') out[relative(dir, p)] = readFileSync(p, 'utf8')
    }
  }
  walk(dir)
  return out
}

const versionPhp = (v: string) => `<?php
defined('MOODLE_INTERNAL') || die();

$version  = ${v};              // YYYYMMDD      = weekly release date of this DEV branch.
$release  = '4.3 (Build: 20231009)';    // Human-friendly version name
$branch   = '403';                      // This version's branch.
$maturity = MATURITY_STABLE;            // This version's maturity level.
`

/** Time the site spent answering `status`: each run of consecutive such answers counts from its first to its last request, plus one interval. */
function window(samples: Sample[], status: number): { count: number; ms: number } {
  let count = 0
  let ms = 0
  let runStart: number | undefined
  let runLast = 0
  for (const s of samples) {
    if (s.error === 'dropped') continue
    if (s.status === status) {
      count++
      runStart ??= s.t0
      runLast = s.t0
    } else if (runStart !== undefined) {
      ms += runLast - runStart + interval
      runStart = undefined
    }
  }
  if (runStart !== undefined) ms += runLast - runStart + interval
  return { count, ms }
}

interface Measure {
  system: string
  kind: 'code-only' | 'upgrade'
  round: number
  ok: boolean
  error?: string
  ms: number
  requests: number
  s503: { count: number; ms: number }
  s500: { count: number; ms: number }
  otherFailed: number
  upgradeRan: boolean
  upgradeMs?: number
  /** Where the 503 time went (ms), from the fixture's CLI log (server clock) and the first and last 503 answers. */
  parts?: Parts
  steps: string[]
}

/**
 * The 503 window cut at the CLI calls it holds: before = first 503 answer to the upgrade's start (rest of maintenance
 * on, snapshot, switch, round trips), after = the upgrade's end to the last 503 answer (what runs between the upgrade
 * and maintenance off, and its bootstrap), and inside `after` the purge when it ran before maintenance off.
 */
interface Parts {
  before: number
  upgrade: number
  after: number
  purgeInside: number
}

type LogLine = { t: number; script: string; phase: string; args: string[] }

function parts(samples: Sample[], log: LogLine[], steps: { name: string; ms: number }[]): Parts | undefined {
  const first = samples.find((s) => s.status === 503)
  const last = [...samples].reverse().find((s) => s.status === 503)
  const at = (script: string, phase: string, arg?: string) => log.find((e) => e.script === script && e.phase === phase && (!arg || e.args.includes(arg)))?.t
  const upStart = at('upgrade.php', 'start', '--non-interactive')
  const upEnd = at('upgrade.php', 'end', '--non-interactive')
  if (!first || !last || upStart === undefined || upEnd === undefined) return undefined
  const off = at('maintenance.php', 'start', '--disable') ?? Infinity
  const pStart = at('purge_caches.php', 'start')
  // The purge step as the runner saw it (its round trips included), when it ran between the upgrade and maintenance off.
  const purgeInside = pStart !== undefined && pStart > upEnd && pStart < off ? (steps.find((s) => s.name === 'purge caches')?.ms ?? 0) : 0
  return { before: upStart * 1000 - first.t0, upgrade: (upEnd - upStart) * 1000, after: last.t0 + interval - upEnd * 1000, purgeInside }
}

interface System {
  name: string
  path: string
  root: string
  data: string
  port: number
}

async function cliLog(site: Site, sys: System): Promise<LogLine[]> {
  const text = await site.target.sh(`cat ${shq(`${sys.data}/cli.log`)} 2>/dev/null || true`)
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine)
}

async function measure(site: Site, sys: System, repoDir: string, ref: string, kind: Measure['kind'], round: number): Promise<Measure> {
  const logBefore = (await cliLog(site, sys)).length
  const l = startLoad({ port: sys.port, rate, maxMs: 10 * 60_000 })
  await sleep(Number(o.pre))
  const run = await site.cli({ mode: 'deliver', repository: repoDir, ref, app: 'moodle', path: sys.root }, sys.path)
  await sleep(Number(o.post))
  const samples = await l.stop()
  const log = (await cliLog(site, sys)).slice(logBefore)
  const up = log.filter((e) => e.script === 'upgrade.php' && e.args.includes('--non-interactive'))
  const start = up.find((e) => e.phase === 'start')
  const end = up.find((e) => e.phase === 'end')
  const versions = (await site.target.sh(`cat ${shq(`${sys.data}/dbversion`)}; sed -n 's/^\\$version *= *\\([0-9.]*\\);.*/\\1/p' ${shq(`${sys.root}/live/version.php`)}`)).trim().split('\n')
  const sent = samples.filter((s) => s.error !== 'dropped')
  return {
    system: sys.name,
    kind,
    round,
    ok: run.code === 0,
    error: run.code === 0 ? undefined : (run.report?.hosts[0]?.error ?? run.stderr.slice(-400)),
    ms: run.ms,
    requests: sent.length,
    s503: window(samples, 503),
    s500: window(samples, 500),
    otherFailed: sent.filter((s) => ![200, 503, 500].includes(s.status)).length,
    upgradeRan: versions[0] === versions[1],
    upgradeMs: start && end ? (end.t - start.t) * 1000 : undefined,
    parts: kind === 'upgrade' ? parts(samples, log, run.report?.hosts[0]?.steps ?? []) : undefined,
    steps: (run.report?.hosts[0]?.steps ?? []).map((s) => `${s.name} ${s.outcome} ${s.ms}ms`),
  }
}

async function main() {
  const info = await machine()
  const loads = [load()]
  say(`maintenance: ${o.files} files, ${o.rounds} rounds, ${rate} req/s, upgrade of ${o['upgrade-seconds']} s`)
  const site = await startSite()
  defer(() => site.stop())
  const version = 2023100900
  let fraction = 0
  const vstr = () => `${version}.${String(fraction).padStart(2, '0')}`
  const repo = await makeTreeRepo(site.user, Number(o.files), { page: false, extra: { ...fixtureFiles(), 'version.php': versionPhp(vstr()), '.gitignore': '/config.php\n' } })
  defer(() => repo.remove())
  const dataParent = await mkdtemp('/tmp/dlv-bench-mdata-')
  defer(() => sh(`rm -rf ${dataParent}`))
  await chmod(dataParent, 0o755)
  const systems: System[] = []
  for (const c of CLIS) {
    const safe = c.name.replace(/[^A-Za-z0-9-]/g, '-')
    const root = await site.makeRoot(safe)
    const data = join(dataParent, safe)
    await sh(`mkdir -p ${data} && chown ${site.user}: ${data} && echo ${vstr()} > ${data}/dbversion && chown ${site.user}: ${data}/dbversion`)
    const init = await site.cli({ mode: 'init', repository: repo.dir, ref: repo.head, app: 'moodle', path: root }, c.path)
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
    const config = `<?php\nunset($CFG);\nglobal $CFG;\n$CFG = new stdClass();\n$CFG->dataroot = '${data}';\n$CFG->benchupgradeseconds = ${Number(o['upgrade-seconds'])};\n`
    await site.target.sh(`for t in ${shq(root)}/trees/*; do printf '%s' ${shq(config)} > "$t/config.php"; done`)
    systems.push({ ...c, root, data, port: 0 })
  }
  const web = await startWeb(systems.map((s) => ({ root: `${s.root}/live` })), site.user)
  defer(() => web.stop())
  systems.forEach((s, i) => (s.port = web.ports[i]))
  for (const s of systems) {
    const warm = startLoad({ port: s.port, rate: 20 })
    await sleep(500)
    const r = await warm.stop()
    if (!r.every((x) => x.status === 200)) throw new Error(`${s.name}'s site does not answer 200: ${JSON.stringify(r[0])}\n${web.logs()}`)
  }
  const measures: Measure[] = []
  for (let round = 1; round <= Number(o.rounds); round++) {
    for (const kind of ['code-only', 'upgrade'] as const) {
      let ref: string
      if (kind === 'code-only') ref = await repo.change(10)
      else {
        fraction++
        ref = await repo.commitFiles({ 'version.php': versionPhp(vstr()) })
      }
      const order = round % 2 ? systems : [...systems].reverse()
      for (const sys of order) {
        const m = await measure(site, sys, repo.dir, ref, kind, round)
        measures.push(m)
        const pt = m.parts ? `; window: before the upgrade ${secs(m.parts.before)} s, after it ${secs(m.parts.after)} s (purge ${secs(m.parts.purgeInside)} s)` : ''
        say(`round ${round} ${sys.name} ${kind}: ${secs(m.ms)} s; 503 for ${secs(m.s503.ms)} s (${m.s503.count}), 500 for ${secs(m.s500.ms)} s (${m.s500.count}), other failed ${m.otherFailed}; upgrade ${m.upgradeRan ? `ran (${secs(m.upgradeMs ?? NaN)} s)` : 'did not run'}${pt}${m.ok ? '' : `; RUN FAILED: ${m.error}`}`)
        if (!m.upgradeRan) {
          // Bring the "database" up to the code, outside the measurement, so that the next run starts clean.
          await site.target.sh(`php ${shq(`${sys.root}/live/admin/cli/upgrade.php`)} --non-interactive >/dev/null`)
        }
      }
    }
    loads.push(load())
  }
  const rows: (string | number)[][] = []
  const summary: Record<string, unknown>[] = []
  for (const sys of systems) {
    for (const kind of ['code-only', 'upgrade'] as const) {
      const ms = measures.filter((m) => m.system === sys.name && m.kind === kind)
      const up = ms.filter((m) => m.upgradeMs !== undefined).map((m) => m.upgradeMs as number)
      const beyond = ms.filter((m) => m.upgradeMs !== undefined).map((m) => m.s503.ms - (m.upgradeMs as number))
      const ran = ms.filter((m) => m.upgradeRan).length
      const pt = ms.filter((m) => m.parts).map((m) => m.parts as Parts)
      const part = (k: keyof Parts) => (pt.length ? secs(median(pt.map((x) => x[k]))) : '–')
      rows.push([
        sys.name, kind, ms.length, `${ms.filter((m) => m.ok).length}/${ms.length}`, secs(median(ms.map((m) => m.ms))),
        secs(median(ms.map((m) => m.s503.ms))), secs(median(ms.map((m) => m.s500.ms))), ms.reduce((a, m) => a + m.otherFailed, 0),
        kind === 'upgrade' ? `${ran}/${ms.length}` : '–', up.length ? secs(median(up)) : '–', beyond.length ? secs(median(beyond)) : '–',
        part('before'), part('after'), part('purgeInside'),
      ])
      summary.push({ system: sys.name, kind, runs: ms.length, median503Ms: median(ms.map((m) => m.s503.ms)), median500Ms: median(ms.map((m) => m.s500.ms)), upgradeRan: ran, medianUpgradeMs: median(up), median503BeyondUpgradeMs: median(beyond), medianBeforeUpgradeMs: pt.length ? median(pt.map((x) => x.before)) : undefined, medianAfterUpgradeMs: pt.length ? median(pt.map((x) => x.after)) : undefined, medianPurgeInsideMs: pt.length ? median(pt.map((x) => x.purgeInside)) : undefined })
    }
  }
  const md = table(['system', 'delivery', 'runs', 'succeeded', 'median run (s)', '503 (s, median)', '500 (s, median)', 'other failed', 'upgrade ran', 'upgrade itself (s)', '503 beyond the upgrade (s)', 'of which before the upgrade (s)', 'after it (s)', 'purge inside (s)'], rows)
  const file = writeResults('maintenance', { options: o, clis: CLIS, machine: info, loads, summary, measures })
  process.stdout.write(`\n${md}\n\nload average: ${loads.map((l) => l.load1).join(', ')}\nresults: ${file}\n`)
}

await runMain(main)

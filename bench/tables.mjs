#!/usr/bin/env node
// Writes the figures of bench/README.md from the results files (bench/results/NAME.json), so that no figure is ever
// copied by hand: every part of the README between `<!-- generated:NAME … -->` and `<!-- end generated:NAME -->` is
// replaced by what this script makes of the results. A benchmark without results gets its tables marked "not yet
// measured"; the targets are "met" or "missed" as computed from the results, never written by hand.
//
//   node bench/tables.mjs [--results DIR] [--readme FILE] [--check]
//
// --check writes nothing and exits 1 when the README differs from what the results give (a figure edited by hand, or
// results not yet written into it).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    results: { type: 'string', default: process.env.BENCH_RESULTS ?? join(here, 'results') },
    readme: { type: 'string', default: join(here, 'README.md') },
    check: { type: 'boolean', default: false },
  },
})
const RESULTS = resolve(values.results)
const NOT_YET = 'not yet measured'

// ---------------------------------------------------------------------------------------------------------- formats

const num = (x) => typeof x === 'number' && Number.isFinite(x)
/** Seconds from ms: 2 decimals, 3 under 0.1 s. */
const secs = (ms) => (num(ms) ? (ms < 100 ? (ms / 1000).toFixed(3) : (ms / 1000).toFixed(2)) : '–')
const msText = (ms) => (num(ms) ? `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms` : '–')
const times = (r) => (num(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×` : '–')
const pct = (x) => (num(x) ? `${(100 * x).toFixed(0)} %` : '–')
const mib = (b) => (num(b) ? `${(b / 2 ** 20).toFixed(2)} MiB` : '–')
const range = (s) => (s && num(s.medianMs) ? `${secs(s.medianMs)} (${secs(s.minMs)}–${secs(s.maxMs)})` : '–')
const median = (xs) => {
  const s = xs.filter(num).sort((a, b) => a - b)
  if (!s.length) return NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const minOf = (xs) => (xs.filter(num).length ? Math.min(...xs.filter(num)) : NaN)
const maxOf = (xs) => (xs.filter(num).length ? Math.max(...xs.filter(num)) : NaN)
const verdict = (ok) => (ok === undefined ? NOT_YET : ok ? '**met**' : '**missed**')

function table(head, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}
/** A table whose figures are not measured yet: its header and one row that says so. */
const pending = (head) => table(head, [[NOT_YET, ...head.slice(1).map(() => '')]])

// ---------------------------------------------------------------------------------------------------------- results

function read(name) {
  const file = join(RESULTS, `${name}.json`)
  if (!existsSync(file)) return undefined
  return JSON.parse(readFileSync(file, 'utf8'))
}
const R = Object.fromEntries(['exec-latency', 'footprint', 'outage', 'maintenance', 'fleet', 'cost', 'walk', 'snapshot', 'walk-record'].map((n) => [n, read(n)]))

/** The system the targets are about: the CLI called Delivery, or the first one measured. */
const mainCli = (res) => (res?.clis?.find((c) => c.name === 'Delivery') ?? res?.clis?.[0])?.name ?? 'Delivery'

/** One line under a benchmark's heading: what was measured, when, with which options, how long it took. */
function provenance(name, res, command = name) {
  if (!res) return '*Not yet measured: `bash bench/all.sh` measures it.*'
  const m = res.meta ?? {}
  const commit = m.commit ? `\`${m.commit.slice(0, 12)}\`` : 'an unrecorded commit'
  const dirty = m.srcChanged?.length ? ` with ${m.srcChanged.length} file(s) of src/ changed` : ''
  const when = m.finishedAt ? ` on ${m.finishedAt.slice(0, 16).replace('T', ' ')} UTC` : ''
  const cmd = m.argv ? ` \`node bench/run.mjs ${[command, ...m.argv].join(' ')}\`` : ''
  const took = num(m.elapsedMs) ? `, ${(m.elapsedMs / 60000).toFixed(1)} min` : ''
  const loads = (res.loads ?? []).map((l) => l.load1).filter(num)
  const load = loads.length ? `; 1-minute load average ${minOf(loads)}–${maxOf(loads)}` : ''
  return `*Measured on commit ${commit}${dirty}${when}:${cmd}${took}${load}. Raw figures: \`bench/results/${name}.json\`.*`
}

// ---------------------------------------------------------------------------------------------------------- blocks

const blocks = {}

blocks.machine = () => {
  const all = Object.entries(R).filter(([, r]) => r)
  const m = all.map(([, r]) => r.machine).find(Boolean)
  if (!m) return '*Not yet measured.*'
  const commits = [...new Set(all.map(([, r]) => r.meta?.commit?.slice(0, 12) ?? 'unrecorded'))]
  const changed = all.filter(([, r]) => r.meta?.srcChanged?.length).map(([n]) => n)
  const missing = Object.entries(R).filter(([, r]) => !r).map(([n]) => n)
  const lines = [
    table(['', ''], [
      ['CPU', `${m.cpu}, ${m.cores} cores`],
      ['memory', `${m.memGiB} GiB`],
      ['system', `${m.os}, kernel ${m.kernel}, ${m.filesystem}`],
      ['Node', m.node],
      ...Object.entries(m.tools ?? {}).map(([k, v]) => [k, v]),
    ]),
    '',
    commits.length === 1
      ? `Every table below comes from commit \`${commits[0]}\`.`
      : `**The tables below come from different commits** (${commits.map((c) => `\`${c}\``).join(', ')}): compare within a table only.`,
  ]
  if (changed.length) lines.push(`**Measured with src/ changed from the commit**: ${changed.join(', ')}.`)
  if (missing.length) lines.push(`Not yet measured: ${missing.join(', ')}.`)
  return lines.join('\n')
}

/** The issue's targets, each with what was measured and whether it is met. */
blocks.targets = () => {
  const rows = []
  const cost = R.cost
  const D = mainCli(cost)
  const cell = (files, change) => cost?.summary?.find((c) => c.files === files && c.change === change)
  {
    const c = cell(30000, 100)
    const r = c?.[D]?.seedOver
    rows.push([
      'cost: 30 000 files / 100 changed: seed ÷ Delivery ≥ 15×',
      num(r) ? `${times(r)} (${secs(c.seed.medianMs)} s ÷ ${secs(c[D].medianMs)} s; per run ${times(c[D].seedOverPerRun?.min)}–${times(c[D].seedOverPerRun?.max)})` : NOT_YET,
      verdict(num(r) ? r >= 15 : undefined),
    ])
  }
  {
    const big = cell(100000, 10)?.[D]
    const small = cell(10000, 10)?.[D]
    const r = big && small ? big.medianMs / small.medianMs : NaN
    rows.push([
      'cost follows the change: at 10 changed, Delivery at 100 000 files ÷ at 10 000 files ≤ 1.5×',
      num(r) ? `${times(r)} (${secs(big.medianMs)} s ÷ ${secs(small.medianMs)} s)` : NOT_YET,
      verdict(num(r) ? r <= 1.5 : undefined),
    ])
  }
  {
    const f = (cost?.first ?? []).filter((x) => x.system === D && num(x.medianMs) && num(x.later?.maxMs))
    rows.push([
      'the first delivery after `init` costs no more than any other (same tree, same change size)',
      f.length ? f.map((x) => `${x.files} files: ${secs(x.medianMs)} s, ${times(x.overLaterMedian)} the later ones' median, slowest later ${secs(x.later?.maxMs)} s`).join('; ') : NOT_YET,
      verdict(f.length ? f.every((x) => x.medianMs <= x.later?.maxMs) : undefined),
    ])
  }
  {
    const o = R.outage
    const ours = (o?.summary ?? []).filter((s) => s.system === mainCli(o))
    const seed = (o?.summary ?? []).filter((s) => s.system === 'seed')
    const bad = ours.reduce((a, s) => a + (s.failedTotal ?? 0) + (s.mixed ?? 0), 0)
    const seedBad = seed.reduce((a, s) => a + (s.failedTotal ?? 0), 0)
    const seedMixed = seed.reduce((a, s) => a + (s.mixed ?? 0), 0)
    rows.push([
      'outage: 0 failed and 0 mixed answers during `deliver`, `goback`, `backtoprod` under load',
      ours.length ? `${ours.reduce((a, s) => a + (s.failedTotal ?? 0), 0)} failed, ${ours.reduce((a, s) => a + (s.mixed ?? 0), 0)} mixed of ${ours.reduce((a, s) => a + (s.requests ?? 0), 0)} answers (seed: ${seedBad} failed, ${seedMixed} mixed of ${seed.reduce((a, s) => a + (s.requests ?? 0), 0)})` : NOT_YET,
      verdict(ours.length ? bad === 0 : undefined),
    ])
  }
  {
    const mt = R.maintenance
    const name = mainCli(mt)
    const kind = (k) => (mt?.measures ?? []).filter((m) => m.system === name && m.kind === k)
    const code = kind('code-only')
    const s503 = maxOf(code.map((m) => m.s503?.ms))
    rows.push([
      'maintenance window: 0 s of 503 for a code-only delivery',
      code.length ? `${secs(s503)} s at most, in ${code.length} runs` : NOT_YET,
      verdict(code.length ? s503 === 0 : undefined),
    ])
    const up = (mt?.summary ?? []).find((s) => s.system === name && s.kind === 'upgrade')
    const beyond = up?.median503BeyondUpgradeMs
    rows.push([
      'maintenance window with an upgrade: the upgrade plus at most 0.3 s',
      num(beyond) ? `upgrade ${secs(up.medianUpgradeMs)} s + ${secs(beyond)} s (medians of ${up.runs} runs)` : NOT_YET,
      verdict(num(beyond) ? beyond <= 300 : undefined),
    ])
  }
  {
    const fl = R.fleet
    const name = mainCli(fl)
    const s = (fl?.summary ?? []).filter((x) => x.cli === name)
    const top = s.reduce((a, x) => (!a || x.hosts > a.hosts ? x : a), undefined)
    rows.push([
      `fleet: ${top?.hosts ?? 16} hosts in at most 1.5× one host's time`,
      top && top.hosts > 1 ? `${times(top.overOneHost)} (machine CPU busy ${pct(top.machineBusy)}: all hosts share this machine)` : NOT_YET,
      verdict(top && top.hosts > 1 ? top.overOneHost <= 1.5 : undefined),
    ])
    rows.push([
      'fleet: one SSH connection per host',
      s.length ? `${minOf(s.map((x) => x.connectionsMin))}–${maxOf(s.map((x) => x.connectionsMax))} per host, every run` : NOT_YET,
      verdict(s.length ? s.every((x) => x.connectionsMin === 1 && x.connectionsMax === 1) : undefined),
    ])
  }
  return table(['target', 'measured', 'verdict'], rows)
}

blocks['exec-latency'] = () => {
  const r = R['exec-latency']
  const head = ['one command `true` over an open connection', 'median', 'min–max']
  if (!r) return [provenance('exec-latency', r), '', pending(head)].join('\n')
  // Before series carried keys, they were an object { label: [ms…] }.
  const series = Array.isArray(r.series) ? r.series : Object.entries(r.series ?? {}).map(([label, ms]) => ({ label, ms }))
  return [provenance('exec-latency', r), '', table(head, series.map((s) => [s.label, msText(median(s.ms)), `${msText(minOf(s.ms))}–${msText(maxOf(s.ms))}`]))].join('\n')
}

blocks.outage = () => {
  const r = R.outage
  const head = ['system', 'operation', 'runs', 'succeeded', 'time (s, median)', 'requests', 'failed', 'mixed (of which torn)', 'runs with failed or mixed']
  if (!r) return [provenance('outage', r), '', pending(head)].join('\n')
  const rows = (r.summary ?? []).map((s) => {
    const ms = (r.measures ?? []).filter((m) => m.system === s.system && m.op === s.op)
    const failed = Object.entries(s.failed ?? {}).map(([k, v]) => `${v} ${k}`).join(', ')
    return [
      s.system === 'seed' ? 'seed (cp -R + mv)' : s.system, s.op, s.runs, `${ms.filter((m) => m.ok).length}/${ms.length}`, secs(s.medianMs), s.requests,
      `${s.failedTotal}${failed ? ` (${failed})` : ''}`, `${s.mixed}${s.torn ? ` (${s.torn} torn)` : ''}`,
      `${ms.filter((m) => (m.verdict?.failedTotal ?? 0) + (m.verdict?.mixed ?? 0) > 0).length}/${ms.length}`,
    ]
  })
  const tree = r.tree ? ` Tree: ${r.tree.files} files, ${mib(r.tree.bytes)}; ${r.options?.rate} requests/s.` : ''
  return [provenance('outage', r) + tree, '', table(head, rows)].join('\n')
}

const PHASES = ['start', 'checks', 'syncback', 'goback', 'update', 'backtoprod', 'other']
const SEED_PHASES = ['rm old backup', 'cp -R', 'mv, mv', 'update', 'mv, mv (back)', 'ssh']

blocks.cost = () => {
  const r = R.cost
  const clisOf = r?.clis?.map((c) => c.name) ?? ['Delivery']
  const head = ['files', 'changed', 'runs', 'seed procedure (s)', ...clisOf.flatMap((c) => [`${c} deliver (s)`, `seed ÷ ${c}`])]
  const phaseHead = ['system', 'files', 'changed', 'total', ...PHASES]
  const seedHead = ['files', 'changed', 'total', ...SEED_PHASES]
  const firstHead = ['system', 'files', 'changed', 'runs', 'first delivery after init (s)', 'later deliveries (s)', 'first ÷ later (medians)', 'init (s, median)']
  if (!r) {
    return [provenance('cost', r), '', pending(head), '', 'Phases (seconds, medians):', '', pending(phaseHead), '', 'The seed procedure\'s phases (seconds, medians):', '', pending(seedHead), '', 'The first delivery after `init`:', '', pending(firstHead)].join('\n')
  }
  const summary = r.summary ?? []
  const rows = summary.map((c) => [
    c.files, c.change, c.seed?.runs, range(c.seed),
    ...clisOf.flatMap((n) => [`${range(c[n])}${c[n]?.failed ? ` (${c[n].failed} failed)` : ''}`, `${times(c[n]?.seedOver)} (${times(c[n]?.seedOverPerRun?.min)}–${times(c[n]?.seedOverPerRun?.max)})`]),
  ])
  const phaseRows = summary.flatMap((c) => clisOf.map((n) => [n, c.files, c.change, secs(c[n]?.medianMs), ...PHASES.map((k) => secs(c[n]?.phases?.[k]))]))
  const seedRows = summary.map((c) => [c.files, c.change, secs(c.seed?.medianMs), ...SEED_PHASES.map((k) => secs(c.seed?.phases?.[k]))])
  const firstRows = (r.first ?? []).map((f) => [f.system, f.files, f.change, f.runs, range(f), range(f.later), times(f.overLaterMedian), secs(f.initMedianMs)])
  const trees = (r.setup ?? []).map((s) => `${s.files} files: ${mib(s.bytes)}`).join(', ')
  return [
    provenance('cost', r) + (trees ? ` Trees: ${trees}.` : ''),
    '',
    'Median (min–max) of each cell; the ratio is of the medians, with the range of the per-run ratios (seed and Delivery of the same run).',
    '',
    table(head, rows),
    '',
    'Phases (seconds, medians):',
    '',
    table(phaseHead, phaseRows),
    '',
    'The seed procedure\'s phases (seconds, medians):',
    '',
    table(seedHead, seedRows),
    '',
    'The first delivery after `init` (each on a fresh delivery root), against the later deliveries of the same tree and change size:',
    '',
    table(firstHead, firstRows),
  ].join('\n')
}

blocks.maintenance = () => {
  const r = R.maintenance
  const head = ['system', 'delivery', 'runs', 'succeeded', 'run (s, median)', '503 (s, median)', '500 (s, median)', 'other failed', 'upgrade ran', 'upgrade itself (s)', '503 beyond the upgrade (s)']
  const stepHead = ['system', 'step (between `maintenance on` and `maintenance off`)', 'runs', 'ms (median)']
  if (!r) return [provenance('maintenance', r), '', pending(head), '', 'The steps inside the window of the deliveries with an upgrade (medians):', '', pending(stepHead)].join('\n')
  const rows = (r.summary ?? []).map((s) => {
    const ms = (r.measures ?? []).filter((m) => m.system === s.system && m.kind === s.kind)
    return [
      s.system, s.kind, s.runs, `${ms.filter((m) => m.ok).length}/${ms.length}`, secs(median(ms.map((m) => m.ms))), secs(s.median503Ms), secs(s.median500Ms),
      ms.reduce((a, m) => a + (m.otherFailed ?? 0), 0), s.kind === 'upgrade' ? `${s.upgradeRan}/${s.runs}` : '–', secs(s.medianUpgradeMs), secs(s.median503BeyondUpgradeMs),
    ]
  })
  // The window's steps, from each run's report ("name outcome 123ms"), medians over the deliveries with an upgrade.
  const stepRows = []
  for (const system of [...new Set((r.summary ?? []).map((s) => s.system))]) {
    const runs = (r.measures ?? []).filter((m) => m.system === system && m.kind === 'upgrade' && Array.isArray(m.steps))
    const per = new Map()
    for (const m of runs) {
      const steps = m.steps.map((t) => /^(.*) (\S+) ([\d.]+)ms$/.exec(String(t))).filter(Boolean).map((x) => ({ name: x[1], ms: Number(x[3]) }))
      const a = steps.findIndex((s) => s.name === 'maintenance on')
      const b = steps.map((s) => s.name).lastIndexOf('maintenance off')
      if (a < 0 || b < a) continue
      const seen = new Map()
      for (const s of steps.slice(a, b + 1)) seen.set(s.name, (seen.get(s.name) ?? 0) + s.ms)
      seen.set('the whole window', steps.slice(a, b + 1).reduce((n, s) => n + s.ms, 0))
      for (const [k, v] of seen) per.set(k, [...(per.get(k) ?? []), v])
    }
    for (const [k, v] of per) stepRows.push([system, k, v.length, msText(median(v))])
  }
  return [
    provenance('maintenance', r),
    '',
    table(head, rows),
    '',
    'The steps inside the window of the deliveries with an upgrade (medians, from the reports):',
    '',
    stepRows.length ? table(stepHead, stepRows) : pending(stepHead),
  ].join('\n')
}

blocks.snapshot = () => {
  const r = R.snapshot
  const head = ['engine', 'table data', 'rounds', 'tables on disk', 'dump file', 'dump (s)', 'upgrade (s)', 'maintenance window (s)', 'rest of the window (s)', 'restore (s)', 'goback with restore (s)']
  if (!r) return [provenance('snapshot', r), '', pending(head)].join('\n')
  const groups = new Map()
  for (const row of r.rows ?? []) groups.set(`${row.engine} ${row.mb}`, [...(groups.get(`${row.engine} ${row.mb}`) ?? []), row])
  const s = (rows, k) => median(rows.map((x) => x[k]))
  const f = (x) => (num(x) ? x.toFixed(2) : '–')
  const rows = [...groups.values()].map((g) => [
    g[0].engine, `${g[0].mb} MB`, g.length, mib(s(g, 'tableBytes')), mib(s(g, 'dumpBytes')), f(s(g, 'dumpS')), f(s(g, 'upgradeS')), f(s(g, 'windowS')), f(s(g, 'restS')), f(s(g, 'restoreS')), f(s(g, 'gobackS')),
  ])
  return [provenance('snapshot', r), '', table(head, rows)].join('\n')
}

blocks.fleet = () => {
  const r = R.fleet
  const head = ['system', 'hosts', 'runs', 'succeeded', 'total (s)', 'over 1 host', 'per-host steps (s, median host)', 'slowest host (s)', 'runner CPU (s)', 'machine CPU busy', 'connections per host']
  if (!r) return [provenance('fleet', r), '', pending(head)].join('\n')
  const rows = (r.summary ?? []).map((s) => {
    const ms = (r.measures ?? []).filter((m) => m.cli === s.cli && m.hosts === s.hosts)
    const t = ms.map((m) => m.ms)
    return [
      s.cli, s.hosts, s.runs, `${ms.filter((m) => m.ok).length}/${ms.length}`, range({ medianMs: s.medianMs, minMs: minOf(t), maxMs: maxOf(t) }), times(s.overOneHost),
      secs(median(ms.map((m) => m.hostMsMedian))), secs(median(ms.map((m) => m.hostMsMax))), secs(s.runnerCpuMs), pct(s.machineBusy), `${s.connectionsMin}–${s.connectionsMax}`,
    ]
  })
  const tree = r.options ? ` Tree: ${r.options.files} files, change of ${r.options.change} files.` : ''
  return [provenance('fleet', r) + tree, '', table(head, rows)].join('\n')
}

blocks.footprint = () => {
  const r = R.footprint
  const head = ['system', 'files in dist/', 'size', 'gzip -9 of dist/', 'largest files']
  const startHead = ['system', '`node -e 0`', '`cli.js --version`', 'process start → first remote command', '`--mode status` total', 'one deliver: remote commands, connections, time']
  if (!r) return [provenance('footprint', r), '', pending(head), '', pending(startHead)].join('\n')
  const rows = (r.sizes ?? []).map((s) => [s.cli, s.files, mib(s.bytes), mib(s.gzipBytes), (s.largest ?? []).slice(0, 3).map((f) => `${f.path} ${(f.bytes / 1024).toFixed(0)} KiB`).join(', ')])
  const startRows = (r.sizes ?? []).map((s) => {
    const u = s.startup ?? {}
    const first = u.firstRemoteCommandMs ?? []
    return [
      s.cli, msText(median(u.nodeBareMs ?? [])), msText(median(u.versionMs ?? [])), `${msText(median(first))} (${msText(minOf(first))}–${msText(maxOf(first))})`, msText(median(u.statusTotalMs ?? [])),
      u.deliver ? `${u.deliver.commands} commands, ${u.deliver.connections} connection(s), ${msText(u.deliver.ms)}` : '–',
    ]
  })
  return [provenance('footprint', r), '', table(head, rows), '', table(startHead, startRows)].join('\n')
}

blocks.walk = () => {
  const r = R.walk
  const parts = ['status', 'tracked', 'folders read', "folders stat'ed"]
  const head = ['files', 'folders', '`git status` as the check runs it', 'tracked files only (`--untracked-files=no`)', 'every folder read (`find`)', "every folder stat'ed (`stat`)", "the least a folder record costs: tracked + stat'ed"]
  const cell = (xs) => (xs?.length ? `${msText(median(xs))} (${msText(minOf(xs))}–${msText(maxOf(xs))})` : '–')
  const out = [provenance('walk', r), '']
  if (!r) out.push(pending(head))
  else {
    out.push(table(head, (r.sizes ?? []).map((s) => {
      const least = median(s.ms?.tracked ?? []) + median(s.ms?.["folders stat'ed"] ?? [])
      return [s.files, s.folders, ...parts.map((p) => cell(s.ms?.[p])), msText(least)]
    })))
  }
  // The folder record tried on commit 45ac0ca, timed by that commit's version of the benchmark: its own results file.
  const t = R['walk-record']
  if (t) {
    const tried = ['status', 'record: a check', 'record: full walk']
    const triedHead = ['files', 'folders', '`git status` (same run)', 'the record tried: a check', 'the record tried: a walk writing it']
    out.push('', `The folder record tried. ${provenance('walk-record', t, 'walk')}`, '')
    out.push(table(triedHead, (t.sizes ?? []).map((s) => [s.files, s.folders, ...tried.map((p) => cell(s.ms?.[p]))])))
  }
  return out.join('\n')
}

/** How long each benchmark took in the last measurement (for planning a run). */
blocks.durations = () => {
  const rows = Object.entries(R).map(([n, r]) => [n, r?.meta?.argv ? `\`node bench/run.mjs ${[n, ...r.meta.argv].join(' ')}\`` : NOT_YET, num(r?.meta?.elapsedMs) ? `${(r.meta.elapsedMs / 60000).toFixed(1)} min` : '–'])
  return table(['benchmark', 'last measured with', 'took'], rows)
}

// ---------------------------------------------------------------------------------------------------------- README

const readme = readFileSync(values.readme, 'utf8')
const found = new Set()
const out = readme.replace(/(<!-- generated:([a-z-]+)[^>]*-->\n)([\s\S]*?)(<!-- end generated:\2 -->)/g, (_, open, name, _body, close) => {
  if (!blocks[name]) throw new Error(`${values.readme}: no table is called "${name}" (known: ${Object.keys(blocks).join(', ')})`)
  found.add(name)
  return `${open}${blocks[name]()}\n${close}`
})
const missing = Object.keys(blocks).filter((n) => !found.has(n))
if (missing.length) process.stderr.write(`warning: ${values.readme} has no place for: ${missing.join(', ')}\n`)
const where = relative(process.cwd(), values.readme) || values.readme
if (values.check) {
  if (out !== readme) {
    process.stderr.write(`${where} differs from what ${RESULTS} gives: run node bench/tables.mjs\n`)
    process.exit(1)
  }
  process.stdout.write(`${where} matches ${RESULTS}\n`)
} else {
  writeFileSync(values.readme, out)
  process.stdout.write(`${where}: ${found.size} parts written from ${RESULTS}\n`)
}

/**
 * scripts/merge-reports.mjs, run as a workflow's final job runs it: on folders laid out as actions/download-artifact
 * lays them out (one folder per artifact, each holding a report.json).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/action.js'
import { run } from '../helpers/proc.js'

const SCRIPT = join(ROOT, 'scripts', 'merge-reports.mjs')

let dir: string

beforeEach(async () => {
  dir = await mkdtemp('/tmp/dlv-merge-')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function host(name: string, outcome: string, extra: Record<string, unknown> = {}) {
  return {
    host: `deploy@${name}:22`,
    outcome,
    steps: [{ name: 'connect', outcome: 'success', ms: 10 }],
    files: { added: ['mod/forum/new.php'], modified: ['index.php'], deleted: [], renamed: [{ from: 'a.php', to: 'b.php' }] },
    drift: [],
    rolledBack: false,
    revisionAfter: 'c0ffee0123456789',
    ...extra,
  }
}

function report(hosts: ReturnType<typeof host>[], extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: 1,
    tool: { name: 'delivery', version: '0.1.0' },
    outcome: hosts.every((h) => h.outcome === 'success') ? 'success' : 'failure',
    mode: 'deliver',
    dryRun: false,
    startedAt: '2026-03-01T10:00:00.000Z',
    finishedAt: '2026-03-01T10:01:00.000Z',
    durationMs: 60000,
    repository: 'https://github.com/example/moodle.git',
    ref: 'v4.3.1',
    commit: 'c0ffee0123456789',
    actor: 'octocat',
    event: 'push',
    runUrl: 'https://github.com/example/moodle/actions/runs/1',
    app: 'moodle',
    method: 'git',
    paths: [],
    hosts,
    ...extra,
  }
}

async function put(rel: string, value: unknown): Promise<void> {
  await mkdir(join(dir, rel, '..'), { recursive: true })
  await writeFile(join(dir, rel), typeof value === 'string' ? value : JSON.stringify(value))
}

const merge = (...args: string[]) => run(process.execPath, [SCRIPT, ...args], { cwd: dir, env: { PATH: process.env.PATH } })

describe('merge-reports', () => {
  it('merges the shards into one report: every host, one outcome, the whole time span', async () => {
    await put('reports/delivery-report-web-b/report.json', report([host('web3', 'failure', { error: 'update failed' }), host('web4', 'success')], {
      startedAt: '2026-03-01T09:59:00.000Z',
      finishedAt: '2026-03-01T10:00:30.000Z',
    }))
    await put('reports/delivery-report-web-a/report.json', report([host('web1', 'success'), host('web2', 'success')], { finishedAt: '2026-03-01T10:02:00.000Z' }))
    await put('reports/delivery-report-web-a/report.md', '# not a report')
    const r = await merge('--out', 'out/fleet.json', '--summary', 'summary.md', 'reports')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('merged 2 report(s), 4 host(s): failure')
    const merged = JSON.parse(await readFile(join(dir, 'out/fleet.json'), 'utf8'))
    expect(merged.outcome).toBe('failure')
    expect(merged.merged).toBe(true)
    expect(merged.mode).toBe('deliver')
    expect(merged.hosts.map((h: { host: string }) => h.host)).toEqual(['deploy@web1:22', 'deploy@web2:22', 'deploy@web3:22', 'deploy@web4:22'])
    expect(merged.hosts[0].part).toBe('reports/delivery-report-web-a/report.json')
    expect(merged.startedAt).toBe('2026-03-01T09:59:00.000Z')
    expect(merged.finishedAt).toBe('2026-03-01T10:02:00.000Z')
    expect(merged.durationMs).toBe(180000)
    expect(merged.parts).toEqual([
      { source: 'reports/delivery-report-web-a/report.json', outcome: 'success', hosts: 2, startedAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:02:00.000Z' },
      { source: 'reports/delivery-report-web-b/report.json', outcome: 'failure', hosts: 2, startedAt: '2026-03-01T09:59:00.000Z', finishedAt: '2026-03-01T10:00:30.000Z' },
    ])
    expect(merged.differences).toBeUndefined()
    const summary = await readFile(join(dir, 'summary.md'), 'utf8')
    expect(summary).toContain('Delivery deliver: failure on 4 host(s) in 2 job(s)')
    expect(summary).toContain('3 succeeded, 1 failed, 0 refused, 0 not run.')
    expect(summary).toContain('| deploy@web3:22 | reports/delivery-report-web-b | ❌ failure | c0ffee012345 | 4 | update failed |')
  })

  it('a fleet where every host succeeded or was not needed succeeds; differences between jobs are shown', async () => {
    await put('a/report.json', report([host('web1', 'success')]))
    await put('b/report.json', report([host('web2', 'skipped', { message: 'not run' }), host('web1', 'success')], { ref: 'v4.3.2' }))
    const r = await merge('--out', 'm.json', '--summary', 's.md', 'a', 'b/report.json')
    expect(r.code, r.stderr).toBe(0)
    const merged = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8'))
    expect(merged.outcome).toBe('success')
    expect(merged.differences).toEqual({ ref: ['v4.3.1', 'v4.3.2'] })
    expect(merged.duplicateHosts).toEqual(['deploy@web1:22'])
    const summary = await readFile(join(dir, 's.md'), 'utf8')
    expect(summary).toContain('**The jobs differ in:** ref')
    expect(summary).toContain('**Hosts in more than one job:** deploy@web1:22')
  })

  it('appends its summary to GITHUB_STEP_SUMMARY when no --summary is given', async () => {
    await put('r/report.json', report([host('web1', 'success')]))
    await writeFile(join(dir, 'step-summary'), 'before\n')
    const r = await run(process.execPath, [SCRIPT, 'r'], { cwd: dir, env: { PATH: process.env.PATH, GITHUB_STEP_SUMMARY: join(dir, 'step-summary') } })
    expect(r.code, r.stderr).toBe(0)
    expect(await readFile(join(dir, 'step-summary'), 'utf8')).toMatch(/^before\n## ✅ Delivery deliver: success on 1 host\(s\) in 1 job\(s\)/)
    expect(JSON.parse(await readFile(join(dir, 'merged-report.json'), 'utf8')).hosts).toHaveLength(1)
  })

  it('refuses bad input with exit code 2, naming the problem', async () => {
    const none = await merge('--out', 'm.json')
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('give the report.json files')
    await mkdir(join(dir, 'empty'))
    const empty = await merge('empty')
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain('no report.json found')
    const missing = await merge('nowhere')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('nowhere: no such file or folder')
    await put('broken/report.json', '{"hosts": [')
    const broken = await merge('broken')
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain('broken/report.json: cannot be read as JSON')
    await put('other/report.json', { name: 'something else' })
    const other = await merge('other')
    expect(other.code).toBe(2)
    expect(other.stderr).toContain('other/report.json: not a Delivery report')
    const option = await merge('--outfile', 'x', 'other')
    expect(option.code).toBe(2)
    expect(option.stderr).toContain('unknown option --outfile')
  })
})

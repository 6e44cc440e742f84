/**
 * The README documents every field report.json can hold: each key path of a report with every optional field
 * set appears in the schema tables.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderJson } from '../../../src/report/json.js'
import type { Report } from '../../../src/report/model.js'
import { loadReport } from '../../helpers/reports.js'

const doc = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')

/** Key paths of a JSON value: `hosts[].steps[].ms`. Objects under `status` and `counts` are free-form. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => keyPaths(v, `${prefix}[]`))
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const path = prefix ? `${prefix}.${k}` : k
      const freeForm = (path.endsWith('.status') || path.endsWith('.counts')) && typeof v === 'object'
      return freeForm ? [path] : [path, ...keyPaths(v, path)]
    })
  }
  return []
}

describe('the report.json schema in the README', () => {
  it('documents every field', () => {
    const r: Report = loadReport('deliver-success')
    r.sessionId = 's-1'
    r.artifact = { name: 'delivery-report-deploy-deliver', id: 1, url: 'https://github.com/o/r/actions/runs/1/artifacts/1' }
    const h = r.hosts[0]
    Object.assign(h, {
      message: 'm',
      restore: 'r',
      error: 'e',
      plan: ['p'],
      status: { state: 'production' },
      permissions: [{ path: 'x', problem: 'world-writable' }],
      submodules: [{ path: 'mod/attendance', url: 'https://git.example.org/attendance.git', before: 'a', after: 'b' }],
      permissionAudit: { webUser: 'www-data', tree: 't', total: 1, counts: { 'world-writable': 1 }, truncated: false, note: 'n' },
      cluster: { role: 'site', site: 'h', upgradedBy: 'h' },
      sudo: [{ user: 'www-data', input: 'web-user', command: 'sudo -n -u www-data /usr/bin/php SCRIPT ARGS...', rule: 'deploy ALL=(www-data) NOPASSWD: /usr/bin/php' }],
      snapshot: { file: 'f', bytes: 1, ms: 1, sha256: 's', dbtype: 'pgsql', fromVersion: 'a', toVersion: 'b', windowGrowthMs: 1 },
      upgradePlan: { components: [{ component: 'core', before: 'a', after: 'b' }], maintenance: true, snapshotBytes: 1 },
    })
    if (h.health) h.health.via = 'ssh'
    const files = { added: ['a'], modified: [], deleted: [], renamed: [{ from: 'b', to: 'c' }] }
    r.session = {
      id: 'S20261125T100000Z-abcd12', title: 't', description: 'd', impact: 'i', status: 'closed', openedAt: 'o', openedBy: 'a', closedAt: 'c', closedBy: 'b', outputState: 's', followup: 'f', damagedLines: 1, files,
      interventions: [{ at: 'a', actor: 'a', runUrl: 'u', mode: 'update', host: 'h', ref: 'r', commit: 'c', paths: ['p'], comment: 'c', outcome: 'success', error: 'e', rolledBack: true, files }],
    }
    const failure = loadReport('backtoprod-failure')
    const paths = new Set([...keyPaths(JSON.parse(renderJson(r))), ...keyPaths(JSON.parse(renderJson(failure)))])
    const missing = [...paths].filter((p) => !doc.includes(`\`${p}\``))
    expect(missing).toEqual([])
  })
})

/**
 * docs/reports.md documents every field report.json can hold: each key path of a report with every optional field
 * set appears in the schema tables.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderJson } from '../../../src/report/json.js'
import type { Report } from '../../../src/report/model.js'
import { loadReport } from '../../helpers/reports.js'

const doc = readFileSync(new URL('../../../docs/reports.md', import.meta.url), 'utf8')

/** Key paths of a JSON value: `hosts[].steps[].ms`. Objects under `status` are free-form. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => keyPaths(v, `${prefix}[]`))
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const path = prefix ? `${prefix}.${k}` : k
      return path.endsWith('.status') && typeof v === 'object' ? [path] : [path, ...keyPaths(v, path)]
    })
  }
  return []
}

describe('the report.json schema in docs/reports.md', () => {
  it('documents every field', () => {
    const r: Report = loadReport('deliver-success')
    r.sessionId = 's-1'
    r.artifact = { name: 'delivery-report-deploy-deliver', id: 1, url: 'https://github.com/o/r/actions/runs/1/artifacts/1' }
    const h = r.hosts[0]
    Object.assign(h, { message: 'm', restore: 'r', error: 'e', plan: ['p'], status: { state: 'production' }, permissions: [{ path: 'x', problem: 'world-writable' }] })
    const failure = loadReport('backtoprod-failure')
    const paths = new Set([...keyPaths(JSON.parse(renderJson(r))), ...keyPaths(JSON.parse(renderJson(failure)))])
    const missing = [...paths].filter((p) => !doc.includes(`\`${p}\``))
    expect(missing).toEqual([])
  })
})

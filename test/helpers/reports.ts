/**
 * Report fixtures for rendering tests: the fixed reports under test/fixtures/report/, a deterministic report with as
 * many changed files as asked (spread over Moodle components, with hostile names among them), and golden-file
 * comparison (UPDATE_GOLDEN=1 rewrites the golden files instead of comparing).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { expect } from 'vitest'
import type { Report } from '../../src/report/model.js'

export const FIXTURES = new URL('../fixtures/report/', import.meta.url).pathname

export function loadReport(name: string): Report {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Report
}

/** Compares `actual` with the golden file `golden/<file>`; with UPDATE_GOLDEN=1, writes it. */
export function expectGolden(file: string, actual: string): void {
  const path = join(FIXTURES, 'golden', file)
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`golden file ${path} is missing: run UPDATE_GOLDEN=1 npx vitest run test/unit/report`)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, actual)
    return
  }
  expect(actual, `differs from ${path} (UPDATE_GOLDEN=1 rewrites it after a deliberate change)`).toBe(readFileSync(path, 'utf8'))
}

const DIRS = ['', 'lib/', 'mod/forum/', 'mod/quiz/', 'mod/assign/submission/file/', 'admin/tool/demo/', 'theme/boost/', 'blocks/html/', 'question/type/essay/', 'local/custom/']

/** A deliver report of one Moodle host with `n` changed files: added, modified, deleted and renamed in turn. */
export function largeReport(n: number): Report {
  const base = JSON.parse(readFileSync(join(FIXTURES, 'deliver-success.json'), 'utf8')) as Report
  const host = base.hosts[0]
  host.files = { added: [], modified: [], deleted: [], renamed: [] }
  for (let i = 0; i < n; i++) {
    const dir = DIRS[i % DIRS.length]
    const name = i % 997 === 0 ? `${dir}odd <name> & "quote" ${i}.php` : `${dir}classes/file${String(i).padStart(5, '0')}.php`
    if (i % 4 === 0) host.files.added.push(name)
    else if (i % 4 === 1) host.files.modified.push(name)
    else if (i % 4 === 2) host.files.deleted.push(name)
    else host.files.renamed.push({ from: `${dir}old/file${i}.php`, to: name })
  }
  host.drift = []
  return { ...base, hosts: [host] }
}

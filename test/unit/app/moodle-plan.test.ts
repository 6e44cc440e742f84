/**
 * The upgrade plan's parsing of version.php lines (as grep prints them from a tree), the component diff, and the
 * names snapshots take.
 */
import { describe, expect, it } from 'vitest'
import { diffComponents, parseVersionLines } from '../../../src/app/moodle-plan.js'
import { cannotDump } from '../../../src/app/moodle-config.js'
import { snapshotName } from '../../../src/app/moodle-db.js'

describe('upgrade plan', () => {
  it('reads core and each plugin from grep lines; ignores lines of other files', () => {
    const m = parseVersionLines([
      './version.php:$version  = 2023100900.00;              // YYYYMMDD',
      './mod/forum/version.php:$plugin->version   = 2023100900;',
      "./mod/forum/version.php:$plugin->component = 'mod_forum';",
      "./mod/quiz/version.php:    $plugin->component = \"mod_quiz\"; // quiz",
      './mod/quiz/version.php:    $plugin->version = 2023100901.01;',
      "./local/noversion/version.php:$plugin->component = 'local_noversion';",
      './mod/forum/lib.php:$version = 1;',
      './lib/version.php:$version = 5;',
    ])
    expect(Object.fromEntries(m)).toEqual({ core: '2023100900.00', mod_forum: '2023100900', mod_quiz: '2023100901.01' })
  })

  it('5.1: core is public/version.php', () => {
    expect(parseVersionLines(['./public/version.php:$version = 2025100600.00;']).get('core')).toBe('2025100600.00')
  })

  it('lists changed, new and removed components, core first', () => {
    const before = new Map([['mod_forum', '1'], ['core', '10'], ['block_old', '3'], ['mod_same', '5']])
    const after = new Map([['mod_forum', '2'], ['core', '11'], ['local_new', '7'], ['mod_same', '5']])
    expect(diffComponents(before, after)).toEqual([
      { component: 'core', before: '10', after: '11' },
      { component: 'block_old', before: '3', after: undefined },
      { component: 'local_new', before: undefined, after: '7' },
      { component: 'mod_forum', before: '1', after: '2' },
    ])
  })
})

describe('snapshots', () => {
  it('are named by time, run and versions, safe characters only', () => {
    const n = snapshotName(new Date('2026-12-03T10:11:12.345Z'), '123/4;rm -rf', 'pgsql', '2023042400.00', '2023100900.00')
    expect(n).toBe('moodle-db-20261203T101112Z-1234rmrf-2023042400.00-to-2023100900.00.pgdump')
    expect(snapshotName(new Date(0), 'r', 'mariadb', '1', '2').endsWith('.sql')).toBe(true)
  })

  it('say why a database cannot be dumped', () => {
    const c = { dbtype: 'pgsql', dbhost: 'h', dbname: 'moodle', dbuser: 'u', dbpass: '', prefix: 'mdl_', dboptions: {}, wwwroot: 'https://moodle.example.test' }
    expect(cannotDump(c)).toBeUndefined()
    expect(cannotDump({ ...c, dbtype: 'sqlsrv' })).toContain('sqlsrv')
    expect(cannotDump({ ...c, dbtype: '' })).toContain('dbtype')
    expect(cannotDump({ ...c, prefix: "mdl'; DROP" })).toContain('prefix')
  })
})

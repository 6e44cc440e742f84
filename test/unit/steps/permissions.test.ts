import { describe, expect, it } from 'vitest'
import { scopeInput } from '../../../src/steps/permissions.js'

const entries = (input: string) => input.split('\0').filter(Boolean)

describe('scopeInput: what a delivery audits', () => {
  it('the changed paths with what lies under them, every folder above them, and the tree root', () => {
    const { input, count } = scopeInput({
      added: ['mod/forum/newfile.php'],
      modified: ['index.php', 'mod/forum/lib.php', 'admin/tool/demo'],
      deleted: ['lib/old.php'],
      renamed: [{ from: 'theme/boost/config.php', to: 'theme/boost/settings.php' }],
    })
    expect(count).toBe(5)
    expect(entries(input).sort()).toEqual(
      [
        'dmod/forum/newfile.php',
        'dindex.php',
        'dmod/forum/lib.php',
        'dadmin/tool/demo',
        'dtheme/boost/settings.php',
        's',
        's/mod',
        's/mod/forum',
        's/admin',
        's/admin/tool',
        's/lib',
        's/theme',
        's/theme/boost',
      ].sort(),
    )
  })

  it('a delivery that changed nothing audits the tree root alone', () => {
    expect(entries(scopeInput({ added: [], modified: [], deleted: [], renamed: [] }).input)).toEqual(['s'])
  })

  it('paths that would leave the tree are left out', () => {
    const { input, count } = scopeInput({ added: ['../../etc/passwd', '/etc/shadow', 'a/./b', 'a//b', ''], modified: [], deleted: [], renamed: [] })
    expect(count).toBe(0)
    expect(entries(input)).toEqual(['s'])
  })
})

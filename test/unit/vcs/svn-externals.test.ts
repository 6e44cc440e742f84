/**
 * The reading of what a dry run gathers about svn externals: `svn list --include-externals --xml` of the target, `svn
 * info -R --xml` of the working copy's externals, and the changed-file list made from both (hostile names as svn escapes
 * them in XML).
 */
import { describe, expect, it } from 'vitest'
import { externalChanges, parseSvnInfoFiles, parseSvnListExternals } from '../../../src/vcs/svn-output.js'

/** `svn list -R --include-externals --xml` of r/trunk/mod, as svn 1.14 prints it (attributes in either order). */
const list = `<?xml version="1.0" encoding="UTF-8"?>
<lists>
<list
   path="svn://h/r/trunk/mod">
<entry
   kind="file">
<name>x.php</name>
<size>2</size>
<commit
   revision="2">
<author>a</author>
</commit>
</entry>
</list>
<external
   target="-my &amp; &quot;plug&quot;"
   parent_url="svn://h/r/trunk/mod">
<list
   path="svn://h/p/trunk">
<entry
   kind="dir">
<name>sub dir</name>
<commit
   revision="3">
</commit>
</entry>
<entry
   kind="file">
<name>sub dir/f @&lt;1&gt;.php</name>
<size>2</size>
<commit
   revision="3">
</commit>
</entry>
</list>
</external>
<external
   parent_url="svn://h/r/trunk/a%20b"
   target="latest">
<entry
   kind="file">
<name>lib.php</name>
<commit
   revision="7">
</commit>
</entry>
</external>
<external
   target="nested"
   parent_url="svn://h/p/trunk">
<entry
   kind="file">
<name>n.php</name>
<commit
   revision="1">
</commit>
</entry>
</external>
</lists>
`

describe('svn externals for a dry run', () => {
  it('reads the files of each external from the tree root, names decoded, nested definitions left to their external', () => {
    const ext = parseSvnListExternals(list, 'svn://h/r/trunk')
    expect([...ext.keys()]).toEqual(['mod/-my & "plug"', 'a b/latest'])
    expect([...ext.get('mod/-my & "plug"')!]).toEqual([['mod/-my & "plug"/sub dir/f @<1>.php', '3']])
    expect([...ext.get('a b/latest')!]).toEqual([['a b/latest/lib.php', '7']])
  })

  it('reads the versioned files of the working copy\'s externals with their last-changed revisions', () => {
    const info = `<?xml version="1.0"?>
<info>
<entry
   path="mod/att"
   revision="2"
   kind="dir">
<commit
   revision="2">
</commit>
</entry>
<entry
   kind="file"
   path="mod/att/a &amp; b.php"
   revision="2">
<commit
   revision="1">
</commit>
</entry>
</info>
`
    expect([...parseSvnInfoFiles(info)]).toEqual([['mod/att/a & b.php', '1']])
  })

  it('lists an external that appears as added, one that goes as deleted (all its files), a moved one file by file', () => {
    const after = new Map([
      ['mod/new', new Map([['mod/new/a.php', '4']])],
      ['mod/moved', new Map([['mod/moved/same.php', '2'], ['mod/moved/changed.php', '5'], ['mod/moved/added.php', '5']])],
    ])
    const before = new Map([['mod/moved/same.php', '2'], ['mod/moved/changed.php', '3'], ['mod/moved/gone.php', '3'], ['mod/moved/inner/n.php', '1'], ['mod/old/o.php', '1']])
    const gone = ['mod/old/o.php', 'mod/old/kept by hand.txt', 'mod/moved/same.php']
    expect(externalChanges(['mod/moved', 'mod/old', 'mod/moved/inner'], before, gone, after)).toEqual({
      added: ['mod/new/a.php', 'mod/moved/added.php'],
      modified: ['mod/moved/changed.php'],
      deleted: ['mod/old/o.php', 'mod/old/kept by hand.txt', 'mod/moved/gone.php'],
      renamed: [],
    })
  })
})

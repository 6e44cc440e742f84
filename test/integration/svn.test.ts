/**
 * method: svn through the bundled Action against a real sshd, with a real repository made by svnadmin (file://) and
 * served by svnserve on a loopback port (svn://, with a user name and password): init, deliver, goback, backtoprod,
 * partial update and per-path syncback, drift merged or refused on conflict, hostile inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anotherRoot, readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { inParallel } from '../helpers/proc.js'
import { makeSvnRepo, type SvnRepo, startSvnserve, type Svnserve } from '../helpers/svnrepo.js'

interface State {
  state: string
  live: string
  safe: string
  work?: string
  method: string
  trees: Record<string, { id: string; revision: string; paths?: { paths: string[]; revision: string }[] }>
}

let t: Target
let repo: SvnRepo & { revs: { v1: string; v2: string; v3: string } }

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeSvnRepo(t.sshd.user)
}, 120_000)

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

/** Output without the Actions masking commands (which name the secrets so that the runner can hide them). */
const unmasked = (text: string) => text.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')
const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
const svnStatus = async (tree: string) => (await t.sh(`cd ${t.root}/trees/${tree} && LC_ALL=C.UTF-8 svn status`)).trim()

/** What the repository says changed between two revisions, files only (directories left out). */
async function repoSays(from: string, to: string) {
  const out = await repo.exec(`svn diff --summarize -r ${from}:${to} .`)
  const lines = out.split('\n').filter(Boolean).map((l) => ({ kind: l[0], path: l.slice(8) }))
  const files = async (kind: string, rev: string) => {
    const list: string[] = []
    for (const l of lines.filter((x) => x.kind === kind)) {
      const isDir = (await repo.exec(`svn info --show-item kind -r ${rev} -- "$(svn info --show-item url .)/${l.path}@${rev}"`)).trim() === 'dir'
      if (!isDir) list.push(l.path)
    }
    return list.sort()
  }
  return { added: await files('A', to), modified: await files('M', to), deleted: await files('D', from) }
}

describe('method svn over a real sshd', () => {
  it('refuses hostile repositories and refs before any connection', async () => {
    const bad: Record<string, string>[] = [
      { repository: '-ooption' },
      { repository: 'ext::sh -c touch% /tmp/pwned' },
      { repository: `${repo.trunk} ; rm -rf /` },
      { repository: 'svn+ssh://-oProxyCommand=touch%20/tmp/pwned/repo' },
      { repository: 'https://user:secret@svn.example.org/repo' },
      { repository: 'gopher://example.org/repo' },
      { repository: repo.trunk, ref: '-r' },
      { repository: repo.trunk, ref: 'trunk' },
    ]
    const runs = await inParallel(bad, (inputs) => runAction({ ...t.base, mode: 'init', method: 'svn', ...inputs }))
    for (const [i, inputs] of bad.entries()) {
      const r = runs[i]
      expect(r.code, JSON.stringify(inputs)).not.toBe(0)
      expect(r.stdout + r.stderr).toMatch(/Input '(repository|ref)'/)
      expect(unmasked(r.stdout + r.stderr)).not.toContain('secret')
    }
    expect(t.sshd.connectionCount()).toBe(0)
  })

  it('init checks out trunk at a revision into two working copies', async () => {
    const r = await runAction({ ...t.base, mode: 'init', method: 'svn', repository: repo.trunk, ref: repo.revs.v1 })
    expect(r.code, r.stdout).toBe(0)
    const s = await state()
    expect(s.method).toBe('svn')
    for (const id of [s.live, s.safe]) {
      expect(s.trees[id].revision).toBe(repo.revs.v1)
      expect((await t.sh(`cd ${t.root}/trees/${id} && svn info --show-item revision`)).trim()).toBe(repo.revs.v1)
      expect(await svnStatus(id)).toBe('')
    }
    expect(await t.sh(`cat "${t.root}/live/lang/en/café menu.php"`)).toContain('Café')
    expect(r.outputs['revision-after']).toBe(repo.revs.v1)
  })

  it('deliver updates to v2 and reports exactly what the repository says changed', async () => {
    const before = await state()
    const r = await runAction({ ...t.base, mode: 'deliver', method: 'svn', repository: repo.trunk, ref: repo.revs.v2 })
    expect(r.code, r.stdout).toBe(0)
    const files = r.report!.hosts[0].files
    const says = await repoSays(repo.revs.v1, repo.revs.v2)
    expect(files.added.sort()).toEqual(says.added)
    expect(files.modified.sort()).toEqual(says.modified)
    expect(files.deleted.sort()).toEqual(says.deleted)
    expect(says.modified).toContain('lang/en/café menu.php')
    expect(says.added).toContain('theme/boost/settings.php')
    expect(says.deleted).toEqual(['lib/old.php', 'theme/boost/config.php'])
    const s = await state()
    expect(s.live).not.toBe(before.live) // renamed to a fresh path before going live
    expect(s.trees[s.live].revision).toBe(repo.revs.v2)
    expect(s.trees[s.safe].revision).toBe(repo.revs.v1)
    // The renamed working copy still works: svn sees no change in it.
    expect(await svnStatus(s.live)).toBe('')
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v2')
    expect(r.outputs['revision-before']).toBe(repo.revs.v1)
    expect(r.outputs['revision-after']).toBe(repo.revs.v2)
  })

  it('goback serves v1 again at once, backtoprod returns to v2', async () => {
    const r = await runAction({ ...t.base, mode: 'goback' })
    expect(r.code, r.stdout).toBe(0)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v1')
    expect(await t.sh(`test -e ${t.root}/live/lib/old.php && echo back`)).toContain('back')
    const b = await runAction({ ...t.base, mode: 'backtoprod' })
    expect(b.code, b.stdout).toBe(0)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v2')
  })

  it('a dry run lists the same files and changes nothing', async () => {
    const before = await t.sh(`cat ${t.root}/.delivery/state.json; ls ${t.root}/trees`)
    const r = await runAction({ ...t.base, mode: 'deliver', method: 'svn', repository: repo.trunk, ref: repo.revs.v3, 'dry-run': 'true' })
    expect(r.code, r.stdout).toBe(0)
    const says = await repoSays(repo.revs.v2, repo.revs.v3)
    expect(r.report!.hosts[0].files.modified.sort()).toEqual(says.modified)
    expect(await t.sh(`cat ${t.root}/.delivery/state.json; ls ${t.root}/trees`)).toBe(before)
  })

  it('a partial update takes only the paths; a per-path syncback keeps the safe working copy exact', async () => {
    expect((await runAction({ ...t.base, mode: 'syncback' })).code).toBe(0)
    expect((await runAction({ ...t.base, mode: 'goback' })).code).toBe(0)
    const r = await runAction({ ...t.base, mode: 'update', method: 'svn', repository: repo.trunk, ref: repo.revs.v3, paths: 'mod/forum' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.hosts[0].files).toEqual({ added: [], modified: ['mod/forum/view.php'], deleted: [], renamed: [] })
    let s = await state()
    const work = `${t.root}/trees/${s.work}`
    expect(await t.sh(`cat ${work}/mod/forum/view.php`)).toContain('v3')
    expect(await t.sh(`cat ${work}/lib/setup.php`)).not.toContain('setupversion = 3')
    expect(await svnStatus(s.work!)).toBe('')
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).code).toBe(0)
    // Now the live tree is of mixed revisions (mod/forum at v3). A syncback of mod/forum alone must leave the safe
    // working copy at the same revisions, with no change svn could see.
    s = await state()
    await t.sh(`echo '// hand fix' >> ${t.root}/live/mod/forum/lib.php`)
    const sb = await runAction({ ...t.base, mode: 'syncback', paths: 'mod/forum' })
    expect(sb.code, sb.stdout).toBe(0)
    const rev = (tree: string, p: string) => t.sh(`cd ${t.root}/trees/${tree} && svn info --show-item revision -- ${p}`)
    expect((await rev(s.safe, 'mod/forum/view.php')).trim()).toBe(repo.revs.v3)
    expect((await rev(s.safe, 'lib/setup.php')).trim()).toBe(repo.revs.v2)
    expect(await svnStatus(s.safe)).toBe(await svnStatus(s.live))
    expect(await svnStatus(s.safe)).toMatch(/^M\s+mod\/forum\/lib\.php$/)
    await t.sh(`cd ${t.root}/live && svn revert -q mod/forum/lib.php`)
  })

  it('keeps hand-made changes svn can merge, and refuses one that would conflict, before touching anything', async () => {
    // A hand change in a file v3 does not touch is carried along; one in lib/setup.php, which v3 rewrites, conflicts.
    await t.sh(`echo '// local' >> ${t.root}/live/README.txt`)
    await t.sh(`printf '<?php\\n$CFG->setupversion = 99;\\n' > ${t.root}/live/lib/setup.php`)
    const before = await state()
    const liveFiles = await t.sh(`cd ${t.root}/live && find . -path ./.svn -prune -o -type f -print0 | sort -z | xargs -0 sha1sum`)
    const r = await runAction({ ...t.base, mode: 'deliver', method: 'svn', repository: repo.trunk, ref: repo.revs.v3 })
    expect(r.code).toBe(1)
    const err = r.report!.hosts[0].error ?? ''
    expect(err).toContain('lib/setup.php')
    expect(err).toMatch(/would conflict/)
    expect(err).not.toContain('README.txt')
    // Drift was found and saved before; the work tree (the former live tree) was not touched by svn.
    const drift = r.report!.hosts[0].drift
    expect(drift.flatMap((d) => d.files.map((f) => f.path))).toEqual(expect.arrayContaining(['README.txt', 'lib/setup.php']))
    expect(drift[0].patch).toBeTruthy()
    expect(await t.sh(`cat ${drift[0].patch}`)).toContain('setupversion = 99')
    const s = await state()
    expect(s.state).toBe('delivering')
    expect(s.trees[s.work!].revision).toBe(before.trees[before.live].revision)
    expect(await t.sh(`cd ${t.root}/trees/${s.work} && find . -path ./.svn -prune -o -type f -print0 | sort -z | xargs -0 sha1sum`)).toBe(liveFiles)
    // Undo the conflicting change: the update now merges the other one and records it.
    await t.sh(`cd ${t.root}/trees/${s.work} && svn revert -q lib/setup.php`)
    const again = await runAction({ ...t.base, mode: 'deliver', method: 'svn', repository: repo.trunk, ref: repo.revs.v3 })
    expect(again.code, again.stdout).toBe(0)
    expect(again.report!.hosts[0].files.modified).toEqual(expect.arrayContaining(['lib/setup.php', 'version.php']))
    expect(await t.sh(`cat ${t.root}/live/README.txt`)).toContain('// local')
    expect(await t.sh(`cat ${t.root}/live/lib/setup.php`)).toContain('setupversion = 3')
  })

  it('status reports drift from svn status, untracked directories file by file', async () => {
    await t.sh(`mkdir -p ${t.root}/live/local/plugin && echo x > ${t.root}/live/local/plugin/a.php && rm ${t.root}/live/index.php`)
    const r = await runAction({ ...t.base, mode: 'status' })
    expect(r.code, r.stdout).toBe(0)
    const files = r.report!.hosts[0].drift[0].files
    expect(files).toEqual(
      expect.arrayContaining([
        { path: 'local/plugin/a.php', status: 'untracked' },
        { path: 'index.php', status: 'deleted' },
        { path: 'README.txt', status: 'modified' },
      ]),
    )
    await t.sh(`rm -rf ${t.root}/live/local && cd ${t.root}/live && svn revert -q index.php README.txt`)
  })
  it('switches the tree when repository names a tag; the dry run and the update list the same files', async () => {
    await repo.exec(`svn -q copy -m 'tag v1' ${repo.trunk}@${repo.revs.v1} ${repo.trunk.replace(/trunk$/, 'tags/v1')}`)
    const tag = repo.trunk.replace(/trunk$/, 'tags/v1')
    const dry = await runAction({ ...t.base, mode: 'deliver', method: 'svn', repository: tag, 'dry-run': 'true' })
    expect(dry.code, dry.stdout).toBe(0)
    const r = await runAction({ ...t.base, mode: 'deliver', method: 'svn', repository: tag })
    expect(r.code, r.stdout).toBe(0)
    const files = r.report!.hosts[0].files
    const says = await repoSays(repo.revs.v3, repo.revs.v1)
    expect(files.modified.sort()).toEqual(says.modified)
    expect(files.added.sort()).toEqual(says.added)
    expect(files.deleted.sort()).toEqual(says.deleted)
    expect(dry.report!.hosts[0].files.modified.sort()).toEqual(says.modified)
    const s = await state()
    expect((await t.sh(`cd ${t.root}/trees/${s.live} && svn info --show-item url`)).trim()).toBe(tag)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v1')
    const partial = await runAction({ ...t.base, mode: 'deliver', method: 'svn', repository: repo.trunk, paths: 'mod/forum' })
    expect(partial.code).toBe(1)
    expect(partial.report!.hosts[0].error).toMatch(/a partial update cannot change the branch/)
  })
})

describe('method svn with svnserve and credentials', () => {
  let serve: Svnserve
  let t2: Target
  const password = 'pa ss;$(touch /tmp/dlv-pwned)word'

  beforeAll(async () => {
    serve = await startSvnserve(repo, t.sshd.user, password)
    // A shim in front of svn records the command line and environment every svn process gets.
    t2 = await startTarget({ extraConfig: `SetEnv PATH=/tmp/dlv-svnshim-${process.pid}:/usr/local/bin:/usr/bin:/bin` })
    t2.base.app = 'none'
    await t2.sh(`mkdir -p /tmp/dlv-svnshim-${process.pid} && cat > /tmp/dlv-svnshim-${process.pid}/svn <<'EOF'
#!/bin/bash
{ tr '\\0' ' ' < /proc/$$/cmdline; echo; tr '\\0' '\\n' < /proc/$$/environ; } >> /tmp/dlv-svnshim-${process.pid}/log
exec /usr/bin/svn "$@"
EOF
chmod +x /tmp/dlv-svnshim-${process.pid}/svn`)
  }, 120_000)

  afterAll(async () => {
    await serve?.stop()
    await t2?.stop()
    await t2?.sh(`rm -rf /tmp/dlv-svnshim-${process.pid}`).catch(() => undefined)
  })

  it('checks out and updates over svn:// with a password that never shows in a process list, log or report', async () => {
    const inputs = { ...t2.base, method: 'svn', repository: `${serve.url}/trunk`, 'repository-username': serve.user, 'repository-password': password }
    const init = await runAction({ ...inputs, mode: 'init', ref: repo.revs.v1 })
    expect(init.code, init.stdout + init.stderr).toBe(0)
    const d = await runAction({ ...inputs, mode: 'deliver', ref: repo.revs.v2 })
    expect(d.code, d.stdout).toBe(0)
    expect(d.report!.hosts[0].files.modified).toContain('index.php')
    const log = await t2.sh(`cat /tmp/dlv-svnshim-${process.pid}/log`)
    expect(log).toContain('--password-from-stdin')
    expect(log).toContain(`--username ${serve.user}`)
    expect(log).not.toContain('pa ss')
    for (const r of [init, d]) {
      expect(unmasked(r.stdout + r.stderr) + r.summary + JSON.stringify(r.report)).not.toContain('pa ss')
    }
    expect(await t2.sh('test -e /tmp/dlv-pwned && echo pwned || echo clean')).toContain('clean')
  })

  it('fails clearly with a wrong password, and without showing it', async () => {
    const r = await runAction({ ...t2.base, mode: 'status' })
    expect(r.code).toBe(0)
    const bad = await runAction({
      ...t2.base,
      mode: 'deliver',
      method: 'svn',
      repository: `${serve.url}/trunk`,
      ref: repo.revs.v3,
      'repository-username': serve.user,
      'repository-password': 'wrong-password-123',
    })
    expect(bad.code).toBe(1)
    expect(bad.report!.hosts[0].error).toMatch(/cannot read .*check repository, ref and the credentials/)
    expect(unmasked(bad.stdout + bad.stderr) + JSON.stringify(bad.report)).not.toContain('wrong-password-123')
  })
})

describe('method svn: adopt an existing working copy', () => {
  let t3: Target
  const site = `/tmp/dlv-adopt-svn-${process.pid}`

  beforeAll(async () => {
    t3 = await anotherRoot(t)
    await t3.sh(`LC_ALL=C.UTF-8 svn -q checkout -r ${repo.revs.v1} ${repo.trunk} ${site} && echo '<?php $CFG = 1;' > ${site}/config.php && echo local >> ${site}/README.txt`)
  })

  afterAll(async () => {
    await t3?.sh(`rm -rf ${site}`).catch(() => undefined)
    await t3?.stop()
  })

  it('copies the working copy whole, records its URL and revision, and delivers from there', async () => {
    const init = await runAction({ ...t3.base, mode: 'init', method: 'svn', adopt: site, keep: 'config.php' })
    expect(init.code, init.stdout).toBe(0)
    const s = await readServerJson<State>(t3, `${t3.root}/.delivery/state.json`)
    expect(s.trees[s.live].revision).toBe(repo.revs.v1)
    expect((await readServerJson<{ repository: string }>(t3, `${t3.root}/.delivery/state.json`)).repository).toBe(repo.trunk)
    expect((await t3.sh(`cd ${t3.root}/live && LC_ALL=C.UTF-8 svn status`)).trim().split('\n').sort()).toEqual(['?       config.php', 'M       README.txt'])
    const d = await runAction({ ...t3.base, mode: 'deliver', method: 'svn', repository: repo.trunk, ref: repo.revs.v2, keep: 'config.php' })
    expect(d.code, d.stdout).toBe(0)
    expect(d.report!.hosts[0].drift[0].files).toEqual([{ path: 'README.txt', status: 'modified' }])
    expect(await t3.sh(`cat ${t3.root}/live/config.php ${t3.root}/live/README.txt ${t3.root}/live/index.php`)).toMatch(/\$CFG[\s\S]*local[\s\S]*v2/)
  })

  it('backtoprod refuses a work tree left with svn conflicts, and goes on once they are resolved', async () => {
    expect((await runAction({ ...t3.base, mode: 'goback' })).code).toBe(0)
    const s = await readServerJson<State>(t3, `${t3.root}/.delivery/state.json`)
    const work = `${t3.root}/trees/${s.work}`
    // A conflict made by hand in the work tree: a local edit, then svn update of that file to a revision changing it.
    await t3.sh(`cd ${work} && printf '<?php\\n$CFG->setupversion = 42;\\n' > lib/setup.php && LC_ALL=C.UTF-8 svn -q update --non-interactive --accept postpone -r ${repo.revs.v3} lib/setup.php; LC_ALL=C.UTF-8 svn status lib/setup.php`)
    const r = await runAction({ ...t3.base, mode: 'backtoprod' })
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/unresolved svn conflicts in lib\/setup\.php: it cannot go live/)
    expect((await readServerJson<State>(t3, `${t3.root}/.delivery/state.json`)).live).toBe(s.live)
    await t3.sh(`cd ${work} && svn -q revert lib/setup.php`)
    const ok = await runAction({ ...t3.base, mode: 'backtoprod' })
    expect(ok.code, ok.stdout).toBe(0)
  })

  it('refuses to adopt a directory that is not a working copy, and one inside a working copy', async () => {
    await t3.sh(`mkdir -p /tmp/dlv-plain-${process.pid}`)
    const t4 = await anotherRoot(t3)
    try {
      const plain = await runAction({ ...t4.base, app: 'none', mode: 'init', method: 'svn', adopt: `/tmp/dlv-plain-${process.pid}` })
      expect(plain.code).toBe(1)
      expect(plain.report!.hosts[0].error).toMatch(/not a Subversion working copy: adopt it with method push/)
      const inner = await runAction({ ...t4.base, app: 'none', mode: 'init', method: 'svn', adopt: `${site}/mod` })
      expect(inner.code).toBe(1)
      expect(inner.report!.hosts[0].error).toMatch(/lies inside the working copy/)
    } finally {
      await t4.stop()
      await t3.sh(`rm -rf /tmp/dlv-plain-${process.pid}`)
    }
  })
})

/**
 * git submodules through the bundled Action against a real sshd: a site whose plugins are submodules (relative and
 * absolute URLs, one nested) is delivered complete into both trees; the changed-file list names the files inside
 * submodules; drift inside a submodule is found and saved; a syncback and the renames of trees keep every submodule
 * checkout working; `paths` takes one submodule; a submodule the server cannot fetch fails the run before anything
 * changes, naming it, with the credentials masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { makeSubmoduleSite, type SubmoduleSite } from '../helpers/subrepos.js'
import type { SubmoduleChange } from '../../src/domain.js'

interface State {
  state: string
  live: string
  safe: string
  work?: string
  trees: Record<string, { id: string; revision: string; head?: string }>
}

let t: Target
let site: SubmoduleSite

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  site = await makeSubmoduleSite(t.sshd.user)
}, 120_000)

afterAll(async () => {
  await t?.stop()
  await site?.remove()
})

const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
/** What a tree holds at a path: the file's content, or 'missing'. */
const cat = (tree: string, p: string) => t.sh(`cat -- ${t.root}/trees/${tree}/${p} 2>/dev/null || echo missing`)
/** git's own view of a tree: clean, and each submodule at the commit the tree records. */
async function gitSays(tree: string) {
  const dir = `${t.root}/trees/${tree}`
  return {
    status: (await t.sh(`git -C ${dir} status --porcelain --untracked-files=all`)).trim(),
    attendance: (await t.sh(`git -C ${dir}/mod/attendance rev-parse HEAD`)).trim(),
    attlib: (await t.sh(`git -C ${dir}/mod/attendance/vendor/attlib rev-parse HEAD`)).trim(),
    recorded: (await t.sh(`git -C ${dir} submodule status --recursive 2>&1 || true`)).trim(),
  }
}
const sorted = (a: string[]) => [...a].sort()

describe('git submodules over a real sshd', () => {
  it('init checks every submodule out in both trees, nested ones too, at the commits the site records', async () => {
    const r = await runAction({ ...t.base, mode: 'init', repository: site.site, ref: 'v1' })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const s = await state()
    for (const id of [s.live, s.safe]) {
      expect(await cat(id, 'mod/attendance/lib.php')).toContain('attendance a1')
      expect(await cat(id, 'mod/attendance/vendor/attlib/attlib.php')).toContain('attlib l1')
      const g = await gitSays(id)
      expect(g.status).toBe('')
      expect(g.attendance).toBe(site.commits.attendance.a1)
      expect(g.attlib).toBe(site.commits.attlib.l1)
    }
    // The submodules' objects are in the one store under .delivery; the trees hold no object of their own.
    expect(await t.sh(`git --git-dir=${t.root}/.delivery/repo.git cat-file -t ${site.commits.attlib.l1}`)).toContain('commit')
    expect(await t.sh(`find ${t.root}/trees -path '*/objects/pack/*' -type f | wc -l`)).toBe('0\n')
    expect(r.report?.hosts[0].submodules).toEqual([
      { path: 'mod/attendance', url: site.urls.attendance, after: site.commits.attendance.a1 },
      { path: 'mod/attendance/vendor/attlib', url: site.urls.attlib, after: site.commits.attlib.l1 },
    ])
  })

  it('a dry run of deliver lists the files inside submodules and changes nothing', async () => {
    const before = await t.sh(`cat ${t.root}/.delivery/state.json; find ${t.root}/trees ${t.root}/.delivery -newer ${t.root}/.delivery/state.json | sort`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: site.site, ref: 'v2', 'dry-run': 'true' })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const files = r.report!.hosts[0].files
    expect(sorted(files.modified)).toEqual(['.gitmodules', 'mod/attendance/lib.php', 'mod/attendance/vendor/attlib/attlib.php'])
    expect(sorted(files.added)).toEqual(['mod/attendance/lang/en/attendance.php', 'mod/certificate/lib.php', 'mod/certificate/version.php'])
    expect(r.report!.hosts[0].plan?.join('\n')).toContain('submodule mod/certificate')
    expect(await t.sh(`cat ${t.root}/.delivery/state.json; find ${t.root}/trees ${t.root}/.delivery -newer ${t.root}/.delivery/state.json | sort`)).toBe(before)
  })

  it('deliver bumps a submodule (and its nested one), adds one with an absolute URL, and lists each file from the tree root', async () => {
    const before = await state()
    const r = await runAction({ ...t.base, mode: 'deliver', repository: site.site, ref: 'v2' })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const h = r.report!.hosts[0]
    expect(sorted(h.files.modified)).toEqual(['.gitmodules', 'mod/attendance/lib.php', 'mod/attendance/vendor/attlib/attlib.php'])
    expect(sorted(h.files.added)).toEqual(['mod/attendance/lang/en/attendance.php', 'mod/certificate/lib.php', 'mod/certificate/version.php'])
    expect(h.files.deleted).toEqual([])
    expect(h.submodules).toEqual([
      { path: 'mod/attendance', url: site.urls.attendance, before: site.commits.attendance.a1, after: site.commits.attendance.a2 },
      { path: 'mod/attendance/vendor/attlib', url: site.urls.attlib, before: site.commits.attlib.l1, after: site.commits.attlib.l2 },
      { path: 'mod/certificate', url: site.urls.certificate, after: site.commits.certificate },
    ])
    expect(r.summary).toContain('mod/attendance/vendor/attlib/attlib.php')
    expect(r.summary).toContain('mod/certificate')
    const s = await state()
    // The updated tree went live under a fresh id (a rename of a tree holding submodules).
    expect(s.live).not.toBe(before.live)
    expect(await t.sh(`cat ${t.root}/live/mod/attendance/lib.php ${t.root}/live/mod/certificate/lib.php`)).toMatch(/attendance a2[\s\S]*certificate/)
    const g = await gitSays(s.live)
    expect(g.status).toBe('')
    expect(g.attendance).toBe(site.commits.attendance.a2)
    expect(g.attlib).toBe(site.commits.attlib.l2)
    expect(await t.sh(`git --git-dir=${t.root}/.delivery/repo.git worktree list --porcelain | grep -c '^worktree ${t.root}/trees/'`)).toBe('2\n')
  }, 120_000)

  it('syncback copies the submodules into the safe tree, each checkout recording its commit', async () => {
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const s = await state()
    const g = await gitSays(s.safe)
    expect(g.status).toBe('')
    expect(g.attendance).toBe(site.commits.attendance.a2)
    expect(await cat(s.safe, 'mod/certificate/lib.php')).toContain('certificate')
    // Each tree keeps its own git directory for a submodule: they are not shared between trees.
    await t.sh(`echo changed >> ${t.root}/trees/${s.safe}/mod/attendance/view.php`)
    expect((await gitSays(s.live)).status).toBe('')
    await t.sh(`git -C ${t.root}/trees/${s.safe}/mod/attendance checkout -q -- view.php`)
  })

  it('syncback of a submodule checkout moved by hand in the live tree: its files are copied as they are, and the copy records the commit the tree records', async () => {
    const s = await state()
    const live = `${t.root}/trees/${s.live}/mod/attendance`
    await t.sh(`git -C ${live} checkout -q --detach ${site.commits.attendance.a1}`)
    try {
      const r = await runAction({ ...t.base, mode: 'syncback' })
      expect(r.code, r.stdout + r.stderr).toBe(0)
      expect(await cat(s.safe, 'mod/attendance/lib.php')).toContain('attendance a1')
      // The copy's own git directory came with the files, at a1; the safe tree records a2, and so must its checkout
      // (the hand-made move then shows as drift against a2, as it does in the live tree).
      expect((await gitSays(s.safe)).attendance).toBe(site.commits.attendance.a2)
    } finally {
      await t.sh(`git -C ${live} checkout -q --detach ${site.commits.attendance.a2}`)
      const r = await runAction({ ...t.base, mode: 'syncback' })
      expect(r.code, r.stdout + r.stderr).toBe(0)
    }
    expect((await gitSays(s.safe)).status).toBe('')
  })

  it('drift inside a submodule is found and saved; a removed submodule is all of its files', async () => {
    const s0 = await state()
    await t.sh(`echo '// hand fix' >> ${t.root}/live/mod/attendance/lib.php; echo '<?php' > ${t.root}/live/mod/attendance/vendor/attlib/local.php`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: site.site, ref: 'v3' })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const h = r.report!.hosts[0]
    const live = h.drift.find((d) => d.role === 'live')!
    expect(live.tree).toBe(s0.live)
    expect(live.files).toEqual([
      { path: 'mod/attendance/lib.php', status: 'modified' },
      { path: 'mod/attendance/vendor/attlib/local.php', status: 'untracked' },
    ])
    const patch = await t.sh(`cat ${live.patch}`)
    expect(patch).toContain('+++ b/mod/attendance/lib.php')
    expect(patch).toContain('+<?php // attendance a2// hand fix')
    expect(patch).toContain('+++ b/mod/attendance/vendor/attlib/local.php')
    // The saved patch applies from the tree root to the files as the repository has them.
    await t.sh(`d=$(mktemp -d); git --git-dir=${t.root}/.delivery/repo.git archive ${site.commits.attendance.a2} | tar -x -C "$d" --one-top-level=mod/attendance
git --git-dir=${t.root}/.delivery/repo.git archive ${site.commits.attlib.l2} | tar -x -C "$d" --one-top-level=mod/attendance/vendor/attlib
cd "$d"; patch -s -p1 < ${live.patch}; grep -q 'hand fix' mod/attendance/lib.php; test -f mod/attendance/vendor/attlib/local.php; rm -rf "$d"`)
    expect(sorted(h.files.deleted)).toEqual(['mod/certificate/lib.php', 'mod/certificate/version.php'])
    expect(sorted(h.files.modified)).toEqual(['.gitmodules', 'index.php'])
    expect(h.submodules).toEqual([
      { path: 'mod/attendance', url: site.urls.attendance, before: site.commits.attendance.a2, after: site.commits.attendance.a2 },
      { path: 'mod/attendance/vendor/attlib', url: site.urls.attlib, before: site.commits.attlib.l2, after: site.commits.attlib.l2 },
      { path: 'mod/certificate', url: site.urls.certificate, before: site.commits.certificate },
    ])
    const s = await state()
    expect(await cat(s.live, 'mod/certificate')).toContain('missing')
    expect(await cat(s.live, 'mod/attendance/lib.php')).not.toContain('hand fix')
    // An untracked file is never deleted by an update (it is saved, and stays): the admin removes it.
    expect(await cat(s.live, 'mod/attendance/vendor/attlib/local.php')).toContain('<?php')
    await t.sh(`rm ${t.root}/live/mod/attendance/vendor/attlib/local.php`)
    expect((await gitSays(s.live)).status).toBe('')
  }, 120_000)

  it("deliver's fast syncback copies the ignored files inside a submodule checkout (listed by the drift check)", async () => {
    const s0 = await state()
    for (const id of [s0.live, s0.safe]) await t.sh(`mkdir -p ${t.root}/trees/${id}/mod/attendance/.git/info && echo '*.cache' > ${t.root}/trees/${id}/mod/attendance/.git/info/exclude`)
    await t.sh(`echo 'built here' > ${t.root}/trees/${s0.live}/mod/attendance/local.cache`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: site.site, ref: 'v3' })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const h = r.report!.hosts[0]
    expect((h.steps.find((x) => x.name === 'syncback') as { detail?: string }).detail).toMatch(/compared the \d+ path\(s\) that differ between the recorded commits/)
    // The tree that served during the update is the copy the syncback made of the live tree.
    expect(await cat((await state()).safe, 'mod/attendance/local.cache')).toBe('built here\n')
  }, 120_000)

  it('paths: mod/attendance takes one submodule from another commit', async () => {
    expect((await runAction({ ...t.base, mode: 'goback' })).code).toBe(0)
    const r = await runAction({ ...t.base, mode: 'update', repository: site.site, ref: 'v1', paths: 'mod/attendance' })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const h = r.report!.hosts[0]
    expect(sorted(h.files.modified)).toEqual(['mod/attendance/lib.php', 'mod/attendance/vendor/attlib/attlib.php'])
    expect(h.files.deleted).toEqual(['mod/attendance/lang/en/attendance.php'])
    expect(h.files.added).toEqual([])
    expect((h.submodules as SubmoduleChange[]).map((x) => [x.path, x.before, x.after])).toEqual([
      ['mod/attendance', site.commits.attendance.a2, site.commits.attendance.a1],
      ['mod/attendance/vendor/attlib', site.commits.attlib.l2, site.commits.attlib.l1],
    ])
    const s = await state()
    const g = await gitSays(s.work!)
    expect(g.status).toBe('')
    expect(g.attendance).toBe(site.commits.attendance.a1)
    expect(await cat(s.work!, 'index.php')).toContain('v3')
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).code).toBe(0)
  }, 120_000)

  it('a submodule the server cannot fetch fails deliver before anything changes, naming it and its URL, credentials masked', async () => {
    const bad = 'https://deployer:s3cr3t-token@127.0.0.1:9/plugins/missing.git'
    await site.exec(`cd w-site; git checkout -q main; git reset -q --hard v3
git config -f .gitmodules submodule.missing.path mod/missing; git config -f .gitmodules submodule.missing.url "$1"
git update-index --add --cacheinfo 160000,0123456789abcdef0123456789abcdef01234567,mod/missing
git add .gitmodules; git commit -q -m v4; git push -q origin HEAD:main; git tag v4; git push -q origin v4`, [bad])
    const before = await t.sh(`cat ${t.root}/.delivery/state.json; readlink ${t.root}/live`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: site.site, ref: 'v4' })
    expect(r.code).toBe(1)
    const err = r.report!.hosts[0].error ?? ''
    expect(err).toContain("submodule 'missing' (mod/missing)")
    expect(err).toContain('https://***@127.0.0.1:9/plugins/missing.git')
    const out = (r.stdout + r.stderr + JSON.stringify(r.report) + r.summary).split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')
    expect(out).not.toContain('s3cr3t-token')
    expect(r.report!.hosts[0].steps.map((x) => x.name)).not.toContain('switch')
    expect(await t.sh(`cat ${t.root}/.delivery/state.json; readlink ${t.root}/live`)).toBe(before)
  }, 120_000)

  it('a link planted on the server where a submodule lives is never written through', async () => {
    const outside = `${t.root}-outside`
    await t.sh(`mkdir -p ${outside}; echo outside > ${outside}/lib.php
rm -rf ${t.root}/live/mod/attendance; ln -s ${outside} ${t.root}/live/mod/attendance`)
    try {
      const r = await runAction({ ...t.base, mode: 'deliver', repository: site.site, ref: 'v3' })
      expect(r.code, r.stdout + r.stderr).toBe(0)
      const drift = r.report!.hosts[0].drift.find((d) => d.role === 'live')!
      expect(drift.files).toContainEqual({ path: 'mod/attendance', status: 'type-changed' })
      expect(await t.sh(`cat ${drift.patch}`)).toContain(`# mod/attendance: a link to ${outside} stands where the submodule is`)
      expect(await t.sh(`ls -A ${outside}; cat ${outside}/lib.php`)).toBe('lib.php\noutside\n')
      const s = await state()
      expect(await t.sh(`test -L ${t.root}/trees/${s.live}/mod/attendance || cat ${t.root}/trees/${s.live}/mod/attendance/lib.php`)).toContain('attendance a2')
      expect((await gitSays(s.live)).status).toBe('')
    } finally {
      await t.sh(`rm -rf ${outside}`)
    }
  }, 120_000)

  it('a submodule URL that is an option or a remote helper is refused, and nothing runs', async () => {
    for (const [tag, url] of [['v5', '--upload-pack=touch /tmp/dlv-pwned-sub'], ['v6', 'ext::sh -c touch% /tmp/dlv-pwned-sub']]) {
      await site.exec(`cd w-site; git checkout -q main; git reset -q --hard v3
git config -f .gitmodules submodule.evil.path mod/evil; git config -f .gitmodules submodule.evil.url "$1"
git update-index --add --cacheinfo 160000,1123456789abcdef0123456789abcdef01234567,mod/evil
git add .gitmodules; git commit -q -m "$2"; git push -q -f origin HEAD:main; git tag "$2"; git push -q origin "$2"`, [url, tag])
      const r = await runAction({ ...t.base, mode: 'deliver', repository: site.site, ref: tag })
      expect(r.code).toBe(1)
      expect(r.report!.hosts[0].error).toMatch(/submodule 'evil' \(mod\/evil\): its URL .* is not allowed/)
      expect(await t.sh('test -e /tmp/dlv-pwned-sub && echo pwned || echo safe')).toContain('safe')
    }
  }, 120_000)

  it('init with adopt takes an existing working copy with its submodules: their objects into the store, each checkout its own git directory', async () => {
    const src = `${t.root}-src`
    const path = `${t.root}-adopted`
    await t.sh(`git -c protocol.file.allow=always clone -q --recurse-submodules -b v2 ${site.site} ${src} 2>/dev/null
echo '// local' >> ${src}/mod/attendance/view.php; mkdir -p ${path}`)
    try {
      const r = await runAction({ ...t.base, path, mode: 'init', adopt: src })
      expect(r.code, r.stdout + r.stderr).toBe(0)
      const s = await readServerJson<State>(t, `${path}/.delivery/state.json`)
      for (const id of [s.live, s.safe]) {
        const dir = `${path}/trees/${id}`
        expect(await t.sh(`git -C ${dir}/mod/attendance rev-parse HEAD; git -C ${dir}/mod/attendance/vendor/attlib rev-parse HEAD`)).toBe(
          `${site.commits.attendance.a2}\n${site.commits.attlib.l2}\n`,
        )
        // The hand-made change came along and is seen as drift; nothing points into the source any more.
        expect((await t.sh(`git -C ${dir} status --porcelain`)).trim()).toBe('M mod/attendance')
        expect(await t.sh(`grep -rl -- ${src} ${dir}/mod/attendance/.git ${dir}/mod/certificate/.git || echo none`)).toBe('none\n')
      }
      expect(await t.sh(`git --git-dir=${path}/.delivery/repo.git cat-file -t ${site.commits.attlib.l2}`)).toContain('commit')
      const st = await runAction({ ...t.base, path, mode: 'status' })
      expect(JSON.stringify(st.report!.hosts[0].drift)).toContain('mod/attendance/view.php')
    } finally {
      await t.sh(`rm -rf ${src} ${path}`)
    }
  }, 120_000)
})

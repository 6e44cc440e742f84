/**
 * What happens to the trees' content over a real sshd: drift is found, saved as a patch that applies, and stops the
 * run with on-drift: fail; a dry run writes nothing; kept files (config.php) follow every switch with their mode;
 * adopt copies an existing working copy whole; a half-finished init is cleaned; a full disk fails cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { run } from '../helpers/proc.js'

let t: Target
let repo: MoodleRepo

interface State {
  state: string
  live: string
  safe: string
  work?: string
  trees: Record<string, { revision: string }>
}

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  t.base.keep = 'config.php'
  repo = await makeMoodleRepo(t.sshd.user)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
/** Everything in the delivery root: paths, sizes, modes and content hashes. */
const fingerprint = () =>
  t.sh(`cd ${t.root} && find . -path ./.delivery/repo.git/objects -prune -o -printf '%p %s %m %l\\n' | sort | md5sum && cat .delivery/state.json .delivery/journal.jsonl 2>/dev/null | md5sum`)

describe('trees', () => {
  it('a half-finished init (trees, no state) is cleaned and redone', async () => {
    await t.sh(`mkdir -p ${t.root}/trees/leftover-1/mod && echo junk > ${t.root}/trees/leftover-1/mod/x.php`)
    const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report?.hosts[0].steps.map((s) => s.name)).toContain('clean half-finished init')
    const s = await state()
    expect((await t.sh(`ls ${t.root}/trees`)).trim().split('\n').sort()).toEqual([s.live, s.safe].sort())
  })

  it('kept files follow every switch, with their mode, and are never drift', async () => {
    await t.sh(`printf '<?php $CFG = new stdClass(); $CFG->wwwroot = "http://x";\\n' > ${t.root}/live/config.php && chmod 640 ${t.root}/live/config.php`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report?.hosts[0].drift).toEqual([])
    const s = await state()
    for (const id of [s.live, s.safe]) {
      expect(await t.sh(`stat -c '%a' ${t.root}/trees/${id}/config.php`)).toBe('640\n')
      expect(await t.sh(`cat ${t.root}/trees/${id}/config.php`)).toContain('wwwroot')
    }
  })

  it('a kept file whose group can be neither copied nor linked stops the switch before it happens', async () => {
    await run('groupadd', ['-f', 'dlvwebgrp'])
    const s = await state()
    // Another user's file (root's), readable by its group alone: the SSH user may neither copy it nor link it.
    await run('chown', ['root:dlvwebgrp', `${t.root}/trees/${s.live}/config.php`])
    // The safe tree holds an older config.php: goback must carry the live one, with its group, or stop.
    await t.sh(`echo '<?php // old' > ${t.root}/trees/${s.safe}/config.php`)
    const r = await runAction({ ...t.base, mode: 'goback' })
    expect(r.code).toBe(1)
    expect(r.report?.hosts[0].error).toMatch(/kept file config\.php: .*config\.php must hold .*config\.php with its mode and group \('640 dlvwebgrp'\).* it is '\d+ dlvtest:dlvtest'.* cannot read it and cannot link it .*\(Operation not permitted\)\. Fix: as root: chown dlvtest -- /)
    const after = await state()
    expect(after.state).toBe('production')
    expect(after.live).toBe(s.live)
    expect((await t.sh(`readlink ${t.root}/live`)).trim()).toBe(`trees/${s.live}`)
    await run('chown', [`${t.sshd.user}:${t.sshd.user}`, `${t.root}/trees/${s.live}/config.php`])
  })

  it('drift is found before a tree is overwritten, saved as a patch that applies, and reported', async () => {
    const s = await state()
    const live = `${t.root}/trees/${s.live}`
    await t.sh(`echo '// hotfix by hand' >> ${live}/mod/forum/lib.php && echo '<?php // new' > ${live}/local_hack.php && rm ${live}/index.php`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3' })
    expect(r.code, r.stdout).toBe(0)
    const drift = r.report!.hosts[0].drift
    expect(drift).toHaveLength(1)
    expect(drift[0].role).toBe('live')
    expect(drift[0].files).toEqual(
      expect.arrayContaining([
        { path: 'mod/forum/lib.php', status: 'modified' },
        { path: 'local_hack.php', status: 'untracked' },
        { path: 'index.php', status: 'deleted' },
      ]),
    )
    expect(drift[0].files).toHaveLength(3)
    expect(r.stdout).toMatch(/::warning::3 file\(s\) of the live tree .* were changed by hand/)
    expect(r.summary).toContain('changed by hand')
    // The patch brings a clean checkout of the old revision to the hand-edited content.
    const patch = drift[0].patch as string
    await t.sh(`rm -rf /tmp/dlv-apply && git clone -q ${repo.dir} /tmp/dlv-apply && cd /tmp/dlv-apply && git checkout -q ${repo.commits.v2} && git apply ${patch}`)
    expect(await t.sh('cat /tmp/dlv-apply/mod/forum/lib.php')).toContain('hotfix by hand')
    expect(await t.sh('cat /tmp/dlv-apply/local_hack.php')).toContain('new')
    expect(await t.sh('test -e /tmp/dlv-apply/index.php || echo deleted')).toContain('deleted')
    await t.sh('rm -rf /tmp/dlv-apply')
    // The untracked file was not deleted by the update (it is reported, and kept).
    const after = await state()
    expect(await t.sh(`cat ${t.root}/trees/${after.live}/local_hack.php`)).toContain('new')
    expect(await t.sh(`cat ${t.root}/trees/${after.live}/mod/forum/lib.php`)).not.toContain('hotfix')
  })

  it('on-drift: fail stops deliver before anything changes', async () => {
    const s = await state()
    await t.sh(`echo '// again' >> ${t.root}/trees/${s.live}/mod/forum/view.php`)
    const before = await fingerprint()
    const treesSum = () => t.sh(`cd ${t.root} && readlink live && find trees -type f -not -path '*/.git' -print0 | sort -z | xargs -0 md5sum | md5sum`)
    const treesBefore = await treesSum()
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2', 'on-drift': 'fail', 'dry-run': 'true' })
    expect(r.code).toBe(1)
    expect(r.report?.hosts[0].error).toMatch(/on-drift is fail, so nothing was changed/)
    expect(await fingerprint()).toBe(before)
    const real = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2', 'on-drift': 'fail' })
    expect(real.code).toBe(1)
    expect(real.report?.hosts[0].error).toMatch(/mod\/forum\/view\.php.*on-drift is fail, so nothing was changed \(the changes are saved in .*\.patch\)/)
    const after = await state()
    expect(after.live).toBe(s.live)
    expect(after.state).toBe('production')
    expect(real.report?.hosts[0].steps.map((x) => x.name)).not.toContain('syncback')
    // The trees and live are as they were (only the patch and the journal were written).
    expect(await treesSum()).toBe(treesBefore)
    await t.sh(`cd ${t.root}/trees/${s.live} && git checkout -q -- mod/forum/view.php && rm -f local_hack.php`)
  })

  it('a dry run reports the files it would change and writes nothing', async () => {
    const before = await fingerprint()
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v1', 'dry-run': 'true' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report?.dryRun).toBe(true)
    const h = r.report!.hosts[0]
    expect(h.plan?.join('\n')).toMatch(/copy the whole tree .*\n.*switch live .*\n.*update trees\/.* to [0-9a-f]{40}/)
    expect(h.files.renamed).toEqual([{ from: 'theme/boost/settings.php', to: 'theme/boost/config.php' }])
    expect(h.files.added).toContain('lib/old.php')
    expect(r.summary).toContain('Dry run')
    expect(await fingerprint()).toBe(before)
    for (const mode of ['syncback', 'goback', 'init']) {
      const d = await runAction({ ...t.base, mode, repository: repo.dir, 'dry-run': 'true' })
      expect(d.code, `${mode}: ${d.stdout}`).toBe(mode === 'init' ? 1 : 0)
    }
    expect(await fingerprint()).toBe(before)
  })

  it('adopt copies an existing working copy whole: history, local changes, untracked files, config.php', async () => {
    const old = `/tmp/dlv-adopt-${Math.random().toString(36).slice(2, 8)}`
    const root = `${t.root}-adopted`
    await t.sh(`git clone -q ${repo.dir} ${old} && cd ${old} && git checkout -q ${repo.commits.v2} && echo '<?php // cfg' > config.php && echo '// local' >> index.php && mkdir -p local/custom && echo x > local/custom/version.php && mkdir -p ${root}`)
    try {
      const r = await runAction({ ...t.base, path: root, mode: 'init', adopt: old })
      expect(r.code, r.stdout).toBe(0)
      const s = await readServerJson<State & { repository: string }>(t, `${root}/.delivery/state.json`)
      expect(s.repository).toBe(repo.dir)
      for (const id of [s.live, s.safe]) {
        expect(s.trees[id].revision).toBe(repo.commits.v2)
        expect(await t.sh(`cat ${root}/trees/${id}/config.php ${root}/trees/${id}/local/custom/version.php`)).toBe('<?php // cfg\nx\n')
        expect(await t.sh(`tail -1 ${root}/trees/${id}/index.php`)).toBe('// local\n')
      }
      const st = await runAction({ ...t.base, path: root, mode: 'status' })
      expect(st.code, st.stdout).toBe(0)
      const files = st.report!.hosts[0].drift[0].files.map((f) => f.path).sort()
      expect(files).toEqual(['index.php', 'local/custom/version.php'])
      const notGit = await runAction({ ...t.base, path: `${root}2`, mode: 'init', adopt: '/etc/ssh' })
      expect(notGit.code).toBe(1)
      expect(notGit.report?.hosts[0].error).toMatch(/not a git working copy/)
    } finally {
      await run('rm', ['-rf', old, root, `${root}2`])
    }
  })

  it('a full disk fails the update cleanly: live stays complete, the lock is released, and the next run succeeds', async () => {
    const root = `${t.root}-tiny`
    await run('mkdir', ['-p', root])
    await run('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', root])
    try {
      await run('chown', [`${t.sshd.user}:`, root])
      expect((await runAction({ ...t.base, path: root, mode: 'init', repository: repo.dir, ref: 'v1' })).code).toBe(0)
      // A commit too big for the disk that is left.
      const big = await repo.commit('big data', { 'lib/big.bin': Buffer.alloc(2_500_000, 7).toString('base64') })
      const r = await runAction({ ...t.base, path: root, mode: 'deliver', repository: repo.dir, ref: big })
      expect(r.code).toBe(1)
      expect(r.report?.hosts[0].error, r.stdout).toMatch(/Out of diskspace|No space left on device/)
      expect(r.report?.hosts[0].drift).toEqual([])
      const s = await readServerJson<State>(t, `${root}/.delivery/state.json`)
      expect(await t.sh(`cd ${root}/live && git status --porcelain --untracked-files=no && test -f index.php && echo complete`)).toBe('complete\n')
      expect(s.trees[s.live].revision).toBe(repo.commits.v1)
      expect(await t.sh(`test -e ${root}/.delivery/lock || echo released`)).toContain('released')
      await run('mount', ['-o', 'remount,size=64m', root])
      const again = await runAction({ ...t.base, path: root, mode: 'deliver', repository: repo.dir, ref: big })
      expect(again.code, again.stdout).toBe(0)
      expect(await t.sh(`test -s ${root}/live/lib/big.bin && echo there`)).toContain('there')
    } finally {
      await run('umount', ['-l', root])
      await run('rm', ['-rf', root])
    }
  })
})

describe('syncback compares exactly', () => {
  it('copies a same-size change made within the same second (nanosecond timestamps)', async () => {
    expect((await runAction({ ...t.base, mode: 'syncback' })).code).toBe(0)
    const s = await state()
    const live = `${t.root}/trees/${s.live}/mod/forum/lib.php`
    const safe = `${t.root}/trees/${s.safe}/mod/forum/lib.php`
    const [sec, ns] = (await t.sh(`stat -c '%Y %y' ${safe}`)).trim().split(' ').reduce<[string, string]>((acc, v, i) => (i === 0 ? [v, ''] : i === 2 ? [acc[0], v.split('.')[1] ?? '0'] : acc), ['', ''])
    // Same size, same second, other content: only the nanoseconds tell the two files apart.
    const content = await t.sh(`cat ${live}`)
    const changed = content.replace(/[a-z]/, (c) => (c === 'z' ? 'y' : String.fromCharCode(c.charCodeAt(0) + 1)))
    expect(changed.length).toBe(content.length)
    await t.sh(`printf '%s' '${changed.replace(/'/g, "'\\''")}' > ${live} && touch -d "@${sec}.${String((Number(ns.slice(0, 9).padEnd(9, '0')) + 1) % 1e9).padStart(9, '0')}" ${live}`)
    expect((await t.sh(`stat -c %Y ${live}`)).trim()).toBe(sec)
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code, r.stdout).toBe(0)
    expect(await t.sh(`cat ${safe}`)).toBe(changed)
  })
})

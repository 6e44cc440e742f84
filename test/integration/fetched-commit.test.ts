/**
 * deliver updates the work tree to the commit its checks fetched, not to wherever the branch points by the time the
 * update runs: what was checked before anything changed is what goes live, and the update does not fetch again.
 * A reference-transaction hook in the server's object store moves the repository's branch the moment the checks'
 * fetch lands, as a push in the middle of a run would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { type GitRepo, makePlainGitRepo } from '../helpers/gitrepo.js'

interface State {
  live: string
  trees: Record<string, { revision: string }>
}

let t: Target
let repo: GitRepo

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makePlainGitRepo(t.sshd.user, { 'index.php': '<?php // 0\n' })
  const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'main' })
  expect(r.code, r.stderr).toBe(0)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

describe('the commit fetched by the checks is the one delivered', () => {
  it('keeps to it when the branch moves during the run', async () => {
    const checked = await repo.commit('checked', { 'index.php': '<?php // checked\n' })
    const pushedMeanwhile = await repo.commit('pushed meanwhile', { 'index.php': '<?php // pushed meanwhile\n' })
    await repo.exec(`git -C ${repo.dir} update-ref refs/heads/main ${checked}`)
    const hook = `${t.root}/.delivery/repo.git/hooks/reference-transaction`
    await t.sh(`mkdir -p ${t.root}/.delivery/repo.git/hooks && cat > ${hook} <<'EOF'
#!/bin/sh
# Moves the branch once, when the checks' fetch of the ref lands in the store.
[ "$1" = committed ] || exit 0
grep -q ' refs/delivery/incoming$' || exit 0
[ -e ${t.root}/.delivery/moved ] && exit 0
touch ${t.root}/.delivery/moved
env -u GIT_DIR -u GIT_INDEX_FILE -u GIT_WORK_TREE git --git-dir=${repo.dir} update-ref refs/heads/main ${pushedMeanwhile}
EOF
chmod 755 ${hook}`)
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'main' })
    expect(r.code, r.stderr + JSON.stringify(r.report?.hosts[0].error)).toBe(0)
    // The hook ran: the branch moved during the run.
    expect((await repo.exec(`git -C ${repo.dir} rev-parse refs/heads/main`)).trim()).toBe(pushedMeanwhile)
    const s = await readServerJson<State>(t, `${t.root}/.delivery/state.json`)
    expect(s.trees[s.live].revision).toBe(checked)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toBe('<?php // checked\n')
    const update = r.report!.hosts[0].steps.find((x) => x.name === 'update') as { detail?: string }
    expect(update.detail).toContain(checked)
    await t.sh(`rm -f ${hook}`)
    // The next delivery takes the commit pushed meanwhile.
    const next = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'main' })
    expect(next.code, next.stderr).toBe(0)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toBe('<?php // pushed meanwhile\n')
  })
})

/**
 * deliver's syncback falls back to the full comparison whenever what the fast path relies on is not known: syncback
 * run on its own, `verify: full`, a dry run, a tree holding paths from another ref, a revision the object store lacks,
 * an earlier syncback cut off, a link planted at a parent of a path to copy. The report says which comparison ran and
 * why, and the safe tree ends identical to what the live tree held. A hostile `verify` is refused before connecting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { type GitRepo, makePlainGitRepo } from '../helpers/gitrepo.js'

interface Tree {
  id: string
  revision: string
  head?: string
  paths?: unknown[]
  syncing?: unknown
}
interface State {
  live: string
  safe: string
  trees: Record<string, Tree>
}

let t: Target
let repo: GitRepo
let round = 0

const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
const MANIFEST = `cd "$1"; find . -name .git -prune -o ! -path . -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
  if [ -L "$f" ]; then printf 'L %s -> %s\\n' "$f" "$(readlink -- "$f")"
  elif [ -d "$f" ]; then printf 'D %s %s\\n' "$(stat -c %a -- "$f")" "$f"
  else printf 'F %s %s %s\\n' "$(stat -c %a -- "$f")" "$f" "$(sha256sum < "$f" | cut -c1-16)"; fi
done`
const manifest = (id: string) => t.sh(`set -- '${t.root}/trees/${id}'\n${MANIFEST}`)

/** Edits state.json on the server as a cut-off run or a hand would leave it. */
async function editState(change: (s: State) => void): Promise<void> {
  const s = await state()
  change(s)
  await t.sh(`cat > ${t.root}/.delivery/state.json <<'EOF'\n${JSON.stringify(s, null, 2)}\nEOF`)
}

/** A new commit, a hand edit in the live tree, a deliver; returns the syncback step's detail. */
async function deliver(extra: Record<string, string> = {}, expectCode = 0): Promise<string> {
  round++
  await repo.commit(`round ${round}`, { [`d0/f${round}.php`]: `<?php // ${round}\n`, 'd1/a.php': `<?php // a ${round}\n` })
  const s0 = await state()
  await t.sh(`echo "hand ${round}" > ${t.root}/trees/${s0.live}/hand${round}.txt`)
  const before = await manifest(s0.live)
  const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'main', ...extra })
  expect(r.code, r.stderr + JSON.stringify(r.report?.hosts[0].error)).toBe(expectCode)
  const step = r.report!.hosts[0].steps.find((x) => x.name === 'syncback') as { detail?: string }
  if (extra['dry-run'] !== 'true') expect(await manifest((await state()).safe)).toBe(before)
  return step.detail ?? ''
}

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makePlainGitRepo(t.sshd.user, { '.gitignore': '*.log\n', 'd0/f0.php': '<?php\n', 'd1/a.php': '<?php\n' })
  const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'main' })
  expect(r.code, r.stderr).toBe(0)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

const FAST = /compared the \d+ path\(s\) that differ between the recorded commits/

describe("deliver's syncback falls back to the full comparison", () => {
  it('uses the fast path when all is known, and the journal says so', async () => {
    expect(await deliver()).toMatch(FAST)
    const last = (await t.sh(`grep '"syncback"' ${t.root}/.delivery/journal.jsonl | tail -1`)).trim()
    expect(JSON.parse(last)).toMatchObject({ comparison: 'fast' })
  })

  it('verify: full compares the whole trees', async () => {
    expect(await deliver({ verify: 'full' })).toMatch(/full comparison: verify: full\)/)
    const last = (await t.sh(`grep '"syncback"' ${t.root}/.delivery/journal.jsonl | tail -1`)).trim()
    expect(JSON.parse(last)).toMatchObject({ comparison: 'full', why: 'verify: full' })
  })

  it('a dry run compares the whole trees (and changes nothing)', async () => {
    const before = await t.sh(`cat ${t.root}/.delivery/state.json`)
    expect(await deliver({ 'dry-run': 'true' })).toMatch(/full comparison: a dry run\)/)
    expect(await t.sh(`cat ${t.root}/.delivery/state.json`)).toBe(before)
  })

  it('syncback run on its own compares everything', async () => {
    const s0 = await state()
    await t.sh(`echo alone > ${t.root}/trees/${s0.live}/alone.txt`)
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code, r.stderr).toBe(0)
    const step = r.report!.hosts[0].steps.find((x) => x.name === 'syncback') as { detail?: string }
    expect(step.detail).toMatch(/full comparison: syncback on its own compares everything\)/)
    expect(await manifest(s0.safe)).toBe(await manifest(s0.live))
  })

  it('an earlier syncback cut off (the mark left in state.json): the whole trees are compared, and the mark is cleared', async () => {
    await editState((s) => {
      s.trees[s.safe].syncing = { runId: 'cut-off-run', at: new Date().toISOString() }
    })
    expect(await deliver()).toMatch(/full comparison: an earlier syncback into \S+ was cut off \(run cut-off-run\)\)/)
    const s = await state()
    for (const tr of Object.values(s.trees)) expect(tr.syncing).toBeUndefined()
    expect(await deliver()).toMatch(FAST)
  })

  it("a tree's revision the object store lacks: the whole trees are compared", async () => {
    await editState((s) => {
      s.trees[s.safe].revision = 'a'.repeat(40)
      delete s.trees[s.safe].head
    })
    expect(await deliver()).toMatch(/full comparison: commit a{40} is not in the object store\)/)
  })

  it("a tree whose HEAD is not its recorded commit: the whole trees are compared", async () => {
    const s = await state()
    await t.sh(`git -C ${t.root}/trees/${s.safe} checkout -q --detach HEAD~1`)
    expect(await deliver()).toMatch(/full comparison: the safe tree's HEAD is not the commit recorded for it\)/)
  })

  it('a link planted in the safe tree at a parent of a path to copy: nothing is written through it', async () => {
    const outside = (await t.sh('mktemp -d /tmp/dlv-outside-XXXXXX')).trim()
    try {
      await t.sh(`echo keep > ${outside}/a.php`)
      const s = await state()
      await t.sh(`rm -rf ${t.root}/trees/${s.safe}/d1 && ln -s ${outside} ${t.root}/trees/${s.safe}/d1`)
      expect(await deliver()).toMatch(/full comparison: a link stands at d1\)/)
      expect(await t.sh(`ls -A ${outside}; cat ${outside}/a.php`)).toBe('a.php\nkeep\n')
    } finally {
      await t.sh(`rm -rf ${outside}`)
    }
  })

  it('a tree holding paths taken from another ref (a partial update): the whole trees are compared', async () => {
    // The partial delivery's own syncback still knows everything; the tree it leaves live holds paths from main.
    expect(await deliver({ paths: 'd1' })).toMatch(FAST)
    expect(await deliver()).toMatch(/full comparison: tree \S+ holds paths taken from another ref \(d1\)\)/)
  })

  it('a hostile verify is refused before any connection, naming the input', async () => {
    const before = t.sshd.connectionCount()
    const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, verify: 'fast; touch /tmp/pwned-verify' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/Input 'verify'.*not one of auto, full/)
    expect(r.stdout).toContain('nothing was done on any server')
    expect(t.sshd.connectionCount()).toBe(before)
    expect(await t.sh('test -e /tmp/pwned-verify && echo PWNED || echo clean')).toContain('clean')
  })
})

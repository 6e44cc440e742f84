/**
 * deliver's syncback copies only what can differ (the diff between the trees' recorded commits, the drift just found,
 * the ignored files): a property test over random change sets, in the repository (adds, deletes, renames, chmod +x,
 * symlinks, a link replaced by a file and back, a file replaced by a folder and back) and on the server (hand edits
 * that keep size and mtime, untracked files, ignored files, deletions, in the live tree and in the safe tree). After
 * every delivery the safe tree must be, byte for byte (content, mode, link target), what the live tree held when the
 * delivery began: a full comparison of the two, made by the test. The seed is printed on failure (DLV_SEED=n reruns it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { type GitRepo, makePlainGitRepo } from '../helpers/gitrepo.js'
import { prng } from '../helpers/prng.js'

interface State {
  live: string
  safe: string
  trees: Record<string, { id: string; revision: string; head?: string }>
}

let t: Target
let repo: GitRepo

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * Every entry of a tree but `.git` (at any depth), sorted: type, mode, path, and the content's hash or the link's
 * target. Folders are listed too (an emptied folder left behind is a difference).
 */
const MANIFEST = `cd "$1"
find . -name .git -prune -o ! -path . -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
  if [ -L "$f" ]; then printf 'L %s -> %s\\n' "$f" "$(readlink -- "$f")"
  elif [ -d "$f" ]; then printf 'D %s %s\\n' "$(stat -c %a -- "$f")" "$f"
  else printf 'F %s %s %s\\n' "$(stat -c %a -- "$f")" "$f" "$(sha256sum < "$f" | cut -c1-16)"; fi
done`

const manifest = (dir: string) => t.sh(`set -- ${q(dir)}\n${MANIFEST}`)
const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  const files: Record<string, string> = { '.gitignore': '*.log\ncache/\n' }
  for (let i = 0; i < 12; i++) files[`d${i % 3}/f${i}.php`] = `<?php // file ${i}\n`
  repo = await makePlainGitRepo(t.sshd.user, files)
  const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'main' })
  expect(r.code, r.stderr).toBe(0)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

/** A random change set committed to the repository (shell run in the work clone). */
function repoChanges(rnd: () => number, round: number, tracked: string[]): string {
  const pick = () => tracked[Math.floor(rnd() * tracked.length)]
  const cmds: string[] = []
  const n = 2 + Math.floor(rnd() * 4)
  for (let i = 0; i < n; i++) {
    const f = pick()
    const k = rnd()
    if (k < 0.2) cmds.push(`mkdir -p d${i % 4}; echo "<?php // new ${round}.${i}" > d${i % 4}/n${round}_${i}.php`)
    else if (k < 0.3) cmds.push(`rm -f -- ${q(f)}`)
    else if (k < 0.4) cmds.push(`if [ -f ${q(f)} ] || [ -L ${q(f)} ]; then mv -- ${q(f)} ${q(`${f}.r${round}`)}; fi`)
    else if (k < 0.5) cmds.push(`[ -f ${q(f)} ] && [ ! -L ${q(f)} ] && chmod +x -- ${q(f)} || true`)
    else if (k < 0.6) cmds.push(`ln -sfn ../d0 link${round}_${i}; ln -sfn f0.php d0/l${round}`)
    else if (k < 0.68) cmds.push(`for l in link*; do [ -L "$l" ] || continue; rm -f -- "$l"; echo "now a file" > "$l"; break; done`)
    else if (k < 0.76) cmds.push(`for l in link*; do [ -f "$l" ] && [ ! -L "$l" ] || continue; rm -f -- "$l"; ln -s d1 "$l"; break; done`)
    else if (k < 0.84) cmds.push(`[ -f ${q(f)} ] && [ ! -L ${q(f)} ] && { rm -f -- ${q(f)}; mkdir -p -- ${q(f)}; echo inner > ${q(`${f}/inner.php`)}; } || true`)
    else if (k < 0.9) cmds.push(`for d in */*.php; do [ -d "$d" ] || continue; rm -rf -- "$d"; echo "a file again" > "$d"; break; done`)
    else cmds.push(`[ -f ${q(f)} ] && [ ! -L ${q(f)} ] && echo "// edit ${round}.${i}" >> ${q(f)} || true`)
  }
  return cmds.join('\n')
}

/** A random set of hand-made changes on the server in a tree (as its code owner). */
function serverChanges(rnd: () => number, round: number, dir: string, tracked: string[]): string {
  const cmds: string[] = [`cd ${q(dir)}`]
  const pick = () => tracked[Math.floor(rnd() * tracked.length)]
  const n = 1 + Math.floor(rnd() * 4)
  for (let i = 0; i < n; i++) {
    const f = q(pick())
    const k = rnd()
    // An edit that keeps the size and the mtime: only the content (and the ctime, which no one can set) changes.
    if (k < 0.3) cmds.push(`if [ -f ${f} ] && [ ! -L ${f} ] && [ -s ${f} ]; then m=$(stat -c %y -- ${f}); s=$(stat -c %s -- ${f}); head -c "$s" /dev/zero | tr '\\0' X > ${f}; touch -d "$m" -- ${f}; fi`)
    else if (k < 0.45) cmds.push(`mkdir -p hand; echo "untracked ${round}.${i}" > hand/u${round}_${i}.txt`)
    else if (k < 0.6) cmds.push(`mkdir -p d1/cache; echo "ignored ${round}.${i}" > d1/cache/c${i}.bin; echo "log ${round}" >> d2.log`)
    else if (k < 0.7) cmds.push(`[ -f ${f} ] && rm -f -- ${f} || true`)
    else if (k < 0.8) cmds.push(`[ -f ${f} ] && [ ! -L ${f} ] && chmod +x -- ${f} || true`)
    else if (k < 0.9) cmds.push(`for x in *.log d1/cache/*; do [ -f "$x" ] && rm -f -- "$x" && break; done; true`)
    else cmds.push(`[ -f ${f} ] && [ ! -L ${f} ] && echo "// hand ${round}" >> ${f} || true`)
  }
  return cmds.join('\n')
}

const ROUNDS = 5

describe("deliver's syncback: fast path against the full comparison", () => {
  it(`${ROUNDS} random deliveries: the safe tree is the former live tree, byte for byte, and the fast path was used`, async () => {
    const seed = process.env.DLV_SEED ? Number(process.env.DLV_SEED) : Math.floor(Math.random() * 2 ** 31)
    const rnd = prng(seed)
    const why = (round: number, what: string) => `seed ${seed} (rerun with DLV_SEED=${seed}), round ${round}: ${what}`
    for (let round = 1; round <= ROUNDS; round++) {
      const tracked = (await repo.exec('git ls-files')).trim().split('\n').filter(Boolean)
      await repo.exec(`${repoChanges(rnd, round, tracked)}\ngit add -A && git commit -q --allow-empty -m "round ${round}" && git push -q origin HEAD:main`)
      const s0 = await state()
      await t.sh(serverChanges(rnd, round, `${t.root}/trees/${s0.live}`, tracked))
      if (rnd() < 0.5) await t.sh(serverChanges(rnd, round + 100, `${t.root}/trees/${s0.safe}`, tracked))
      const before = await manifest(`${t.root}/trees/${s0.live}`)

      const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'main' })
      expect(r.code, why(round, r.stderr + JSON.stringify(r.report?.hosts[0].error))).toBe(0)
      const step = r.report!.hosts[0].steps.find((x) => x.name === 'syncback') as { detail?: string }
      expect(step.detail, why(round, 'the fast path was used')).toMatch(/compared the \d+ path\(s\) that differ/)

      const s1 = await state()
      const after = await manifest(`${t.root}/trees/${s1.safe}`)
      expect(after, why(round, 'the safe tree holds what the live tree held')).toBe(before)
    }
    // A bound for a loaded machine (five deliveries take about 30 s on a quiet one), not a timed assertion.
  }, 180_000)
})

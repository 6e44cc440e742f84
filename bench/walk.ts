/**
 * What the drift check's walk of a tree costs, part by part, and the least a record of the tree's folders could save:
 * on a synthetic Moodle-shaped tree of each of `--sizes` files (bench/lib/tree.ts, with a config.php and a vendor/
 * folder that .gitignore names, and an untracked file), `--runs` times each, in turn:
 *
 * - `status`: the drift check's own `git status` (every tracked file stat'ed, every folder read: untracked and ignored
 *   files listed);
 * - `tracked`: the same with `--untracked-files=no` (only the stat of every tracked file);
 * - `folders read`: `find` reading every folder (no stat of the files): the walk alone;
 * - `folders stat'ed`: `stat` of every folder from a list made beforehand (no read): the least a record of folders
 *   (git's untracked cache, or one of our own keyed by relative path) must do to know which folders changed.
 *
 * The least such a record could make of the check is `tracked` + `folders stat'ed`. No delivery runs here: the commands run on the repository itself, as root, with a
 * warm cache (one run of each first, not counted).
 *
 *   node bench/run.mjs walk [--sizes 10000,30000,100000] [--runs 5]
 */
import { writeFile } from 'node:fs/promises'
import { timed } from './lib/site.js'
import { makeTreeRepo } from './lib/tree.js'
import { defer, list, load, machine, median, options, runMain, say, table, writeResults } from './lib/util.js'

const STATUS = ['-c', 'status.showUntrackedFiles=all', 'status', '--porcelain=v1', '-z', '--no-renames', '--ignore-submodules=all']
const PARTS = {
  status: (dir: string) => ['git', ['-C', dir, ...STATUS, '--ignored=matching']],
  tracked: (dir: string) => ['git', ['-C', dir, ...STATUS, '--untracked-files=no']],
  'folders read': (dir: string) => ['sh', ['-c', 'find "$1" -name .git -prune -o -type d -print0 > /dev/null', 'find', dir]],
  "folders stat'ed": (dir: string) => ['sh', ['-c', 'cd "$1" && xargs -0 stat -c "%Z %Y %i" < .git/folders > /dev/null', 'stat', dir]],
} as const satisfies Record<string, (dir: string) => [string, string[]]>
type Part = keyof typeof PARTS

async function main() {
  const o = options({ sizes: '10000,30000,100000', runs: '5' })
  const info = await machine()
  const loads = [load()]
  const sizes: { files: number; folders: number; ms: Record<Part, number[]> }[] = []
  for (const files of list(o.sizes)) {
    say(`walk: a tree of ${files} files`)
    const repo = await makeTreeRepo('root', files, { page: false })
    defer(() => repo.remove())
    const dir = repo.dir
    await writeFile(`${dir}/.gitignore`, '/config.php\n/vendor/\n')
    await writeFile(`${dir}/config.php`, '<?php // site config\n')
    const r0 = await timed('sh', ['-c', 'set -e; mkdir -p vendor/a; for i in 1 2 3; do echo x > vendor/a/f$i; done; echo x > untracked.txt; git add .gitignore; git -c user.name=b -c user.email=b@x commit -qm ignore; find . -name .git -prune -o -type d -print0 > .git/folders; tr -cd "\\0" < .git/folders | wc -c'], { cwd: dir })
    if (r0.code !== 0) throw new Error(`walk: preparing the tree failed: ${r0.stderr}`)
    const folders = Number(r0.stdout.trim())
    const ms = Object.fromEntries(Object.keys(PARTS).map((k) => [k, [] as number[]])) as Record<Part, number[]>
    const parts = Object.keys(PARTS) as Part[]
    const once = async (part: Part, [file, args]: [string, string[]], run: number) => {
      const r = await timed(file, [...args])
      if (r.code !== 0) throw new Error(`walk: ${part} failed (${r.code}): ${r.stderr}`)
      if (run >= 0) ms[part].push(r.ms)
    }
    for (let run = -1; run < Number(o.runs); run++) {
      // The order turns with each run, so that no part always runs on a cache the one before warmed.
      for (let i = 0; i < parts.length; i++) {
        const part = parts[(i + Math.max(run, 0)) % parts.length]
        await once(part, PARTS[part](dir), run)
      }
    }
    loads.push(load())
    sizes.push({ files, folders, ms })
    say(`walk: ${files} files, ${folders} folders: ${parts.map((p) => `${p} ${median(ms[p]).toFixed(0)} ms`).join(', ')}`)
    await repo.remove()
  }
  const all = Object.keys(PARTS) as Part[]
  const rows = sizes.map((s) => [s.files, s.folders, ...all.map((p) => `${median(s.ms[p]).toFixed(0)} ms`)])
  const md = table(['files', 'folders', ...all], rows)
  const file = writeResults('walk', { options: o, machine: info, loads, sizes })
  process.stdout.write(`\n${md}\n\nresults: ${file}\n`)
}

await runMain(main)

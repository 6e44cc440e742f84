/**
 * Synthetic Moodle-shaped code trees in a git repository: plugin folders (mod/, blocks/, admin/tool/, question/type/…)
 * each with version.php, lib.php, lang/en/, db/, classes/, templates/, amd/src + amd/build, tests/, pix/; PHP-like
 * text files whose sizes follow a log-normal law (median 5 KB, mean ≈ 13 KB: ≈ 400 MB at 30 000 files, close to a
 * Moodle 4.x checkout). Everything is generated from a fixed seed, so a size always gives the same tree.
 *
 * The repository is a plain (non-bare) git repository owned by a local user; its path is the repository URL for the
 * deliveries. `change(k)` commits a change of k files (a few lines each, as real fixes are) and returns the commit.
 * Two files name the commit they come from, for the page the load generator asks for: `index.php` (its own label) and
 * `lib/benchrev.php` (included by it): a response from one tree shows both, and they differ when a request ran across
 * a swap of the code directory.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { prng } from '../../test/helpers/prng.js'
import { runAs } from '../../test/helpers/proc.js'
import { sh } from './util.js'

const TYPES = [
  'mod', 'blocks', 'local', 'admin/tool', 'question/type', 'question/behaviour', 'auth', 'enrol', 'filter', 'report',
  'theme', 'course/format', 'lib/editor/tiny/plugins', 'availability/condition', 'grade/report', 'repository',
  'message/output', 'mod/quiz/report', 'mod/assign/submission', 'mod/assign/feedback', 'qbank', 'customfield/field',
  'payment/gateway', 'tool/dataprivacy', 'media/player', 'webservice', 'plagiarism', 'contentbank/contenttype',
]
const SYL = ['for', 'um', 'qui', 'z', 'as', 'sign', 'wi', 'ki', 'lab', 'el', 'book', 'page', 'da', 'ta', 'glo', 'ss', 'ary',
  'cho', 'ice', 'feed', 'back', 'les', 'son', 'sco', 'rm', 'work', 'shop', 'url', 'res', 'ource', 'chat', 'sur', 'vey']
const WORDS = ['$this', '$DB', '$CFG', '$USER', '$PAGE', '$OUTPUT', 'function', 'return', 'array', 'string', 'int', 'bool',
  'global', 'require_once', 'get_string', 'context_module', 'moodle_url', 'html_writer', 'get_record', 'get_records_sql',
  '->', '::', '=>', '(', ')', '[', ']', '{', '}', ';', 'if', 'else', 'foreach', 'as', 'new', 'null', 'true', 'false',
  'public', 'protected', 'private', 'static', 'const', 'self', 'throw', 'coding_exception', 'required_param',
  'optional_param', 'PARAM_INT', 'PARAM_TEXT', 'course', 'cm', 'instance', 'userid', 'timemodified', 'capability']

/** A pool of PHP-like lines; files are drawn from it. */
function linePool(rand: () => number, n = 4096): string[] {
  const pool: string[] = []
  for (let i = 0; i < n; i++) {
    const indent = ' '.repeat(4 * Math.floor(rand() * 4))
    const words: string[] = []
    const len = 3 + Math.floor(rand() * 14)
    for (let j = 0; j < len; j++) words.push(WORDS[Math.floor(rand() * WORDS.length)])
    if (rand() < 0.15) words.push(`// ${Math.floor(rand() * 1e9).toString(36)} ${SYL[Math.floor(rand() * SYL.length)]}`)
    pool.push(indent + words.join(' '))
  }
  return pool
}

/** Log-normal file size: median 5 000 bytes, σ 1.4 (mean ≈ 13 300 bytes), between 60 bytes and 1 MiB. */
function fileSize(rand: () => number): number {
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
  return Math.max(60, Math.min(1 << 20, Math.round(5000 * Math.exp(1.4 * z))))
}

/** `count` Moodle-shaped relative paths (root files first). */
export function treePaths(count: number, rand: () => number): string[] {
  const paths = ['version.php', 'config-dist.php', 'README.txt', 'lib/setup.php', 'lib/moodlelib.php', 'lib/weblib.php']
  const seen = new Set<string>()
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]
  while (paths.length < count) {
    let name = ''
    while (!name || seen.has(name)) name = `${pick(SYL)}${pick(SYL)}${Math.floor(rand() * 1000)}`
    seen.add(name)
    const base = `${pick(TYPES)}/${name}`
    const files = ['version.php', 'lib.php', 'settings.php', `lang/en/${name}.php`, 'db/access.php', 'db/install.xml', 'db/upgrade.php', 'pix/icon.svg']
    const n = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1))
    for (let i = n(2, 20); i > 0; i--) files.push(`classes/${pick(['', 'external/', 'output/', 'local/', 'privacy/', 'task/'])}${pick(SYL)}${pick(SYL)}_${i}.php`)
    for (let i = n(0, 8); i > 0; i--) files.push(`templates/${pick(SYL)}${pick(SYL)}_${i}.mustache`)
    for (let i = n(0, 5); i > 0; i--) {
      const m = `${pick(SYL)}${pick(SYL)}_${i}`
      files.push(`amd/src/${m}.js`, `amd/build/${m}.min.js`, `amd/build/${m}.min.js.map`)
    }
    for (let i = n(1, 6); i > 0; i--) files.push(`tests/${pick(SYL)}${pick(SYL)}_${i}_test.php`)
    for (let i = n(0, 3); i > 0; i--) files.push(`tests/behat/${pick(SYL)}_${i}.feature`)
    if (rand() < 0.5) files.push('styles.css')
    for (const f of new Set(files)) paths.push(`${base}/${f}`)
  }
  return paths.slice(0, count)
}

/** The text of one generated file. */
function fileText(path: string, size: number, pool: string[], rand: () => number): string {
  const parts = [`<?php\n// This file is part of a synthetic Moodle-shaped tree: ${path}\n\ndefined('MOODLE_INTERNAL') || die();\n\n`]
  let n = parts[0].length
  while (n < size) {
    const line = pool[Math.floor(rand() * pool.length)]
    parts.push(line, '\n')
    n += line.length + 1
  }
  return parts.join('')
}

/** The files that name the commit they come from (see the top of this file). */
export function pageFiles(label: string): Record<string, string> {
  return {
    'index.php': `<?php
// The page the load generator asks for: which tree served it, and which commit its code comes from.
$indexrev = '${label}';
require __DIR__ . '/lib/benchrev.php';
header('Content-Type: text/plain');
echo 'tree=' . basename(__DIR__) . ' index=' . $indexrev . ' lib=' . BENCH_LIB_REV . "\\n";
`,
    'lib/benchrev.php': `<?php\nconst BENCH_LIB_REV = '${label}';\n`,
  }
}

export interface TreeRepo {
  /** The repository (a non-bare git repository; its path is the URL). */
  dir: string
  owner: string
  /** Tracked files (relative paths), bytes of the working files at the first commit. */
  files: string[]
  bytes: number
  /** Commit -> label ('c0', 'c1'…). */
  labels: Map<string, string>
  head: string
  /** Commits a change of `k` files (the page's two files among them, when the tree has the page); returns the commit. */
  change(k: number): Promise<string>
  /** Commits exactly these files (path -> content); returns the commit. */
  commitFiles(files: Record<string, string>, label?: string): Promise<string>
  remove(): Promise<void>
}

/**
 * Generates a tree of `count` files (plus `extra` files, written as given, and the page files when `page` is true),
 * commits it as `owner`, and packs it without delta search (a fetch of the whole tree then only copies the pack).
 */
export async function makeTreeRepo(owner: string, count: number, opts: { seed?: number; page?: boolean; extra?: Record<string, string> } = {}): Promise<TreeRepo> {
  const rand = prng(opts.seed ?? 20231009 + count)
  const pool = linePool(rand)
  const parent = await mkdtemp('/tmp/dlv-bench-repo-')
  await chmod(parent, 0o755)
  const dir = join(parent, 'repo')
  const page = opts.page ?? true
  const fixed: Record<string, string> = { ...(page ? pageFiles('c0') : {}), ...(opts.extra ?? {}) }
  const paths = treePaths(Math.max(0, count - Object.keys(fixed).length), rand).filter((p) => !(p in fixed))
  const made = new Set<string>()
  const write = (rel: string, text: string) => {
    const d = dirname(join(dir, rel))
    if (!made.has(d)) {
      mkdirSync(d, { recursive: true })
      made.add(d)
    }
    writeFileSync(join(dir, rel), text)
  }
  let bytes = 0
  for (const p of paths) {
    const text = fileText(p, fileSize(rand), pool, rand)
    bytes += text.length
    write(p, text)
  }
  for (const [p, text] of Object.entries(fixed)) {
    bytes += text.length
    write(p, text)
  }
  await sh(`chown -R ${owner}: ${parent}`)
  const git = async (script: string, input?: string) => {
    const r = await runAs(owner, `set -e; umask 022\n${script}`, { cwd: dir, input })
    if (r.code !== 0) throw new Error(`git as ${owner} in ${dir} failed (${r.code}): ${r.stderr}`)
    return r.stdout
  }
  await git(`git init -q -b main .
git config user.name Bench; git config user.email bench@example.invalid
git config uploadpack.allowAnySHA1InWant true
git config gc.auto 0
git add -A
git commit -q -m c0
git -c pack.compression=1 repack -adq --window=0
git rev-parse HEAD`)
  const head = (await git('git rev-parse HEAD')).trim()
  const labels = new Map([[head, 'c0']])
  const files = [...paths, ...Object.keys(fixed)]
  const changeable = paths
  let n = 0
  const repo: TreeRepo = {
    dir,
    owner,
    files,
    bytes,
    labels,
    head,
    async change(k) {
      const label = `c${++n}`
      const picked = new Set<string>()
      const wanted = Math.min(changeable.length, Math.max(0, k - (page ? 2 : 0)))
      while (picked.size < wanted) picked.add(changeable[Math.floor(rand() * changeable.length)])
      for (const p of picked) {
        const lines = readFileSync(join(dir, p), 'utf8').split('\n')
        for (let i = 0; i < 3; i++) lines[6 + Math.floor(rand() * Math.max(1, lines.length - 7))] = pool[Math.floor(rand() * pool.length)]
        lines.push(`// changed in ${label}`)
        writeFileSync(join(dir, p), lines.join('\n'))
      }
      const all = [...picked]
      if (page) {
        for (const [p, text] of Object.entries(pageFiles(label))) {
          writeFileSync(join(dir, p), text)
          all.push(p)
        }
      }
      return commit(all, label)
    },
    async commitFiles(filesToWrite, label) {
      const l = label ?? `c${++n}`
      for (const [p, text] of Object.entries(filesToWrite)) write(p, text)
      await sh(`chown -R ${owner}: ${dir}`)
      return commit(Object.keys(filesToWrite), l)
    },
    remove: () => rm(parent, { recursive: true, force: true }),
  }
  const commit = async (changed: string[], label: string): Promise<string> => {
    await git(`git add --pathspec-from-file=- --pathspec-file-nul\ngit commit -q -m ${label}`, changed.map((p) => `${p}\0`).join(''))
    const sha = (await git('git rev-parse HEAD')).trim()
    labels.set(sha, label)
    repo.head = sha
    return sha
  }
  return repo
}

/**
 * Hostile names from the repository and from the server, through every method (git, svn, cvs, push), over a real sshd:
 * trees whose files are named `-delete`, `--`, `-rf`, `--to-file=config.php`, with newlines, quotes, `$(...)`,
 * backticks, spaces, backslashes and bytes that are not UTF-8 (each method gets every name its tool can hold), plus
 * hand-made files with such names, links to a folder outside the root, and a safe tree whose `mod/forum` was made a
 * link to that folder. The cycle init, status, per-path syncback, deliver, goback runs; after each step the live tree
 * is byte for byte what it should hold, the folder outside the root is untouched, and no name was ever executed.
 */
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { run, runAs } from '../helpers/proc.js'

type Method = 'git' | 'svn' | 'cvs' | 'push'

/** A path as bytes (some names are not UTF-8). */
const b = (s: string) => Buffer.from(s, 'utf8')
const latin = (s: string) => Buffer.from(s, 'latin1')
const key = (p: Buffer) => p.toString('latin1')

interface Entry {
  path: Buffer
  content: string
  /** Tools that cannot hold this name (svn and CVS refuse control characters; svn refuses names that are not UTF-8). */
  not?: Method[]
}

/** Version 1 of the repository's tree. */
const V1: Entry[] = [
  { path: b('index.php'), content: "<?php echo 'v1';\n" },
  { path: b('config.php'), content: "<?php // SECRET-CONFIG\n" },
  { path: b('lib/setup.php'), content: '<?php // setup v1\n' },
  { path: b('lib/weblib.php'), content: '<?php // weblib\n' },
  { path: b('mod/forum/lib.php'), content: '<?php // forum v1\n' },
  { path: b('mod/forum/-n'), content: 'dash n\n' },
  { path: b('-delete/inside.php'), content: '<?php // inside -delete\n' },
  { path: b('--'), content: 'two dashes\n' },
  { path: b('-rf'), content: 'dash rf\n' },
  { path: b('--to-file=config.php'), content: 'to-file v1\n' },
  { path: b(`it's "quoted".php`), content: 'quotes\n' },
  { path: b('$(touch dlv-pwned).php'), content: 'dollar\n' },
  { path: b('`touch dlv-pwned-bq`.php'), content: 'backquote\n' },
  { path: b('with space/and more.php'), content: 'spaces\n' },
  { path: b('back\\slash.php'), content: 'backslash\n' },
  { path: b('new\nline.php'), content: 'newline\n', not: ['svn', 'cvs'] },
  { path: b('tab\there.php'), content: 'tab\n', not: ['svn', 'cvs'] },
  { path: latin('caf\xe9.php'), content: 'latin-1 name\n', not: ['svn'] },
]

/** Version 2: changes, deletes and adds hostile names. */
const V2_CHANGES: Entry[] = [
  { path: b('index.php'), content: "<?php echo 'v2';\n" },
  { path: b('--to-file=config.php'), content: 'to-file v2\n' },
  { path: b('-delete/inside.php'), content: '<?php // inside -delete v2\n' },
  { path: b('--new=1.php'), content: 'added in v2\n' },
]
const V2_DELETED = [b('-rf'), b('back\\slash.php'), b('lib/weblib.php')]

/** Hand-made files on the server (never in the repository). `outside` links are added apart. */
const DRIFT: Entry[] = [
  { path: b('-delete-me/f.php'), content: 'hand-made under -delete-me\n' },
  { path: b('-print/f.php'), content: 'hand-made under -print\n' },
  { path: b('--to-file=index.php'), content: 'HOSTILE-DRIFT\n' },
  { path: b('$(touch dlv-pwned-drift)'), content: 'hand-made dollar\n' },
  // (cvs itself aborts on a name holding a newline in a working copy: its protocol is line-based; tested apart.)
  { path: b('mod/forum/x\n?       lib'), content: 'newline that looks like an svn status line\n', not: ['cvs'] },
  { path: b('mod/forum/y\nM       index.php'), content: 'another\n', not: ['cvs'] },
  { path: b('hand\nmade.php'), content: 'hand-made newline\n', not: ['cvs'] },
  { path: latin('hand\xff.php'), content: 'hand-made latin-1\n', not: ['svn'] },
]

function treeFor(method: Method, version: 1 | 2): Entry[] {
  let files = V1.filter((e) => !e.not?.includes(method))
  if (version === 2) {
    const changed = new Map(V2_CHANGES.map((e) => [key(e.path), e]))
    files = files.filter((e) => !V2_DELETED.some((d) => d.equals(e.path))).map((e) => changed.get(key(e.path)) ?? e)
    for (const e of V2_CHANGES) if (!files.some((f) => f.path.equals(e.path))) files.push(e)
  }
  return files
}

/** What a tree holds: path (latin1 key) -> `f <sha1>` or `l <target>`; version-control metadata left out. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (rel: Buffer | null) => {
    const abs = rel ? Buffer.concat([b(`${dir}/`), rel]) : b(dir)
    for (const name of readdirSync(abs, { encoding: 'buffer' })) {
      const n = name.toString('latin1')
      if (n === 'CVS' || (rel === null && (n === '.git' || n === '.svn'))) continue
      const p = rel ? Buffer.concat([rel, b('/'), name]) : name
      const full = Buffer.concat([b(`${dir}/`), p])
      const st = lstatSync(full)
      if (st.isSymbolicLink()) out.set(key(p), `l ${readlinkSync(full, { encoding: 'buffer' }).toString('latin1')}`)
      else if (st.isDirectory()) walk(p)
      else out.set(key(p), `f ${createHash('sha1').update(readFileSync(full)).digest('hex')}`)
    }
  }
  walk(null)
  return out
}

const expected = (...sets: Entry[][]) => {
  const m = new Map<string, string>()
  for (const set of sets) for (const e of set) m.set(key(e.path), `f ${createHash('sha1').update(e.content).digest('hex')}`)
  return m
}

const sorted = (m: Map<string, string>) => [...m.entries()].sort(([a], [c]) => (a < c ? -1 : 1))

let t: Target
let sentinel: string
let sentinelBefore: Map<string, string>
let work: string
const user = () => t.sshd.user

async function ownerIds(): Promise<[number, number]> {
  const [uid, gid] = (await runAs(user(), 'echo "$(id -u) $(id -g)"', { check: true })).stdout.trim().split(' ')
  return [Number(uid), Number(gid)]
}

/** Writes entries into dir (as root, then given to the server's user). */
async function writeTree(dir: string, entries: Entry[]): Promise<void> {
  for (const e of entries) {
    const full = Buffer.concat([b(`${dir}/`), e.path])
    const slash = full.lastIndexOf('/')
    await mkdir(full.subarray(0, slash), { recursive: true })
    await writeFile(full, e.content)
  }
  await run('chown', ['-R', `${user()}:`, dir], { check: true })
}

/** Nothing outside the root changed, and no name was run as a command. */
async function checkUntouched(): Promise<void> {
  expect(sorted(snapshot(sentinel)), 'the folder outside the root').toEqual(sorted(sentinelBefore))
  // A name run as a command would create dlv-pwned* in the folder the script ran in: a tree, the root, a home, /.
  const where = ['/', '/tmp', `/home/${user()}`, process.cwd()]
  const found = await run('bash', ['-c', 'find "$@" -maxdepth 2 -name "dlv-pwned*" 2>/dev/null; find /tmp/dlv-site-* -name "dlv-pwned*" 2>/dev/null; true', 'x', ...where])
  expect(found.stdout.trim(), 'a name was executed').toBe('')
}

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  const [uid, gid] = await ownerIds()
  // A folder outside every delivery root that the server's user could write (so that a write through a link would
  // succeed and be seen).
  sentinel = await mkdtemp('/tmp/dlv-sentinel-')
  await writeFile(join(sentinel, 'precious.txt'), 'do not touch\n')
  await mkdir(join(sentinel, 'sub'))
  await writeFile(join(sentinel, 'sub', 'lib.php'), 'outside\n')
  await writeFile(join(sentinel, 'sub', 'weblib.php'), 'outside, named as a file the update deletes\n')
  await run('chown', ['-R', `${uid}:${gid}`, sentinel], { check: true })
  sentinelBefore = snapshot(sentinel)
  work = await mkdtemp('/tmp/dlv-hostile-src-')
  await chown(work, uid, gid)
}, 60_000)

afterAll(async () => {
  for (const m of ['git', 'svn', 'cvs', 'push']) {
    if (t) for (const r of [`${t.root}-${m}`, `${t.root}-${m}-link`]) await rm(r, { recursive: true, force: true })
  }
  await t?.stop()
  if (sentinel) await rm(sentinel, { recursive: true, force: true })
  if (work) await rm(work, { recursive: true, force: true })
})

/** Builds the method's repository (v1 and v2); returns the inputs that deliver each version. */
async function makeRepository(method: Method, name: string = method): Promise<{ inputs: Record<string, string>; v1: Record<string, string>; v2: Record<string, string>; env?: (v: 1 | 2) => Record<string, string> }> {
  const base = join(work, name === method ? method : `${method}-${name}`)
  const src = join(base, 'src')
  await mkdir(src, { recursive: true })
  await run('chown', [`${user()}:`, base, src], { check: true })
  const sh = (script: string, cwd = src) => runAs(user(), `set -e; umask 022; export LC_ALL=C.UTF-8\n${script}`, { cwd, check: true })
  const v1 = treeFor(method, 1)
  await writeTree(src, v1)
  if (method === 'git' || method === 'push') {
    await sh(`git init -q -b main . && git config user.name t && git config user.email t@example.invalid
git add -A && git commit -q -m v1 && git tag v1`)
    for (const d of V2_DELETED) await runAs(user(), 'git rm -q -- "$1"', { cwd: src, args: [d.toString('utf8')], check: true })
    await writeTree(src, V2_CHANGES)
    await sh('git add -A && git commit -q -m v2 && git tag v2')
    if (method === 'git') {
      await sh(`git clone -q --bare . ../repo.git`)
      return { inputs: { method, repository: `${base}/repo.git` }, v1: { ref: 'v1' }, v2: { ref: 'v2' } }
    }
    // push: the runner's checkout is the source (read by root: trust it).
    await writeFile(join(base, '.gitconfig'), '[safe]\n\tdirectory = *\n')
    return { inputs: { method }, v1: { ref: 'v1' }, v2: { ref: 'v2' }, env: () => ({ GITHUB_WORKSPACE: src, HOME: base }) }
  }
  if (method === 'svn') {
    await sh(`svnadmin create ../repo && svn -q mkdir -m layout "file://${base}/repo/trunk"
svn -q checkout "file://${base}/repo/trunk" ../wc && cp -a . ../wc/ && cd ../wc && svn -q add --force -- . && svn -q commit -m v1 && svn -q update`)
    const wc = join(base, 'wc')
    for (const d of V2_DELETED) await runAs(user(), 'svn -q rm -- "$1@"', { cwd: wc, args: [d.toString('utf8')], check: true })
    await writeTree(wc, V2_CHANGES)
    await sh('svn -q add --force -- . && svn -q commit -m v2 && svn -q update', wc)
    return { inputs: { method, repository: `file://${base}/repo/trunk` }, v1: { ref: '2' }, v2: { ref: '3' } }
  }
  // cvs: import v1 (every name as it is), then v2 in a checkout.
  await sh(`cvs -Q -d "${base}/cvsroot" init && cvs -Q -d "${base}/cvsroot" import -m v1 moodle vendor start && cd .. && cvs -Q -d "${base}/cvsroot" checkout -d co moodle && cd co && cvs -Q tag v1`)
  const co = join(base, 'co')
  for (const d of V2_DELETED) await runAs(user(), 'rm -f -- "$1" && cvs -Q -d "$2" remove -- "$1"', { cwd: co, args: [d.toString('utf8'), `${base}/cvsroot`], check: true })
  await writeTree(co, V2_CHANGES)
  await runAs(user(), 'cvs -Q -d "$1" add -- "--new=1.php" && cvs -Q -d "$1" commit -m v2 && cvs -Q -d "$1" tag v2', { cwd: co, args: [`${base}/cvsroot`], check: true })
  return { inputs: { method, repository: `${base}/cvsroot#moodle` }, v1: { ref: 'v1' }, v2: { ref: 'v2' } }
}

for (const method of ['git', 'svn', 'cvs', 'push'] as Method[]) {
  // Every case has its own repository and delivery root: they run at once.
  describe.concurrent(`hostile names through method ${method}`, () => {
    it('init, status, per-path syncback into a linked folder, deliver, goback: live exact, nothing outside touched, nothing run', async () => {
      const repo = await makeRepository(method)
      const root = `${t.root}-${method}`
      await t.sh(`mkdir -p ${root}`)
      const act = async (mode: string, extra: Record<string, string> = {}, v: 1 | 2 = 1) => {
        const r = await runAction({ ...t.base, path: root, mode, ...repo.inputs, ...(v === 1 ? repo.v1 : repo.v2), ...extra }, { env: repo.env?.(v) })
        expect(r.code, `${method} ${mode}: ${r.stdout.split('\n').filter((l) => l.startsWith('::error') || l.startsWith('::warning')).join('\n')}`).toBe(0)
        return r
      }
      const state = () => JSON.parse(readFileSync(`${root}/.delivery/state.json`, 'utf8')) as { live: string; safe: string }
      const tree = (id: string) => `${root}/trees/${id}`
      const drift = DRIFT.filter((e) => !e.not?.includes(method))
      const E1 = expected(treeFor(method, 1))
      const E2 = expected(treeFor(method, 2))

      await act('init')
      expect(sorted(snapshot(`${root}/live/`))).toEqual(sorted(E1))
      await checkUntouched()

      // Hand-made files with hostile names, and links to the folder outside the root.
      const s0 = state()
      await writeTree(tree(s0.live), drift)
      await symlink(sentinel, `${tree(s0.live)}/-outside`)
      await symlink(`${sentinel}/sub`, `${tree(s0.live)}/mod/forum/sub`)
      await run('chown', ['-h', `${user()}:`, `${tree(s0.live)}/-outside`, `${tree(s0.live)}/mod/forum/sub`], { check: true })
      const withDrift = expected(treeFor(method, 1), drift)
      withDrift.set('-outside', `l ${sentinel}`)
      withDrift.set('mod/forum/sub', `l ${sentinel}/sub`)

      // status reads the drift: it changes nothing (a folder named -delete-me or -print once deleted the tree).
      const st = await act('status')
      expect(sorted(snapshot(`${root}/live/`))).toEqual(sorted(withDrift))
      const listed = st.report!.hosts[0].drift.flatMap((d) => d.files.map((f) => f.path))
      expect(listed).toEqual(expect.arrayContaining(['-delete-me/f.php', '-print/f.php', '--to-file=index.php', ...(method === 'cvs' ? [] : ['mod/forum/x\n?       lib'])]))
      expect(listed).not.toContain('lib')
      await checkUntouched()

      // The safe tree's mod/forum is made a link to the folder outside: a per-path syncback replaces the link, never
      // follows it, and removes nothing else from the safe tree (a name with a newline once removed lib/).
      await rm(`${tree(s0.safe)}/mod/forum`, { recursive: true, force: true })
      await symlink(`${sentinel}/sub`, `${tree(s0.safe)}/mod/forum`)
      await run('chown', ['-h', `${user()}:`, `${tree(s0.safe)}/mod/forum`], { check: true })
      await act('syncback', { paths: 'mod/forum' })
      await checkUntouched()
      expect(lstatSync(`${tree(s0.safe)}/mod/forum`).isDirectory()).toBe(true)
      const safeWant = new Map([...E1].filter(([p]) => !p.startsWith('mod/forum/')))
      for (const [p, v] of withDrift) if (p.startsWith('mod/forum/')) safeWant.set(p, v)
      expect(sorted(snapshot(tree(s0.safe)))).toEqual(sorted(safeWant))
      expect(sorted(snapshot(`${root}/live/`))).toEqual(sorted(withDrift))

      // deliver: the live tree's drift is saved (0600, in a .delivery closed to others), then v2 goes live with the
      // hand-made files kept.
      const d = await act('deliver', {}, 2)
      await checkUntouched()
      const want2 = new Map([...E2, ...[...withDrift].filter(([p]) => !E1.has(p))])
      expect(sorted(snapshot(`${root}/live/`))).toEqual(sorted(want2))
      expect(statSync(`${root}/.delivery`).mode & 0o777).toBe(0o711)
      expect(statSync(`${root}/.delivery/drift`).mode & 0o777).toBe(0o700)
      const saved = d.report!.hosts[0].drift.map((x) => x.patch!).filter(Boolean)
      expect(saved.length).toBeGreaterThan(0)
      for (const f of readdirSync(`${root}/.delivery/drift`)) expect(statSync(`${root}/.delivery/drift/${f}`).mode & 0o077, f).toBe(0)
      if (method === 'svn' || method === 'cvs') {
        const patch = readFileSync(saved[0], 'utf8')
        expect(patch).toContain('+HOSTILE-DRIFT')
        expect(patch).not.toContain('SECRET-CONFIG')
      }

      // goback: the safe tree (the former live tree, drift included) serves again.
      await act('goback', {}, 2)
      await checkUntouched()
      expect(sorted(snapshot(`${root}/live/`))).toEqual(sorted(withDrift))
    }, 120_000)

    it('an update never deletes or writes through a link a hand made in place of a folder', async () => {
      const repo = await makeRepository(method, 'again')
      const root = `${t.root}-${method}-link`
      await t.sh(`mkdir -p ${root}`)
      const act = (mode: string, v: 1 | 2) => runAction({ ...t.base, path: root, mode, ...repo.inputs, ...(v === 1 ? repo.v1 : repo.v2) }, { env: repo.env?.(v) })
      expect((await act('init', 1)).code).toBe(0)
      // lib/ (whose weblib.php v2 deletes) is made a link to a folder outside the root holding a weblib.php.
      const live = readlinkSync(`${root}/live`, 'utf8')
      await rm(`${root}/${live}/lib`, { recursive: true })
      await symlink(`${sentinel}/sub`, `${root}/${live}/lib`)
      await run('chown', ['-h', `${user()}:`, `${root}/${live}/lib`], { check: true })
      await act('deliver', 2)
      await checkUntouched()
    }, 120_000)
  })
}

/**
 * method: push through the bundled Action against a real sshd whose PATH has no working git, svn or cvs: the
 * runner's git checkout (a full clone, then a shallow one) is the source. init, deliver, goback, backtoprod, dry run,
 * a delete-heavy change, drift saved as the files themselves, partial update and per-path syncback, hostile inputs.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anotherRoot, ROOT, readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { inParallel, run, sleep } from '../helpers/proc.js'

interface State {
  state: string
  live: string
  safe: string
  work?: string
  method: string
  trees: Record<string, { id: string; revision: string }>
}

const shim = `/tmp/dlv-pushshim-${process.pid}`
let t: Target
let repo: MoodleRepo
let runner: string
let full: string
let shallow: string
let shallowMain: string
let bulk: { add: string; remove: string }

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await run('git', ['-C', dir, ...args], { check: true, env: { ...process.env, HOME: runner } })).stdout
}

beforeAll(async () => {
  // The server's PATH starts with stand-ins for git, svn and cvs that record any call and fail.
  t = await startTarget({ extraConfig: `SetEnv PATH=${shim}:/usr/local/bin:/usr/bin:/bin` })
  t.base.app = 'none'
  await t.sh(`mkdir -p ${shim} && for p in git svn cvs; do printf '#!/bin/sh\\necho "$0 $*" >> ${shim}/calls\\nexit 1\\n' > ${shim}/$p; chmod +x ${shim}/$p; done`)
  repo = await makeMoodleRepo(t.sshd.user)
  // A delete-heavy pair of commits after v3: 300 files added, then all removed with a rename alongside.
  const many: Record<string, string> = {}
  for (let i = 0; i < 300; i++) many[`vendor/pkg${i % 10}/file ${i}.php`] = `<?php // ${i}\n`
  bulk = { add: await repo.commit('bulk add', many), remove: '' }
  const gone: Record<string, string | null> = {}
  for (const p of Object.keys(many)) gone[p] = null
  gone['lib/setup.php'] = null
  gone['lib/setup-renamed.php'] = "<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$CFG->setupversion = 3;\n"
  bulk.remove = await repo.commit('bulk remove', gone)
  runner = await mkdtemp('/tmp/dlv-runner-ws-')
  full = `${runner}/full`
  shallow = `${runner}/shallow`
  // The repository belongs to the server's user: let git (and the upload-pack it starts, which reads only the
  // global configuration) read it as root.
  await writeFile(`${runner}/.gitconfig`, '[safe]\n\tdirectory = *\n')
  const env = { ...process.env, HOME: runner }
  await run('git', ['clone', '-q', repo.dir, full], { check: true, env })
  await run('git', ['clone', '-q', '--depth', '1', '--branch', 'v3', `file://${repo.dir}`, shallow], { check: true, env })
  shallowMain = `${runner}/shallow-main`
  await run('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, shallowMain], { check: true, env })
}, 120_000)

afterAll(async () => {
  await t?.sh(`rm -rf ${shim}`).catch(() => undefined)
  await t?.stop()
  await repo?.remove()
  if (runner) await rm(runner, { recursive: true, force: true })
})

const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
const treeDir = (id: string) => `${t.root}/trees/${id}`
/** Runs the Action as in a workflow whose checkout is `ws` at `sha`. */
const act = (inputs: Record<string, string>, ws = full, sha = '') =>
  runAction({ ...t.base, method: 'push', ...inputs }, { env: { GITHUB_WORKSPACE: ws, ...(sha ? { GITHUB_SHA: sha } : {}) } })

/** The files of a commit with their content hashes, as `sha1  path` lines (what a tree must hold). */
async function commitFiles(sha: string): Promise<string> {
  const dir = await mkdtemp('/tmp/dlv-export-')
  await run('bash', ['-c', 'git -c safe.directory=* -C "$1" archive "$2" | tar -x -C "$3"', 'x', full, sha, dir], { check: true })
  const r = (await run('bash', ['-c', 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha1sum', 'x', dir], { check: true })).stdout
  await rm(dir, { recursive: true, force: true })
  return r
}
const treeFiles = (id: string) => t.sh(`cd ${treeDir(id)} && find . -type f -print0 | sort -z | xargs -0 sha1sum`)

/** git's change list between two commits, as the report shapes it. */
async function gitSays(from: string, to: string) {
  const out = await git(full, 'diff', '--name-status', '-M', from, to)
  const c = { added: [] as string[], modified: [] as string[], deleted: [] as string[], renamed: [] as { from: string; to: string }[] }
  for (const line of out.split('\n').filter(Boolean)) {
    const [st, a, b] = line.split('\t')
    if (st.startsWith('R')) c.renamed.push({ from: a, to: b })
    else if (st === 'A') c.added.push(a)
    else if (st === 'D') c.deleted.push(a)
    else c.modified.push(a)
  }
  return c
}
const sorted = (c: { added: string[]; modified: string[]; deleted: string[]; renamed: { from: string; to: string }[] }) => ({
  added: [...c.added].sort(),
  modified: [...c.modified].sort(),
  deleted: [...c.deleted].sort(),
  renamed: [...c.renamed].sort((x, y) => (x.from < y.from ? -1 : 1)),
})

describe('method push over a real sshd', () => {
  it('refuses a relative checkout path and option-like refs before any connection', async () => {
    const hostile: Record<string, string>[] = [{ repository: 'relative/dir' }, { ref: '-r' }, { ref: '--upload-pack=touch' }, { repository: '/tmp/x;rm -rf /' }]
    const runs = await inParallel(hostile, (inputs) => act({ mode: 'init', ...inputs }))
    for (const [i, inputs] of hostile.entries()) {
      const r = runs[i]
      expect(r.code, JSON.stringify(inputs)).not.toBe(0)
      expect(r.stdout + r.stderr).toMatch(/Input '(repository|ref)'/)
    }
    expect(t.sshd.connectionCount()).toBe(0)
  })

  it('a ref the checkout does not hold fails clearly and creates nothing', async () => {
    const r = await act({ mode: 'init', ref: 'no-such-branch' })
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/not a commit of the checkout .*fetch it/)
    expect(await t.sh(`ls -A ${t.root}/trees 2>/dev/null | wc -l`)).toMatch(/^0/)
  })

  it('init sends the commit into two trees, with a manifest each; the server runs no version control', async () => {
    const r = await act({ mode: 'init' }, full, repo.commits.v1)
    expect(r.code, r.stdout).toBe(0)
    const s = await state()
    expect(s.method).toBe('push')
    const want = await commitFiles(repo.commits.v1)
    for (const id of [s.live, s.safe]) {
      expect(s.trees[id].revision).toBe(repo.commits.v1)
      expect(await treeFiles(id)).toBe(want)
      expect(await t.sh(`head -1 ${t.root}/.delivery/manifests/${id}`)).toContain(`revision=${repo.commits.v1}`)
    }
    expect(await t.sh(`cat ${shim}/calls 2>/dev/null || echo none`)).toBe('none\n')
  })

  it('deliver sends only the files that differ and reports what git says changed', async () => {
    const before = await state()
    const untouched = await t.sh(`stat -c %i ${treeDir(before.live)}/README.txt`)
    const r = await act({ mode: 'deliver' }, full, repo.commits.v2)
    expect(r.code, r.stdout).toBe(0)
    expect(sorted(r.report!.hosts[0].files)).toEqual(sorted(await gitSays(repo.commits.v1, repo.commits.v2)))
    const s = await state()
    expect(s.trees[s.live].revision).toBe(repo.commits.v2)
    expect(await treeFiles(s.live)).toBe(await commitFiles(repo.commits.v2))
    // The former live tree was updated in place: an unchanged file was not rewritten.
    expect(await t.sh(`stat -c %i ${treeDir(s.live)}/README.txt`)).toBe(untouched)
    expect(await t.sh(`test -e ${t.root}/live/lib/old.php || echo gone`)).toContain('gone')
  })

  it('goback serves v1 again, backtoprod returns to v2; each tree keeps its manifest through the renames', async () => {
    expect((await act({ mode: 'goback' })).code).toBe(0)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v1')
    expect((await act({ mode: 'backtoprod' })).code).toBe(0)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v2')
    const s = await state()
    expect((await t.sh(`ls ${t.root}/.delivery/manifests`)).split('\n').filter(Boolean).sort()).toEqual([s.live, s.safe].sort())
    const st = await act({ mode: 'status' })
    expect(st.report!.hosts[0].drift).toEqual([])
  })

  it('from a shallow checkout (no history of the tree revision) compares checksums; a dry run changes nothing', async () => {
    const before = await t.sh(`cat ${t.root}/.delivery/state.json; ls ${t.root}/trees; cat ${t.root}/.delivery/manifests/*`)
    const dry = await act({ mode: 'deliver', 'dry-run': 'true' }, shallow, repo.commits.v3)
    expect(dry.code, dry.stdout).toBe(0)
    expect(await t.sh(`cat ${t.root}/.delivery/state.json; ls ${t.root}/trees; cat ${t.root}/.delivery/manifests/*`)).toBe(before)
    const r = await act({ mode: 'deliver' }, shallow, repo.commits.v3)
    expect(r.code, r.stdout).toBe(0)
    const says = sorted(await gitSays(repo.commits.v2, repo.commits.v3))
    expect(sorted(r.report!.hosts[0].files)).toEqual(says)
    expect(sorted(dry.report!.hosts[0].files)).toEqual(says)
    const s = await state()
    expect(await treeFiles(s.live)).toBe(await commitFiles(repo.commits.v3))
  })

  it('a delete-heavy change removes every file and emptied directory, keeps untracked ones, pairs renames', async () => {
    expect((await act({ mode: 'deliver' }, full, bulk.add)).code).toBe(0)
    let s = await state()
    expect(await t.sh(`find ${t.root}/live/vendor -type f | wc -l`)).toMatch(/^300/)
    // An untracked file inside a directory that is about to lose all its tracked files.
    await t.sh(`echo mine > ${t.root}/live/vendor/pkg3/local-notes.txt`)
    // From a shallow clone of the tip: its history lacks the tree's revision, so checksums are compared.
    const r = await act({ mode: 'deliver' }, shallowMain, bulk.remove)
    expect(r.code, r.stdout).toBe(0)
    const files = r.report!.hosts[0].files
    expect(files.deleted).toHaveLength(300)
    expect(files.renamed).toEqual([{ from: 'lib/setup.php', to: 'lib/setup-renamed.php' }])
    expect(sorted(files)).toEqual(sorted(await gitSays(bulk.add, bulk.remove)))
    s = await state()
    expect(await t.sh(`cd ${treeDir(s.live)} && find vendor -type f`)).toBe('vendor/pkg3/local-notes.txt\n')
    expect(await t.sh(`cd ${treeDir(s.live)} && find vendor -mindepth 1 -type d`)).toBe('vendor/pkg3\n')
    expect(r.report!.hosts[0].drift.flatMap((d) => d.files.map((f) => f.path))).toContain('vendor/pkg3/local-notes.txt')
  })

  it('drift: a hand edit is saved with the files themselves and overwritten; untracked files stay', async () => {
    await t.sh(`echo '// hand edit' >> ${t.root}/live/index.php && chmod +x ${t.root}/live/README.txt && ln -s index.php ${t.root}/live/alias.php && rm ${t.root}/live/version.php`)
    const st = await act({ mode: 'status' })
    const drift = st.report!.hosts[0].drift[0].files
    expect(drift).toEqual(
      expect.arrayContaining([
        { path: 'index.php', status: 'modified' },
        { path: 'README.txt', status: 'modified' },
        { path: 'alias.php', status: 'untracked' },
        { path: 'version.php', status: 'deleted' },
      ]),
    )
    const r = await act({ mode: 'deliver' }, full, bulk.remove)
    expect(r.code, r.stdout).toBe(0)
    const saved = r.report!.hosts[0].drift[0].patch!
    expect(saved).toMatch(/\.tar\.gz$/)
    const listing = await t.sh(`tar tzf ${saved}`)
    expect(listing).toContain('DRIFT.txt')
    expect(listing).toContain('index.php')
    expect(await t.sh(`tar xzf ${saved} -O index.php`)).toContain('// hand edit')
    expect(r.report!.hosts[0].files).toEqual({ added: [], modified: [], deleted: [], renamed: [] })
    const s = await state()
    expect(await t.sh(`cat ${treeDir(s.live)}/index.php`)).not.toContain('hand edit')
    expect(await t.sh(`test -e ${treeDir(s.live)}/version.php && stat -c %a ${treeDir(s.live)}/README.txt`)).toBe('644\n')
    expect(await t.sh(`readlink ${treeDir(s.live)}/alias.php`)).toBe('index.php\n')
    await t.sh(`rm ${t.root}/live/alias.php ${t.root}/live/vendor/pkg3/local-notes.txt`)
  })

  it('a partial update takes only the paths; a per-path syncback keeps the manifests right', async () => {
    expect((await act({ mode: 'syncback' })).code).toBe(0)
    expect((await act({ mode: 'goback' })).code).toBe(0)
    const r = await act({ mode: 'update', paths: 'mod/forum,lib' }, full, repo.commits.v1)
    expect(r.code, r.stdout).toBe(0)
    const says = sorted(await gitSays(bulk.remove, repo.commits.v1))
    const inScope = (p: string) => p.startsWith('mod/forum/') || p.startsWith('lib/')
    expect(sorted(r.report!.hosts[0].files)).toEqual({
      added: says.added.filter(inScope),
      modified: says.modified.filter(inScope),
      deleted: says.deleted.filter(inScope),
      renamed: says.renamed.filter((x) => inScope(x.from) && inScope(x.to)),
    })
    expect((await act({ mode: 'backtoprod' })).code).toBe(0)
    await t.sh(`echo '// fix' >> ${t.root}/live/mod/forum/lib.php`)
    const sb = await act({ mode: 'syncback', paths: 'mod/forum' })
    expect(sb.code, sb.stdout).toBe(0)
    const st = await act({ mode: 'status' })
    expect(st.report!.hosts[0].drift[0].files).toEqual([{ path: 'mod/forum/lib.php', status: 'modified' }])
    // The safe tree holds the same mod/forum, and its manifest says so: its drift is the same one file.
    const s = await state()
    const forum = (id: string) => t.sh(`cd ${treeDir(id)} && find mod/forum -type f -print0 | sort -z | xargs -0 sha1sum`)
    expect(await forum(s.safe)).toBe(await forum(s.live))
    const m = (id: string) => t.sh(`grep ' mod/forum/' ${t.root}/.delivery/manifests/${id}`)
    expect(await m(s.safe)).toBe(await m(s.live))
    expect(await m(s.safe)).toContain('mod/forum/lib.php')
    expect(await t.sh(`cat ${shim}/calls 2>/dev/null || echo none`)).toBe('none\n')
  })
})

describe('method push: adopt, keep, and a full disk', () => {
  let t2: Target

  beforeAll(async () => {
    t2 = await anotherRoot(t)
  })

  afterAll(async () => {
    await t2?.sh(`umount ${t2.root} 2>/dev/null || true`).catch(() => undefined)
    await run('umount', [t2.root])
    await t2?.stop()
  })

  const act2 = (inputs: Record<string, string>, sha: string) =>
    runAction({ ...t2.base, method: 'push', ...inputs }, { env: { GITHUB_WORKSPACE: full, GITHUB_SHA: sha } })

  it('adopts an existing directory; the first update leaves files the commit lacks in place and never touches kept ones', async () => {
    // A site copied by hand: v1's files, a config.php, a plugin installed on the server only, and a .git folder.
    const site = `/tmp/dlv-adopt-push-${process.pid}`
    await run('bash', ['-c', `mkdir -p ${site} && git -c safe.directory=* -C ${full} archive ${repo.commits.v1} | tar -x -C ${site}`], { check: true, env: { ...process.env, HOME: runner } })
    await run('bash', ['-c', `cd ${site} && echo '<?php $CFG = 1;' > config.php && mkdir -p local/onserver && echo x > local/onserver/version.php && mkdir .git && echo y > .git/HEAD && chown -R ${t2.sshd.user} ${site}`], { check: true })
    // The delivery root on a small tmpfs, for the full-disk case below.
    const [uid, gid] = (await t2.sh('id -u; id -g')).trim().split('\n')
    await run('mount', ['-t', 'tmpfs', '-o', `size=1m,uid=${uid},gid=${gid},mode=0755`, 'tmpfs', t2.root], { check: true })
    const init = await act2({ mode: 'init', adopt: site, keep: 'config.php' }, repo.commits.v1)
    expect(init.code, init.stdout).toBe(0)
    const s = await readServerJson<State>(t2, `${t2.root}/.delivery/state.json`)
    expect(s.trees[s.live].revision).toBe('adopted')
    expect(await t2.sh(`test -e ${t2.root}/live/.git || echo no-git`)).toContain('no-git')
    expect(await t2.sh(`head -1 ${t2.root}/.delivery/manifests/${s.live}`)).toContain('adopted')
    expect(await t2.sh(`grep -c ' config.php$' ${t2.root}/.delivery/manifests/${s.live} || true`)).toBe('0\n')
    const r = await act2({ mode: 'deliver', keep: 'config.php' }, repo.commits.v2)
    expect(r.code, r.stdout).toBe(0)
    const files = r.report!.hosts[0].files
    expect(files.deleted).toEqual([])
    expect(files.modified).toEqual(expect.arrayContaining(['index.php', 'mod/forum/lib.php']))
    expect(await t2.sh(`cat ${t2.root}/live/local/onserver/version.php ${t2.root}/live/config.php`)).toContain('$CFG')
    expect(await t2.sh(`test -e ${t2.root}/live/lib/old.php && echo left`)).toContain('left')
    const st = await act2({ mode: 'status', keep: 'config.php' }, repo.commits.v2)
    const drift = st.report!.hosts[0].drift[0].files.map((f) => f.path)
    expect(drift).toEqual(expect.arrayContaining(['local/onserver/version.php', 'lib/old.php']))
    expect(drift).not.toContain('config.php')
    await run('rm', ['-rf', site])
  })

  it('a disk that fills up during the transfer fails the update and leaves the work tree as it was', async () => {
    // A commit with a file larger than the free space.
    await repo.exec(`git checkout -q -b big ${repo.commits.v2} && head -c 2000000 /dev/urandom > big.bin && git add big.bin && git commit -q -m big && git push -q origin big && git checkout -q main`)
    const big = (await repo.exec('git rev-parse big')).trim()
    await git(full, 'fetch', '-q', 'origin', 'big')
    const r = await act2({ mode: 'deliver', keep: 'config.php' }, big)
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/No space left on device/)
    const s = await readServerJson<State>(t2, `${t2.root}/.delivery/state.json`)
    expect(s.state).toBe('delivering')
    expect(s.trees[s.work!].revision).toBe(repo.commits.v2)
    expect(await t2.sh(`test -e ${t2.root}/trees/${s.work}/big.bin || echo absent`)).toContain('absent')
    expect(await t2.sh(`ls -A ${t2.root}/.delivery | grep -c incoming || true`)).toBe('0\n')
    // With room again (a smaller commit), the delivery resumes.
    const resumed = await act2({ mode: 'deliver', keep: 'config.php' }, repo.commits.v3)
    expect(resumed.code, resumed.stdout).toBe(0)
    expect(await t2.sh(`cat ${t2.root}/live/lib/setup.php`)).toContain('setupversion = 3')
  })
})

describe('method push: a connection cut during the transfer', () => {
  let t3: Target
  const shim3 = `/tmp/dlv-pushcut-${process.pid}`

  beforeAll(async () => {
    // The server's tar, when extracting, first waits while a HOLD file exists: the transfer can be cut meanwhile.
    t3 = await startTarget({ extraConfig: `SetEnv PATH=${shim3}:/usr/local/bin:/usr/bin:/bin` })
    t3.base.app = 'none'
    await t3.sh(`mkdir -p ${shim3} && cat > ${shim3}/tar <<'EOF2'
#!/bin/sh
case " $* " in *" -x"*) touch ${shim3}/MARK; while [ -e ${shim3}/HOLD ]; do sleep 0.1; done;; esac
exec /bin/tar "$@"
EOF2
chmod +x ${shim3}/tar`)
  })

  afterAll(async () => {
    await t3?.sh(`rm -rf ${shim3}`).catch(() => undefined)
    await t3?.stop()
  })

  it('leaves the work tree and its manifest as they were, and the next run resumes', async () => {
    const act3 = (inputs: Record<string, string>, sha: string) =>
      runAction({ ...t3.base, method: 'push', ...inputs }, { env: { GITHUB_WORKSPACE: full, GITHUB_SHA: sha } })
    expect((await act3({ mode: 'init' }, repo.commits.v1)).code).toBe(0)
    // A commit far larger than what SSH and the pipe can buffer: the runner is still sending when it is killed.
    await git(full, 'checkout', '-q', '-b', 'huge', repo.commits.v2)
    await run('bash', ['-c', `head -c 20000000 /dev/urandom > ${full}/huge.bin`], { check: true })
    await git(full, 'add', 'huge.bin')
    await git(full, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'huge')
    const huge = (await git(full, 'rev-parse', 'HEAD')).trim()
    await git(full, 'checkout', '-q', '--detach')
    await t3.sh(`touch ${shim3}/HOLD; rm -f ${shim3}/MARK`)
    const dir = await mkdtemp('/tmp/dlv-cut-runner-')
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_ACTIONS: 'true', RUNNER_TEMP: dir, GITHUB_RUN_ID: '777', GITHUB_RUN_ATTEMPT: '1', GITHUB_WORKSPACE: full, GITHUB_SHA: huge }
    for (const [k, v] of Object.entries({ ...t3.base, method: 'push', mode: 'deliver' })) env[`INPUT_${k.toUpperCase()}`] = v
    const child = spawn(process.execPath, [`${ROOT}/dist/main.js`], { env, cwd: dir, stdio: 'ignore' })
    const exited = new Promise((r) => child.once('exit', r))
    for (let i = 0; i < 600 && !existsSync(`${shim3}/MARK`); i++) await sleep(50)
    expect(existsSync(`${shim3}/MARK`)).toBe(true)
    const s = await readServerJson<State>(t3, `${t3.root}/.delivery/state.json`)
    const work = s.work!
    const manifestBefore = await t3.sh(`cat ${t3.root}/.delivery/manifests/${work}`)
    const filesBefore = await t3.sh(`cd ${t3.root}/trees/${work} && find . -type f -print0 | sort -z | xargs -0 sha1sum`)
    child.kill('SIGKILL')
    await exited
    await t3.sh(`rm -f ${shim3}/HOLD`)
    // The server side sees its input end early, changes nothing, and removes what it received.
    for (let i = 0; i < 200 && (await t3.sh(`ls -A ${t3.root}/.delivery | grep -c incoming || true`)) !== '0\n'; i++) await sleep(50)
    expect(await t3.sh(`ls -A ${t3.root}/.delivery | grep -c incoming || true`)).toBe('0\n')
    expect(await t3.sh(`cat ${t3.root}/.delivery/manifests/${work}`)).toBe(manifestBefore)
    expect(await t3.sh(`cd ${t3.root}/trees/${work} && find . -type f -print0 | sort -z | xargs -0 sha1sum`)).toBe(filesBefore)
    await rm(dir, { recursive: true, force: true })
    // The killed runner's heartbeat stopped: once its lock shows no life for lock-timeout (an hour, here made to have
    // passed), it is taken over, and the delivery resumes: update, then backtoprod.
    await t3.sh(`touch -c -d '2 hours ago' ${t3.root}/.delivery/lock`)
    const again = await act3({ mode: 'deliver', 'lock-timeout': '3600' }, repo.commits.v3)
    expect(again.code, again.stdout).toBe(0)
    expect(await t3.sh(`cat ${t3.root}/live/lib/setup.php`)).toContain('setupversion = 3')
  })
})

/**
 * method: cvs through the bundled Action against a real sshd, with a real repository made by `cvs init` (local
 * CVSROOT) and served by `cvs pserver` on a loopback port with a password: init, deliver, goback, backtoprod, dry run,
 * partial update and per-path syncback, hand-made changes merged or refused on conflict, hostile inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anotherRoot, readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { type CvsRepo, makeCvsMoodle, type Pserver, startPserver } from '../helpers/cvsrepo.js'
import { inParallel, sleep } from '../helpers/proc.js'

interface State {
  state: string
  live: string
  safe: string
  work?: string
  method: string
  trees: Record<string, { id: string; revision: string }>
}

let t: Target
let repo: CvsRepo
let source: string

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeCvsMoodle(t.sshd.user)
  source = `${repo.root}#moodle`
}, 120_000)

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

const unmasked = (text: string) => text.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')
const state = () => readServerJson<State>(t, `${t.root}/.delivery/state.json`)
const cvsStatus = async (tree: string) => (await t.sh(`cd ${t.root}/trees/${tree} && LC_ALL=C.UTF-8 cvs -f -nq update 2>&1 || true`)).trim()
const tree = (id: string) => `${t.root}/trees/${id}`
/** Waits until the clock shows a later second than now (so later than any update made before the call). */
async function nextSecond() {
  const now = Math.floor(Date.now() / 1000)
  while (Math.floor(Date.now() / 1000) <= now) await sleep(10)
}

/** What the repository says changed between two tags (`cvs rdiff -s`). */
async function repoSays(from: string, to: string) {
  const out = await repo.exec(`cvs -f -Q rdiff -s -r ${from} -r ${to} moodle || true`)
  const says = { added: [] as string[], modified: [] as string[], deleted: [] as string[] }
  for (const line of out.split('\n')) {
    const m = /^File moodle\/(.+) (is new;|changed from|is removed;)/.exec(line)
    if (!m) continue
    ;(m[2] === 'is new;' ? says.added : m[2] === 'changed from' ? says.modified : says.deleted).push(m[1])
  }
  for (const k of ['added', 'modified', 'deleted'] as const) says[k].sort()
  return says
}

describe('method cvs over a real sshd', () => {
  it('refuses hostile repositories and refs before any connection', async () => {
    const bad: Record<string, string>[] = [
      { repository: '-ooption#moodle' },
      { repository: 'ext::sh#moodle' },
      { repository: `${repo.root} ; rm -rf /#moodle` },
      { repository: ':ext:-oProxyCommand=touch@host:/cvs#moodle' },
      { repository: ':ext:user@-oProxyCommand:/cvs#moodle' },
      { repository: ':pserver:user:secret@host:/cvs#moodle' },
      { repository: repo.root },
      { repository: `${repo.root}#../etc` },
      { repository: source, ref: '-r' },
      { repository: source, ref: '-D yesterday' },
    ]
    const runs = await inParallel(bad, (inputs) => runAction({ ...t.base, mode: 'init', method: 'cvs', ...inputs }))
    for (const [i, inputs] of bad.entries()) {
      const r = runs[i]
      expect(r.code, JSON.stringify(inputs)).not.toBe(0)
      expect(r.stdout + r.stderr, JSON.stringify(inputs)).toMatch(/Input '(repository|ref)'/)
      expect(unmasked(r.stdout + r.stderr)).not.toContain('secret')
    }
    expect(t.sshd.connectionCount()).toBe(0)
  })

  it('init checks out the module at a tag into two trees', async () => {
    const r = await runAction({ ...t.base, mode: 'init', method: 'cvs', repository: source, ref: 'v1' })
    expect(r.code, r.stdout).toBe(0)
    const s = await state()
    expect(s.method).toBe('cvs')
    for (const id of [s.live, s.safe]) {
      expect(s.trees[id].revision).toBe('v1')
      expect(await t.sh(`cat ${tree(id)}/CVS/Tag`)).toContain('v1')
      expect(await cvsStatus(id)).toBe('')
    }
    expect(await t.sh(`cat "${t.root}/live/lang/en/café menu.php"`)).toContain('Café')
  })

  it('deliver updates to v2 and reports exactly what the repository says changed', async () => {
    const r = await runAction({ ...t.base, mode: 'deliver', method: 'cvs', repository: source, ref: 'v2' })
    expect(r.code, r.stdout).toBe(0)
    const files = r.report!.hosts[0].files
    const says = await repoSays('v1', 'v2')
    expect(says.added).toContain('theme/boost/settings.php')
    expect(says.modified).toContain('lang/en/café menu.php')
    expect(files.added.sort()).toEqual(says.added)
    expect(files.modified.sort()).toEqual(says.modified)
    expect(files.deleted.sort()).toEqual(says.deleted)
    const s = await state()
    expect(s.trees[s.live].revision).toBe('v2')
    expect(await cvsStatus(s.live)).toBe('')
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v2')
    expect(await t.sh(`test -e ${t.root}/live/lib/old.php || echo gone`)).toContain('gone')
  })

  it('goback serves v1 again, backtoprod returns to v2', async () => {
    expect((await runAction({ ...t.base, mode: 'goback' })).code).toBe(0)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v1')
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).code).toBe(0)
    expect(await t.sh(`cat ${t.root}/live/index.php`)).toContain('v2')
  })

  it('a dry run lists the same files and changes nothing', async () => {
    const before = await t.sh(`cat ${t.root}/.delivery/state.json; ls ${t.root}/trees`)
    const r = await runAction({ ...t.base, mode: 'deliver', method: 'cvs', repository: source, ref: 'v3', 'dry-run': 'true' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.hosts[0].files.modified.sort()).toEqual((await repoSays('v2', 'v3')).modified)
    expect(await t.sh(`cat ${t.root}/.delivery/state.json; ls ${t.root}/trees`)).toBe(before)
  })

  it('a partial update takes only the paths; a per-path syncback keeps the safe checkout exact', async () => {
    expect((await runAction({ ...t.base, mode: 'syncback' })).code).toBe(0)
    expect((await runAction({ ...t.base, mode: 'goback' })).code).toBe(0)
    const r = await runAction({ ...t.base, mode: 'update', method: 'cvs', repository: source, ref: 'v3', paths: 'mod/forum' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.hosts[0].files).toEqual({ added: [], modified: ['mod/forum/view.php'], deleted: [], renamed: [] })
    let s = await state()
    expect(await t.sh(`cat ${tree(s.work!)}/mod/forum/view.php`)).toContain('v3')
    expect(await t.sh(`cat ${tree(s.work!)}/lib/setup.php`)).not.toContain('setupversion = 3')
    expect(await cvsStatus(s.work!)).toBe('')
    expect((await runAction({ ...t.base, mode: 'backtoprod' })).code).toBe(0)
    s = await state()
    await nextSecond() // a hand edit in a later second than the update (CVS compares whole seconds)
    await t.sh(`echo '// hand fix' >> ${t.root}/live/mod/forum/lib.php`)
    const sb = await runAction({ ...t.base, mode: 'syncback', paths: 'mod/forum' })
    expect(sb.code, sb.stdout).toBe(0)
    expect(await t.sh(`cat ${tree(s.safe)}/mod/forum/CVS/Tag`)).toContain('v3')
    expect(await t.sh(`cat ${tree(s.safe)}/lib/CVS/Tag`)).toContain('v2')
    expect(await cvsStatus(s.safe)).toBe(await cvsStatus(s.live))
    expect(await cvsStatus(s.safe)).toBe('M mod/forum/lib.php')
    await t.sh(`cd ${t.root}/live && cvs -f -Q update -C mod/forum/lib.php && rm -f mod/forum/.#lib.php*`)
  })

  it('merges hand-made changes cvs can merge, and refuses one that would conflict, before touching anything', async () => {
    // CVS tells a changed file by its mtime against the second recorded in CVS/Entries: a hand edit made within the
    // same second as the last update would look unchanged to it (and to its drift check). People edit later.
    await nextSecond()
    await t.sh(`echo '// local' >> ${t.root}/live/README.txt`)
    await t.sh(`printf '<?php\\n$CFG->setupversion = 99;\\n' > ${t.root}/live/lib/setup.php`)
    const before = await state()
    const sums = (id: string) => t.sh(`cd ${tree(id)} && find . -name CVS -prune -o -type f -print0 | sort -z | xargs -0 sha1sum`)
    const liveFiles = await sums(before.live)
    const r = await runAction({ ...t.base, mode: 'deliver', method: 'cvs', repository: source, ref: 'v3' })
    expect(r.code).toBe(1)
    const err = r.report!.hosts[0].error ?? ''
    expect(err).toContain('lib/setup.php')
    expect(err).toMatch(/would conflict/)
    expect(err).not.toContain('README.txt')
    const drift = r.report!.hosts[0].drift
    expect(drift[0].files).toEqual(expect.arrayContaining([{ path: 'README.txt', status: 'modified' }, { path: 'lib/setup.php', status: 'modified' }]))
    expect(await t.sh(`cat ${drift[0].patch}`)).toContain('setupversion = 99')
    expect(await t.sh(`tar tzf ${drift[0].patch!.replace(/\.patch$/, '.files.tar.gz')}`)).toContain('lib/setup.php')
    const s = await state()
    expect(s.state).toBe('delivering')
    expect(await sums(s.work!)).toBe(liveFiles)
    await t.sh(`cd ${tree(s.work!)} && rm lib/setup.php && cvs -f -Q update lib/setup.php`)
    const again = await runAction({ ...t.base, mode: 'deliver', method: 'cvs', repository: source, ref: 'v3' })
    expect(again.code, again.stdout).toBe(0)
    expect(again.report!.hosts[0].files.modified.sort()).toEqual(['lib/setup.php', 'version.php'])
    expect(await t.sh(`cat ${t.root}/live/README.txt`)).toContain('// local')
    expect(await t.sh(`cat ${t.root}/live/lib/setup.php`)).toContain('setupversion = 3')
  })

  it('status reports drift from cvs, untracked directories file by file and backup files included', async () => {
    await t.sh(`mkdir -p ${t.root}/live/local/plugin && echo x > ${t.root}/live/local/plugin/a.php && echo y > ${t.root}/live/index.php.orig && rm ${t.root}/live/index.php`)
    const r = await runAction({ ...t.base, mode: 'status' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.hosts[0].drift[0].files).toEqual(
      expect.arrayContaining([
        { path: 'local/plugin/a.php', status: 'untracked' },
        { path: 'index.php.orig', status: 'untracked' },
        { path: 'index.php', status: 'deleted' },
        { path: 'README.txt', status: 'modified' },
      ]),
    )
    await t.sh(`cd ${t.root}/live && rm -rf local index.php.orig && cvs -f -Q update -C index.php README.txt && rm -f .#README*`)
  })
})

describe('method cvs with pserver and a password', () => {
  let pserver: Pserver
  let t2: Target
  const password = 'cvs pa$$ word'
  const shim = `/tmp/dlv-cvsshim-${process.pid}`

  beforeAll(async () => {
    pserver = await startPserver(repo, t.sshd.user, password)
    t2 = await startTarget({ extraConfig: `SetEnv PATH=${shim}:/usr/local/bin:/usr/bin:/bin` })
    t2.base.app = 'none'
    await t2.sh(`mkdir -p ${shim} && cat > ${shim}/cvs <<'EOF'
#!/bin/bash
{ tr '\\0' ' ' < /proc/$$/cmdline; echo; tr '\\0' '\\n' < /proc/$$/environ; } >> ${shim}/log
exec /usr/bin/cvs "$@"
EOF
chmod +x ${shim}/cvs`)
  }, 120_000)

  afterAll(async () => {
    await pserver?.stop()
    await t2?.sh(`rm -rf ${shim}`).catch(() => undefined)
    await t2?.stop()
  })

  it('checks out and delivers over pserver; the password never shows in a command line, log or report', async () => {
    const inputs = { ...t2.base, method: 'cvs', repository: `${pserver.cvsroot}#moodle`, 'repository-password': password }
    const init = await runAction({ ...inputs, mode: 'init', ref: 'v1' })
    expect(init.code, init.stdout + init.stderr).toBe(0)
    const d = await runAction({ ...inputs, mode: 'deliver', ref: 'v2' })
    expect(d.code, d.stdout).toBe(0)
    expect(d.report!.hosts[0].files.modified).toContain('index.php')
    const log = await t2.sh(`cat ${shim}/log`)
    expect(log).toContain('CVS_PASSFILE=')
    expect(log).not.toContain('pa$$')
    for (const r of [init, d]) expect(unmasked(r.stdout + r.stderr) + r.summary + JSON.stringify(r.report)).not.toContain('pa$$')
    // The passfile lived only as long as the command.
    const passfiles = log.split('\n').filter((l) => l.startsWith('CVS_PASSFILE=')).map((l) => l.slice(13))
    for (const f of new Set(passfiles)) expect(await t2.sh(`test -e ${f} && echo left || echo gone`)).toContain('gone')
  })

  it('a wrong password fails with a clear message', async () => {
    const r = await runAction({ ...t2.base, mode: 'update', method: 'cvs', repository: `${pserver.cvsroot}#moodle`, ref: 'v3', 'repository-password': 'not-the-password' })
    expect(r.code).toBe(1)
    const s = await readServerJson<State>(t2, `${t2.root}/.delivery/state.json`)
    expect(s.state).toBe('production')
    const g = await runAction({ ...t2.base, mode: 'goback' })
    expect(g.code).toBe(0)
    const u = await runAction({ ...t2.base, mode: 'update', method: 'cvs', repository: `${pserver.cvsroot}#moodle`, ref: 'v3', 'repository-password': 'not-the-password' })
    expect(u.code).toBe(1)
    expect(u.report!.hosts[0].error).toMatch(/check repository.* and the credentials/)
    expect(unmasked(u.stdout + u.stderr) + JSON.stringify(u.report)).not.toContain('not-the-password')
  })
})

describe('method cvs: adopt an existing checkout', () => {
  let t3: Target
  const site = `/tmp/dlv-adopt-cvs-${process.pid}`

  beforeAll(async () => {
    t3 = await anotherRoot(t)
    await t3.sh(`cd /tmp && cvs -f -Q -d ${repo.root} checkout -r v1 -d ${site.slice(5)} moodle && echo '<?php $CFG = 1;' > ${site}/config.php`)
  })

  afterAll(async () => {
    await t3?.sh(`rm -rf ${site}`).catch(() => undefined)
    await t3?.stop()
  })

  it('copies the checkout whole, records its CVSROOT#module and tag, and delivers from there', async () => {
    const init = await runAction({ ...t3.base, mode: 'init', method: 'cvs', adopt: site, keep: 'config.php' })
    expect(init.code, init.stdout).toBe(0)
    const s = await readServerJson<State & { repository: string }>(t3, `${t3.root}/.delivery/state.json`)
    expect(s.trees[s.live].revision).toBe('v1')
    expect(s.repository).toBe(source)
    const d = await runAction({ ...t3.base, mode: 'deliver', method: 'cvs', repository: source, ref: 'v2', keep: 'config.php' })
    expect(d.code, d.stdout).toBe(0)
    expect(d.report!.hosts[0].drift).toEqual([])
    expect(await t3.sh(`cat ${t3.root}/live/config.php ${t3.root}/live/index.php`)).toMatch(/\$CFG[\s\S]*v2/)
  })
})

/**
 * What the server says is data: a session id that is a path, a working copy svn cannot read (its search for a
 * versioned parent must end), svn and cvs conflicts left by an update (nothing switched, the live tree serving what
 * it served), a name cvs cannot handle (a clear error, nothing changed), and saved drift closed to other users.
 * Every case has a delivery root of its own and only reads the repositories: they run at once.
 */
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { makeCvsMoodle, type CvsRepo } from '../helpers/cvsrepo.js'
import { makeSvnRepo, type SvnRepo } from '../helpers/svnrepo.js'

let t: Target
let svn: SvnRepo & { revs: { v1: string; v2: string; v3: string } }
let cvs: CvsRepo
let n = 0

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  ;[svn, cvs] = await Promise.all([makeSvnRepo(t.sshd.user), makeCvsMoodle(t.sshd.user)])
}, 120_000)

afterAll(async () => {
  if (t) for (let i = 1; i <= n; i++) await t.sh(`rm -rf ${t.root}-${i}`).catch(() => undefined)
  await t?.stop()
  await svn?.remove()
  await cvs?.remove()
})

/** A fresh delivery root; `act` runs a mode there. */
async function site(inputs: Record<string, string>) {
  const root = `${t.root}-${++n}`
  await t.sh(`mkdir -p ${root}`)
  const act = (mode: string, extra: Record<string, string> = {}) => runAction({ ...t.base, path: root, mode, ...inputs, ...extra })
  const state = () => JSON.parse(readFileSync(`${root}/.delivery/state.json`, 'utf8')) as { live: string; safe: string; work?: string; state: string }
  return { root, act, state }
}

const listing = (dir: string): string[] => {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const e of readdirSync(`${dir}/${rel}`)) {
      if (e === '.svn' || e === 'CVS') continue
      const p = rel ? `${rel}/${e}` : e
      const st = lstatSync(`${dir}/${p}`)
      if (st.isDirectory()) walk(p)
      else out.push(`${p} ${st.size} ${st.isSymbolicLink() ? 'l' : readFileSync(`${dir}/${p}`).toString('base64').slice(0, 40)}`)
    }
  }
  walk('')
  return out.sort()
}

describe.concurrent('names read from the server', () => {
  it('a session id that is a path is refused before anything is written; status says what is wrong', async () => {
    const s = await site({ method: 'svn', repository: svn.trunk, ref: svn.revs.v1 })
    expect((await s.act('init')).code).toBe(0)
    // The open session's id is read from sessions/current: a hand (or a hostile user) made it a path into live.
    await t.sh(`mkdir -p ${s.root}/.delivery/sessions && printf '%s\\n' '../../live/pwn' > ${s.root}/.delivery/sessions/current`)
    const before = listing(`${s.root}/live/`)
    const r = await s.act('syncback')
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/sessions\/current holds "\.\.\/\.\.\/live\/pwn", not a session id: repair it by hand or remove it/)
    expect(listing(`${s.root}/live/`)).toEqual(before)
    expect(readdirSync(`${s.root}/live/`).filter((f) => f.startsWith('pwn'))).toEqual([])
    const st = await s.act('status')
    expect(st.code).toBe(0)
    expect(st.stdout).toMatch(/not a session id/)
  }, 60_000)

  it('.delivery is closed to other users (but for the status page) and saved drift is readable by the code owner only', async () => {
    const s = await site({ method: 'svn', repository: svn.trunk, ref: svn.revs.v1 })
    expect((await s.act('init')).code).toBe(0)
    const closed = () => {
      expect(statSync(`${s.root}/.delivery`).mode & 0o777).toBe(0o711)
      for (const d of ['drift', 'sessions']) expect(statSync(`${s.root}/.delivery/${d}`).mode & 0o777, d).toBe(0o700)
    }
    closed()
    // A hand-made .env readable by its owner only, and a hand edit in the safe tree: the syncback saves both first.
    await t.sh(`cd ${s.root}/trees/${s.state().safe} && (umask 077; echo 'DB_PASSWORD=hunter2' > .env) && echo '// hand' >> index.php`)
    // Layouts made before: a state write closes .delivery again.
    await t.sh(`chmod 755 ${s.root}/.delivery ${s.root}/.delivery/drift ${s.root}/.delivery/sessions`)
    const r = await s.act('syncback')
    expect(r.code).toBe(0)
    closed()
    const saved = readdirSync(`${s.root}/.delivery/drift`)
    expect(saved.length).toBeGreaterThan(0)
    for (const f of saved) expect(statSync(`${s.root}/.delivery/drift/${f}`).mode & 0o777, f).toBe(0o600)
  }, 60_000)
})

/** A read-only status over a live tree holding hand-made folders named like find's actions changes nothing. */
async function statusWithDashNames(inputs: Record<string, string>) {
  const s = await site(inputs)
  expect((await s.act('init')).code).toBe(0)
  await t.sh(`cd ${s.root}/live && mkdir -- -delete -print && echo a > -delete/a.php && echo b > -print/b.php && echo c > ./--to-file=index.php`)
  const before = listing(`${s.root}/live/`)
  const r = await s.act('status')
  expect(r.code, r.stdout).toBe(0)
  expect(listing(`${s.root}/live/`)).toEqual(before)
  const listed = r.report!.hosts[0].drift.flatMap((d) => d.files.map((f) => f.path))
  expect(listed).toEqual(expect.arrayContaining(['-delete/a.php', '-print/b.php', '--to-file=index.php']))
}

describe.concurrent('svn', () => {
  it('status with folders named -delete and -print in the live tree reads them and deletes nothing', async () => {
    await statusWithDashNames({ method: 'svn', repository: svn.trunk, ref: svn.revs.v1 })
  }, 60_000)

  it('a working copy svn cannot read makes a per-path syncback fail at once (its search for a versioned parent ends)', async () => {
    const s = await site({ method: 'svn', repository: svn.trunk, ref: svn.revs.v1 })
    expect((await s.act('init')).code).toBe(0)
    const live = `${s.root}/trees/${s.state().live}`
    await t.sh(`echo '// hand' >> ${live}/mod/forum/lib.php && chmod 000 ${live}/.svn/wc.db`)
    try {
      const r = await s.act('syncback', { paths: 'mod/forum' })
      expect(r.code).toBe(1)
      expect(r.report!.hosts[0].error).toMatch(/record 1 path\(s\)/)
    } finally {
      await t.sh(`chmod 644 ${live}/.svn/wc.db`)
    }
  }, 60_000)

  it('kept files are carried through a link at their destination by replacing it, never by writing where it points', async () => {
    const outside = `/tmp/dlv-outside-${process.pid}`
    await t.sh(`rm -rf ${outside} && mkdir -p ${outside} && echo 'outside, untouched' > ${outside}/local.php`)
    try {
      const s = await site({ method: 'svn', repository: svn.trunk, ref: svn.revs.v1, keep: 'conf/local.php' })
      expect((await s.act('init')).code).toBe(0)
      const { live, safe } = s.state()
      await t.sh(`for t in ${live} ${safe}; do mkdir -p ${s.root}/trees/$t/conf && echo '<?php // kept' > ${s.root}/trees/$t/conf/local.php; done`)
      expect((await s.act('goback')).code).toBe(0)
      // The tree going back live has conf made a link to a folder outside the root.
      await t.sh(`cd ${s.root}/trees/${live} && rm -rf conf && ln -s ${outside} conf`)
      const r = await s.act('backtoprod')
      expect(r.code, r.stdout).toBe(0)
      expect(await t.sh(`cat ${outside}/local.php; ls ${outside}`)).toBe('outside, untouched\nlocal.php\n')
      expect(lstatSync(`${s.root}/live/conf`).isDirectory()).toBe(true)
      expect(readFileSync(`${s.root}/live/conf/local.php`, 'utf8')).toBe('<?php // kept\n')
    } finally {
      await t.sh(`rm -rf ${outside}`)
    }
  }, 60_000)

  it('a conflict svn leaves during the update (a hand-scheduled delete of a file the update changes) switches nothing', async () => {
    const s = await site({ method: 'svn', repository: svn.trunk, ref: svn.revs.v1 })
    expect((await s.act('init')).code).toBe(0)
    await t.sh(`cd ${s.root}/live && svn rm -q lib/setup.php`)
    const before = listing(`${s.root}/live/`)
    const r = await s.act('deliver', { ref: svn.revs.v3 })
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/svn left 1 path\(s\) of trees\/\S+ in conflict when updating to revision \d+: lib\/setup\.php\. Nothing was switched: the live tree is unchanged/)
    // live serves the same content (the safe copy of the former live tree), and the state says delivering.
    expect(listing(`${s.root}/live/`)).toEqual(before)
    expect(s.state().state).toBe('delivering')
  }, 60_000)
})

describe.concurrent('cvs', () => {
  const repository = () => `${cvs.root}#moodle`

  it('status with folders named -delete and -print in the live tree reads them and deletes nothing', async () => {
    await statusWithDashNames({ method: 'cvs', repository: repository(), ref: 'v1' })
  }, 60_000)

  it('a hand-made file that would be overwritten by an added file is refused before anything changes', async () => {
    const s = await site({ method: 'cvs', repository: repository(), ref: 'v1' })
    expect((await s.act('init')).code).toBe(0)
    await t.sh(`echo '<?php // hand-made, in the way' > ${s.root}/live/mod/forum/newfile.php`)
    const before = listing(`${s.root}/live/`)
    const r = await s.act('deliver', { ref: 'v2' })
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/mod\/forum\/newfile\.php/)
    expect(r.report!.hosts[0].error).toMatch(/conflict/)
    expect(listing(`${s.root}/live/`)).toEqual(before)
  }, 60_000)

  it('a name holding a newline, which cvs cannot handle, fails the status with a clear error and changes nothing', async () => {
    const s = await site({ method: 'cvs', repository: repository(), ref: 'v1' })
    expect((await s.act('init')).code).toBe(0)
    await t.sh(`printf 'x' > "${s.root}/live/mod/forum/a"$'\\n'"b.php"`)
    const before = listing(`${s.root}/live/`)
    const r = await s.act('status')
    expect(r.code).toBe(1)
    expect(r.report!.hosts[0].error).toMatch(/the name \.\/mod\/forum\/a\?b\.php holds a control character \(a newline\.\.\.\), which cvs cannot handle\. Rename or remove it on the server/)
    expect(listing(`${s.root}/live/`)).toEqual(before)
  }, 60_000)
})

/**
 * Sudo mode against a real sshd and the real sudo: the SSH user `dlvtest` logs in; the code owner `dlvowner` owns the
 * delivery root (mode 0750: the SSH user cannot even read it) and every tree and state command runs as it through
 * `sudo -n -u`; Moodle's CLI runs as the web user `dlvsudoweb` with a rule for PHP alone. A missing sudoers rule is refused before anything changes,
 * with the line to add.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, makePlainGitRepo, moodleV1, type GitRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { run, runAs } from '../helpers/proc.js'
import { makeUser } from '../helpers/sshd.js'

const OWNER = 'dlvowner'
const WEB = 'dlvsudoweb' // a web user of its own: other suites grant sudo to other users meanwhile
const sudoers = `/etc/sudoers.d/dlvtest-${randomBytes(4).toString('hex')}`

let t: Target
let repo: MoodleRepo
let moodle: GitRepo
let root: string
let moodleRoot: string
let scratch: string

/** Writes the sudoers file (checked by visudo first), or removes it for null. */
async function setSudoers(lines: string[] | null): Promise<void> {
  if (lines === null) {
    await rm(sudoers, { force: true })
    return
  }
  const tmp = `/tmp/dlv-sudoers-${randomBytes(4).toString('hex')}`
  await writeFile(tmp, `${lines.join('\n')}\n`, { mode: 0o440 })
  await run('visudo', ['-cf', tmp], { check: true })
  await run('mv', ['-f', tmp, sudoers], { check: true })
  await chmod(sudoers, 0o440)
}

/** A delivery root owned by the code owner, open to `group` only (as root). */
async function ownerRoot(name: string, group = OWNER): Promise<string> {
  const dir = `/tmp/dlv-sudo-${name}-${randomBytes(4).toString('hex')}`
  await mkdir(dir)
  await run('chown', [`${OWNER}:${group}`, dir], { check: true })
  await chmod(dir, 0o750)
  return dir
}

/** Everything under a directory with owner and mode, seen by root: to prove that nothing changed. */
async function snapshot(dir: string): Promise<string> {
  return (await run('bash', ['-c', 'cd "$1" && find . -printf "%p %u %m %s\\n" | sort && cat .delivery/state.json 2>/dev/null || true', 'x', dir], { check: true })).stdout
}

const asRoot = async (cmd: string) => (await run('bash', ['-c', cmd], { check: true })).stdout

beforeAll(async () => {
  await Promise.all([makeUser(OWNER), makeUser(WEB)])
  t = await startTarget()
  t.base['web-user'] = WEB
  t.base['sudo-user'] = OWNER
  repo = await makeMoodleRepo(OWNER)
  root = await ownerRoot('site')
  scratch = `/tmp/dlv-sudo-scratch-${randomBytes(4).toString('hex')}`
  await mkdir(scratch, { mode: 0o777 })
  await chmod(scratch, 0o777)
  // A Moodle-shaped tree whose admin/cli scripts record, in a moodledata folder only the web user may write, which
  // user ran them.
  const moodledata = `${scratch}/moodledata`
  await mkdir(moodledata)
  await run('chown', [`${WEB}:${WEB}`, moodledata], { check: true })
  await chmod(moodledata, 0o755)
  const cli = `<?php\n$u = posix_getpwuid(posix_geteuid())['name'];\nfile_put_contents('${moodledata}/cli.log', $u . ' ' . basename(__FILE__) . ' ' . implode(' ', array_slice($argv, 1)) . "\\n", FILE_APPEND);\nexit(0);\n`
  moodle = await makePlainGitRepo(OWNER, {
    ...moodleV1,
    'admin/cli/upgrade.php': cli,
    'admin/cli/purge_caches.php': cli,
    'admin/cli/maintenance.php': cli,
    'admin/cli/cron.php': cli,
  })
  // The web server reads the code (group), the SSH user may not even look.
  moodleRoot = await ownerRoot('moodle', WEB)
})

afterAll(async () => {
  await setSudoers(null)
  await t?.stop()
  await repo?.remove()
  await moodle?.remove()
  for (const d of [root, moodleRoot, scratch]) if (d) await rm(d, { recursive: true, force: true })
})

describe('sudo mode', () => {
  it('without a sudoers rule, refuses before changing anything and names the line to add', async () => {
    await setSudoers(null)
    const before = await snapshot(root)
    const r = await runAction({ ...t.base, path: root, mode: 'init', repository: repo.dir, ref: 'v1', app: 'none' })
    expect(r.code).toBe(1)
    const host = r.report!.hosts[0]
    expect(host.outcome).toBe('failure')
    expect(host.error).toContain(`sudo-user ${OWNER}`)
    expect(host.error).toContain('a password is required')
    expect(host.error).toContain(`dlvtest ALL=(${OWNER}) NOPASSWD: ALL`)
    expect(host.steps.map((s) => `${s.name}:${s.outcome}`)).toEqual(['connect:success', 'sudo:failure'])
    expect(r.summary).toContain(`NOPASSWD: ALL`)
    expect(await snapshot(root)).toBe(before)
  })

  it('with the rule, init and deliver run every tree and state command as the code owner', async () => {
    await setSudoers([`dlvtest ALL=(${OWNER}) NOPASSWD: ALL`])
    const init = await runAction({ ...t.base, path: root, mode: 'init', repository: repo.dir, ref: 'v1', app: 'none' })
    expect(init.code, init.stdout).toBe(0)
    expect(init.report!.hosts[0].steps[1]).toMatchObject({ name: 'sudo', outcome: 'success' })
    const hook = `${scratch}/after-switch.out`
    const r = await runAction({
      ...t.base,
      path: root,
      mode: 'deliver',
      repository: repo.dir,
      ref: 'v2',
      app: 'none',
      'after-switch': `{ id -un; pwd; } > ${hook}`,
    })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.hosts[0].revisionAfter).toBe(repo.commits.v2)
    // Every file of the layout belongs to the code owner; the SSH user cannot read it.
    expect(await asRoot(`find ${root} ! -user ${OWNER} | head -5`)).toBe('')
    expect(await asRoot(`cat ${root}/live/index.php`)).toContain('v2')
    const peek = await runAs('dlvtest', `cat ${root}/.delivery/state.json`)
    expect(peek.code).not.toBe(0)
    expect(peek.stderr).toContain('Permission denied')
    // The user's own command runs as the SSH user, from its home since it may not enter the root.
    expect((await asRoot(`cat ${hook}`)).split('\n').slice(0, 2)).toEqual(['dlvtest', '/home/dlvtest'])
    // Nothing of the live tree is writable by the web user: the audit says so.
    expect(r.report!.hosts[0].permissionAudit).toMatchObject({ webUser: WEB, total: 0 })
    const journal = (await asRoot(`cat ${root}/.delivery/journal.jsonl`)).trim().split('\n').map((l) => JSON.parse(l) as { event: string })
    expect(journal.map((e) => e.event)).toEqual(expect.arrayContaining(['init', 'start', 'switch', 'end']))
    expect(await asRoot(`test -e ${root}/.delivery/lock || echo unlocked`)).toContain('unlocked')
  })

  it('the narrower rule naming /usr/bin/bash, which the refusal suggests, works too', async () => {
    await setSudoers([`dlvtest ALL=(${OWNER}) NOPASSWD: /usr/bin/bash`])
    // It allows no other program: `sudo -n -u dlvowner true` is refused, the action's bash scripts are not.
    expect((await runAs('dlvtest', `cd / && sudo -n -u ${OWNER} true`)).code).not.toBe(0)
    const r = await runAction({ ...t.base, path: root, mode: 'status', app: 'none' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.report!.hosts[0].status?.state).toBe('production')
  })

  it('Moodle: the web user is checked up front too, and its CLI runs as that user', async () => {
    await setSudoers([`dlvtest ALL=(${OWNER}) NOPASSWD: ALL`])
    const before = await snapshot(moodleRoot)
    const refused = await runAction({ ...t.base, path: moodleRoot, mode: 'init', repository: moodle.dir, app: 'moodle' })
    expect(refused.code, JSON.stringify(refused.report?.hosts[0].steps)).toBe(1)
    const host = refused.report!.hosts[0]
    expect(host.error).toContain(`web-user ${WEB}`)
    expect(host.error).toContain(`dlvtest ALL=(${WEB}) NOPASSWD: /usr/bin/php (`)
    expect(host.steps.map((s) => `${s.name}:${s.outcome}`)).toEqual(['connect:success', 'sudo:success', 'sudo:failure'])
    expect(await snapshot(moodleRoot)).toBe(before)

    // The rules a careful admin writes: the code owner for the action's scripts, PHP alone as the web user.
    await setSudoers([`dlvtest ALL=(${OWNER}) NOPASSWD: ALL`, `dlvtest ALL=(${WEB}) NOPASSWD: /usr/bin/php`])
    const init = await runAction({ ...t.base, path: moodleRoot, mode: 'init', repository: moodle.dir, app: 'moodle' })
    expect(init.code, init.stdout).toBe(0)
    const next = await moodle.commit('a forum fix', { 'mod/forum/lib.php': '<?php\n// fixed\n' })
    const r = await runAction({ ...t.base, path: moodleRoot, mode: 'deliver', repository: moodle.dir, ref: next })
    expect(r.code, r.stdout).toBe(0)
    // The report says which form of command ran as each user, and the rule that allows it.
    expect((r.report!.hosts[0] as { sudo?: unknown }).sudo).toEqual([
      { user: OWNER, input: 'sudo-user', command: `sudo -n -u ${OWNER} -- bash -c SCRIPT ARGS...`, rule: `dlvtest ALL=(${OWNER}) NOPASSWD: ALL` },
      { user: WEB, input: 'web-user', command: `sudo -n -u ${WEB} /usr/bin/php SCRIPT ARGS...`, rule: `dlvtest ALL=(${WEB}) NOPASSWD: /usr/bin/php` },
    ])
    const log = (await asRoot(`cat ${scratch}/moodledata/cli.log`)).trim().split('\n')
    expect(log.length).toBeGreaterThan(0)
    expect(log.every((l) => l.startsWith(`${WEB} `)), log.join('\n')).toBe(true)
    expect(await asRoot(`stat -c %U ${scratch}/moodledata/cli.log`)).toBe(`${WEB}\n`)
    expect(await asRoot(`find ${moodleRoot} ! -user ${OWNER} | head -5`)).toBe('')
  })
})

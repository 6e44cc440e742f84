/**
 * What a person sees from the CLI (dist/cli.js) over a real sshd: the report as text on stdout (no Markdown, no HTML
 * entities, no colour when stdout is not a terminal), the Markdown only in a job summary; and `npm run demo`, a
 * least-privilege delivery whose permission audit has nothing to say.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { run } from '../helpers/proc.js'

let t: Target
let repo: MoodleRepo
let dir: string
const cli = join(ROOT, 'dist', 'cli.js')

beforeAll(async () => {
  t = await startTarget()
  repo = await makeMoodleRepo(t.sshd.user)
  dir = await mkdtemp('/tmp/dlv-cli-')
  await writeFile(join(dir, 'key'), t.base['private-key'], { mode: 0o600 })
  await writeFile(join(dir, 'known_hosts'), `${t.base['known-hosts']}\n`)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const delivery = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(
    process.execPath,
    [cli, '--hosts', t.base.hosts, '--path', t.root, '--private-key-file', join(dir, 'key'), '--known-hosts-file', join(dir, 'known_hosts'), '--web-user', 'www-data', '--app', 'none', '--repository', repo.dir, ...args],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: dir, ...env } },
  )

describe('the CLI on a terminal', () => {
  it('prints the report as text, then the outputs; the Markdown goes nowhere outside Actions', async () => {
    expect((await delivery(['--mode', 'init', '--ref', 'v1'])).code).toBe(0)
    const r = await delivery(['--mode', 'deliver', '--ref', 'v2', '--comment', 'fixes <forum> & quiz'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Delivery deliver succeeded: repo\n=+\n1 host now serves revision /)
    expect(r.stdout).toMatch(/switch +success +\d+ ms +live: trees\/\S+ -> trees\/\S+/)
    expect(r.stdout).toContain('Comment     fixes <forum> & quiz')
    expect(r.stdout).toContain('R theme/boost/config.php -> theme/boost/settings.php')
    for (const md of ['&gt;', '&lt;', '&amp;', '<details>', '|---', '### ']) expect(r.stdout, md).not.toContain(md)
    expect(r.stdout, 'no colour when stdout is not a terminal').not.toContain('\x1b[')
    expect(r.stdout).toMatch(/\n\nstate=production\nlive-tree=/)
  })

  it('in a GitHub Actions step, the Markdown also goes to the job summary', async () => {
    const summary = join(dir, 'summary.md')
    await writeFile(summary, '')
    const r = await delivery(['--mode', 'status'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Delivery status succeeded/)
    const md = await readFile(summary, 'utf8')
    expect(md).toMatch(/^## .*status/m)
    expect(r.stdout).not.toContain(md.split('\n')[0])
  })
})

describe('npm run demo', () => {
  it('delivers as a careful admin would set it up: a login, a code owner, a web user; the audit is clean', async () => {
    const r = await run(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { env: { PATH: process.env.PATH, HOME: process.env.HOME } })
    expect(r.code, r.stderr).toBe(0)
    const all = `${r.stderr}\n${r.stdout}`
    expect(all).toContain('demo-deploy logs in, demo-code owns the code (sudoers: demo-deploy ALL=(demo-code) NOPASSWD: ALL), demo-web serves it')
    expect(r.stdout).toMatch(/^Delivery deliver succeeded/)
    expect(r.stdout).toMatch(/^  sudo +success /m)
    expect(all).not.toMatch(/owned-by-web-user|writable-by-web-user|world-writable|Permission findings|warning:/)
    expect(all).toMatch(/drwxr-s--- +\d+ demo-code demo-web .* \.\n/)
    expect(all).toContain('demo finished: the delivery succeeded')
    // Its sudoers file is gone.
    expect((await run('bash', ['-c', 'ls /etc/sudoers.d | grep -c delivery-demo || true'])).stdout.trim()).toBe('0')
  }, 120_000)
})

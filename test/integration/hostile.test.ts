/**
 * Hostile and broken inputs: each is refused before any connection is made (sshd logs no connection), with a
 * message naming the input, and the exit code says "invalid input" (the CLI's 2; the Action fails).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ROOT, runAction, type Target, startTarget } from '../helpers/action.js'
import { run } from '../helpers/proc.js'

let t: Target

beforeAll(async () => {
  t = await startTarget()
})

afterAll(async () => {
  await t?.stop()
})

const huge = 'a'.repeat(70_000)
const pubKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPrjRZkqN+cOn5n5ZBB0m2wGtB7cS8iB9FhT1D+Ck4x test'

/** [input, value, extra inputs, what the message must say]. */
const CASES: [string, string, Record<string, string>, RegExp][] = [
  ['mode', 'deploy; rm -rf /', {}, /Input 'mode'.*not one of/],
  ['mode', '', {}, /Input 'mode': is required/],
  ['hosts', 'host;id', {}, /Input 'hosts'/],
  ['hosts', '$(reboot)', {}, /Input 'hosts'/],
  ['hosts', 'user@host:99999', {}, /Input 'hosts'.*out of range/],
  ['hosts', '-oProxyCommand=touch /tmp/pwned', {}, /Input 'hosts'/],
  ['hosts', 'a b', {}, /Input 'hosts'/],
  ['hosts', 'dlvtest@127.0.0.1:22\ndlvtest@127.0.0.1:22', {}, /Input 'hosts'.*twice/],
  ['hosts', 'root`id`@127.0.0.1', {}, /Input 'hosts'/],
  ['username', 'bob;id', { hosts: '127.0.0.1' }, /Input 'username'/],
  ['port', '22; id', {}, /Input 'port'/],
  ['path', 'relative/path', {}, /Input 'path'.*not absolute/],
  ['path', '/srv/../etc', {}, /Input 'path'.*not normalised/],
  ['path', '/srv/moodle; rm -rf /', {}, /Input 'path'.*not allowed/],
  ['path', '/srv/$(id)', {}, /Input 'path'.*not allowed/],
  ['path', '/srv/moodle\n/etc', {}, /Input 'path'.*line break/],
  ['path', '/srv/`id`', {}, /Input 'path'.*not allowed/],
  ['path', '/', {}, /Input 'path'/],
  ['path', `/${huge}`, {}, /Input 'path'.*characters long/],
  ['paths', '../../etc/passwd', { mode: 'syncback' }, /Input 'paths'.*not normalised/],
  ['paths', '/etc', { mode: 'syncback' }, /Input 'paths'.*absolute/],
  ['paths', 'mod/forum; id', { mode: 'syncback' }, /Input 'paths'.*not allowed/],
  ['paths', '.git/config', { mode: 'syncback' }, /Input 'paths'.*metadata/],
  ['paths', '-rf', { mode: 'syncback' }, /Input 'paths'.*starting with -/],
  ['paths', 'mod/forum\nmod/forum/lib', { mode: 'syncback' }, /Input 'paths'.*inside/],
  ['keep', '../config.php', {}, /Input 'keep'/],
  ['ref', '--upload-pack=touch /tmp/pwned', { mode: 'deliver', repository: '/tmp/x.git' }, /Input 'ref'/],
  ['ref', 'main;id', { mode: 'deliver', repository: '/tmp/x.git' }, /Input 'ref'/],
  ['ref', 'a..b', { mode: 'deliver', repository: '/tmp/x.git' }, /Input 'ref'/],
  ['repository', '--upload-pack=touch /tmp/pwned', { mode: 'deliver' }, /Input 'repository'/],
  ['repository', 'ext::sh -c touch% /tmp/pwned', { mode: 'deliver' }, /Input 'repository'/],
  ['repository', 'https://host/repo.git; id', { mode: 'deliver' }, /Input 'repository'/],
  ['repository', 'https://user:secret@host/repo.git', { mode: 'deliver' }, /Input 'repository'.*credentials/],
  ['private-key', 'not a key', {}, /Input 'private-key'.*not a private key/],
  ['private-key', `-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n`, {}, /Input 'private-key'.*cannot be read/],
  ['known-hosts', '127.0.0.1 ssh-ed25519 %%%notbase64', {}, /Input 'known-hosts'/],
  ['known-hosts', pubKey.replace('AAAAC3', 'AAAAB3'), {}, /Input 'known-hosts'/],
  ['host-fingerprint', 'MD5:aa:bb', { 'known-hosts': '' }, /Input 'host-fingerprint'/],
  ['known-hosts', '', { 'host-fingerprint': '' }, /Input 'known-hosts'.*cannot be authenticated/],
  ['timeout', '0', {}, /Input 'timeout'.*out of range/],
  ['timeout', '1e9', {}, /Input 'timeout'.*not a whole number/],
  ['lock-timeout', '-1', {}, /Input 'lock-timeout'/],
  ['dry-run', 'yes', {}, /Input 'dry-run'.*not a boolean/],
  ['on-drift', 'ignore', {}, /Input 'on-drift'/],
  ['method', 'ftp', {}, /Input 'method'/],
  ['sudo-user', 'root; id', {}, /Input 'sudo-user'/],
  ['web-user', '$(id)', {}, /Input 'web-user'/],
  ['php', 'php -r system("id");', {}, /Input 'php'/],
  ['health-url', 'file:///etc/passwd', {}, /Input 'health-url'/],
  ['health-expect', 'ok', {}, /Input 'health-expect'/],
  ['mail-to', 'not-an-address', { 'smtp-host': 'smtp.example.org', 'mail-from': 'a@example.org' }, /Input 'mail-to'/],
  ['mail-to', 'a@example.org', {}, /Input 'smtp-host'.*required/],
  ['smtp-host', 'smtp;id', { 'mail-to': 'a@example.org', 'mail-from': 'b@example.org' }, /Input 'smtp-host'/],
  ['artifact-name', 'a/b:c', {}, /Input 'artifact-name'/],
  ['adopt', '/srv/old', { mode: 'deliver' }, /Input 'adopt'.*only used by mode init/],
  ['jump-host', 'bastion;id', {}, /Input 'jump-host'/],
]

describe('hostile and broken inputs are refused before any connection', () => {
  it(`${CASES.length} cases: each names its input, and sshd logs no connection`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30)
    for (const [input, value, extra, message] of CASES) {
      const inputs = { ...t.base, mode: 'status', ...extra, [input]: value }
      const r = await runAction(inputs)
      expect(r.code, `${input}=${JSON.stringify(value.slice(0, 40))}`).toBe(1)
      expect(r.stdout, `${input}=${JSON.stringify(value.slice(0, 40))}`).toMatch(message)
      expect(r.stdout).toContain('nothing was done on any server')
      expect(r.outputs['report-json'], 'no report: nothing ran').toBeUndefined()
    }
    expect(t.sshd.connectionCount()).toBe(0)
    expect(await t.sh(`ls -A ${t.root}`)).toBe('')
    expect(await t.sh('test -e /tmp/pwned && echo PWNED || echo clean')).toContain('clean')
  }, 240_000)

  it('the CLI exits with 2 on invalid input, an unknown flag, or a NUL byte read from a file', async () => {
    const cli = join(ROOT, 'dist', 'cli.js')
    const bad = await run(process.execPath, [cli, '--mode', 'deliver', '--hosts', 'x;y', '--path', '/srv/m'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/Input 'hosts'/)
    const unknown = await run(process.execPath, [cli, '--mdoe', 'deliver'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/mdoe/)
    // A NUL byte cannot travel in an environment variable, but it can in a file given to the CLI.
    const dir = await mkdtemp('/tmp/dlv-hostile-')
    await writeFile(join(dir, 'path'), '/srv/mood\0le')
    const nul = await run(process.execPath, [cli, '--mode', 'status', '--hosts', t.base.hosts, '--path-file', join(dir, 'path'), `--private-key=${t.base['private-key']}`, `--known-hosts=${t.base['known-hosts']}`])
    expect(nul.code).toBe(2)
    expect(nul.stderr).toMatch(/Input 'path': contains a NUL byte/)
    await rm(dir, { recursive: true })
    expect(t.sshd.connectionCount()).toBe(0)
  })
})

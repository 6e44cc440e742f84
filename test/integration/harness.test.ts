/**
 * Proves the integration-test harness itself works, using only system tools (the OpenSSH client, ssh-keygen, git),
 * not the project's code: a real sshd with the keys it hands out, its connection counter, two servers at once, and
 * the git fixtures.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeMoodleRepo, makePlainGitRepo } from '../helpers/gitrepo.js'
import { type RunResult, run } from '../helpers/proc.js'
import { type SshdHandle, startSshd } from '../helpers/sshd.js'

let tmp: string
let n = 0

/** Writes a file (mode 0600, as ssh wants for keys) in this test's temporary folder. */
async function file(content: string): Promise<string> {
  const path = join(tmp, `f${++n}`)
  await writeFile(path, content, { mode: 0o600 })
  return path
}

/** `ssh … whoami` with the system client, strict host key checking against `knownHostsLine`. */
async function sshWhoami(server: SshdHandle, key: string, knownHostsLine = server.knownHostsLine): Promise<RunResult> {
  return run('ssh', ['-F', '/dev/null', '-i', await file(key), '-o', `UserKnownHostsFile=${await file(`${knownHostsLine}\n`)}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=10',
    '-p', String(server.port), `${server.user}@${server.host}`, 'whoami'])
}

beforeAll(async () => { tmp = await mkdtemp('/tmp/dlv-harness-') })
afterAll(async () => { await rm(tmp, { recursive: true, force: true }) })

describe('sshd harness', () => {
  let server: SshdHandle
  beforeAll(async () => { server = await startSshd() })
  afterAll(async () => { await server?.stop() })

  it('accepts the ed25519 key with a strict known_hosts, and counts the connection', async () => {
    expect(server.connectionCount()).toBe(0)
    const res = await sshWhoami(server, server.privateKey)
    expect(res.stderr).toBe('')
    expect(res.stdout.trim()).toBe('dlvtest')
    expect(res.code).toBe(0)
    expect(server.connectionCount()).toBe(1)
  })

  it('hands out a really encrypted key that is authorised once decrypted, and an RSA key', async () => {
    const encrypted = await file(server.encryptedKey.key)
    expect((await run('ssh-keygen', ['-y', '-P', 'wrong', '-f', encrypted])).code).not.toBe(0)
    expect((await run('ssh-keygen', ['-y', '-P', server.encryptedKey.passphrase, '-f', encrypted])).code).toBe(0)
    await run('ssh-keygen', ['-p', '-q', '-P', server.encryptedKey.passphrase, '-N', '', '-f', encrypted], { check: true })
    expect((await sshWhoami(server, await readFile(encrypted, 'utf8'))).stdout.trim()).toBe('dlvtest')
    expect(server.rsaKey).toMatch(/^-----BEGIN (RSA|OPENSSH) PRIVATE KEY-----/)
    expect((await sshWhoami(server, server.rsaKey)).stdout.trim()).toBe('dlvtest')
  })

  it('gives the host key fingerprint as ssh-keygen prints it', async () => {
    const res = await run('ssh-keygen', ['-lf', await file(`${server.knownHostsLine}\n`)], { check: true })
    expect(server.knownHostsLine).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${server.port} ssh-ed25519 AAAA\\S+$`))
    expect(server.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
    expect(res.stdout.split(/\s+/)[1]).toBe(server.fingerprint)
  })

  it('runs local commands as the test user', async () => {
    const res = await server.exec('whoami; echo "$HOME"; pwd')
    expect(res).toEqual({ code: 0, stdout: 'dlvtest\n/home/dlvtest\n/home/dlvtest\n', stderr: '' })
    expect((await server.exec('exit 3')).code).toBe(3)
  })
})

describe('two servers at once', () => {
  it('run on different ports with different host keys', async () => {
    const [a, b] = await Promise.all([startSshd(), startSshd()])
    try {
      expect(a.port).not.toBe(b.port)
      expect(a.fingerprint).not.toBe(b.fingerprint)
      expect(b.connectionCount()).toBe(0)
      const [ra, rb] = await Promise.all([sshWhoami(a, a.privateKey), sshWhoami(b, b.privateKey)])
      expect([ra.stdout.trim(), rb.stdout.trim()]).toEqual(['dlvtest', 'dlvtest'])
      // B's host key is not A's: strict checking refuses B when known_hosts holds A's key for B's address.
      const wrong = await sshWhoami(b, b.privateKey, a.knownHostsLine.replace(`:${a.port} `, `:${b.port} `))
      expect(wrong.code).not.toBe(0)
      expect(wrong.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
      expect([a.connectionCount(), b.connectionCount()]).toEqual([1, 2])
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})

describe('git fixtures', () => {
  it('builds a Moodle-shaped repository in three versions, with a rename in v2', async () => {
    const repo = await makeMoodleRepo('dlvtest')
    const { v1, v2, v3 } = repo.commits
    expect(new Set([v1, v2, v3]).size).toBe(3)
    for (const sha of [v1, v2, v3]) expect(sha).toMatch(/^[0-9a-f]{40}$/)
    expect(repo.head).toBe(v3)
    const diff = await repo.exec('git diff --name-status -M v1 v2')
    expect(diff).toMatch(/^R100\ttheme\/boost\/config\.php\ttheme\/boost\/settings\.php$/m)
    expect(diff).toMatch(/^D\tlib\/old\.php$/m)
    expect(diff).toMatch(/^A\tmod\/forum\/newfile\.php$/m)
    expect(await repo.exec('git diff --name-only v2 v3')).toBe('lib/setup.php\nmod/forum/view.php\nversion.php\n')
    expect(await repo.exec('git show v3:version.php')).toContain('$version  = 2023100900.01;')
    expect(await repo.exec(`git -C ${repo.dir} rev-parse main`)).toBe(`${v3}\n`)
    expect(await repo.exec(`git -C ${repo.dir} config uploadpack.allowAnySHA1InWant`)).toBe('true\n')
    expect(await repo.exec('stat -c %U . && git status --porcelain')).toBe('dlvtest\n')
    // The owner can fetch any commit by sha from the bare repository, as a server would.
    const fetched = await repo.exec(`d=$(mktemp -d) && git init -q "$d" && git -C "$d" fetch -q ${repo.dir} ${v2} && ` +
      `git -C "$d" rev-parse FETCH_HEAD && rm -rf "$d"`)
    expect(fetched).toBe(`${v2}\n`)
    const plain = await makePlainGitRepo('dlvtest', { 'a.txt': 'A\n', 'sub/b.txt': 'B\n' })
    expect(await plain.exec('git ls-files')).toBe('a.txt\nsub/b.txt\n')
    expect(await plain.commit('drop a', { 'a.txt': null })).toBe(plain.head)
    expect(await plain.exec(`git -C ${plain.dir} ls-tree -r --name-only main`)).toBe('sub/b.txt\n')
    await Promise.all([repo.remove(), plain.remove()])
  })
})

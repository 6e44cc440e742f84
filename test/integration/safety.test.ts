/**
 * Safety over a real sshd: the host key is checked before authentication, secrets appear nowhere, a held lock fails
 * the run naming its holder, a stale lock is taken over (ending the holder's process group), and a connection cut in
 * the middle of an update leaves live complete and a next run that finishes the delivery.
 */
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readServerJson, runAction, type Target, startTarget } from '../helpers/action.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { sleep } from '../helpers/proc.js'
import { runDelivery } from '../../src/runner.js'
import type { InputName } from '../../src/inputs.js'
import { memorySink } from '../../src/log.js'
import type { SshConnection } from '../../src/transport/ssh.js'
import { ed25519Pair } from '../helpers/keys.js'

let t: Target
let repo: MoodleRepo

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeMoodleRepo(t.sshd.user)
  const r = await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })
  expect(r.code, r.stdout).toBe(0)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

const snapshot = () => t.sh(`cd ${t.root} && cat .delivery/state.json && readlink live && ls trees && (cat .delivery/journal.jsonl | wc -l)`)

describe('host keys', () => {
  it('a wrong host key is refused before any authentication attempt', async () => {
    const other = await startTarget()
    try {
      const wrongKnownHosts = other.sshd.knownHostsLine.replace(/^\S+/, `[127.0.0.1]:${t.sshd.port}`)
      const before = await snapshot()
      const logStart = t.sshd.readLog().length
      const r = await runAction({ ...t.base, mode: 'status', 'known-hosts': wrongKnownHosts })
      expect(r.code).toBe(1)
      expect(r.report?.hosts[0].error).toMatch(/host key verification failed: the host key SHA256:\S+ of 127\.0\.0\.1:\d+ is not trusted/)
      const log = t.sshd.readLog().slice(logStart)
      expect(log).toMatch(/Connection from 127\.0\.0\.1/)
      expect(log).not.toMatch(/Accepted|Failed publickey|Postponed|userauth/i)
      expect(await snapshot()).toBe(before)
      const fp = await runAction({ ...t.base, mode: 'status', 'known-hosts': '', 'host-fingerprint': other.sshd.fingerprint })
      expect(fp.code).toBe(1)
      expect(fp.report?.hosts[0].error).toMatch(/host key verification failed/)
    } finally {
      await other.stop()
    }
  })

  it('a matching fingerprint is accepted, and so are the RSA key and the passphrase-protected key', async () => {
    const fp = await runAction({ ...t.base, mode: 'status', 'known-hosts': '', 'host-fingerprint': t.sshd.fingerprint })
    expect(fp.code, fp.stdout).toBe(0)
    const rsa = await runAction({ ...t.base, mode: 'status', 'private-key': t.sshd.rsaKey })
    expect(rsa.code, rsa.stdout).toBe(0)
    const enc = await runAction({ ...t.base, mode: 'status', 'private-key': t.sshd.encryptedKey.key, passphrase: t.sshd.encryptedKey.passphrase })
    expect(enc.code, enc.stdout).toBe(0)
    const wrong = await runAction({ ...t.base, mode: 'status', 'private-key': t.sshd.encryptedKey.key, passphrase: 'not the passphrase' })
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toMatch(/Input 'private-key': cannot be decrypted with the passphrase given/)
  })

  it('insecure-skip-host-key-check connects but warns on every run', async () => {
    const r = await runAction({ ...t.base, mode: 'status', 'known-hosts': '', 'insecure-skip-host-key-check': 'true' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/::warning::insecure-skip-host-key-check is true/)
  })
})

describe('secrets', () => {
  it('the private key and passphrase appear in no log, summary or report, even when a step fails', async () => {
    const key = t.sshd.encryptedKey.key
    const pass = t.sshd.encryptedKey.passphrase
    const r = await runAction(
      { ...t.base, mode: 'deliver', repository: `${repo.dir}-missing`, ref: 'v2', 'private-key': key, passphrase: pass, comment: `${pass} in a comment` },
      { env: { RUNNER_TEMP: '/tmp' } },
    )
    expect(r.code).toBe(1)
    const reportDir = r.outputs['report-dir']
    const files = await readdir(reportDir)
    const texts = [r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), r.stderr, r.summary]
    for (const f of files) texts.push(await readFile(join(reportDir, f), 'utf8'))
    const journal = await t.sh(`cat ${t.root}/.delivery/journal.jsonl`)
    texts.push(journal)
    const keyLines = key.split('\n').filter((l) => l.length > 10 && !l.startsWith('-----'))
    for (const text of texts) {
      for (const line of keyLines) expect(text).not.toContain(line)
      expect(text).not.toContain(pass)
    }
    // Masked inside the report's values, then rendered: Markdown shows *** escaped.
    expect(r.summary).toContain('\\*\\*\\* in a comment')
    await rm(reportDir, { recursive: true, force: true })
    // The ref could not be fetched, so nothing changed: still production, on the same tree.
    expect(r.report?.hosts[0].steps.map((s) => s.name)).not.toContain('syncback')
    expect((await readServerJson<{ state: string }>(t, `${t.root}/.delivery/state.json`)).state).toBe('production')
  })
})

describe('the lock', () => {
  it('a held lock fails the run at once, naming its holder, and changes nothing', async () => {
    const lock = JSON.stringify({ runId: 'other-run-7', actor: 'alice', host: 'runner-1', pid: 0, startedAt: '2026-11-25T09:00:00Z', mode: 'deliver' })
    await t.sh(`printf '%s' '${lock}' > ${t.root}/.delivery/lock`)
    const before = await snapshot()
    const r = await runAction({ ...t.base, mode: 'syncback' })
    expect(r.code).toBe(1)
    expect(r.report?.hosts[0].error).toMatch(/locked by run other-run-7 of alice on runner-1 \(mode deliver/)
    expect(await snapshot()).toBe(before)
    const dry = await runAction({ ...t.base, mode: 'syncback', 'dry-run': 'true' })
    expect(dry.code).toBe(1)
    expect(dry.report?.hosts[0].error).toMatch(/lock is held by run other-run-7.*a real run would fail now/)
    expect(await t.sh(`cat ${t.root}/.delivery/lock`)).toBe(lock)
    await t.sh(`rm ${t.root}/.delivery/lock`)
  })

  it('a stale lock is taken over: the holder\'s process group is ended first, and the journal says so', async () => {
    // A "run" that outlived its connection: a process group whose command line carries its run marker.
    await t.sh(`setsid bash -c 'sleep 300; true' delivery:stale-run-1 </dev/null >/dev/null 2>&1 & echo $! > ${t.root}/.sleeper`)
    const pid = (await t.sh(`cat ${t.root}/.sleeper`)).trim()
    // Wait until the process carries its run marker (bash has started), not for a fixed time.
    for (let i = 0; i < 200 && !(await t.sh(`tr '\\0' ' ' < /proc/${pid}/cmdline 2>/dev/null || true`)).includes('stale-run-1'); i++) await sleep(20)
    expect(await t.sh(`kill -0 ${pid} && echo alive`)).toContain('alive')
    const lock = JSON.stringify({ runId: 'stale-run-1', actor: 'bob', host: 'runner-2', startedAt: '2026-11-25T07:00:00Z', mode: 'update', pid: Number(pid) })
    await t.sh(`printf '%s' '${lock}' > ${t.root}/.delivery/lock && touch -d '2 hours ago' ${t.root}/.delivery/lock`)
    const r = await runAction({ ...t.base, mode: 'syncback', 'lock-timeout': '3600' })
    expect(r.code, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/::warning::.*took over the stale lock of run stale-run-1 of bob/)
    expect(await t.sh(`kill -0 ${pid} 2>/dev/null && echo alive || echo ended`)).toContain('ended')
    expect(await t.sh(`grep -c lock-takeover ${t.root}/.delivery/journal.jsonl`)).toMatch(/^1/)
    expect(await t.sh(`test -e ${t.root}/.delivery/lock || echo released`)).toContain('released')
    await t.sh(`rm -f ${t.root}/.sleeper`)
  })
})

describe('a connection cut in the middle of an update', () => {
  it('leaves live complete; the post step releases the lock; the next deliver finishes', async () => {
    const before = await readServerJson<{ live: string; trees: Record<string, { revision: string }> }>(t, `${t.root}/.delivery/state.json`)
    const inputs: Record<string, string> = { ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3' }
    // A git hook of the server's store that holds the checkout of the update for a while, so that the cut happens
    // while the update runs there.
    const hook = `${t.root}/.delivery/repo.git/hooks/post-checkout`
    const hookMark = `${t.root}/.hook-ran`
    await t.sh(`printf '#!/bin/sh\\ntouch ${hookMark}\\nsleep 20\\n' > ${hook} && chmod +x ${hook}`)
    const sink = memorySink()
    let locks: unknown[] = []
    let cut = false
    const result = await runDelivery({
      input: (n: InputName) => inputs[n] ?? '',
      env: { ...process.env, RUNNER_TEMP: '/tmp', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' },
      fromActions: true,
      sink,
      setOutput: () => {},
      setSecret: () => {},
      saveLocks: (h) => {
        locks = h
      },
      onConnected: (_h, conn: SshConnection) => {
        const exec = conn.exec.bind(conn)
        conn.exec = (what, line, params) => {
          const p = exec(what, line, params)
          if (what === 'update the work tree') {
            // Cut the connection once the update is under way on the server (the hook below holds it there).
            void (async () => {
              for (let i = 0; i < 300; i++) {
                if ((await t.sh(`test -e ${hookMark} && echo y || true`)).includes('y')) {
                  // The update is under way on the server (its hook runs): cut now, and only now.
                  cut = true
                  conn.destroy()
                  return
                }
                await sleep(50)
              }
            })()
          }
          return p
        }
      },
    })
    await t.sh(`rm -f ${hook} ${hookMark}`)
    // The update that outlived its connection was ended (its process group, recorded in the lock), not left to race
    // the next run.
    expect(await t.sh(`pgrep -u ${t.sshd.user} -fx 'sleep 20' || echo none`)).toContain('none')
    expect(cut).toBe(true)
    expect(result.exitCode).toBe(1)
    expect(result.report?.hosts[0].error).toMatch(/connection|closed/i)
    // live is complete: it points at a tree that holds the whole code, at the version before.
    const live = (await t.sh(`readlink ${t.root}/live`)).trim()
    expect(await t.sh(`cd ${t.root}/live && git status --porcelain && echo clean`)).toBe('clean\n')
    expect(await t.sh(`test -f ${t.root}/live/index.php && echo ok`)).toContain('ok')
    const s = await readServerJson<{ state: string; live: string }>(t, `${t.root}/.delivery/state.json`)
    expect(s.state).toBe('delivering')
    expect(`trees/${s.live}`).toBe(live)
    // The lock was released by the engine over a fresh connection, or is released by the post step now.
    if (locks.length) {
      const post = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3' }, { entry: 'post', state: { locks: JSON.stringify(locks) }, env: { GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' } })
      expect(post.code, post.stdout).toBe(0)
    }
    expect(await t.sh(`test -e ${t.root}/.delivery/lock || echo released`)).toContain('released')
    // The work tree may be half updated: backtoprod refuses to put it live until an update completes.
    const early = await runAction({ ...t.base, mode: 'backtoprod' })
    expect(early.report?.outcome).toBe('refused')
    expect(early.report?.hosts[0].error).toMatch(/did not finish, so the tree may be half updated: run update again \(or deliver, which resumes\)/)
    const next = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v3' })
    expect(next.code, next.stdout).toBe(0)
    const after = await readServerJson<{ state: string; live: string; trees: Record<string, { revision: string }> }>(t, `${t.root}/.delivery/state.json`)
    expect(after.state).toBe('production')
    expect(after.trees[after.live].revision).toBe(repo.commits.v3)
    expect(before.trees[before.live].revision).not.toBe(repo.commits.v3)
    expect(await t.sh(`cat ${t.root}/live/mod/forum/view.php`)).toContain('v3')
    const journal = await t.sh(`cat ${t.root}/.delivery/journal.jsonl`)
    expect(journal).toContain('"runId":"4242-1"')
  })
})

describe('transient connection failures', () => {
  it('are retried with backoff; authentication failures are not', async () => {
    const { SshConnection } = await import('../../src/transport/ssh.js')
    const { parseKnownHosts } = await import('../../src/transport/hostkeys.js')
    const net = await import('node:net')
    // A flaky front: the first two connections are reset at once, later ones reach the real sshd.
    let seen = 0
    const front = net.createServer((sock) => {
      seen++
      if (seen <= 2) return sock.destroy()
      const back = net.connect(t.sshd.port, '127.0.0.1')
      sock.pipe(back).pipe(sock)
      back.on('error', () => sock.destroy())
      sock.on('error', () => back.destroy())
    })
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r))
    const port = (front.address() as { port: number }).port
    const hostKeys = { knownHosts: parseKnownHosts(t.sshd.knownHostsLine.replace(/^\S+/, `[127.0.0.1]:${port}`)), fingerprints: [], insecure: false }
    const target = { user: t.sshd.user, host: '127.0.0.1', port, label: `${t.sshd.user}@127.0.0.1:${port}` }
    const retries: string[] = []
    try {
      const conn = await SshConnection.connect({ target, auth: { privateKey: t.sshd.privateKey }, hostKeys, timeoutMs: 5000, secrets: [], backoffMs: 50, onRetry: (m) => retries.push(m) })
      const r = await conn.exec('whoami', 'whoami')
      expect(r.stdout.trim()).toBe(t.sshd.user)
      await conn.close()
      expect(retries).toHaveLength(2)
      expect(retries[0]).toMatch(/retrying in 0\.05 s/)
      retries.length = 0
      const wrongKey = ed25519Pair().private
      await expect(SshConnection.connect({ target, auth: { privateKey: wrongKey }, hostKeys, timeoutMs: 5000, secrets: [], backoffMs: 50, onRetry: (m) => retries.push(m) })).rejects.toThrow(/authentication failed for dlvtest/)
      expect(retries).toHaveLength(0)
    } finally {
      front.close()
    }
  })
})

describe('a cancelled job', () => {
  it('the post step ends the remote command that outlived the main step and releases the lock', async () => {
    const { spawn } = await import('node:child_process')
    const { mkdtemp, writeFile } = await import('node:fs/promises')
    const { parseCommandFile, ROOT } = await import('../helpers/action.js')
    const dir = await mkdtemp('/tmp/dlv-cancel-')
    const files = { GITHUB_STATE: join(dir, 'state'), GITHUB_OUTPUT: join(dir, 'out'), GITHUB_STEP_SUMMARY: join(dir, 'summary') }
    for (const f of Object.values(files)) await writeFile(f, '')
    const marker = `dlv-cancel-${Date.now()}`
    const inputs: Record<string, string> = { ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2', 'after-switch': `sleep 120 # ${marker}\ntrue` }
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...files, RUNNER_TEMP: dir, GITHUB_RUN_ID: '5151', GITHUB_RUN_ATTEMPT: '1', GITHUB_ACTOR: 'tester' }
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v
    const main = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], { env, stdio: 'ignore' })
    const exited = new Promise<void>((r) => main.on('exit', () => r()))
    // Wait until the after-switch command runs on the server, then cancel the job as GitHub does (SIGINT).
    let running = false
    for (let i = 0; i < 100 && !running; i++) {
      await sleep(200)
      running = (await t.sshd.exec(`pgrep -f '[${marker[0]}]${marker.slice(1)}' >/dev/null && echo yes || echo no`)).stdout.includes('yes')
    }
    expect(running).toBe(true)
    main.kill('SIGINT')
    await exited
    expect(await t.sh(`test -e ${t.root}/.delivery/lock && echo held`)).toContain('held')
    const saved = parseCommandFile(await readFile(files.GITHUB_STATE, 'utf8'))
    expect(JSON.parse(saved.locks)).toHaveLength(1)
    const post = await runAction(inputs, { entry: 'post', state: saved, env: { GITHUB_RUN_ID: '5151', GITHUB_RUN_ATTEMPT: '1' } })
    expect(post.code, post.stdout).toBe(0)
    expect(post.stdout).toMatch(/released the delivery lock left by the main step/)
    expect((await t.sshd.exec(`pgrep -f '[${marker[0]}]${marker.slice(1)}' >/dev/null && echo yes || echo no`)).stdout).toContain('no')
    expect(await t.sh(`test -e ${t.root}/.delivery/lock || echo released`)).toContain('released')
    // live is complete and the state says where it points; the next run works.
    const s = await readServerJson<{ state: string; live: string }>(t, `${t.root}/.delivery/state.json`)
    expect((await t.sh(`readlink ${t.root}/live`)).trim()).toBe(`trees/${s.live}`)
    expect((await runAction({ ...t.base, mode: 'status' })).code).toBe(0)
    await rm(dir, { recursive: true, force: true })
  })
})

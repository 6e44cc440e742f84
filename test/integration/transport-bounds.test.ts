/**
 * Bounded work over a real sshd: every command has a time bound (the shell's default, `command-timeout`, when it gives
 * none), and what a command prints is kept in memory only up to a bound, head and tail, saying how much was dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Target, startTarget } from '../helpers/action.js'
import { parseKnownHosts } from '../../src/transport/hostkeys.js'
import { SshConnection } from '../../src/transport/ssh.js'
import { BoundedOutput, OUTPUT_KEEP_BYTES, RunError, TimeoutError } from '../../src/transport/run.js'
import { SshShell } from '../../src/remote/shell.js'

let t: Target
let conn: SshConnection

beforeAll(async () => {
  t = await startTarget()
  conn = await SshConnection.connect({
    target: { user: t.sshd.user, host: '127.0.0.1', port: t.sshd.port, label: 'bounds' },
    auth: { privateKey: t.sshd.privateKey },
    hostKeys: { knownHosts: parseKnownHosts(t.sshd.knownHostsLine), fingerprints: [], insecure: false },
    timeoutMs: 10_000,
    secrets: [],
  })
})

afterAll(async () => {
  await conn?.close()
  await t?.stop()
})

describe('time bounds', () => {
  it('a command that gives no timeout gets the shell\'s default, and is ended on the server past it', async () => {
    const sh = new SshShell(conn, { runId: 'bound-1', setsid: true, timeoutMs: 1000 })
    const err = await sh.run('a transfer that hangs', 'sleep 30', []).then(() => undefined, (e: Error) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err?.message).toMatch(/a transfer that hangs failed \(exit code 124\): timed out after 1 s; its process group on the server was ended/)
    expect((await t.sshd.exec(`pgrep -f '[d]elivery:bound-1' || echo none`)).stdout).toBe('none\n')
    // A command's own bound wins over the default.
    expect((await sh.run('a longer step', 'sleep 2; echo done', [], { timeoutMs: 20_000 })).stdout).toBe('done\n')
  })
})

describe('output bounds', () => {
  it('keeps the head and the tail of long output and says how much was dropped', async () => {
    const sh = new SshShell(conn, { runId: 'bound-2', setsid: true })
    const r = await sh.run('a chatty command', 'echo FIRST; head -c 3000000 /dev/zero | tr "\\\\0" x; echo; echo LAST', [], { keepBytes: 100_000 })
    expect(r.stdout.startsWith('FIRST\n')).toBe(true)
    expect(r.stdout.endsWith('\nLAST\n')).toBe(true)
    const dropped = Number(/\[\.\.\. (\d+) bytes of output dropped \.\.\.\]/.exec(r.stdout)?.[1])
    expect(dropped).toBe(6 + 3_000_000 + 1 + 5 - 100_000)
    expect(r.stdout.length).toBeLessThan(101_000)
  })

  it('fails a command whose parsed output would be cut, rather than hand a parser a cut text', async () => {
    const sh = new SshShell(conn, { runId: 'bound-3', setsid: true })
    const err = await sh.run('list the changed files', `head -c ${OUTPUT_KEEP_BYTES + 10} /dev/zero`).then(() => undefined, (e: Error) => e)
    expect(err).toBeInstanceOf(RunError)
    expect(err?.message).toMatch(new RegExp(`printed ${OUTPUT_KEEP_BYTES + 10} bytes, more than the ${OUTPUT_KEEP_BYTES} kept in memory`))
  })

  it('BoundedOutput keeps exactly the bound, across chunk boundaries', () => {
    const b = new BoundedOutput(10)
    for (const c of ['abc', 'defgh', 'ijklmnop', 'qrstuvwxyz']) b.push(Buffer.from(c))
    expect(b.dropped).toBe(16)
    expect(b.text()).toBe('abcde\n[... 16 bytes of output dropped ...]\nvwxyz')
    const small = new BoundedOutput(10)
    small.push(Buffer.from('short'))
    expect(small.text()).toBe('short')
  })
})

/**
 * A small network behind a bastion, made of Linux network namespaces (root only): the test process (the runner) can
 * reach the bastion's namespace, the bastion's namespace can reach the inner one, and the runner has no route to the
 * inner one (the bastion's namespace does not forward). A server in the inner namespace is then reachable only
 * through the bastion, as behind a real one: nothing is simulated.
 *
 *   runner (this namespace) 10.A.B.1 ── 10.A.B.2 bastion namespace 10.A.B.5 ── 10.A.B.6 inner namespace
 */
import { randomBytes } from 'node:crypto'
import { run } from './proc.js'

export interface BastionNetwork {
  /** Namespace of the bastion, and its address seen from the runner. */
  bastionNs: string
  bastionAddress: string
  /** Namespace of the servers behind the bastion, their address, and the bastion's address on their side. */
  innerNs: string
  innerAddress: string
  bastionInnerAddress: string
  remove(): Promise<void>
}

const ip = async (...args: string[]) => {
  await run('ip', args, { check: true })
}

export async function makeBastionNetwork(): Promise<BastionNetwork> {
  const id = randomBytes(3).toString('hex')
  const a = 100 + (parseInt(id.slice(0, 2), 16) % 100)
  const b = parseInt(id.slice(2, 4), 16) % 250
  const net = `10.${a}.${b}`
  const mid = `dlvj${id}m`
  const inner = `dlvj${id}i`
  const names = { out: `dlvj${id}a`, midOut: `dlvj${id}b`, midIn: `dlvj${id}c`, in: `dlvj${id}d` }
  const remove = async () => {
    await run('ip', ['netns', 'del', mid])
    await run('ip', ['netns', 'del', inner])
    await run('ip', ['link', 'del', names.out]) // gone with its peer's namespace; this is the safety net
  }
  try {
    await ip('netns', 'add', mid)
    await ip('netns', 'add', inner)
    await ip('link', 'add', names.out, 'type', 'veth', 'peer', 'name', names.midOut)
    await ip('link', 'set', names.midOut, 'netns', mid)
    await ip('link', 'add', names.midIn, 'netns', mid, 'type', 'veth', 'peer', 'name', names.in, 'netns', inner)
    await ip('addr', 'add', `${net}.1/30`, 'dev', names.out)
    await ip('link', 'set', names.out, 'up')
    await ip('-n', mid, 'addr', 'add', `${net}.2/30`, 'dev', names.midOut)
    await ip('-n', mid, 'addr', 'add', `${net}.5/30`, 'dev', names.midIn)
    await ip('-n', inner, 'addr', 'add', `${net}.6/30`, 'dev', names.in)
    await run('ip', ['netns', 'exec', mid, 'sysctl', '-qw', 'net.ipv4.ip_forward=0'], { check: true })
    for (const [ns, dev] of [[mid, names.midOut], [mid, names.midIn], [mid, 'lo'], [inner, names.in], [inner, 'lo']]) {
      await ip('-n', ns, 'link', 'set', dev, 'up')
    }
  } catch (e) {
    await remove()
    throw e
  }
  return { bastionNs: mid, bastionAddress: `${net}.2`, innerNs: inner, innerAddress: `${net}.6`, bastionInnerAddress: `${net}.5`, remove }
}

/**
 * known_hosts parsing and host key decisions: plain, bracketed, wildcard, hashed and negated patterns, @revoked,
 * fingerprints, and the refusal when nothing matches.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fingerprintOf, normaliseFingerprint, parseKnownHosts, verifyHostKey } from '../../src/transport/hostkeys.js'
import { ed25519Pair } from '../helpers/keys.js'

const a = ed25519Pair()
const b = ed25519Pair()
const blob = (pub: string) => Buffer.from(pub.split(' ')[1], 'base64')
const keyA = blob(a.public)
const keyB = blob(b.public)
const line = (hosts: string, pub: string) => `${hosts} ${pub.split(' ').slice(0, 2).join(' ')}`
const policy = (text: string, fingerprints: string[] = [], insecure = false) => ({ knownHosts: parseKnownHosts(text), fingerprints, insecure })

describe('known-hosts', () => {
  it('accepts the key of a host named plainly on port 22, and bracketed on another port', () => {
    expect(verifyHostKey(policy(line('moodle.example.org', a.public)), 'moodle.example.org', 22, keyA).ok).toBe(true)
    expect(verifyHostKey(policy(line('[10.0.0.5]:2222', a.public)), '10.0.0.5', 2222, keyA).ok).toBe(true)
    expect(verifyHostKey(policy(line('10.0.0.5', a.public)), '10.0.0.5', 2222, keyA).ok).toBe(false)
  })

  it('refuses another key for a known host, naming its fingerprint', () => {
    const v = verifyHostKey(policy(line('moodle.example.org', a.public)), 'moodle.example.org', 22, keyB)
    expect(v.ok).toBe(false)
    if (!v.ok) expect(v.reason).toContain(fingerprintOf(keyB))
    if (!v.ok) expect(v.reason).toContain('lists other keys')
  })

  it('understands wildcards, negation, comma lists and hashed names', () => {
    expect(verifyHostKey(policy(line('*.example.org,!bad.example.org', a.public)), 'web1.example.org', 22, keyA).ok).toBe(true)
    expect(verifyHostKey(policy(line('*.example.org,!bad.example.org', a.public)), 'bad.example.org', 22, keyA).ok).toBe(false)
    const salt = Buffer.from('0123456789abcdef0123')
    const hash = createHmac('sha1', salt).update('web2.example.org').digest('base64')
    expect(verifyHostKey(policy(line(`|1|${salt.toString('base64')}|${hash}`, a.public)), 'web2.example.org', 22, keyA).ok).toBe(true)
    expect(verifyHostKey(policy(line(`|1|${salt.toString('base64')}|${hash}`, a.public)), 'web3.example.org', 22, keyA).ok).toBe(false)
  })

  it('a @revoked key is refused even when another line accepts it', () => {
    const text = `${line('h', a.public)}\n@revoked ${line('h', a.public)}`
    const v = verifyHostKey(policy(text), 'h', 22, keyA)
    expect(v.ok).toBe(false)
  })

  it('fingerprints are accepted in OpenSSH form; insecure accepts anything', () => {
    expect(verifyHostKey(policy('', [fingerprintOf(keyA)]), 'h', 22, keyA)).toEqual({ ok: true, how: 'host-fingerprint' })
    expect(verifyHostKey(policy('', [fingerprintOf(keyA)]), 'h', 22, keyB).ok).toBe(false)
    expect(verifyHostKey(policy('', [], true), 'h', 22, keyB).ok).toBe(true)
    expect(normaliseFingerprint(`${fingerprintOf(keyA)}=`)).toBe(fingerprintOf(keyA))
    expect(normaliseFingerprint('MD5:12:34')).toBeNull()
  })

  it('malformed lines are reported with their line number', () => {
    expect(() => parseKnownHosts('# comment\n\nhost-only')).toThrow(/line 3/)
    expect(() => parseKnownHosts('h ssh-ed25519 !!!')).toThrow(/line 1: the key is not base64/)
    expect(() => parseKnownHosts('@weird h ssh-ed25519 AAAA')).toThrow(/unknown marker/)
  })
})

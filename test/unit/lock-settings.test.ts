/**
 * lock-timeout: a value too short for the lock's heartbeat is refused before connecting, naming the minimum.
 */
import { describe, expect, it } from 'vitest'
import type { InputName } from '../../src/inputs.js'
import { HEARTBEAT_S, MIN_LOCK_TIMEOUT_S } from '../../src/remote/lock.js'
import { readSettings } from '../../src/settings.js'
import { ed25519Pair } from '../helpers/keys.js'

const base: Partial<Record<InputName, string>> = {
  mode: 'deliver',
  hosts: 'deploy@web1.example.org',
  'private-key': ed25519Pair().private,
  'host-fingerprint': `SHA256:${'A'.repeat(43)}`,
  path: '/srv/moodle',
  repository: 'https://github.com/example/moodle.git',
  ref: 'v4.3.1',
}
const read = (extra: Partial<Record<InputName, string>>) => readSettings((n) => ({ ...base, ...extra })[n] ?? '', {}, true)

describe('lock-timeout', () => {
  it('is at least six heartbeats', () => {
    expect(MIN_LOCK_TIMEOUT_S).toBe(6 * HEARTBEAT_S)
    for (const v of ['0', '5', String(MIN_LOCK_TIMEOUT_S - 1)]) {
      expect(() => read({ 'lock-timeout': v })).toThrow(
        new RegExp(`Input 'lock-timeout': ${v} s is too short to be safe: a running delivery shows life every ${HEARTBEAT_S} s.*Give at least ${MIN_LOCK_TIMEOUT_S}`, 's'),
      )
    }
    expect(read({ 'lock-timeout': String(MIN_LOCK_TIMEOUT_S) }).lockTimeoutS).toBe(MIN_LOCK_TIMEOUT_S)
    expect(read({}).lockTimeoutS).toBe(1800)
  })
})

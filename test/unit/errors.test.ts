/**
 * The error family: every error this program throws on purpose extends DeliveryError, whose kind decides the exit code
 * and whose message is what the report shows; anything else is shown with its class name.
 */
import { describe, expect, it } from 'vitest'
import { UnsafeToGoBack } from '../../src/app/app.js'
import { DeliveryError, describeError, InputError, InputErrors, Refusal, StepFailure } from '../../src/errors.js'
import { LockLostError } from '../../src/remote/lock.js'
import { StateError } from '../../src/remote/state.js'
import { SessionError } from '../../src/session/sessions.js'
import { ConnectionError, RunError, TimeoutError } from '../../src/transport/run.js'

describe('errors', () => {
  const input = new InputError('port', '"x" is not a whole number', 'Give a whole number from 1 to 65535')
  const ours: [DeliveryError, string, number][] = [
    [input, 'input', 2],
    [new InputErrors([input]), 'input', 2],
    [new Refusal('run mode init first'), 'refusal', 1],
    [new StepFailure('the copy failed'), 'failure', 1],
    [new RunError('h', 'git fetch', 128, '', 'fatal: no'), 'failure', 1],
    [new TimeoutError('h', 'git fetch', '', '', 1000), 'failure', 1],
    [new ConnectionError('h', 'connection refused', true), 'failure', 1],
    [new StateError('state.json is damaged'), 'failure', 1],
    [new LockLostError('h', null, 'the switch'), 'failure', 1],
    [new SessionError('no open session'), 'failure', 1],
    [new UnsafeToGoBack('the upgrade failed', 'the database'), 'failure', 1],
  ]

  it.each(ours.map(([e, kind, code]) => [e.name, e, kind, code] as const))('%s is a DeliveryError of its kind, shown by its message', (_n, e, kind, code) => {
    expect(e).toBeInstanceOf(DeliveryError)
    expect(e).toBeInstanceOf(Error)
    expect(e.kind).toBe(kind)
    expect(e.exitCode).toBe(code)
    expect(describeError(e)).toBe(e.message)
  })

  it('shows an unexpected error with its class name', () => {
    expect(describeError(new TypeError('x is undefined'))).toBe('TypeError: x is undefined')
  })

  it('keeps the input, the problem and the fix of an input error', () => {
    expect(input.message).toBe(`Input 'port': "x" is not a whole number. Give a whole number from 1 to 65535`)
    expect([input.input, input.problem, input.fix]).toEqual(['port', '"x" is not a whole number', 'Give a whole number from 1 to 65535'])
  })
})

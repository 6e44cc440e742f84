/**
 * The one family of this program's errors. Every error it throws on purpose extends `DeliveryError`, which says what
 * the runner and the report need: the kind (an input problem, a refusal, a failure), the exit code, and what the
 * report shows. Anything else that reaches the report is unexpected and is shown with its class name.
 *
 * This module imports nothing, so every layer may import it (the code-source drivers under `vcs/` too, without the
 * steps layer). Errors that belong to one layer live in its module and extend the base: `RunError`, `TimeoutError`
 * and `ConnectionError` (transport/run.ts), `JumpError` (transport/jump.ts), `StateError` (remote/state.ts),
 * `LockLostError` (remote/lock.ts), `SessionError` (session/sessions.ts), `UnsafeToGoBack` (app/app.ts).
 */

/** `input`: an input is invalid, nothing was done (exit code 2). `refusal`: the mode does not fit the server's state, nothing was changed. `failure`: the rest. */
export type ErrorKind = 'input' | 'refusal' | 'failure'

/** Exit codes of a run: 0 success, 1 failure (or refusal), 2 invalid input. */
export const EXIT_CODES: Record<ErrorKind, 1 | 2> = { input: 2, refusal: 1, failure: 1 }

export abstract class DeliveryError extends Error {
  abstract readonly kind: ErrorKind

  /** The exit code of a run that stops on this error. */
  get exitCode(): 1 | 2 {
    return EXIT_CODES[this.kind]
  }

  /** What the report shows: the message, written for people (no class name, no stack). */
  get shown(): string {
    return this.message
  }
}

/** One invalid input: the input's name, the problem with its value and the fix. */
export class InputError extends DeliveryError {
  readonly kind = 'input'
  constructor(
    readonly input: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`Input '${input}': ${problem}. ${fix}`)
    this.name = 'InputError'
  }
}

/** Several input errors at once (every input is checked before anything is reported). */
export class InputErrors extends DeliveryError {
  readonly kind = 'input'
  constructor(readonly errors: InputError[]) {
    super(errors.map((e) => e.message).join('\n'))
    this.name = 'InputErrors'
  }
}

/** A mode that does not fit the server's state: nothing was changed; the message names the mode to run instead. */
export class Refusal extends DeliveryError {
  readonly kind = 'refusal'
  constructor(message: string) {
    super(message)
    this.name = 'Refusal'
  }
}

/** A failure the step already explained (the message is for people, no stack needed). */
export class StepFailure extends DeliveryError {
  readonly kind = 'failure'
  constructor(message: string) {
    super(message)
    this.name = 'StepFailure'
  }
}

/** An error as the report says it: our own errors as they are shown, anything unexpected with its kind. */
export function describeError(err: Error): string {
  return err instanceof DeliveryError ? err.shown : `${err.name}: ${err.message}`
}

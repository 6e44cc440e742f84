/**
 * The raw inputs of a run and the one collector of their problems. Every value is read once and bounded; a parser
 * that finds a problem throws an InputError (input, problem, fix) which is collected, so that every problem is
 * reported at once. An empty input takes its default from the table of inputs (src/inputs.ts), and from nowhere else.
 */
import { InputError, InputErrors } from '../errors.js'
import { type InputName, type InputSource, type InputSpec, INPUT_NAMES, INPUTS, SECRET_INPUTS } from '../inputs.js'
import { checkRaw } from '../validate.js'

/** Inputs that may hold several lines. */
const MULTILINE: InputName[] = [
  'hosts',
  'private-key',
  'jump-private-key',
  'known-hosts',
  'host-fingerprint',
  'paths',
  'keep',
  'comment',
  'before-upgrade',
  'after-switch',
  'session-description',
  'session-impact',
  'session-output-state',
  'session-followup',
  'mail-to',
]

/** Inputs that may be longer than the usual bound (validate.ts: MAX_VALUE). */
const LARGE: Partial<Record<InputName, number>> = { 'known-hosts': 1024 * 1024, hosts: 256 * 1024, paths: 256 * 1024 }

/** The inputs that have a default in the table. */
export type DefaultedInput = { [K in InputName]: (typeof INPUTS)[K] extends { default: string } ? K : never }[InputName]

/** An input's default in the table of inputs ('' when it has none). */
export function defaultOf(name: InputName): string {
  return (INPUTS[name] as InputSpec).default ?? ''
}

export class Inputs {
  /** Every problem found so far. */
  readonly errors: InputError[] = []
  /** Each input as given ('' when it was not, or when it broke the bounds of checkRaw). */
  readonly raw = {} as Record<InputName, string>

  constructor(input: InputSource) {
    for (const name of INPUT_NAMES) {
      const value = input(name)
      try {
        checkRaw(name, value, { multiline: MULTILINE.includes(name), max: LARGE[name], secret: SECRET_INPUTS.includes(name) })
        this.raw[name] = value
      } catch (e) {
        this.errors.push(e as InputError)
        this.raw[name] = ''
      }
    }
  }

  /** The trimmed value, or undefined when the input is empty. */
  opt(name: InputName): string | undefined {
    return this.raw[name].trim() || undefined
  }

  /** The trimmed value, or the input's default when it is empty. */
  value(name: InputName): string {
    return this.raw[name].trim() || defaultOf(name)
  }

  /** Records a problem found by looking at several inputs together. */
  add(input: InputName, problem: string, fix: string): void {
    this.errors.push(new InputError(input, problem, fix))
  }

  /** Runs a check, collecting its InputError; returns `fallback` (what stands for "nothing") on a problem. */
  take<T>(fn: () => T, fallback: T): T {
    try {
      return fn()
    } catch (e) {
      if (e instanceof InputError) {
        this.errors.push(e)
        return fallback
      }
      throw e
    }
  }

  /**
   * Parses an input with a default: its value, or the default when it is empty. On a problem, the problem is collected
   * and the default stands in, so that the checks that follow still run (the settings are never used then).
   */
  parse<T>(name: DefaultedInput, parse: (value: string) => T): T {
    try {
      return parse(this.value(name))
    } catch (e) {
      if (!(e instanceof InputError)) throw e
      this.errors.push(e)
      return parse(defaultOf(name))
    }
  }

  /** Throws every problem found, at once. */
  throwProblems(): void {
    if (this.errors.length > 0) throw new InputErrors(this.errors)
  }
}

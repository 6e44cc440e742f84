/**
 * action.yml declares exactly the inputs and outputs of src/inputs.ts, with the same defaults, and runs on node24.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { INPUTS, OUTPUTS } from '../../src/inputs.js'

const yml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')

/** Names and defaults under a top-level key (two-space indented names). */
function section(key: string): Map<string, string | undefined> {
  const body = yml.split(new RegExp(`^${key}:\\n`, 'm'))[1].split(/^\S/m)[0]
  const out = new Map<string, string | undefined>()
  let current = ''
  for (const line of body.split('\n')) {
    const name = /^ {2}([a-z-]+):$/.exec(line)
    if (name) {
      current = name[1]
      out.set(current, undefined)
    }
    const def = /^ {4}default: (.*)$/.exec(line)
    if (def) out.set(current, JSON.parse(def[1]) as string)
  }
  return out
}

describe('action.yml', () => {
  it('declares every input with its default, and nothing else', () => {
    const inputs = section('inputs')
    expect([...inputs.keys()].sort()).toEqual(Object.keys(INPUTS).sort())
    for (const [name, spec] of Object.entries(INPUTS)) expect(inputs.get(name), name).toBe((spec as { default?: string }).default)
  })

  it('declares every output', () => {
    expect([...section('outputs').keys()].sort()).toEqual(Object.keys(OUTPUTS).sort())
  })

  it('runs main and post on node24 from dist/', () => {
    expect(yml).toMatch(/using: node24\n\s+main: dist\/main\.js\n\s+post: dist\/post\.js/)
    expect(yml).toMatch(/branding:/)
  })
})

/**
 * What may import what (README, Development): no import cycle in what runs, the transport below the settings, the
 * code-source drivers beside the steps layer (not above it), and the errors module below everything.
 */
import { beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain script, no types
import { cycles, runtimeGraph, sourceGraph } from '../../scripts/import-graph.mjs'

type Graph = Map<string, string[]>

describe('import graph', () => {
  let run: Graph
  let src: Graph
  beforeAll(async () => {
    run = await runtimeGraph()
    src = sourceGraph()
  })

  it('has no import cycle in what runs, other than the known one among the Moodle driver files', () => {
    // moodle-db.ts takes compareVersions from moodle.ts, which imports moodle-db.ts and moodle-plan.ts.
    const known = [['src/app/moodle-db.ts', 'src/app/moodle-plan.ts', 'src/app/moodle.ts']]
    expect(run.has('src/settings.ts') && run.has('src/transport/ssh.ts')).toBe(true)
    const others = cycles(run).filter((c: string[]) => !known.some((k) => k.join() === c.join()))
    expect(others).toEqual([])
  })

  it('has no cycle through the settings, the transport, the errors module or the runner, type imports included', () => {
    const through = cycles(src).filter((c: string[]) => c.some((f) => /^src\/(settings|transport|errors|runner|validate|inputs)\b/.test(f)))
    expect(through).toEqual([])
  })

  it('keeps the transport below everything but the errors and secrets modules', () => {
    const out = [...src].filter(([f]) => f.startsWith('src/transport/')).flatMap(([f, deps]) => deps.filter((d) => !/^src\/(transport\/|errors\.ts|secrets\.ts)/.test(d)).map((d) => `${f} -> ${d}`))
    expect(out).toEqual([])
  })

  it('keeps the errors module free of imports, and the code-source drivers free of the steps layer', () => {
    expect(src.get('src/errors.ts')).toEqual([])
    const out = [...src].filter(([f]) => f.startsWith('src/vcs/')).flatMap(([f, deps]) => deps.filter((d) => d.startsWith('src/steps/')).map((d) => `${f} -> ${d}`))
    expect(out).toEqual([])
  })
})

// The import graph of src/: what esbuild bundles (the imports that run; type-only imports are erased) and every import
// written in the sources (types included). Prints the import cycles of both; exits 1 when the bundle has one.
// Usage: node scripts/import-graph.mjs
import { build } from 'esbuild'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const ENTRIES = ['src/main.ts', 'src/post.ts', 'src/cli.ts']

/** The modules of src/ the entries load at run time, each with the modules of src/ it imports. */
export async function runtimeGraph() {
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: ENTRIES,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    outdir: 'out',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const graph = new Map()
  for (const [file, { imports }] of Object.entries(metafile.inputs)) {
    if (file.startsWith('src/')) graph.set(file, imports.map((i) => i.path).filter((p) => p.startsWith('src/')))
  }
  return graph
}

/** Every relative import and re-export written in src/, `import type` included. */
export function sourceGraph() {
  const graph = new Map()
  const walk = (dir) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const file = `${dir}/${e.name}`
      if (e.isDirectory()) walk(file)
      else if (file.endsWith('.ts')) {
        const text = readFileSync(join(root, file), 'utf8')
        const deps = [...text.matchAll(/^(?:import|export)\b[^'";]*?\bfrom\s+'(\.[^']+)'/gm)].map((m) =>
          relative(root, join(root, dirname(file), m[1])).replace(/\.js$/, '.ts'),
        )
        graph.set(file, deps)
      }
    }
  }
  walk('src')
  return graph
}

/** The strongly connected groups of more than one module (Tarjan), each sorted, or a module importing itself. */
export function cycles(graph) {
  let next = 0
  const index = new Map()
  const low = new Map()
  const stack = []
  const onStack = new Set()
  const found = []
  const visit = (v) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)))
    }
    if (low.get(v) === index.get(v)) {
      const group = []
      let w
      do {
        w = stack.pop()
        onStack.delete(w)
        group.push(w)
      } while (w !== v)
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found.sort((a, b) => a[0].localeCompare(b[0]))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const run = cycles(await runtimeGraph())
  const all = cycles(sourceGraph())
  console.log(`Import cycles of the bundle (imports that run): ${run.length ? '' : 'none'}`)
  for (const c of run) console.log(`  ${c.join(' <-> ')}`)
  console.log(`Import cycles of the sources, type imports included: ${all.length ? '' : 'none'}`)
  for (const c of all) console.log(`  ${c.join(' <-> ')}`)
  process.exitCode = run.length ? 1 : 0
}

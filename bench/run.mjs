#!/usr/bin/env node
// Runs one benchmark: `node bench/run.mjs NAME [options]` (or `npm run bench -- NAME [options]`).
// The benchmarks are TypeScript (typechecked with the project) and import the test helpers (a real sshd, users); this
// bundles bench/NAME.ts with esbuild into bench/.build/NAME.mjs and runs it with the same Node, passing the options on.
import { build } from 'esbuild'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const names = readdirSync(here).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
const [name, ...args] = process.argv.slice(2)
if (!name || !names.includes(name)) {
  process.stderr.write(`usage: node bench/run.mjs NAME [options]\nbenchmarks: ${names.join(', ')}\n`)
  process.exit(2)
}
if (!existsSync(join(here, '..', 'dist', 'cli.js'))) {
  process.stderr.write('dist/cli.js is missing: run `npm run build` first\n')
  process.exit(2)
}
const outfile = join(here, '.build', `${name}.mjs`)
await build({
  entryPoints: [join(here, `${name}.ts`)],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
})
const child = spawn(process.execPath, [outfile, ...args], { stdio: 'inherit' })
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))

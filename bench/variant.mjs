#!/usr/bin/env node
// Builds another version of the CLI, to measure it with the same benchmarks (their --cli option), without touching
// this checkout: the sources of a git ref (default HEAD), plus optional patches, bundled with the project's build
// script into /tmp/dlv-bench-variant-NAME/dist. Prints the path of its cli.js.
//
//   node bench/variant.mjs --name nodelay --patch bench/patches/ssh-nodelay.patch
//   node bench/variant.mjs --name moodle --ref moodle
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: { name: { type: 'string' }, ref: { type: 'string', default: 'HEAD' }, patch: { type: 'string', multiple: true, default: [] } },
})
if (!values.name || !/^[a-z0-9-]+$/.test(values.name)) {
  process.stderr.write('usage: node bench/variant.mjs --name NAME [--ref REF] [--patch FILE]...\n')
  process.exit(2)
}
const dir = `/tmp/dlv-bench-variant-${values.name}`
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const run = (file, args, opts = {}) => execFileSync(file, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts })
const commit = run('git', ['-C', root, 'rev-parse', values.ref]).toString().trim()
const tar = run('git', ['-C', root, 'archive', commit, 'src', 'scripts', 'package.json'])
execFileSync('tar', ['-x', '-C', dir], { input: tar })
symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
for (const p of values.patch) run('git', ['apply', '--unsafe-paths', `--directory=${dir.slice(1)}`, '-p1', resolve(p)], { cwd: '/' })
run(process.execPath, ['scripts/build.mjs'], { cwd: dir })
const cli = join(dir, 'dist', 'cli.js')
if (!existsSync(cli)) throw new Error(`the build made no ${cli}`)
writeFileSync(join(dir, 'variant.json'), `${JSON.stringify({ ref: values.ref, commit, patches: values.patch })}\n`)
process.stdout.write(`${cli}\n`)
process.stderr.write(`built ${values.ref} (${commit.slice(0, 12)})${values.patch.length ? ` + ${values.patch.join(', ')}` : ''} into ${dir}\n`)

// Renders report.html for a sample delivery (test/fixtures/report/deliver-success.json) and photographs it with
// headless Chromium (Debian: apt-get install chromium) into docs/report.png, the picture the README shows.
// Usage: node scripts/screenshot-report.mjs [report.json] [out.png]
// The renderer is bundled from src/ with esbuild on the fly, so the picture always shows the current code.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = resolve(import.meta.dirname, '..')
const input = resolve(process.argv[2] ?? join(root, 'test/fixtures/report/deliver-success.json'))
const output = resolve(process.argv[3] ?? join(root, 'docs/report.png'))
const width = 1000
const height = Number(process.env.SCREENSHOT_HEIGHT ?? 2200)

const work = mkdtempSync(join(tmpdir(), 'dlv-shot-'))
try {
  const bundled = await build({
    entryPoints: [join(root, 'src/report/html.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'warning',
  })
  const module = join(work, 'html.mjs')
  writeFileSync(module, bundled.outputFiles[0].text)
  const { renderHtml } = await import(pathToFileURL(module).href)
  const page = join(work, 'report.html')
  writeFileSync(page, renderHtml(JSON.parse(readFileSync(input, 'utf8'))))
  const chromium = process.env.CHROMIUM ?? 'chromium'
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      '--force-device-scale-factor=1',
      `--user-data-dir=${join(work, 'profile')}`,
      `--window-size=${width},${height}`,
      `--screenshot=${output}`,
      pathToFileURL(page).href,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
  )
  process.stdout.write(`${output}\n`)
} finally {
  rmSync(work, { recursive: true, force: true })
}

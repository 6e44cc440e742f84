/**
 * The report artifact, end to end: the bundled Action against a real sshd uploads report.json, report.md and
 * report.html through @actions/artifact to a local server that speaks the artifact service's protocol (Twirp JSON,
 * then the zip in blocks to the signed blob URL, then FinalizeArtifact); the files arrive whole and the artifact id
 * comes back as the `artifact-id` output. Where the service is not there (no runtime token, GitHub Enterprise Server)
 * or refuses, the run is not failed and `report-dir` still holds the files.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runAction, type Target, startTarget } from '../helpers/action.js'
import { type ArtifactService, startArtifactService } from '../helpers/artifact-service.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'
import { run } from '../helpers/proc.js'

/** The files of a zip: name -> content (unzip, as a person downloading the artifact would). */
async function unzip(zip: Buffer): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'dlv-zip-'))
  try {
    await writeFile(join(dir, 'a.zip'), zip)
    const list = await run('unzip', ['-Z1', join(dir, 'a.zip')], { check: true })
    const out: Record<string, string> = {}
    for (const name of list.stdout.split('\n').filter(Boolean)) out[name] = (await run('unzip', ['-p', join(dir, 'a.zip'), name], { check: true })).stdout
    return out
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

let t: Target
let repo: MoodleRepo

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeMoodleRepo(t.sshd.user)
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
})

const serviceEnv = (s: ArtifactService) => ({ ACTIONS_RUNTIME_TOKEN: s.token, ACTIONS_RESULTS_URL: s.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'example/site' })

describe('the report artifact', () => {
  it('uploads the three report files of a delivery, and outputs the artifact id', async () => {
    const service = await startArtifactService()
    try {
      expect((await runAction({ ...t.base, mode: 'init', repository: repo.dir, ref: 'v1' })).code).toBe(0)
      const r = await runAction({ ...t.base, mode: 'deliver', repository: repo.dir, ref: 'v2', 'artifact-name': 'site-report' }, { env: serviceEnv(service) })
      expect(r.code, r.stdout).toBe(0)
      expect(service.artifacts).toHaveLength(1)
      const a = service.artifacts[0]
      // Suffixed with the job (GITHUB_JOB) and the mode.
      expect(a.name).toBe('site-report-deliver-deliver')
      expect(r.outputs['artifact-id']).toBe(String(a.id))
      expect(a.hash).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(Number(a.size)).toBe(a.zip.length)
      // The protocol as the service sees it: create, blocks, block list, finalize.
      expect(service.requests[0]).toBe('POST /twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact')
      expect(service.requests).toContain(`PUT /devstoreaccount1/actions-results/${service.requests.find((q) => q.includes('comp=block'))?.split('/')[3]}/site-report-deliver-deliver.zip?comp=block`)
      expect(service.requests.at(-2)).toMatch(/\?comp=blocklist$/)
      expect(service.requests.at(-1)).toBe('POST /twirp/github.actions.results.api.v1.ArtifactService/FinalizeArtifact')
      const files = await unzip(a.zip)
      expect(Object.keys(files).sort()).toEqual(['report.html', 'report.json', 'report.md'])
      expect(files).toEqual({ 'report.json': r.reportFiles['report.json'], 'report.md': r.reportFiles['report.md'], 'report.html': r.reportFiles['report.html'] })
      const json = JSON.parse(files['report.json'])
      expect(json.hosts[0].files.renamed).toEqual([{ from: 'theme/boost/config.php', to: 'theme/boost/settings.php' }])
      expect(files['report.html']).toContain('mod/forum/newfile.php')
      expect(r.stdout).toContain(`report artifact site-report-deliver-deliver uploaded (id ${a.id})`)
    } finally {
      await service.stop()
    }
  })

  it('takes the next free name when the name is already used in the run', async () => {
    const service = await startArtifactService({ taken: ['delivery-report-deliver-status'] })
    try {
      const r = await runAction({ ...t.base, mode: 'status' }, { env: serviceEnv(service) })
      expect(r.code, r.stdout).toBe(0)
      expect(service.artifacts.map((a) => a.name)).toEqual(['delivery-report-deliver-status-2'])
      expect(r.outputs['artifact-id']).toBe(String(service.artifacts[0].id))
    } finally {
      await service.stop()
    }
  })

  it('a service that refuses the upload gives a warning; the run succeeds and report-dir keeps the files', async () => {
    const service = await startArtifactService({ createStatus: 403 })
    try {
      const r = await runAction({ ...t.base, mode: 'status' }, { env: serviceEnv(service) })
      expect(r.code, r.stdout).toBe(0)
      expect(r.stdout).toMatch(/::warning::report artifact delivery-report-deliver-status not uploaded: .*403/)
      expect(r.outputs['artifact-id']).toBe('')
      expect(Object.keys(r.reportFiles).sort()).toEqual(['report.html', 'report.json', 'report.md'])
    } finally {
      await service.stop()
    }
  })

  it('without a runtime token, or on GitHub Enterprise Server, the upload is skipped with a notice', async () => {
    const service = await startArtifactService()
    try {
      const none = await runAction({ ...t.base, mode: 'status' })
      expect(none.code, none.stdout).toBe(0)
      expect(none.stdout).toMatch(/::notice::report artifact not uploaded: .*ACTIONS_RUNTIME_TOKEN/)
      expect(none.outputs['artifact-id']).toBe('')
      expect(Object.keys(none.reportFiles).sort()).toEqual(['report.html', 'report.json', 'report.md'])
      const ghes = await runAction({ ...t.base, mode: 'status' }, { env: { ...serviceEnv(service), GITHUB_SERVER_URL: 'https://github.example.edu' } })
      expect(ghes.code, ghes.stdout).toBe(0)
      expect(ghes.stdout).toMatch(/::notice::report artifact not uploaded: GitHub Enterprise Server/)
      expect(service.requests).toEqual([])
      expect(none.stdout + ghes.stdout).not.toContain('::warning::')
    } finally {
      await service.stop()
    }
  })
})

describe('the bundle', () => {
  const dist = join(ROOT, 'dist')
  /** The files an entry loads at start: its static imports, followed. */
  const staticGraph = (entry: string): string[] => {
    const seen = new Set<string>()
    const walk = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      for (const m of readFileSync(file, 'utf8').matchAll(/^import\s*(?:[^'"]*?from\s*)?["'](\.[^"']+)["']/gm)) walk(join(dirname(file), m[1]))
    }
    walk(join(dist, entry))
    return [...seen]
  }

  it('keeps @actions/artifact, nodemailer and the GitHub client out of the start of the CLI, the main and the post step', () => {
    for (const entry of ['cli.js', 'main.js', 'post.js']) {
      const text = staticGraph(entry).map((f) => readFileSync(f, 'utf8')).join('\n')
      expect(text, entry).not.toContain('DefaultArtifactClient')
      expect(text, entry).not.toContain('smtp-connection')
      expect(text, entry).not.toContain('createDeploymentStatus')
    }
  })

  it('every lazily loaded chunk loads', async () => {
    const chunks = readdirSync(join(dist, 'chunks')).filter((f) => f.endsWith('.js'))
    expect(chunks.some((f) => readFileSync(join(dist, 'chunks', f), 'utf8').includes('DefaultArtifactClient'))).toBe(true)
    for (const f of chunks) {
      const r = await run(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(dist, 'chunks', f))})`])
      expect(r.stderr, f).toBe('')
      expect(r.code, f).toBe(0)
    }
  })
})

/**
 * GitHub deployments, end to end: the bundled Action against a real sshd, with `environment`, talks to a local
 * stand-in for the REST API (GITHUB_API_URL). init, deliver and backtoprod record a deployment of the delivered ref
 * (in progress, then success / failure / error); goback marks the latest one inactive; a dry run and read-only modes
 * record nothing; a token without `deployments: write` gives a warning naming it, and the delivery still succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction, type Target, startTarget } from '../helpers/action.js'
import { type GitHubApi, startGitHubApi } from '../helpers/github-api.js'
import { makeMoodleRepo, type MoodleRepo } from '../helpers/gitrepo.js'

let t: Target
let repo: MoodleRepo
let api: GitHubApi
const token = 'ghs_testtoken0123456789'
const runId = '987654321'
const workflowSha = 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed'
const env = () => ({ GITHUB_API_URL: api.url, GITHUB_REPOSITORY: 'example/site', GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: runId, GITHUB_SHA: workflowSha })
const inputs = () => ({ ...t.base, environment: 'production', 'environment-url': 'https://moodle.example.edu/', 'github-token': token, repository: repo.dir })
const states = (i: number) => api.deployments[i].statuses.map((s) => s.state)

beforeAll(async () => {
  t = await startTarget()
  t.base.app = 'none'
  repo = await makeMoodleRepo(t.sshd.user)
  api = await startGitHubApi({ token, repository: 'example/site', refs: ['v1', 'v2', workflowSha] })
})

afterAll(async () => {
  await t?.stop()
  await repo?.remove()
  await api?.stop()
})

describe('GitHub deployments', () => {
  it('init records a deployment of the ref: in progress, then success, with the run as log and the site URL', async () => {
    const r = await runAction({ ...inputs(), mode: 'init', ref: 'v1' }, { env: env() })
    expect(r.code, r.stdout).toBe(0)
    expect(api.deployments).toHaveLength(1)
    const d = api.deployments[0]
    expect(d.ref).toBe('v1')
    expect(d.environment).toBe('production')
    expect(d.auto_merge).toBe(false)
    expect(d.required_contexts).toEqual([])
    expect(d.payload).toMatchObject({ mode: 'init', hosts: [t.base.hosts] })
    expect(states(0)).toEqual(['in_progress', 'success'])
    for (const s of d.statuses) {
      expect(s.log_url).toBe(`https://github.com/example/site/actions/runs/${runId}`)
      expect(s.environment_url).toBe('https://moodle.example.edu/')
    }
    expect(r.stdout).not.toContain('::warning::')
  })

  it('deliver records the next deployment; goback marks it inactive; a dry run and status record nothing', async () => {
    const r = await runAction({ ...inputs(), mode: 'deliver', ref: 'v2' }, { env: env() })
    expect(r.code, r.stdout).toBe(0)
    expect(api.deployments.map((d) => d.ref)).toEqual(['v1', 'v2'])
    expect(states(1)).toEqual(['in_progress', 'success'])
    expect(api.deployments[1].statuses[1].description).toMatch(/now serves revision/)

    const before = api.requests.length
    expect((await runAction({ ...inputs(), mode: 'status' }, { env: env() })).code).toBe(0)
    expect((await runAction({ ...inputs(), mode: 'syncback', 'dry-run': 'true' }, { env: env() })).code).toBe(0)
    expect(api.requests.length).toBe(before)

    const back = await runAction({ ...inputs(), mode: 'goback' }, { env: env() })
    expect(back.code, back.stdout).toBe(0)
    expect(api.deployments).toHaveLength(2)
    expect(states(1)).toEqual(['in_progress', 'success', 'inactive'])
    expect(api.deployments[1].statuses[2].description).toMatch(/goback .*safe tree/)
  })

  it('a failed backtoprod that rolls back ends failure; a refused one ends error', async () => {
    const r = await runAction({ ...inputs(), mode: 'backtoprod', ref: 'v2', 'after-switch': 'echo reload failed >&2; exit 3' }, { env: env() })
    expect(r.code).toBe(1)
    expect(r.outputs['rolled-back']).toBe('true')
    expect(states(2)).toEqual(['in_progress', 'failure'])
    expect(api.deployments[2].statuses[1].description).toMatch(/went back to the safe tree/)

    expect((await runAction({ ...inputs(), mode: 'backtoprod', ref: 'v2' }, { env: env() })).code).toBe(0)
    expect(states(3)).toEqual(['in_progress', 'success'])
    const refused = await runAction({ ...inputs(), mode: 'backtoprod', ref: 'v2' }, { env: env() })
    expect(refused.code).toBe(1)
    expect(states(4)).toEqual(['in_progress', 'error'])
  })

  it('a ref the workflow repository does not hold is recorded as the workflow commit', async () => {
    const r = await runAction({ ...inputs(), mode: 'deliver', ref: repo.commits.v3 }, { env: env() })
    expect(r.code, r.stdout).toBe(0)
    const d = api.deployments.at(-1)!
    expect(d.ref).toBe(workflowSha)
    expect(d.statuses.map((s) => s.state)).toEqual(['in_progress', 'success'])
  })
})

describe('GitHub deployments without permission', () => {
  it('warn, naming deployments: write, and the delivery succeeds', async () => {
    const forbidden = await startGitHubApi({ token, repository: 'example/site', refs: ['v1', 'v2'], forbid: true })
    try {
      const r = await runAction({ ...inputs(), mode: 'goback' }, { env: { ...env(), GITHUB_API_URL: forbidden.url } })
      expect(r.code, r.stdout).toBe(0)
      expect(r.stdout).toMatch(/::warning::.*HTTP 403: Resource not accessible by integration.*permissions: deployments: write/)
      const again = await runAction({ ...inputs(), mode: 'backtoprod', ref: 'v2' }, { env: { ...env(), GITHUB_API_URL: forbidden.url } })
      expect(again.code, again.stdout).toBe(0)
      expect(again.stdout).toMatch(/::warning::no deployment recorded: .*403.*deployments: write/)
      expect(forbidden.deployments).toHaveLength(0)
      // The token never shows in the log.
      expect(r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(token)
    } finally {
      await forbidden.stop()
    }
  })

  it('without a token, a warning says what to give; nothing is called', async () => {
    const before = api.requests.length
    const r = await runAction({ ...inputs(), 'github-token': '', mode: 'status' }, { env: env() })
    expect(r.code).toBe(0)
    const goback = await runAction({ ...inputs(), 'github-token': '', mode: 'goback' }, { env: env() })
    expect(goback.code, goback.stdout).toBe(0)
    expect(goback.stdout).toMatch(/::warning::environment 'production' is given but there is no token: give github-token/)
    expect(api.requests.length).toBe(before)
  })
})

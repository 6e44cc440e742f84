/**
 * The decisions of the artifact and deployment modules that need no server: names, availability, which modes record
 * a deployment, and the message for a missing permission.
 */
import { describe, expect, it } from 'vitest'
import { artifactName, artifactUnavailable } from '../../../src/notify/artifact.js'
import { deploymentAction, explain, type DeploymentTarget } from '../../../src/notify/deployment.js'

describe('the report artifact', () => {
  it('is named <artifact-name>-<job>-<mode>', () => {
    expect(artifactName('delivery-report', 'deploy', 'deliver')).toBe('delivery-report-deploy-deliver')
    expect(artifactName('report', 'job/with:odd chars', 'status')).toBe('report-job-with-odd-chars-status')
  })

  it('is skipped on the CLI, without a runtime token, and on GitHub Enterprise Server', () => {
    const env = { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'http://127.0.0.1:1/' }
    expect(artifactUnavailable(env, false)).toMatch(/CLI/)
    expect(artifactUnavailable({}, true)).toMatch(/ACTIONS_RUNTIME_TOKEN/)
    expect(artifactUnavailable({ ...env, GITHUB_SERVER_URL: 'https://github.example.edu' }, true)).toMatch(/Enterprise Server/)
    expect(artifactUnavailable({ ...env, GITHUB_SERVER_URL: 'https://example.ghe.com' }, true)).toBeUndefined()
    expect(artifactUnavailable(env, true)).toBeUndefined()
  })
})

describe('deployments', () => {
  it('are recorded by the modes that put code live, marked inactive by goback, never in a dry run', () => {
    expect(['init', 'deliver', 'backtoprod'].map((m) => deploymentAction(m, false))).toEqual(['record', 'record', 'record'])
    expect(deploymentAction('goback', false)).toBe('inactive')
    expect(['status', 'syncback', 'supersyncback', 'update'].map((m) => deploymentAction(m, false))).toEqual(['none', 'none', 'none', 'none'])
    expect(deploymentAction('deliver', true)).toBe('none')
  })

  it('a refusal of the API names the permission the job needs', () => {
    const t = { owner: 'o', repo: 'r' } as DeploymentTarget
    const e = Object.assign(new Error('Resource not accessible by integration'), { status: 403 })
    expect(explain(t, 'creating a deployment', e)).toMatch(/HTTP 403: Resource not accessible by integration.*permissions: deployments: write/)
    expect(explain(t, 'creating a deployment', Object.assign(new Error('Server Error'), { status: 500 }))).not.toMatch(/permissions/)
  })
})

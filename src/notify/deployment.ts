/**
 * GitHub deployments: with `environment`, a run that puts code live (init, deliver, backtoprod) records a deployment
 * of the delivered ref in the workflow's repository, with the status `in_progress` while it runs and `success`,
 * `failure` (or `error` when the mode was refused) at the end; a `goback` marks the environment's latest deployment
 * `inactive`, since that code no longer serves. The repository's Environments page then shows what runs where. The
 * REST API is reached through @actions/github (`GITHUB_API_URL`), loaded on demand. Nothing here throws: every problem
 * comes back as a warning, and a missing permission names `deployments: write`.
 */
import type { Outcome } from '../report/model.js'
import { MODE_TABLE } from '../modes/table.js'
import type { Mode, Settings } from '../settings.js'

export type DeploymentAction = 'record' | 'inactive' | 'none'

/** What a mode does to the environment's deployments. */
export function deploymentAction(mode: string, dryRun: boolean): DeploymentAction {
  if (dryRun) return 'none'
  return Object.hasOwn(MODE_TABLE, mode) ? MODE_TABLE[mode as Mode].deployment : 'none'
}

export interface DeploymentTarget {
  token: string
  apiUrl: string
  owner: string
  repo: string
  environment: string
  environmentUrl?: string
  runUrl?: string
  /** The ref to record: the `ref` input, else the workflow's commit. */
  ref: string
  /** The workflow's commit, tried when the ref is not in the workflow repository. */
  fallbackRef?: string
  timeoutMs: number
}

/** The deployment target of the settings, or why there is none. */
export function deploymentTarget(settings: Settings, env: NodeJS.ProcessEnv): { target?: DeploymentTarget; skip?: string } {
  if (!settings.environment) return { skip: 'no environment given' }
  const [owner, repo] = settings.run.workflowRepository.split('/')
  if (!owner || !repo) return { skip: `environment '${settings.environment}' is given but the workflow repository is unknown (GITHUB_REPOSITORY is not set): no deployment recorded` }
  if (!settings.githubToken) return { skip: `environment '${settings.environment}' is given but there is no token: give github-token (default: the job's token, github.token)` }
  const ref = settings.ref || settings.run.sha
  if (!ref && MODE_TABLE[settings.mode].deployment !== 'inactive') return { skip: 'no ref to record the deployment for (give ref)' }
  return {
    target: {
      token: settings.githubToken,
      apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
      owner,
      repo,
      environment: settings.environment,
      environmentUrl: settings.environmentUrl,
      runUrl: settings.run.runUrl || undefined,
      ref,
      fallbackRef: settings.run.sha && settings.run.sha !== ref ? settings.run.sha : undefined,
      timeoutMs: Math.max(settings.timeoutMs, 10_000),
    },
  }
}

type Octokit = ReturnType<(typeof import('@actions/github'))['getOctokit']>

async function client(t: DeploymentTarget): Promise<Octokit> {
  const { getOctokit } = await import('@actions/github')
  return getOctokit(t.token, { baseUrl: t.apiUrl })
}

/** A request's options: bounded in time. */
const bounded = (t: DeploymentTarget) => ({ request: { signal: AbortSignal.timeout(t.timeoutMs) } })

/** The API's answer as one sentence; a missing permission says which one the job needs. */
export function explain(t: DeploymentTarget, what: string, e: unknown): string {
  const err = e as Error & { status?: number }
  const status = err.status ? `HTTP ${err.status}: ` : ''
  const base = `${what} in ${t.owner}/${t.repo} failed (${status}${err.message.split('\n')[0].slice(0, 300)})`
  if (err.status === 403 || err.status === 404 || err.status === 401) {
    return `${base}: the token may not write deployments; give the job \`permissions: deployments: write\` (or a github-token that may)`
  }
  return base
}

const short = (s: string) => (s.length > 140 ? `${s.slice(0, 139)}…` : s)

export class DeploymentRecord {
  private constructor(
    private readonly t: DeploymentTarget,
    private readonly octokit: Octokit,
    readonly id: number,
    readonly ref: string,
  ) {}

  /** Creates the deployment and sets it in progress. */
  static async start(t: DeploymentTarget, description: string, payload: Record<string, unknown>): Promise<{ record?: DeploymentRecord; warning?: string }> {
    let octokit: Octokit
    try {
      octokit = await client(t)
    } catch (e) {
      return { warning: `no deployment recorded: ${(e as Error).message}` }
    }
    const create = (ref: string) =>
      octokit.rest.repos.createDeployment({
        owner: t.owner,
        repo: t.repo,
        ref,
        environment: t.environment,
        auto_merge: false,
        required_contexts: [],
        description: short(description),
        payload,
        ...bounded(t),
      })
    let ref = t.ref
    let res: Awaited<ReturnType<typeof create>>
    try {
      try {
        res = await create(ref)
      } catch (e) {
        // The delivered ref may live in another repository than the workflow's: record the workflow's commit then.
        if ((e as { status?: number }).status !== 422 || !t.fallbackRef) throw e
        ref = t.fallbackRef
        res = await create(ref)
      }
    } catch (e) {
      return { warning: `no deployment recorded: ${explain(t, `creating a deployment of ${ref} to ${t.environment}`, e)}` }
    }
    if (!('id' in res.data)) return { warning: `no deployment recorded: the API answered ${JSON.stringify(res.data).slice(0, 200)}` }
    const record = new DeploymentRecord(t, octokit, res.data.id, ref)
    const warning = await record.status('in_progress', description)
    return { record, warning }
  }

  /** Posts a status; returns a warning on failure. */
  async status(state: 'in_progress' | 'success' | 'failure' | 'error' | 'inactive', description: string): Promise<string | undefined> {
    try {
      await this.octokit.rest.repos.createDeploymentStatus({
        owner: this.t.owner,
        repo: this.t.repo,
        deployment_id: this.id,
        state,
        description: short(description),
        log_url: this.t.runUrl,
        environment_url: this.t.environmentUrl,
        environment: this.t.environment,
        auto_inactive: true,
        ...bounded(this.t),
      })
      return undefined
    } catch (e) {
      return explain(this.t, `setting deployment ${this.id} to ${state}`, e)
    }
  }

  /** The final status for the run's outcome. */
  finish(outcome: Outcome, description: string): Promise<string | undefined> {
    return this.status(outcome === 'success' ? 'success' : outcome === 'refused' ? 'error' : 'failure', description)
  }
}

/** goback: marks the environment's latest deployment inactive. */
export async function markLatestInactive(t: DeploymentTarget, description: string): Promise<{ info?: string; warning?: string }> {
  try {
    const octokit = await client(t)
    const list = await octokit.rest.repos.listDeployments({ owner: t.owner, repo: t.repo, environment: t.environment, per_page: 1, ...bounded(t) })
    const latest = list.data[0]
    if (!latest) return { info: `no deployment of ${t.environment} to mark inactive` }
    await octokit.rest.repos.createDeploymentStatus({
      owner: t.owner,
      repo: t.repo,
      deployment_id: latest.id,
      state: 'inactive',
      description: short(description),
      log_url: t.runUrl,
      environment_url: t.environmentUrl,
      ...bounded(t),
    })
    return { info: `deployment ${latest.id} (${latest.ref}) of ${t.environment} marked inactive` }
  } catch (e) {
    return { warning: explain(t, `marking the latest deployment of ${t.environment} inactive`, e) }
  }
}

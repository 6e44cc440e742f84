/**
 * Settings of the run itself: where it comes from (the GitHub Actions context, or the CLI's equivalents), the
 * delivery session it belongs to, and where its report goes (artifact, deployment record).
 */
import { randomBytes } from 'node:crypto'
import { InputError } from '../errors.js'
import { credentialsIn } from '../credentials.js'
import { parseEnum, parseUrl, show } from '../validate.js'
import type { Inputs } from './problems.js'
import type { Mode, RunContext, Settings } from './types.js'

/** The run's context; its session id is made by the runner. */
export function runContext(env: NodeJS.ProcessEnv): RunContext {
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com'
  const runIdBase = env.GITHUB_RUN_ID ?? `cli-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  const attempt = env.GITHUB_RUN_ATTEMPT ?? '1'
  const workflowRepository = env.GITHUB_REPOSITORY ?? ''
  return {
    runId: env.GITHUB_RUN_ID ? `${runIdBase}-${attempt}` : runIdBase,
    actor: env.GITHUB_ACTOR ?? env.USER ?? 'cli',
    event: env.GITHUB_EVENT_NAME ?? 'cli',
    workflowRepository,
    serverUrl,
    sha: env.GITHUB_SHA ?? '',
    runUrl: env.GITHUB_RUN_ID && workflowRepository ? `${serverUrl}/${workflowRepository}/actions/runs/${env.GITHUB_RUN_ID}` : '',
    job: env.GITHUB_JOB ?? 'cli',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    reportRoot: env.RUNNER_TEMP ?? process.cwd(),
    sessionId: '',
  }
}

export type SessionSettings = Pick<Settings, 'session' | 'sessionTitle' | 'sessionDescription' | 'sessionImpact' | 'sessionOutputState' | 'sessionFollowup'>

/** The delivery session: whether one is required, and what session-open and session-close record. */
export function readSession(inputs: Inputs, mode: Mode): SessionSettings {
  const { raw } = inputs
  const settings: SessionSettings = {
    session: inputs.parse('session', (v) => parseEnum('session', v, ['auto', 'required'] as const)),
    sessionTitle: raw['session-title'].trim(),
    sessionDescription: raw['session-description'].trim(),
    sessionImpact: raw['session-impact'].trim(),
    sessionOutputState: raw['session-output-state'].trim(),
    sessionFollowup: raw['session-followup'].trim(),
  }
  if (mode === 'session-open' && !settings.sessionTitle) {
    inputs.add('session-title', 'is required by mode session-open', 'Give a short title for the session')
  }
  return settings
}

export type ReportSettings = Pick<Settings, 'artifactName' | 'environment' | 'environmentUrl' | 'githubToken'>

/** The report artifact and the GitHub deployment record. */
export function readReport(inputs: Inputs, env: NodeJS.ProcessEnv): ReportSettings {
  const { raw } = inputs
  const settings: ReportSettings = {
    artifactName: inputs.parse('artifact-name', (v) => {
      if (/[":<>|*?\\/\r\n]/.test(v) || v.length > 200) {
        throw new InputError('artifact-name', `${show(v)} has characters an artifact name cannot have`, 'Use letters, digits, - and _')
      }
      return v
    }),
    environment: inputs.take(() => {
      const v = inputs.opt('environment')
      if (v && !/^[^\s'"`$\\<>]{1,255}$/.test(v)) {
        throw new InputError('environment', `${show(v)} is not an environment name`, 'Use e.g. production')
      }
      return v
    }, undefined),
    environmentUrl: inputs.take(
      () => (inputs.opt('environment-url') ? parseUrl('environment-url', raw['environment-url'], ['http:', 'https:']).href : undefined),
      undefined,
    ),
    // The table's default (`${{ github.token }}`) is filled in by the Actions runner; the CLI reads $GITHUB_TOKEN.
    githubToken: raw['github-token'].trim() || env.GITHUB_TOKEN || undefined,
  }
  if (inputs.opt('environment-url') && credentialsIn(raw['environment-url'])) {
    inputs.add('environment-url', 'holds credentials in the URL', 'Give a URL without user:password@')
  }
  return settings
}

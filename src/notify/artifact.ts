/**
 * The report files as one job artifact, through @actions/artifact (its DefaultArtifactClient speaks to the Actions
 * results service: CreateArtifact, the zip to blob storage, FinalizeArtifact). Where that service is not available
 * (the CLI, no runtime token, GitHub Enterprise Server) the upload is skipped with a notice; a failed upload is a
 * warning. Neither changes the outcome of the run, and the files stay in `report-dir`.
 * @actions/artifact is loaded only here, on demand, so that the CLI and the post step do not load it at start.
 */

export interface ArtifactResult {
  /** The name the artifact got (or would have got). */
  name: string
  id?: number
  /** The artifact's page on the workflow run. */
  url?: string
  /** Why no upload was tried. */
  skipped?: string
  /** Why the upload failed. */
  error?: string
}

/**
 * `<artifact-name>-<job>-<mode>`: unique within a workflow run for each job and mode (a job may upload at most 10).
 * Characters an artifact name cannot hold become `-`.
 */
export function artifactName(base: string, job: string, mode: string): string {
  return `${base}-${job}-${mode}`.replace(/[":<>|*?\\/\r\n\s]+/g, '-')
}

/** Why the artifact service cannot be used here, or undefined when it can. */
export function artifactUnavailable(env: NodeJS.ProcessEnv, fromActions: boolean): string | undefined {
  if (!fromActions) return 'the CLI does not upload artifacts'
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) return 'the artifact service is not available to this step (no ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL)'
  const host = (() => {
    try {
      return new URL(env.GITHUB_SERVER_URL || 'https://github.com').hostname.toUpperCase()
    } catch {
      return ''
    }
  })()
  if (!(host === 'GITHUB.COM' || host.endsWith('.GHE.COM') || host.endsWith('.LOCALHOST'))) {
    return 'GitHub Enterprise Server does not offer this artifact service'
  }
  return undefined
}

const isConflict = (message: string) => /\(409\)|conflict|already exists/i.test(message)

/**
 * Uploads `files` (absolute paths inside `dir`) as one artifact. A name already taken in this run (the same job and
 * mode run twice, or a matrix) is retried as `<name>-2`, `<name>-3`. Never throws.
 */
export async function uploadReportArtifact(opts: {
  baseName: string
  job: string
  mode: string
  dir: string
  files: string[]
  env: NodeJS.ProcessEnv
  fromActions: boolean
  runUrl?: string
}): Promise<ArtifactResult> {
  const name = artifactName(opts.baseName, opts.job, opts.mode)
  const skipped = artifactUnavailable(opts.env, opts.fromActions)
  if (skipped) return { name, skipped }
  let lastError = ''
  try {
    const { DefaultArtifactClient } = await import('@actions/artifact')
    const client = new DefaultArtifactClient()
    for (const candidate of [name, `${name}-2`, `${name}-3`]) {
      try {
        const res = await client.uploadArtifact(candidate, opts.files, opts.dir)
        if (res.id === undefined) return { name: candidate, error: 'the artifact service returned no artifact id' }
        return { name: candidate, id: res.id, url: opts.runUrl ? `${opts.runUrl}/artifacts/${res.id}` : undefined }
      } catch (e) {
        lastError = (e as Error).message
        if (!isConflict(lastError)) break
      }
    }
  } catch (e) {
    lastError = (e as Error).message
  }
  return { name, error: lastError }
}

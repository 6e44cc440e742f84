/**
 * Settings of the code source: the method, the repository and its login, the ref, an adopted tree (init), and the
 * paths delivered and kept. On GitHub, git delivers the workflow's own repository at its commit unless told otherwise.
 */
import type { InputName } from '../inputs.js'
import { checkSource } from '../vcs/source.js'
import { credentialsIn } from '../credentials.js'
import { parseAbsolutePath, parseEnum, parseRef, parseRelativePaths, parseRepository, parseUser, show } from '../validate.js'
import type { Inputs } from './problems.js'
import { MODE_FACTS } from '../modes/facts.js'
import { METHODS, type Mode, type RunContext, type Settings } from './types.js'

export type SourceSettings = Pick<Settings, 'method' | 'repository' | 'ref' | 'repositoryUsername' | 'repositoryPassword' | 'paths' | 'keep' | 'adopt'>

/**
 * `fromActions` selects the GitHub defaults for repository and ref (the CLI requires both where the mode needs them).
 */
export function readSource(inputs: Inputs, mode: Mode, path: string, run: RunContext, fromActions: boolean): SourceSettings {
  const { raw } = inputs
  const opt = (name: InputName) => inputs.opt(name)

  const method = inputs.parse('method', (v) => parseEnum('method', v, METHODS))
  let repository = inputs.take(() => parseRepository('repository', raw.repository), '')
  let ref = inputs.take(() => parseRef('ref', raw.ref), '')
  const adopt = inputs.take(() => (opt('adopt') ? parseAbsolutePath('adopt', raw.adopt) : undefined), undefined)
  if (adopt && mode !== 'init') {
    inputs.add('adopt', `is only used by mode init (mode is ${mode})`, "Remove 'adopt', or run mode: init")
  }
  if (adopt && (adopt === path || adopt.startsWith(`${path}/`) || path.startsWith(`${adopt}/`))) {
    inputs.add('adopt', `${show(adopt)} overlaps the delivery root ${show(path)}`, 'Give a directory outside the delivery root')
  }
  if (repository) inputs.take(() => checkSource(method, repository), undefined)
  if (method === 'svn' && ref && !/^(\d+|HEAD)$/.test(ref)) {
    inputs.add('ref', `${show(ref)} is not an SVN revision`, 'Give a revision number, or HEAD')
  }
  if (method === 'git' || method === 'push') {
    const ownRepo = run.workflowRepository ? `${run.serverUrl}/${run.workflowRepository}.git` : ''
    if (method === 'git' && !repository && fromActions && !adopt) repository = ownRepo
    if (!ref && fromActions && (repository === ownRepo || method === 'push') && run.sha) ref = run.sha
  }
  const needsSource = MODE_FACTS[mode].source !== 'none' && !(mode === 'init' && adopt)
  if (needsSource && method !== 'push' && !repository) {
    inputs.add('repository', `is required for mode ${mode} with method ${method}`, 'Give the repository URL (or adopt an existing tree with init)')
  }
  const credentials = method === 'git' || method === 'svn' ? credentialsIn(repository) : undefined
  if (credentials) {
    inputs.add(
      'repository',
      `${credentials}: credentials in the URL would be stored in state, journal and reports and seen in the server's process list`,
      "Put them in 'repository-username' and 'repository-password' (an ssh URL keeps its login name: ssh://git@host/repo)",
    )
  }

  const paths = inputs.take(() => parseRelativePaths('paths', raw.paths), [] as string[])
  if (paths.length && MODE_FACTS[mode].paths === 'refused') {
    inputs.add('paths', `is not used by mode ${mode}`, "Remove 'paths'")
  }
  const keep = inputs.take(() => parseRelativePaths('keep', raw.keep), [] as string[])
  const repositoryUsername = inputs.take(() => (opt('repository-username') ? parseUser('repository-username', raw['repository-username']) : undefined), undefined)
  return { method, repository, ref, repositoryUsername, repositoryPassword: raw['repository-password'] || undefined, paths, keep, adopt }
}

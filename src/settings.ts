/**
 * Inputs -> one validated Settings object. Every input is checked here, before any connection is made; all problems
 * are reported together, each naming the input, the problem and the fix. Nothing downstream reads inputs directly.
 * One module per concern (src/settings/: ssh, source, moodle, mail, run) reads its inputs into the one collector of
 * problems (src/settings/problems.ts), which takes every default from the table of inputs (src/inputs.ts).
 */
import { InputError } from './errors.js'
import { type InputSource, SECRET_INPUTS } from './inputs.js'
import { HEARTBEAT_S, MIN_LOCK_TIMEOUT_S } from './remote/lock.js'
import { secretsInCommand } from './secrets.js'
import { readChat, readMail } from './settings/mail.js'
import { readApp } from './settings/moodle.js'
import { defaultOf, Inputs } from './settings/problems.js'
import { readReport, readSession, runContext } from './settings/run.js'
import { readSource } from './settings/source.js'
import { readSsh } from './settings/ssh.js'
import { type Mode, MODES, type Settings } from './settings/types.js'
import { parseAbsolutePath, parseBool, parseEnum, parseInteger, parseUser } from './validate.js'

export * from './settings/types.js'

/**
 * Reads and validates every input. `fromActions` selects the GitHub defaults for repository and ref (the CLI requires
 * both where the mode needs them). Throws InputErrors listing every problem.
 */
export function readSettings(input: InputSource, env: NodeJS.ProcessEnv = process.env, fromActions = true): Settings {
  const inputs = new Inputs(input)
  const { raw } = inputs
  const run = runContext(env)

  const mode = inputs.take(() => {
    if (!raw.mode.trim()) throw new InputError('mode', 'is required', `Give one of: ${MODES.join(', ')}`)
    return parseEnum('mode', raw.mode, MODES)
  }, 'status' as Mode)
  const ssh = readSsh(inputs)

  // The fleet: who owns the code, who serves it, and how the hosts are taken.
  const sudoUser = inputs.take(() => (inputs.opt('sudo-user') ? parseUser('sudo-user', raw['sudo-user']) : undefined), undefined)
  const webUser = inputs.parse('web-user', (v) => parseUser('web-user', v))
  const strategy = inputs.parse('strategy', (v) => parseEnum('strategy', v, ['parallel', 'rolling', 'canary'] as const))
  const maxParallel = inputs.parse('max-parallel', (v) => parseInteger('max-parallel', v, 0, 1000))
  const sharedCode = inputs.parse('shared-code', (v) => parseBool('shared-code', v))
  const cluster = inputs.parse('cluster', (v) => parseBool('cluster', v))
  if (cluster && sharedCode) {
    inputs.add(
      'cluster',
      'is true together with shared-code: true',
      "Choose one: cluster: true when each node holds its own copy of the code (one database, one moodledata), shared-code: true when the nodes serve one code volume",
    )
  }

  const path = inputs.take(() => {
    if (!raw.path.trim()) throw new InputError('path', 'is required', 'Give the delivery root on the server, e.g. /srv/moodle')
    return parseAbsolutePath('path', raw.path)
  }, '/invalid')
  const source = readSource(inputs, mode, path, run, fromActions)

  const settings: Settings = {
    mode,
    ...ssh,
    commandTimeoutMs: inputs.parse('command-timeout', (v) => parseInteger('command-timeout', v, 60, 7 * 86400, ' of seconds')) * 1000,
    sudoUser,
    webUser,
    strategy,
    maxParallel,
    sharedCode,
    cluster,
    path,
    ...source,
    onDrift: inputs.parse('on-drift', (v) => parseEnum('on-drift', v, ['warn', 'fail'] as const)),
    verify: inputs.parse('verify', (v) => parseEnum('verify', v, ['auto', 'full'] as const)),
    comment: raw.comment.trim().slice(0, 4096),
    lockTimeoutS: inputs.parse('lock-timeout', (v) => {
      const n = parseInteger('lock-timeout', v, 0, 31 * 86400, ' of seconds')
      if (n < MIN_LOCK_TIMEOUT_S) {
        throw new InputError(
          'lock-timeout',
          `${n} s is too short to be safe: a running delivery shows life every ${HEARTBEAT_S} s, and a lock that shows none for lock-timeout is taken over (the holder's commands are ended)`,
          `Give at least ${MIN_LOCK_TIMEOUT_S} (the default, ${defaultOf('lock-timeout')}, suits most sites)`,
        )
      }
      return n
    }),
    dryRun: inputs.parse('dry-run', (v) => parseBool('dry-run', v)),
    ...readApp(inputs, path),
    ...readSession(inputs, mode),
    ...readReport(inputs, env),
    run,
    secrets: [],
  }
  const mail = readMail(inputs)
  if (mail) settings.mail = mail
  const chat = readChat(inputs)
  if (chat) settings.chat = chat

  settings.secrets = SECRET_INPUTS.map((n) => raw[n]).filter((s) => s.trim() !== '')
  if (settings.githubToken) settings.secrets.push(settings.githubToken)
  // Credentials written into the commands' text are masked in reports, mail, journal and logs like secret inputs.
  for (const text of [settings.beforeUpgrade, settings.afterSwitch]) if (text) settings.secrets.push(...secretsInCommand(text))
  inputs.throwProblems()
  return settings
}

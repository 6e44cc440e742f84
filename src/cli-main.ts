/**
 * The CLI's argument parsing (node:util parseArgs, one option per input plus its -file variant) and run.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { type InputName, INPUT_NAMES, INPUTS, OUTPUTS } from './inputs.js'
import { consoleSink } from './log.js'
import { renderTerminal, wantsColour } from './report/terminal.js'
import { runDelivery } from './runner.js'
import { VERSION } from './version.js'

export function usage(): string {
  const lines = INPUT_NAMES.map((n) => {
    const spec = INPUTS[n] as { default?: string; description: string }
    // A workflow expression (the job token) is the Action's default only.
    const def = spec.default !== undefined && !spec.default.startsWith('${{') ? ` (default: ${spec.default})` : ''
    return `  --${n.padEnd(30)} ${spec.description}${def}`
  })
  return `delivery ${VERSION}: safe code deliveries to Moodle and PHP sites over SSH

Usage: delivery --mode MODE --hosts HOSTS --path PATH [options]

Options (the Action's inputs):
${lines.join('\n')}

Any option also exists as --NAME-file PATH (the value is read from the file), and as the environment variable
DELIVERY_NAME (upper case, - as _), for secrets. --verbose prints debug messages; --help, --version.
The report is printed on stdout (in colour on a terminal, unless NO_COLOR is set); outputs follow it as name=value
lines. In a GitHub Actions step, the report's Markdown also goes to the job summary ($GITHUB_STEP_SUMMARY).
Exit codes: 0 success, 1 failure or refusal, 2 invalid input.
`
}

/** Parses argv into input values; throws Error with a message for unknown or malformed options. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): { values: Map<InputName, string>; help: boolean; version: boolean; verbose: boolean } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' }, version: { type: 'boolean' }, verbose: { type: 'boolean' } }
  for (const n of INPUT_NAMES) {
    options[n] = { type: 'string' }
    options[`${n}-file`] = { type: 'string' }
  }
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
  const out = new Map<InputName, string>()
  for (const n of INPUT_NAMES) {
    const direct = values[n] as string | undefined
    const file = values[`${n}-file`] as string | undefined
    if (direct !== undefined && file !== undefined) throw new Error(`give --${n} or --${n}-file, not both`)
    if (file !== undefined) {
      try {
        out.set(n, readFileSync(file, 'utf8'))
      } catch (e) {
        throw new Error(`--${n}-file: cannot read ${file}: ${(e as Error).message}`)
      }
    } else if (direct !== undefined) out.set(n, direct)
    else {
      const fromEnv = env[`DELIVERY_${n.toUpperCase().replace(/-/g, '_')}`]
      if (fromEnv !== undefined) out.set(n, fromEnv)
    }
  }
  return { values: out, help: values.help === true, version: values.version === true, verbose: values.verbose === true }
}

export async function cliMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseCli>
  try {
    parsed = parseCli(argv, env)
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\nRun with --help for the options.\n`)
    return 2
  }
  if (parsed.help) {
    process.stdout.write(usage())
    return 0
  }
  if (parsed.version) {
    process.stdout.write(`${VERSION}\n`)
    return 0
  }
  const outputs: string[] = []
  const result = await runDelivery({
    input: (n) => parsed.values.get(n) ?? '',
    env,
    fromActions: false,
    sink: consoleSink(parsed.verbose),
    setOutput: (n, v) => {
      if (n in OUTPUTS) outputs.push(`${n}=${v}`)
    },
    setSecret: () => {},
    // The Markdown is for GitHub's job summary; a person at a terminal reads the text rendering.
    summary: (md) => {
      if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, md)
    },
    show: (report, dir) => {
      process.stdout.write(renderTerminal(report, { colour: wantsColour(process.stdout, env), reportDir: dir }))
    },
  })
  if (outputs.length) process.stdout.write(`\n${outputs.join('\n')}\n`)
  return result.exitCode
}

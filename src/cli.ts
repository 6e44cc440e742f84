#!/usr/bin/env node
/**
 * The command-line entry: the same engine as the Action, for operators outside GitHub Actions.
 *   node dist/cli.js --mode deliver --hosts deploy@moodle.example.org --path /srv/moodle \
 *     --private-key-file ~/.ssh/id_ed25519 --known-hosts-file ~/.ssh/known_hosts --repository ... --ref v4.3.1
 * Every input is a flag of the same name; `--NAME-file PATH` reads the value from a file; the environment variable
 * DELIVERY_NAME (upper case, - as _) is used when the flag is absent (for secrets). Exit codes: 0 success, 1 failure,
 * 2 invalid input.
 */
import { cliMain } from './cli-main.js'

cliMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`error: ${e.stack ?? e.message}\n`)
    process.exit(1)
  },
)

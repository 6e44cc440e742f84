/**
 * Sudo mode: the SSH user logs in, the code owner (`sudo-user`) owns the trees and the state, and Moodle's CLI runs as
 * the web server's user (`web-user`). Each of those commands goes through `sudo -n -u USER -- bash -c …` (no password
 * prompt, no tty). Before anything else on a server, `checkSudo` makes sure the SSH user may become each user the run
 * needs, by running that same kind of command (`bash -c 'id -un'`); otherwise the run fails before changing anything,
 * with the sudoers line that would allow it.
 */
import type { RemoteShell } from './shell.js'

export interface SudoVerdict {
  user: string
  ok: boolean
  /** What sudo said (or the user it ran as). */
  detail: string
}

const SCRIPT = `command -v sudo >/dev/null 2>&1 || { echo nosudo; exit 0; }
for u in "$@"; do
  if out=$(cd / && sudo -n -u "$u" -- bash -c 'id -un' 2>&1 </dev/null); then r=ok; else r=no; fi
  printf '%s\\t%s\\t%s\\n' "$r" "$u" "$(printf '%s' "$out" | tr '\\n\\t' '  ' | head -c 400)"
done`

/** Where the line goes on a Debian-like server (`@includedir /etc/sudoers.d` is in the default sudoers). */
export const SUDOERS_FILE = '/etc/sudoers.d/delivery'

/** The sudoers line that lets `login` become each of `users` without a password. */
export function sudoersLine(login: string, users: string[], command = 'ALL'): string {
  return `${login} ALL=(${users.join(',')}) NOPASSWD: ${command}`
}

/** Asks the server, as the SSH user, whether it may become each of `users` through `sudo -n`. */
export async function probeSudo(sh: RemoteShell, users: string[]): Promise<SudoVerdict[] | 'no-sudo'> {
  const r = await sh.runAs(undefined, 'check that sudo may be used', SCRIPT, users)
  if (r.stdout.split('\n').includes('nosudo')) return 'no-sudo'
  const verdicts: SudoVerdict[] = []
  for (const line of r.stdout.split('\n')) {
    const [result, user, detail = ''] = line.split('\t')
    if (!user) continue
    // `id -un` must print the user asked for: anything else (a wrapper, a sudo that ignores -u) is not the user.
    const ok = result === 'ok' && detail.trim() === user
    verdicts.push({ user, ok, detail: detail.trim() })
  }
  for (const u of users) if (!verdicts.some((v) => v.user === u)) verdicts.push({ user: u, ok: false, detail: 'no answer' })
  return verdicts
}

/**
 * What is wrong with the answers of `probeSudo`, as a sentence naming the inputs and giving the sudoers line that
 * fixes it; null when `login` may become every user in `needs` (user -> the input that names it).
 */
export function sudoProblem(login: string, needs: Map<string, string>, verdicts: SudoVerdict[] | 'no-sudo'): string | null {
  const users = [...needs.keys()]
  if (verdicts === 'no-sudo') {
    const inputs = [...new Set(needs.values())]
    return `${inputs.join(' and ')} ${inputs.length > 1 ? 'need' : 'needs'} sudo, which is not installed on the server: install it (apt-get install sudo), then add this line to a sudoers file (visudo -f ${SUDOERS_FILE}): ${sudoersLine(login, users)}. Nothing was changed`
  }
  const refused = verdicts.filter((v) => !v.ok && needs.has(v.user))
  if (refused.length === 0) return null
  const each = refused.map((v) => `${needs.get(v.user)} ${v.user}${v.detail ? ` (sudo said: ${v.detail})` : ''}`).join('; ')
  const missing = refused.map((v) => v.user)
  return (
    `the SSH user ${login} may not run commands as ${missing.join(' and ')} through sudo without a password: ${each}. Nothing was changed. ` +
    `Add this line to a sudoers file on the server (visudo -f ${SUDOERS_FILE}): ${sudoersLine(login, missing)} ` +
    `(every command the action runs through sudo is bash, so ${sudoersLine(login, missing, '/usr/bin/bash')} works too; it is not narrower in effect: what limits the account is the list of users it may become)`
  )
}

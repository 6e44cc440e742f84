/**
 * Sudo mode: the SSH user logs in, the code owner (`sudo-user`) owns the trees and the state, and Moodle's CLI runs as
 * the web server's user (`web-user`). Commands as the code owner go through `sudo -n -u OWNER -- bash -c …` (no password
 * prompt, no tty); Moodle's CLI goes through `sudo -n -u WEB -- PHP SCRIPT ARGS...` only, so that the rule Moodle admins
 * already give a deploy account (`deploy ALL=(www-data) NOPASSWD: /usr/bin/php`) is enough. Before anything else on a
 * server, the SSH user's rights are proven with those same kinds of command (`bash -c 'id -un'` as the code owner, PHP
 * printing its effective uid as the web user); otherwise the run fails before changing anything, with the sudoers line
 * that would allow it.
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
    `(every command the action runs as ${missing.join(' and ')} is bash, so ${sudoersLine(login, missing, '/usr/bin/bash')} works too; it is not narrower in effect: what limits the account is the list of users it may become)`
  )
}

/** What the SSH user may run as the web user: PHP, found by `command -v` and proven with sudo. */
export type PhpVerdict =
  | { kind: 'ok'; php: string }
  | { kind: 'no-sudo' }
  | { kind: 'no-php'; php: string }
  | { kind: 'not-absolute'; php: string; found: string }
  | { kind: 'no-user'; php: string }
  | { kind: 'refused'; php: string; detail: string }

/**
 * PHP code that prints the effective uid of the process running it. `posix_geteuid()` when the posix extension is
 * there (some php-cli builds lack it), else the second field of `Uid:` in /proc/self/status (real, effective, saved,
 * fs). Not `get_current_user()` or `getmyuid()`: those give the owner of the script file, not who runs it.
 */
export const PHP_EUID = `echo "euid=", function_exists("posix_geteuid") ? posix_geteuid() : (preg_match("/^Uid:\\s+\\d+\\s+(\\d+)/m", (string) @file_get_contents("/proc/self/status"), $m) ? $m[1] : "?"), "\\n";`

const PHP_SCRIPT = `u=$1; php=$2; code=$3
command -v sudo >/dev/null 2>&1 || { echo nosudo; exit 0; }
p=$(command -v -- "$php" 2>/dev/null) || { echo nophp; exit 0; }
case $p in /*) ;; *) printf 'notabs\\t%s\\n' "$p"; exit 0 ;; esac
want=$(id -u -- "$u" 2>/dev/null) || { echo nouser; exit 0; }
if out=$(cd / && sudo -n -u "$u" -- "$p" -r "$code" 2>&1 </dev/null); then r=ok; else r=no; fi
got=$(printf '%s\\n' "$out" | sed -n 's/^euid=\\([0-9][0-9]*\\)$/\\1/p' | tail -1)
printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$r" "$p" "$want" "$got" "$(printf '%s' "$out" | tr '\\n\\t' '  ' | head -c 400)"`

/**
 * Resolves the `php` input to an absolute path as the SSH user (`command -v`: sudoers names programs by full path) and
 * proves that `sudo -n -u USER PHP` runs PHP as that user (its effective uid is USER's).
 */
export async function probePhpAs(sh: RemoteShell, user: string, php: string): Promise<PhpVerdict> {
  const r = await sh.runAs(undefined, `check that PHP may run as ${user}`, PHP_SCRIPT, [user, php, PHP_EUID], { nothrow: true })
  const line = r.stdout.trim().split('\n').pop() ?? ''
  if (line === 'nosudo') return { kind: 'no-sudo' }
  if (line === 'nophp') return { kind: 'no-php', php }
  if (line === 'nouser') return { kind: 'no-user', php }
  const f = line.split('\t')
  if (f[0] === 'notabs') return { kind: 'not-absolute', php, found: f[1] ?? '' }
  if (f[0] === 'ok' && f[3] !== '' && f[3] === f[2]) return { kind: 'ok', php: f[1] }
  const detail = f[0] === 'ok' ? `PHP ran, but as uid ${f[3] || '?'}, not ${user}'s ${f[2]}` : (f[4] ?? r.stderr).trim() || 'no answer'
  return { kind: 'refused', php: f[1] || php, detail }
}

/** The one command form the web user is used with, as a report shows it. */
export function phpCommandForm(user: string, php: string): string {
  return `sudo -n -u ${user} ${php} SCRIPT ARGS...`
}

/** What is wrong with the answer of `probePhpAs`, naming the inputs and the sudoers line to add; null when all is well. */
export function phpProblem(login: string, user: string, v: PhpVerdict): string | null {
  const why = `Moodle's CLI runs as web-user ${user}, always as ${phpCommandForm(user, v.kind === 'ok' || v.kind === 'refused' ? v.php : '/usr/bin/php')}`
  switch (v.kind) {
    case 'ok':
      return null
    case 'no-sudo':
      return `web-user needs sudo, which is not installed on the server: install it (apt-get install sudo), then add this line to a sudoers file (visudo -f ${SUDOERS_FILE}): ${sudoersLine(login, [user], '/usr/bin/php')} (the full path of the php input's binary). Nothing was changed`
    case 'no-php':
      return `php: the SSH user ${login} finds no program ${v.php} on the server (command -v ${v.php}): install PHP's command line (apt-get install php-cli) or give php as an absolute path, e.g. /usr/bin/php8.2. Nothing was changed`
    case 'not-absolute':
      return `php: ${v.php} is ${v.found} for the SSH user ${login} (command -v), not a program with an absolute path, and sudoers rules name programs by their full path: give php as an absolute path, e.g. /usr/bin/php. Nothing was changed`
    case 'no-user':
      return `web-user ${user} does not exist on the server: give the user the web server runs PHP as (e.g. www-data). Nothing was changed`
    case 'refused':
      return (
        `the SSH user ${login} may not run ${v.php} as web-user ${user} through sudo without a password (sudo said: ${v.detail}). Nothing was changed. ` +
        `Add this line to a sudoers file on the server (visudo -f ${SUDOERS_FILE}): ${sudoersLine(login, [user], v.php)} (${why}: nothing else runs as ${user}; a wider rule such as ${sudoersLine(login, [user])} works too)`
      )
  }
}

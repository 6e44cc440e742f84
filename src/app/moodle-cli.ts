/**
 * Moodle's own CLI (`admin/cli/*.php`, 5.1+: `public/admin/cli/*.php`), run with PHP as the web user, exactly as
 * `sudo -n -u WEB PHP SCRIPT ARGS...` (the argv a php-only sudoers rule allows; nothing runs as the web user through a
 * shell), or PHP directly when the web user is the login user. Scripts must succeed as named steps, or are asked, and
 * an operator is told the command to type.
 */
import type { HostContext } from '../steps/context.js'
import { StepFailure } from '../errors.js'
import { step } from '../steps/context.js'
import { sudoersLine } from '../remote/sudo.js'
import { randomBytes } from 'node:crypto'

export interface CliResult {
  code: number
  /** Standard output then standard error. */
  out: string
  stdout: string
}

/** Runs PHP as the web user with the arguments that follow (`$1` dir, `$2` php, `$3` user or empty). */
const PHP_AS_WEB = `d=$1; php=$2; u=$3; shift 3
cd -- "$d" 2>/dev/null || cd /
php_as_web() { if [ -n "$u" ]; then sudo -n -u "$u" -- "$php" "$@"; else "$php" "$@"; fi; }
`

/**
 * After PHP_AS_WEB, `$1` a mark, `$2` the count N of the first command's words: runs the N words, then (only when they
 * succeeded) the rest. After each, a line `MARK CODE START END` (microseconds, when bash has EPOCHREALTIME) on stdout;
 * a line `MARK` on stderr separates the two commands' error output. Exits with the first command's code when it failed.
 */
const THEN = `mark=$1; n=$2; shift 2
first=("\${@:1:n}"); shift "$n"
s=\${EPOCHREALTIME:-}; rc=0; php_as_web "\${first[@]}" || rc=$?; e=\${EPOCHREALTIME:-}
printf '\\n%s %s %s %s\\n' "$mark" "$rc" "\${s/[.,]/}" "\${e/[.,]/}"
if [ "$rc" -ne 0 ]; then exit "$rc"; fi
printf '\\n%s\\n' "$mark" >&2
rc=0; php_as_web "$@" || rc=$?; f=\${EPOCHREALTIME:-}
printf '\\n%s %s %s %s\\n' "$mark" "$rc" "\${e/[.,]/}" "\${f/[.,]/}"`

/** A CLI result with the milliseconds it took on the server, when known. */
export type Timed = CliResult & { ms?: number }

/** The parts of `text` between lines that start with `mark` (the mark lines left out). */
function splitAt(text: string, mark: string): string[] {
  const parts: string[] = ['']
  for (const line of text.split('\n')) {
    if (line.startsWith(mark)) parts.push('')
    else parts[parts.length - 1] += `${line}\n`
  }
  return parts.map((p) => p.trim())
}

export class MoodleCli {
  /**
   * PHP as the web user may run it: the absolute path the sudo preflight resolved (`command -v` as the SSH user), which
   * is the path a sudoers rule names. Unset when the web user is the SSH user (then the `php` input as given).
   */
  php?: string

  /** Script paths found before they are needed (`findScripts`): a call then needs no round trip to find them. */
  private readonly found = new Map<string, string>()

  /**
   * Finds `admin/cli/<script>` (5.1+: `public/admin/cli/<script>`) of the tree in `dir` for each script, as the code
   * owner (who can read the trees), in one command; remembers the paths for `cli`. Returns them (missing: absent).
   */
  async findScripts(ctx: HostContext, dir: string, scripts: string[]): Promise<Map<string, string>> {
    const r = await ctx.sh.run(
      `find ${scripts.map((s) => `admin/cli/${s}`).join(', ')} in ${dir}`,
      `d=$1; shift
if [ -f "$d/public/version.php" ]; then c="$d/public/admin/cli"; else c="$d/admin/cli"; fi
for s in "$@"; do if [ -f "$c/$s" ]; then printf 'cli=%s\\n' "$c/$s"; else echo "no $c/$s" >&2; fi; done`,
      [dir, ...scripts],
    )
    const paths = new Map<string, string>()
    for (const m of r.stdout.matchAll(/^cli=(.*)$/gm)) {
      const script = scripts.find((s) => m[1].endsWith(`/${s}`))
      if (script) paths.set(script, m[1])
    }
    for (const [s, p] of paths) this.found.set(`${dir}\0${s}`, p)
    return paths
  }

  /**
   * Records where scripts are in a tree whose layout is known (its version.php was read: `public/` or not), so that
   * running them needs no round trip to find them first. Moodle's own scripts, which the tree's upgrade check proved.
   */
  knowScripts(dir: string, publicRoot: boolean, scripts: string[]): void {
    for (const s of scripts) this.found.set(`${dir}\0${s}`, `${dir}/${publicRoot ? 'public/' : ''}admin/cli/${s}`)
  }

  /**
   * Runs `admin/cli/<script>` of the tree in `dir` with PHP, as the web user, in its own process group like every
   * command, from the tree's root when the SSH user may enter it, else from `/` (Moodle's scripts find config.php from
   * `__DIR__`, not from the working directory). Never throws for the script's own exit code; throws when sudo refuses.
   */
  async cli(ctx: HostContext, dir: string, script: string, args: string[], timeoutMs = 600_000, stream?: (line: string) => void): Promise<CliResult> {
    const what = `moodle ${script}${args.length ? ` ${args.join(' ')}` : ''} as ${ctx.settings.webUser}`
    const file = this.found.get(`${dir}\0${script}`) ?? (await this.findScripts(ctx, dir, [script])).get(script)
    if (!file) return { code: 127, out: `no admin/cli/${script} in ${dir}`, stdout: '' }
    return this.runPhp(ctx, dir, what, [file, ...args], timeoutMs, stream)
  }

  /** The user PHP runs as (undefined: the login user) and the PHP path. */
  protected phpUser(ctx: HostContext): { user?: string; php: string } {
    const { webUser } = ctx.settings
    return { user: webUser === ctx.target.user ? undefined : webUser, php: this.php ?? ctx.settings.php }
  }

  /**
   * Runs PHP with `argv` as the web user (`sudo -n -u WEB PHP ARGV...`), from `dir` when the SSH user may enter it.
   * Never throws for PHP's own exit code; throws when sudo refuses.
   */
  async runPhp(ctx: HostContext, dir: string, what: string, argv: string[], timeoutMs: number, stream?: (line: string) => void): Promise<CliResult> {
    const { user, php } = this.phpUser(ctx)
    const r = await ctx.sh.runAs(undefined, what, `${PHP_AS_WEB}rc=0; php_as_web "$@" || rc=$?\nexit "$rc"`, [dir, php, user ?? '', ...argv], {
      nothrow: true,
      timeoutMs,
      ...(stream ? { onStdout: lineWise(stream), keepBytes: 1024 * 1024 } : {}),
    })
    this.sudoRefused(ctx, r.code, r.stdout, r.stderr)
    return { code: r.code, out: joinOut(r.stdout, r.stderr), stdout: r.stdout }
  }

  /** Throws a StepFailure naming the sudoers rule to write when sudo refused to run PHP as the web user. */
  protected sudoRefused(ctx: HostContext, code: number, stdout: string, stderr: string): void {
    const { user, php } = this.phpUser(ctx)
    if (user && code === 1 && /^sudo: /m.test(stderr) && !stdout) {
      throw new StepFailure(
        `cannot run Moodle's CLI as ${user}: ${stderr.trim().split('\n')[0]}. Allow the login user ${ctx.target.user} to run PHP as ${user} without a password (sudoers: ${sudoersLine(ctx.target.user, [user], php)}), or set web-user`,
      )
    }
  }

  /**
   * Runs `first` then, only when it succeeded, `then` (two CLI scripts of the tree in `dir`) in one command: nothing
   * runs between them, not even a round trip to the runner. Each result comes with the milliseconds it took on the
   * server (undefined where the server's bash cannot tell); `then` is undefined when `first` failed. `stream` gets the
   * first script's output lines as they come. Throws when sudo refuses or the command cannot run (connection, timeout).
   */
  async cliThen(ctx: HostContext, dir: string, first: [string, string[]], then: [string, string[]], timeoutMs: number, stream?: (line: string) => void): Promise<{ first: Timed; then?: Timed }> {
    const found = await this.findScripts(ctx, dir, [first[0], then[0]].filter((s) => !this.found.has(`${dir}\0${s}`)))
    const path = (s: string) => this.found.get(`${dir}\0${s}`) ?? found.get(s)
    const [a, b] = [path(first[0]), path(then[0])]
    if (!a) return { first: { code: 127, out: `no admin/cli/${first[0]} in ${dir}`, stdout: '' } }
    if (!b) return { first: { code: 127, out: `no admin/cli/${then[0]} in ${dir}`, stdout: '' } }
    const { user, php } = this.phpUser(ctx)
    const mark = `delivery-${randomBytes(12).toString('hex')}`
    const argv1 = [a, ...first[1]]
    const r = await ctx.sh.runAs(undefined, `moodle ${first[0]} ${first[1].join(' ')}, then ${then[0]} ${then[1].join(' ')}, as ${ctx.settings.webUser}`, `${PHP_AS_WEB}${THEN}`, [dir, php, user ?? '', mark, String(argv1.length), ...argv1, b, ...then[1]], {
      nothrow: true,
      timeoutMs,
      ...(stream ? { onStdout: lineWise((l) => (l.startsWith(mark) ? undefined : stream(l))), keepBytes: 1024 * 1024 } : {}),
    })
    const out = splitAt(r.stdout, mark)
    const err = splitAt(r.stderr, mark)
    const marks = [...r.stdout.matchAll(new RegExp(`^${mark} (-?[0-9]+) ([0-9]*) ([0-9]*)$`, 'gm'))].map((m) => ({ code: Number(m[1]), ms: m[2] && m[3] ? Math.round((Number(m[3]) - Number(m[2])) / 1000) : undefined }))
    if (!marks.length) this.sudoRefused(ctx, r.code, r.stdout, r.stderr)
    const one: Timed = { code: marks[0]?.code ?? r.code, out: joinOut(out[0], err[0]), stdout: out[0], ms: marks[0]?.ms }
    if (one.code !== 0 || marks.length < 2) return { first: one }
    return { first: one, then: { code: marks[1].code, out: joinOut(out[1] ?? '', err[1] ?? ''), stdout: out[1] ?? '', ms: marks[1].ms } }
  }

  /** Runs a CLI script that must succeed, as a named step. */
  async must(ctx: HostContext, name: string, dir: string, script: string, args: string[], timeoutMs?: number): Promise<string> {
    return step(
      ctx,
      name,
      async () => {
        const r = await this.cli(ctx, dir, script, args, timeoutMs)
        if (r.code !== 0) throw new StepFailure(`${script} ${args.join(' ')} failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}`)
        return r.stdout
      },
      (out) => lastLine(out) || 'done',
    )
  }

  /** Whether a CLI script's `--help` mentions an option (older Moodle lacks some). */
  async supports(ctx: HostContext, dir: string, script: string, option: string): Promise<boolean> {
    const r = await this.cli(ctx, dir, script, ['--help'], 60_000)
    return r.code === 0 && r.out.includes(option)
  }

  /** What an operator types to run a CLI script as the web user. */
  command(ctx: HostContext, dir: string, script: string, args: string, publicRoot = false): string {
    return this.byHand(ctx, `${dir}/${publicRoot ? 'public/' : ''}admin/cli/${script}`, args)
  }

  /** `command`, at the path this run found the script in `dir` when it did (else as `publicRoot` says). */
  commandFor(ctx: HostContext, dir: string, script: string, args: string, publicRoot = false): string {
    const file = this.found.get(`${dir}\0${script}`)
    return file ? this.byHand(ctx, file, args) : this.command(ctx, dir, script, args, publicRoot)
  }

  private byHand(ctx: HostContext, file: string, args: string): string {
    return `sudo -u ${ctx.settings.webUser} ${this.php ?? ctx.settings.php} ${file}${args ? ` ${args}` : ''}`
  }
}

/** Standard output then standard error, as one text. */
export function joinOut(stdout: string, stderr: string): string {
  return `${stdout}${stderr ? `${stdout && !stdout.endsWith('\n') ? '\n' : ''}${stderr}` : ''}`.trim()
}

/** Calls `each` with every complete line of a stream of chunks (long output reaches the log as it comes). */
export function lineWise(each: (line: string) => void): (chunk: Buffer) => void {
  let rest = ''
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n')
    rest = lines.pop() ?? ''
    for (const l of lines) if (l.trim()) each(l.trimEnd())
  }
}

export function tail(out: string): string {
  return out.trim().split('\n').slice(-15).join('\n')
}

export function lastLine(out: string): string {
  return out.trim().split('\n').pop()?.slice(0, 200) ?? ''
}

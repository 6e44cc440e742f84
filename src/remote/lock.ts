/**
 * The lock of a delivery root: `.delivery/lock`, a JSON file created exclusively. Acquire, keep alive, release, take
 * over. The lock's modification time is its heartbeat: the run that holds it touches it every HEARTBEAT_S seconds from
 * a timer of the runner, over the run's SSH connection on a channel of its own, whatever its commands are doing. A lock
 * whose heartbeat is older than `lock-timeout` is stale (its runner died or lost its connection); a taker then ends
 * every process group still running a command of that run (found by the `delivery:RUNID` marker of their command
 * lines) and takes the lock. Every state write and switch checks, in the same server command, that the lock is still
 * the run's own (`OWN_LOCK`); a run that lost it changes nothing more.
 */
import { DeliveryError } from '../errors.js'
import type { Layout } from './server.js'
import type { RemoteShell } from './shell.js'
import { RunError } from '../transport/run.js'

export interface LockInfo {
  runId: string
  actor: string
  host: string
  /** Kept for the format; 0 (a taker finds the run's process groups by the run's marker). */
  pid: number
  startedAt: string
  mode?: string
}

/** Seconds between two heartbeats of a held lock. */
export const HEARTBEAT_S = 5
/** The shortest safe `lock-timeout`: six heartbeats, so that a few late or lost beats never make a live lock stale. */
export const MIN_LOCK_TIMEOUT_S = 6 * HEARTBEAT_S
/** Exit code of a server command that found the lock no longer the run's own. */
export const LOCK_LOST_CODE = 75

const UNKNOWN: LockInfo = { runId: '?', actor: '?', host: '?', pid: 0, startedAt: '?' }

export function parseLock(text: string): LockInfo {
  try {
    const v = JSON.parse(text) as LockInfo
    return v && typeof v === 'object' && typeof v.runId === 'string' ? v : UNKNOWN
  } catch {
    return UNKNOWN
  }
}

export function describeHolder(h: LockInfo): string {
  return `run ${h.runId} of ${h.actor} on ${h.host} (mode ${h.mode ?? '?'}, started ${h.startedAt})`
}

/** The run no longer holds its lock: it changed nothing after noticing. */
export class LockLostError extends DeliveryError {
  readonly kind = 'failure'
  constructor(
    readonly host: string,
    readonly holder: LockInfo | null,
    what: string,
  ) {
    super(
      `this run lost its lock ${holder ? `to ${describeHolder(holder)}` : '(the lock file is gone)'}; it stopped before ${what} and changed nothing more. Check the state with mode status`,
    )
    this.name = 'LockLostError'
  }
}

/** What a shell that holds the lock carries: where the lock is, whose it is, and whether it was lost. */
export interface LockGuard {
  path: string
  runId: string
  /** Set when a heartbeat found the lock not ours: the holder (null when the file is gone). */
  lost?: LockInfo | null
}

/** The substring of a lock's JSON that names this run. */
export const mineMarker = (runId: string) => `"runId":${JSON.stringify(runId)}`

/**
 * Bash: `own_lock LOCK MINE` exits with LOCK_LOST_CODE (holder's lock in base64 on stderr) unless LOCK holds MINE.
 * A lock absent for an instant (a racing taker puts back what it moved) is waited for, briefly.
 */
export const OWN_LOCK = `own_lock() {
  [ -n "$1" ] || return 0
  local i=0
  while [ ! -e "$1" ] && [ "$i" -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
  if ! grep -qF -- "$2" "$1" 2>/dev/null; then
    printf 'lock-lost:%s\\n' "$(base64 -w0 < "$1" 2>/dev/null || true)" >&2
    exit ${LOCK_LOST_CODE}
  fi
}
`

/**
 * Bash: `end_run RUNID` ends every process group running a command of run RUNID (marker `delivery:RUNID` or
 * `delivery:RUNID#N` in its command line), except the caller's own: TERM, up to 5 s, then KILL. Prints `ended=GROUPS`.
 * `end_marker MARKER` does the same for one command's exact marker.
 * Cleanup commands are marked `delivery-cleanup:RUNID#N`: the releases of one run on several hosts never end one another.
 */
export const END_RUN = `pgid_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f3; }
groups_of() {
  local mark=$1 exact=$2 me f a g out=' '
  me=$(pgid_of $$)
  for f in $(grep -lzF -e "$mark" /proc/[0-9]*/cmdline 2>/dev/null); do
    while IFS= read -r -d '' a; do
      case "$a" in
        "$mark") ;;
        "$mark#"*) [ "$exact" = 1 ] && continue ;;
        *) continue ;;
      esac
      g=$(pgid_of "$(basename "$(dirname "$f")")")
      if [ -n "$g" ] && [ "$g" -gt 1 ] && [ "$g" != "$me" ]; then case "$out" in *" $g "*) ;; *) out="$out$g " ;; esac; fi
      break
    done < "$f" 2>/dev/null || true
  done
  printf '%s' "$out"
}
end_groups() {
  local gs=$1 g i alive
  [ -n "\${gs// /}" ] || return 0
  for g in $gs; do kill -TERM -- "-$g" 2>/dev/null || true; done
  for i in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for g in $gs; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for g in $gs; do kill -KILL -- "-$g" 2>/dev/null || true; done
  echo "ended=$gs"
}
end_run() { end_groups "$(groups_of "delivery:$1" 0)"; }
end_marker() { end_groups "$(groups_of "$1" 1)"; }
`

export type LockResult =
  | { acquired: true; takenOver?: LockInfo; after?: string }
  | { acquired: false; holder: LockInfo | null; ageS: number; text: string }

const LOCK_SCRIPT = `${END_RUN}lock=$1; json=$2; stale=$3
mkdir -p -- "$(dirname -- "$lock")"
try_take() { ( set -o noclobber; printf '%s' "$json" > "$lock" ) 2>/dev/null; }
# Takers take turns (flock on a file beside the lock): a taker never creates a lock while another has the stale one
# moved aside, so no lock can be lost between a move and a put back.
if command -v flock >/dev/null 2>&1; then exec 9>>"$(dirname -- "$lock")/.lock-guard"; flock -w 60 9 || true; fi
# A lock that vanishes for an instant (another taker at work) is read again: a few rounds at most.
for round in 1 2 3 4 5 6 7 8 9 10; do
  if try_take; then echo acquired; exit 0; fi
  seen_m=$(stat -c %Y -- "$lock" 2>/dev/null) || { sleep 0.2; continue; }
  seen=$(base64 -w0 < "$lock" 2>/dev/null) || { sleep 0.2; continue; }
  age=$(( $(date +%s) - seen_m ))
  if [ "$stale" -ge 0 ] && [ "$age" -ge "$stale" ]; then
    # Stale: move it aside (one taker wins this rename), then check that what was moved is the lock seen stale (a
    # racing taker may have replaced it by its own fresh lock meanwhile; a heartbeat may have refreshed it): put it
    # back otherwise, and look again.
    aside="$lock.taking.$$"
    mv -- "$lock" "$aside" 2>/dev/null || { sleep 0.2; continue; }
    if [ "$(stat -c %Y -- "$aside")" = "$seen_m" ] && [ "$(base64 -w0 < "$aside")" = "$seen" ]; then
      run=$(base64 -d <<< "$seen" | sed -n 's/.*"runId":"\\([^"]*\\)".*/\\1/p')
      [ -n "$run" ] && end_run "$run" >/dev/null
      if try_take; then printf 'takenover\\n%s\\n' "$seen"; rm -f -- "$aside"; exit 0; fi
      # Another run made a lock while none was there: it holds it now. The stale lock is gone, its groups ended.
      rm -f -- "$aside"
    else
      ln -- "$aside" "$lock" 2>/dev/null || true
      rm -f -- "$aside"
    fi
    continue
  fi
  printf 'held\\nage=%s\\n%s\\n' "$age" "$seen"
  exit 0
done
printf 'held\\nage=0\\n\\n'
`

/** The lines around the output of the script run once the lock is taken. */
const AFTER = '--- taken ---'
const AFTER_END = '--- end ---'

/**
 * Takes the lock atomically. A lock whose heartbeat is older than `staleS` seconds is taken over: the holder's process
 * groups still running are ended first. `staleS` < 0 never takes over. `after`: a script run in the same server
 * command once the lock is taken (with its own arguments), as the probe under the lock: one round trip instead of two.
 * Its output is the result's `after` only when it ended well: a script that fails leaves `after` unset (the caller
 * runs it again on its own) and never fails the taking of the lock, which is held by then.
 */
export async function acquireLock(sh: RemoteShell, layout: Layout, info: LockInfo, staleS: number, after?: { script: string; args: string[] }): Promise<LockResult> {
  const script = after
    ? `taken=$(\n${LOCK_SCRIPT})\nprintf '%s\\n' "$taken"
if [[ $taken == acquired* || $taken == takenover* ]]; then
  printf '%s\\n' '${AFTER}'; shift 3
  set +e; ( set -e
${after.script}
); rc=$?; set -e
  [ "$rc" != 0 ] || printf '\\n%s\\n' '${AFTER_END}'
fi
`
    : LOCK_SCRIPT
  const r = await sh.run('take the lock', script, [layout.lock, JSON.stringify(info), String(staleS), ...(after?.args ?? [])])
  const cut = r.stdout.indexOf(`\n${AFTER}\n`)
  const lines = (cut >= 0 ? r.stdout.slice(0, cut) : r.stdout).split('\n')
  const tail = cut >= 0 ? r.stdout.slice(cut + AFTER.length + 2) : ''
  const end = tail.lastIndexOf(`\n${AFTER_END}\n`)
  const rest = end >= 0 ? { after: tail.slice(0, end + 1) } : {}
  if (lines.includes('acquired')) return { acquired: true, ...rest }
  const t = lines.indexOf('takenover')
  if (t >= 0) return { acquired: true, takenOver: parseLock(Buffer.from(lines[t + 1] ?? '', 'base64').toString('utf8')), ...rest }
  const i = lines.findIndex((l) => l.startsWith('age='))
  const ageS = i >= 0 ? Number(lines[i].slice(4)) : 0
  const text = Buffer.from(lines[i + 1] ?? '', 'base64').toString('utf8')
  const holder = parseLock(text)
  return { acquired: false, holder: holder === UNKNOWN ? null : holder, ageS, text }
}

/**
 * Releases the lock if it is ours; with `endGroups`, first ends every process group still running a command of our
 * run (the post step and the cleanup after a lost connection). Returns whether it was released.
 */
export async function releaseLock(sh: RemoteShell, layout: Layout, runId: string, endGroups = false): Promise<boolean> {
  const r = await sh.run(
    'release the lock',
    `${END_RUN}lock=$1; mine=$2; run=$3; ends=$4
[ -f "$lock" ] || { echo absent; exit 0; }
if grep -qF -- "$mine" "$lock"; then
  [ "$ends" = 1 ] && end_run "$run"
  rm -f -- "$lock"; echo released
else echo other; fi`,
    [layout.lock, mineMarker(runId), runId, endGroups ? '1' : '0'],
    { unguarded: true },
  )
  return r.stdout.includes('released')
}

const BEAT = `lock=$1; mine=$2
for i in 1 2 3; do
  if grep -qF -- "$mine" "$lock" 2>/dev/null; then touch -c -- "$lock"; echo alive; exit 0; fi
  sleep 0.3
done
echo lost
base64 -w0 < "$lock" 2>/dev/null || true
echo
`

/**
 * A held lock: its heartbeat runs until `stop()`. When a beat finds the lock taken, `guard.lost` is set and every later
 * command of the shells sharing the guard fails at once with LockLostError.
 */
export class HeldLock {
  readonly guard: LockGuard
  private timer?: NodeJS.Timeout
  private beating?: Promise<void>
  private stopped = false

  constructor(
    private readonly sh: RemoteShell,
    layout: Layout,
    runId: string,
    readonly takenOver: LockInfo | undefined,
    private readonly warn: (m: string) => void,
    private readonly intervalMs = HEARTBEAT_S * 1000,
  ) {
    this.guard = { path: layout.lock, runId }
  }

  start(): void {
    this.schedule()
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.beating = this.beat().finally(() => {
        this.beating = undefined
        this.schedule()
      })
    }, this.intervalMs)
    this.timer.unref?.()
  }

  private async beat(): Promise<void> {
    if (this.guard.lost !== undefined) return
    try {
      const r = await this.sh.run('keep the lock alive', BEAT, [this.guard.path, mineMarker(this.guard.runId)], { timeoutMs: 60_000, unguarded: true, group: false })
      const lines = r.stdout.split('\n')
      if (lines.includes('lost')) {
        const text = Buffer.from(lines[lines.indexOf('lost') + 1] ?? '', 'base64').toString('utf8')
        this.guard.lost = text ? parseLock(text) : null
        this.warn(`${this.sh.label}: the lock is no longer this run's (${this.guard.lost ? `held by ${describeHolder(this.guard.lost)}` : 'the lock file is gone'}): stopping`)
      }
    } catch (e) {
      if (!this.stopped) this.warn(`${this.sh.label}: the lock's heartbeat failed: ${(e as Error).message}`)
    }
  }

  get lost(): LockInfo | null | undefined {
    return this.guard.lost
  }

  /** Stops the heartbeat (waiting for a beat under way). */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.beating
  }
}

/** Turns a command's "lock lost" exit into LockLostError; other errors are returned unchanged. */
export function lockLostFrom(e: unknown, host: string, what: string): unknown {
  if (!(e instanceof RunError) || e.code !== LOCK_LOST_CODE) return e
  const m = /lock-lost:(\S*)/.exec(e.stderr)
  const text = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : ''
  return new LockLostError(host, text ? parseLock(text) : null, what)
}

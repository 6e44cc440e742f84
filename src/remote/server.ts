/**
 * The delivery root on one server: its paths, and the operations on the layout that do not depend on the code source:
 * probing, the state file, the journal, and the atomic switch of `live`. State writes and switches check the
 * lock first (lock.ts), in the same server command.
 */
import { isSessionId } from '../session/sessions.js'
import { isTreeId, LAYOUT_VERSION, parseState, type ServerState, StateError } from './state.js'
import { maskValues } from '../secrets.js'
import { type LockInfo, lockLostFrom, mineMarker, OWN_LOCK, parseLock } from './lock.js'
import { q, type RemoteShell } from './shell.js'

export { acquireLock, type LockInfo, type LockResult, releaseLock } from './lock.js'

/** The arguments that make a command check the lock first (`own_lock "$A" "$B"`): empty when no lock is held. */
function guardArgs(sh: RemoteShell): [string, string] {
  return sh.guard ? [sh.guard.path, mineMarker(sh.guard.runId)] : ['', '']
}

/** Runs a command that changes what the run's lock protects: on the server, it first checks the lock is still ours. */
async function guarded(sh: RemoteShell, what: string, script: string, args: string[], stdin?: string): Promise<void> {
  const guard = guardArgs(sh)
  try {
    await sh.run(what, `${OWN_LOCK}own_lock "$1" "$2"; shift 2\n${script}`, [...guard, ...args], stdin === undefined ? {} : { stdin })
  } catch (e) {
    throw lockLostFrom(e, sh.label, what)
  }
}

/**
 * Shell function `close_meta DIR`: `.delivery/` may be passed through by other users (0711: the status page,
 * `reports/index.html`, can be published) but not listed; what may hold hand-made private files (saved drift, a `.env`
 * kept 0600 on the server) and the session records are closed (0700). Applied by init and by every state write, so
 * layouts made before are closed too.
 */
export const CLOSE_META = `close_meta() {
  chmod 711 -- "$1" 2>/dev/null || true
  local d; for d in drift sessions; do if [ -d "$1/$d" ] && [ ! -L "$1/$d" ]; then chmod 700 -- "$1/$d" 2>/dev/null || true; fi; done
}
`

export class Layout {
  constructor(readonly root: string) {}
  get live() {
    return `${this.root}/live`
  }
  get trees() {
    return `${this.root}/trees`
  }
  tree(id: string) {
    return `${this.root}/trees/${id}`
  }
  get supersave() {
    return `${this.root}/trees/supersave`
  }
  get meta() {
    return `${this.root}/.delivery`
  }
  get state() {
    return `${this.meta}/state.json`
  }
  get lock() {
    return `${this.meta}/lock`
  }
  get journal() {
    return `${this.meta}/journal.jsonl`
  }
  get repo() {
    return `${this.meta}/repo.git`
  }
  get sessions() {
    return `${this.meta}/sessions`
  }
  get drift() {
    return `${this.meta}/drift`
  }
  get reports() {
    return `${this.meta}/reports`
  }
}

export interface Probe {
  /** `live` exists (as a symlink). */
  liveExists: boolean
  /** Where `live` points (relative target), '' when absent. */
  liveTarget: string
  /** state.json text, or null. */
  stateText: string | null
  state: ServerState | null
  /** Why state.json could not be read, when it exists but is damaged. */
  stateError?: string
  lock: LockInfo | null
  lockAgeS: number
  trees: string[]
  tools: Record<string, boolean>
  user: string
  /** Id of the open delivery session ('' when none). */
  session: string
  /** Why `sessions/current` could not be used, when it holds something that is not a session id. */
  sessionError?: string
}

/** What `probe` runs (argument: the delivery root). */
export const PROBE = `root=$1
cd / 
b64() { if [ -f "$1" ]; then base64 -w0 < "$1"; fi; }
printf 'user=%s\\n' "$(id -un)"
printf 'now=%s\\n' "$(date +%s)"
if [ -L "$root/live" ]; then printf 'live=1\\ntarget=%s\\n' "$(readlink "$root/live")"; else printf 'live=0\\n'; fi
printf 'state=%s\\n' "$(b64 "$root/.delivery/state.json")"
# The lock's text and time through one open file: a taker may replace the lock between two reads by name, and a
# stale run's text with the new lock's time reads as a live run.
if [ -f "$root/.delivery/lock" ] && exec 3< "$root/.delivery/lock"; then
  printf 'lock=%s\\n' "$(base64 -w0 <&3)"
  printf 'lockmtime=%s\\n' "$(stat -L -c %Y /dev/fd/3)"
  exec 3<&-
else printf 'lock=\\n'; fi 2>/dev/null
printf 'session=%s\\n' "$(head -c 200 "$root/.delivery/sessions/current" 2>/dev/null | tr -d '\\n')"
if [ -d "$root/trees" ]; then printf 'trees=%s\\n' "$(cd "$root/trees" && ls -1A | tr '\\n' ' ')"; fi
for t in setsid rsync git svn cvs sudo base64 sha1sum tar curl; do
  if command -v "$t" >/dev/null 2>&1; then printf 'tool.%s=1\\n' "$t"; else printf 'tool.%s=0\\n' "$t"; fi
done
`

function fields(stdout: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=')
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1))
  }
  return m
}

const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : null)

/** Reads what the server holds, in one round trip. Writes nothing. */
export async function probe(sh: RemoteShell, layout: Layout): Promise<Probe> {
  const r = await sh.run('probe the delivery root', PROBE, [layout.root])
  return parseProbe(r.stdout, layout)
}

/** A probe from what PROBE printed. */
export function parseProbe(stdout: string, layout: Layout): Probe {
  const f = fields(stdout)
  const stateText = unb64(f.get('state'))
  let state: ServerState | null = null
  let stateError: string | undefined
  if (stateText !== null) {
    try {
      state = parseState(stateText, layout.state)
    } catch (e) {
      if (!(e instanceof StateError)) throw e
      stateError = e.message
    }
  }
  const lockText = unb64(f.get('lock'))
  const lock: LockInfo | null = lockText !== null ? parseLock(lockText) : null
  const now = Number(f.get('now') ?? '0')
  const tools: Record<string, boolean> = {}
  for (const [k, v] of f) if (k.startsWith('tool.')) tools[k.slice(5)] = v === '1'
  return {
    liveExists: f.get('live') === '1',
    liveTarget: f.get('target') ?? '',
    stateText,
    state,
    stateError,
    lock,
    lockAgeS: lockText !== null ? Math.max(0, now - Number(f.get('lockmtime') ?? now)) : 0,
    // Names read from the server are data: only valid tree ids are ever used in a path.
    trees: (f.get('trees') ?? '').split(' ').filter(isTreeId),
    tools,
    user: f.get('user') ?? '',
    ...sessionOf(f.get('session') ?? '', layout),
  }
}

/** The open session's id, validated: anything else in `sessions/current` is never used in a path. */
function sessionOf(text: string, layout: Layout): { session: string; sessionError?: string } {
  if (text === '' || isSessionId(text)) return { session: text }
  const shown = JSON.stringify(text.replace(/[^\x20-\x7e]/g, '?').slice(0, 40))
  return { session: '', sessionError: `${layout.sessions}/current holds ${shown}, not a session id: repair it by hand or remove it` }
}

/**
 * A journal line of more bytes than this goes in a command of its own: the whole command line is one argument of the
 * login shell on the server, at most 128 KiB, and quoting can double a line's length.
 */
const JOURNAL_ARG_MAX = 32 * 1024

/**
 * Writes state.json: to a temporary file, flushed, then renamed over the old one. With `entry`, the journal line that
 * records the change is appended in the same server command, right after (one round trip instead of two; the line is
 * not appended when the state write fails, as before).
 */
export async function writeState(sh: RemoteShell, layout: Layout, state: ServerState, entry?: JournalEntry, secrets: readonly string[] = []): Promise<void> {
  state.layout = LAYOUT_VERSION
  const text = `${JSON.stringify(state, null, 2)}\n`
  const line = entry ? journalLine(entry, secrets) : ''
  if (Buffer.byteLength(line) > JOURNAL_ARG_MAX) {
    await writeState(sh, layout, state)
    await appendJournal(sh, layout, entry as JournalEntry, secrets)
    return
  }
  await guarded(
    sh,
    line ? 'write state.json and append to the journal' : 'write state.json',
    `${CLOSE_META}close_meta "$(dirname -- "$1")"; tmp="$1.tmp.$$"; cat > "$tmp"; sync "$tmp" 2>/dev/null || true; mv -f -- "$tmp" "$1"
[ -z "$2" ] || { mkdir -p -- "$(dirname -- "$3")"; printf '%s\\n' "$2" >> "$3"; }`,
    [layout.state, line, layout.journal],
    text,
  )
}

export interface JournalEntry {
  at: string
  runId: string
  actor: string
  mode: string
  event: string
  [key: string]: unknown
}

/** One journal line (without its newline): secrets are masked before anything leaves the runner. */
function journalLine(entry: JournalEntry, secrets: readonly string[]): string {
  return JSON.stringify(maskValues(entry, secrets))
}

/** Appends one line to the journal (never rewritten); secrets are masked before anything leaves the runner. */
export async function appendJournal(sh: RemoteShell, layout: Layout, entry: JournalEntry, secrets: readonly string[] = []): Promise<void> {
  await sh.run('append to the journal', `mkdir -p "$(dirname "$1")"; cat >> "$1"`, [layout.journal], {
    stdin: `${journalLine(entry, secrets)}\n`,
  })
}

/** Atomically points `live` at trees/<id>: a fresh symlink renamed over the old one (rename(2)). */
export async function switchLive(sh: RemoteShell, layout: Layout, treeId: string): Promise<void> {
  await guarded(
    sh,
    `switch live to ${treeId}`,
    `root=$1; id=$2
[ -d "$root/trees/$id" ] || die "trees/$id does not exist"
tmp="$root/.live.tmp.$$"
ln -s "trees/$id" "$tmp"
mv -T -- "$tmp" "$root/live"
[ "$(readlink "$root/live")" = "trees/$id" ] || die "live does not point at trees/$id after the switch"`,
    [layout.root, treeId],
  )
}

/** The tree id `live` points at, from a probe; '' when `live` is missing or points elsewhere. */
export function liveTreeId(p: Probe): string {
  const m = /^trees\/([^/]+)\/?$/.exec(p.liveTarget)
  return m && isTreeId(m[1]) ? m[1] : ''
}

export { q }

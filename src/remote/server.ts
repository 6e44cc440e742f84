/**
 * The delivery root on one server: its paths, and the operations on the layout that do not depend on the code source:
 * probing, the state file, the journal, the lock, and the atomic switch of `live`.
 */
import { isSessionId } from '../session/sessions.js'
import { isTreeId, LAYOUT_VERSION, parseState, type ServerState, StateError } from './state.js'
import { maskSecrets } from '../transport/run.js'
import { q, type RemoteShell } from './shell.js'

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

export interface LockInfo {
  runId: string
  actor: string
  host: string
  pid: number
  startedAt: string
  mode?: string
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
  lockText: string | null
  lockAgeS: number
  trees: string[]
  tools: Record<string, boolean>
  user: string
  serverTime: number
  /** The delivery root exists. */
  rootExists: boolean
  /** Id of the open delivery session ('' when none). */
  session: string
  /** Why `sessions/current` could not be used, when it holds something that is not a session id. */
  sessionError?: string
}

const PROBE = `root=$1
cd / 
b64() { if [ -f "$1" ]; then base64 -w0 < "$1"; fi; }
printf 'root=%s\\n' "$( [ -d "$root" ] && echo 1 || echo 0)"
printf 'user=%s\\n' "$(id -un)"
printf 'now=%s\\n' "$(date +%s)"
if [ -L "$root/live" ]; then printf 'live=1\\ntarget=%s\\n' "$(readlink "$root/live")"; else printf 'live=0\\n'; fi
printf 'state=%s\\n' "$(b64 "$root/.delivery/state.json")"
printf 'lock=%s\\n' "$(b64 "$root/.delivery/lock")"
if [ -f "$root/.delivery/lock" ]; then printf 'lockmtime=%s\\n' "$(stat -c %Y "$root/.delivery/lock")"; fi
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
  const f = fields(r.stdout)
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
  let lock: LockInfo | null = null
  if (lockText !== null) {
    try {
      lock = JSON.parse(lockText) as LockInfo
    } catch {
      lock = { runId: '?', actor: '?', host: '?', pid: 0, startedAt: '?' }
    }
  }
  const now = Number(f.get('now') ?? '0')
  const tools: Record<string, boolean> = {}
  for (const [k, v] of f) if (k.startsWith('tool.')) tools[k.slice(5)] = v === '1'
  return {
    rootExists: f.get('root') === '1',
    liveExists: f.get('live') === '1',
    liveTarget: f.get('target') ?? '',
    stateText,
    state,
    stateError,
    lock,
    lockText,
    lockAgeS: lockText !== null ? Math.max(0, now - Number(f.get('lockmtime') ?? now)) : 0,
    // Names read from the server are data: only valid tree ids are ever used in a path.
    trees: (f.get('trees') ?? '').split(' ').filter(isTreeId),
    tools,
    user: f.get('user') ?? '',
    serverTime: now,
    ...sessionOf(f.get('session') ?? '', layout),
  }
}

/** The open session's id, validated: anything else in `sessions/current` is never used in a path. */
function sessionOf(text: string, layout: Layout): { session: string; sessionError?: string } {
  if (text === '' || isSessionId(text)) return { session: text }
  const shown = JSON.stringify(text.replace(/[^\x20-\x7e]/g, '?').slice(0, 40))
  return { session: '', sessionError: `${layout.sessions}/current holds ${shown}, not a session id: repair it by hand or remove it` }
}

/** Writes state.json: to a temporary file, flushed, then renamed over the old one. */
export async function writeState(sh: RemoteShell, layout: Layout, state: ServerState): Promise<void> {
  state.layout = LAYOUT_VERSION
  const text = `${JSON.stringify(state, null, 2)}\n`
  await sh.run(
    'write state.json',
    // .delivery/ is closed to other users (drift snapshots may hold a hand-made 0600 file).
    `chmod 700 -- "$(dirname -- "$1")" 2>/dev/null || true; tmp="$1.tmp.$$"; cat > "$tmp"; sync "$tmp" 2>/dev/null || true; mv -f -- "$tmp" "$1"`,
    [layout.state],
    { stdin: text },
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

/** Appends one line to the journal (never rewritten); secrets are masked before anything leaves the runner. */
export async function appendJournal(sh: RemoteShell, layout: Layout, entry: JournalEntry, secrets: readonly string[] = []): Promise<void> {
  await sh.run('append to the journal', `mkdir -p "$(dirname "$1")"; cat >> "$1"`, [layout.journal], {
    stdin: `${maskSecrets(JSON.stringify(entry), secrets)}\n`,
  })
}

export type LockResult =
  | { acquired: true; takenOver?: LockInfo }
  | { acquired: false; holder: LockInfo | null; ageS: number; text: string }

/** Ends the process group recorded in a lock's JSON ($1) if it still runs a command of that lock's run. */
const END_GROUP = `end_group() {
  local pid run
  pid=$(printf '%s' "$1" | sed -n 's/.*"pid":\\([0-9][0-9]*\\).*/\\1/p')
  run=$(printf '%s' "$1" | sed -n 's/.*"runId":"\\([^"]*\\)".*/\\1/p')
  if [ -n "$pid" ] && [ "$pid" -gt 1 ] && [ -n "$run" ] && pgrep -g "$pid" -f "delivery:$run" >/dev/null 2>&1; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for i in 1 2 3 4 5 6 7 8 9 10; do pgrep -g "$pid" >/dev/null 2>&1 || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "killed=$pid"
  fi
}
`

const LOCK_SCRIPT = `${END_GROUP}lock=$1; json=$2; stale=$3
mkdir -p "$(dirname "$lock")"
try_take() { ( set -o noclobber; printf '%s' "$json" > "$lock" ) 2>/dev/null; }
if try_take; then echo acquired; exit 0; fi
age=$(( $(date +%s) - $(stat -c %Y "$lock" 2>/dev/null || date +%s) ))
if [ "$stale" -ge 0 ] && [ "$age" -ge "$stale" ]; then
  # Stale: move the old lock aside (only one taker can win this rename), end its process group, take it.
  aside="$lock.stale.$$"
  if mv "$lock" "$aside" 2>/dev/null; then
    old=$(cat "$aside")
    end_group "$old"
    if try_take; then printf 'takenover\\n'; printf '%s' "$old" | base64 -w0; echo; rm -f "$aside"; exit 0; fi
    mv "$aside" "$lock.stale" 2>/dev/null || true
  fi
fi
echo held
echo "age=$age"
base64 -w0 < "$lock" 2>/dev/null || true
echo
`

/**
 * Takes the lock atomically (a file created exclusively). A lock older than `staleS` seconds is taken over: its
 * holder's process group, if still running, is ended first. `staleS` < 0 never takes over.
 */
export async function acquireLock(sh: RemoteShell, layout: Layout, info: LockInfo, staleS: number): Promise<LockResult> {
  const json = JSON.stringify(info)
  const r = await sh.run('take the lock', LOCK_SCRIPT, [layout.lock, json, String(staleS)])
  const lines = r.stdout.split('\n')
  if (lines.includes('acquired')) return { acquired: true }
  const t = lines.indexOf('takenover')
  if (t >= 0) {
    let old: LockInfo
    try {
      old = JSON.parse(Buffer.from(lines[t + 1] ?? '', 'base64').toString('utf8')) as LockInfo
    } catch {
      old = { runId: '?', actor: '?', host: '?', pid: 0, startedAt: '?' }
    }
    return { acquired: true, takenOver: old }
  }
  const age = Number((lines.find((l) => l.startsWith('age=')) ?? 'age=0').slice(4))
  const i = lines.findIndex((l) => l.startsWith('age='))
  const text = Buffer.from(lines[i + 1] ?? '', 'base64').toString('utf8')
  let holder: LockInfo | null = null
  try {
    holder = JSON.parse(text) as LockInfo
  } catch {
    holder = null
  }
  return { acquired: false, holder, ageS: age, text }
}

/** Releases the lock if it is ours (after ending any of our process groups still running). */
export async function releaseLock(sh: RemoteShell, layout: Layout, runId: string, endGroups = false): Promise<boolean> {
  // This command must not record itself in the lock: the lock's pid names the group a post step may have to end.
  const saved = sh.lock
  sh.lock = undefined
  try {
    return await releaseLockScript(sh, layout, runId, endGroups)
  } finally {
    sh.lock = saved
  }
}

async function releaseLockScript(sh: RemoteShell, layout: Layout, runId: string, endGroups: boolean): Promise<boolean> {
  const r = await sh.run(
    'release the lock',
    `${END_GROUP}lock=$1; mine=$2; self=$3
[ -f "$lock" ] || { echo absent; exit 0; }
if grep -qF "$mine" "$lock"; then
  text=$(cat "$lock")
  [ "$self" = 1 ] || end_group "$text"
  rm -f "$lock"; echo released
else echo other; fi`,
    [layout.lock, `"runId":${JSON.stringify(runId)}`, endGroups ? '0' : '1'],
  )
  return r.stdout.includes('released')
}

/** Atomically points `live` at trees/<id>: a fresh symlink renamed over the old one (rename(2)). */
export async function switchLive(sh: RemoteShell, layout: Layout, treeId: string): Promise<void> {
  await sh.run(
    `switch live to ${treeId}`,
    `root=$1; id=$2
[ -d "$root/trees/$id" ] || die "trees/$id does not exist"
tmp="$root/.live.tmp.$$"
ln -s "trees/$id" "$tmp"
mv -T "$tmp" "$root/live"
[ "$(readlink "$root/live")" = "trees/$id" ] || die "live does not point at trees/$id after the switch"`,
    [layout.root, treeId],
  )
}

/** What `live` should point at for a tree id. */
export function liveTargetOf(treeId: string): string {
  return `trees/${treeId}`
}

/** The tree id `live` points at, from a probe; '' when `live` is missing or points elsewhere. */
export function liveTreeId(p: Probe): string {
  const m = /^trees\/([^/]+)\/?$/.exec(p.liveTarget)
  return m && isTreeId(m[1]) ? m[1] : ''
}

export { q }

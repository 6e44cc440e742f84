/**
 * Delivery sessions on the server: `.delivery/sessions/<id>.json` (the session's record, rewritten by rename),
 * `.delivery/sessions/<id>.jsonl` (one line per intervention, appended), and `.delivery/sessions/current` (the id of
 * the open session). A cut connection leaves at worst a partial last line in the .jsonl file, which readers skip and
 * report; it never breaks the next run. What the files hold, and its version, is defined in format.ts.
 */
import { compactTime } from '../domain.js'
import { DeliveryError } from '../errors.js'
import type { Layout } from '../remote/server.js'
import type { RemoteShell } from '../remote/shell.js'
import { maskValues } from '../secrets.js'
import { type Intervention, readIntervention, readRecord, type SessionRecord, storedIntervention, storedRecord } from './format.js'

export type { Intervention, SessionRecord } from './format.js'

export interface SessionData {
  record: SessionRecord
  interventions: Intervention[]
  /** Lines of the intervention file that could not be read (a cut write, or a hand edit). */
  damaged: string[]
}

export class SessionError extends DeliveryError {
  readonly kind = 'failure'
  constructor(message: string) {
    super(message)
    this.name = 'SessionError'
  }
}

const ID = /^S[0-9]{8}T[0-9]{6}Z-[a-z0-9]{4,8}$/

/** A session id made on the runner: time first, so ids sort by opening time; the same on every host. */
export function newSessionId(now: Date): string {
  const stamp = compactTime(now)
  return `S${stamp}-${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}`
}

export function isSessionId(s: string): boolean {
  return ID.test(s)
}

function parseRecord(text: string, file: string): SessionRecord {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    throw new SessionError(`${file} is not valid JSON (${(e as Error).message}): repair it by hand or move it aside`)
  }
  try {
    return readRecord(v, isSessionId)
  } catch (e) {
    throw new SessionError(`${file} ${(e as Error).message}`)
  }
}

/** Parses the intervention lines; unreadable lines are returned apart, never fatal. */
export function parseInterventions(text: string): { interventions: Intervention[]; damaged: string[] } {
  const interventions: Intervention[] = []
  const damaged: string[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      interventions.push(readIntervention(JSON.parse(line)))
    } catch {
      damaged.push(line.length > 120 ? `${line.slice(0, 117)}...` : line)
    }
  }
  return { interventions, damaged }
}

/** Reads a session's record and interventions. */
export async function readSession(sh: RemoteShell, layout: Layout, id: string): Promise<SessionData> {
  const r = await sh.run(
    `read session ${id}`,
    `d=$1; id=$2
[ -f "$d/$id.json" ] || { echo missing; exit 0; }
echo "record=$(base64 -w0 < "$d/$id.json")"
if [ -f "$d/$id.jsonl" ]; then echo "lines=$(base64 -w0 < "$d/$id.jsonl")"; fi`,
    [layout.sessions, id],
  )
  if (r.stdout.startsWith('missing')) throw new SessionError(`session ${id} has no record in ${layout.sessions}: repair ${layout.sessions}/current by hand`)
  const get = (k: string) => Buffer.from(/^(\w+)=(.*)$/m.exec(r.stdout.split('\n').find((l) => l.startsWith(`${k}=`)) ?? '')?.[2] ?? '', 'base64').toString('utf8')
  const record = parseRecord(get('record'), `${layout.sessions}/${id}.json`)
  return { record, ...parseInterventions(get('lines')) }
}

/** Writes a session record (temporary file, then rename) and, when open, points `current` at it. */
export async function writeSession(sh: RemoteShell, layout: Layout, record: SessionRecord, secrets: readonly string[]): Promise<void> {
  await sh.run(
    `write session ${record.id}`,
    `d=$1; id=$2; status=$3
mkdir -p "$d"
cat > "$d/$id.json.tmp.$$"
mv -f "$d/$id.json.tmp.$$" "$d/$id.json"
if [ "$status" = open ]; then printf '%s\\n' "$id" > "$d/current.tmp.$$" && mv -f "$d/current.tmp.$$" "$d/current"
elif [ -f "$d/current" ] && [ "$(cat "$d/current")" = "$id" ]; then rm -f "$d/current"; fi`,
    [layout.sessions, record.id, record.status],
    { stdin: `${JSON.stringify(maskValues(storedRecord(record), secrets), null, 2)}\n` },
  )
}

/** Appends one intervention to the session's line file. */
export async function appendIntervention(sh: RemoteShell, layout: Layout, id: string, i: Intervention, secrets: readonly string[]): Promise<void> {
  await sh.run(`record the intervention in session ${id}`, `cat >> "$1/$2.jsonl"`, [layout.sessions, id], {
    stdin: `${JSON.stringify(maskValues(storedIntervention(i), secrets))}\n`,
  })
}

/** The most recent sessions (newest first): their records, without interventions. */
export async function listSessions(sh: RemoteShell, layout: Layout, max = 10): Promise<{ records: SessionRecord[]; damaged: string[] }> {
  const r = await sh.run(
    'list sessions',
    `d=$1; n=$2
[ -d "$d" ] || exit 0
ls -1 "$d" | { grep -E '^S[0-9]{8}T[0-9]{6}Z-[a-z0-9]+\\.json$' || true; } | sort -r | head -n "$n" | while IFS= read -r f; do
  printf '%s %s\\n' "$f" "$(base64 -w0 < "$d/$f")"
done`,
    [layout.sessions, String(max)],
  )
  const records: SessionRecord[] = []
  const damaged: string[] = []
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [file, b64] = line.split(' ')
    try {
      records.push(parseRecord(Buffer.from(b64 ?? '', 'base64').toString('utf8'), `${layout.sessions}/${file}`))
    } catch (e) {
      damaged.push((e as Error).message)
    }
  }
  return { records, damaged }
}

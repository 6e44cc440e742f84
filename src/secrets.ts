/**
 * Secrets: what counts as one, and masking. Plain text (log lines, messages, mail subjects) is masked by substring;
 * structured data (reports, journal and session lines) is masked inside its string values before it is serialised,
 * so a short secret such as `1` or `false` can never break the JSON around it.
 */

/** The pieces to mask for a list of secrets: each secret, and each line of a multi-line one (a private key). */
function piecesOf(secrets: readonly string[]): string[] {
  const pieces = new Set<string>()
  for (const s of secrets) {
    if (!s) continue
    pieces.add(s)
    for (const line of s.split(/\r?\n/)) if (line.trim().length >= 4) pieces.add(line.trim())
  }
  return [...pieces].sort((a, b) => b.length - a.length)
}

/** Replaces every secret (and each of its lines, for multi-line secrets) with ***. For plain text only. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text
  for (const p of piecesOf(secrets)) out = out.split(p).join('***')
  return out
}

/**
 * Strings this program makes itself (ids, timestamps, modes, outcomes): they cannot hold a secret, other files refer to
 * them (`sessions/current` names a record by its id), and their readers check their form, so they are never masked.
 */
const MADE_HERE = new Set(['id', 'sessionId', 'runId', 'at', 'startedAt', 'finishedAt', 'openedAt', 'closedAt', 'updatedAt', 'status', 'mode', 'outcome', 'event'])

/**
 * A copy of `value` with every string inside it masked: mask data this way, then serialise. Object keys, numbers,
 * booleans and null are kept, and so are the strings of MADE_HERE fields.
 */
export function maskValues<T>(value: T, secrets: readonly string[]): T {
  const pieces = piecesOf(secrets)
  if (pieces.length === 0) return value
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let out = v
      for (const p of pieces) out = out.split(p).join('***')
      return out
    }
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' && MADE_HERE.has(k) ? x : walk(x)]))
    return v
  }
  return walk(value) as T
}

const VALUE = String.raw`('[^']*'|"[^"]*"|[^\s'";&|()<>]+)`
const SECRET_WORD = '(?:pass|pwd|secret|token|api[_-]?key|credential)'

/** Credentials written into shell text, each with the group that holds the secret. */
const IN_COMMAND: RegExp[] = [
  // scheme://user:password@ and https://token@
  /[a-z][a-z0-9+.-]*:\/\/[^\s/@:'"]*:([^\s/@'"]+)@/gi,
  /https?:\/\/([^\s/@:'"]+)@/gi,
  // NAME=value (DB_PASSWORD=..., PGPASSWORD=...), --name=value and --name value (--password, --api-key)
  new RegExp(String.raw`(?:^|[\s;&|(])(?:export\s+)?[A-Za-z_0-9]*${SECRET_WORD}[A-Za-z_0-9]*=${VALUE}`, 'gim'),
  new RegExp(String.raw`(?:^|[\s;&|(])--[A-Za-z0-9-]*${SECRET_WORD}[A-Za-z0-9-]*(?:=|\s+)${VALUE}`, 'gim'),
  // curl -u user:password, an Authorization header, mysql's -pPASSWORD
  new RegExp(String.raw`(?:^|\s)(?:-u|--user)\s+['"]?[^\s:'"]+:([^\s'"]+)`, 'gm'),
  /authorization:\s*(?:bearer|basic|token)\s+([^\s'"]+)/gi,
  /\b(?:mysql|mysqldump|mariadb|mariadb-dump)\b[^\n;|&]*?\s-p([^\s'"]+)/g,
]

/**
 * Secrets written into shell text given as an input (`before-upgrade`, `after-switch`), such as a password in a URL,
 * `PGPASSWORD=...`, `--password=...`, `curl -u user:password` or `mysqldump -pPASSWORD`: they are masked wherever the
 * text or its output is shown. Shell references (`$DB_PASSWORD`, `$(cat file)`) are not secrets and are left alone;
 * values shorter than 4 characters are not recognised.
 */
export function secretsInCommand(text: string): string[] {
  const found = new Set<string>()
  for (const re of IN_COMMAND) {
    for (const m of text.matchAll(re)) {
      const raw = m[m.length - 1] ?? ''
      const v = /^'.*'$|^".*"$/s.test(raw) ? raw.slice(1, -1) : raw
      if (v.length >= 4 && !v.includes('$') && !v.includes('`')) found.add(v)
    }
  }
  return [...found]
}

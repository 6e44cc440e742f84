/**
 * Parsing of CVS's output: `cvs -q update -dP` (what changed, what conflicted), `cvs -nq update` (drift), and the
 * password scrambling of `~/.cvspass` (CVS's `scramble.c`: a fixed substitution, not encryption) so that a pserver
 * password reaches cvs through a file only the code owner can read, never through a command line.
 */
import { type DriftFile, emptyChanges, type FileChanges } from '../domain.js'

/** The revision of each file in CVS/Entries before and after the update ('' when it had no entry). */
export type Revisions = ReadonlyMap<string, string>

export interface CvsUpdateResult {
  changes: FileChanges
  conflicts: string[]
}

const QUOTED = "[`'‘]([^`'’]+)['’]"

/**
 * Parses the standard output and error of `cvs -q update -dP` (or of `cvs -nq update -dP`, a dry run). `U`/`P`/`M`
 * lines change a file only when its revision in CVS/Entries changed (a `U` of a lost file restores it; an `M` is a
 * hand-made change, merged with a new revision when the revision moved on): `before` and `after` give those revisions
 * (for a dry run `after` is absent and every `U`/`P` counts, `M` does not). Deletions come on the error stream.
 */
export function parseCvsUpdate(stdout: string, stderr: string, before: Revisions, after?: Revisions): CvsUpdateResult {
  const changes = emptyChanges()
  const conflicts: string[] = []
  const seen = new Set<string>()
  const push = (list: string[], p: string) => {
    if (!seen.has(p)) {
      seen.add(p)
      list.push(p)
    }
  }
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^([UPMCAR?]) (.+)$/.exec(line)
    if (!m) continue
    const [, code, path] = m
    if (code === 'C') {
      conflicts.push(path)
      continue
    }
    if (code !== 'U' && code !== 'P' && code !== 'M') continue
    const was = before.get(path) ?? ''
    const existed = was !== '' && was !== '0' && !was.startsWith('-')
    if (after === undefined) {
      if (code === 'M') continue
      push(existed ? changes.modified : changes.added, path)
      continue
    }
    const now = after.get(path) ?? ''
    if (existed && now === was) continue // restored or kept: not a change of the repository
    push(existed ? changes.modified : changes.added, path)
  }
  for (const line of stderr.split(/\r?\n/)) {
    const gone = new RegExp(`^cvs (?:update|server): (?:warning: )?${QUOTED} is (?:no longer in the repository|not \\(any longer\\) pertinent)$`).exec(line)
    if (gone) {
      push(changes.deleted, gone[1])
      continue
    }
    const conflict = new RegExp(`^cvs (?:update|server): (?:conflict: ${QUOTED}|move away ${QUOTED}|conflicts found in (.+))`).exec(line)
    if (conflict) {
      const p = conflict[1] ?? conflict[2] ?? conflict[3]
      if (!conflicts.includes(p)) conflicts.push(p)
    }
  }
  return { changes, conflicts }
}

/**
 * Parses `cvs -nq update` (no -d) run in a tree into drift entries: `M` and `C` modified, `A` added, `R` deleted, `?`
 * untracked (directories given file by file through `untrackedFiles`), a lost file deleted. `U`/`P` of a file that is
 * there only says the repository moved on, which is not drift.
 */
export function parseCvsDrift(stdout: string, stderr: string, untrackedFiles: readonly string[] = []): DriftFile[] {
  const files: DriftFile[] = []
  const lost = new Set<string>()
  for (const line of stderr.split(/\r?\n/)) {
    const m = new RegExp(`^cvs (?:update|server): warning: ${QUOTED} was lost$`).exec(line)
    if (m) lost.add(m[1])
  }
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^([UPMCAR?]) (.+)$/.exec(line)
    if (!m) continue
    const [, code, path] = m
    if (code === 'M' || code === 'C') files.push({ path, status: 'modified' })
    else if (code === 'A') files.push({ path, status: 'added' })
    else if (code === 'R') files.push({ path, status: 'deleted' })
    else if (code === '?') {
      const inside = untrackedFiles.filter((f) => f.startsWith(`${path}/`))
      if (inside.length) for (const f of inside) files.push({ path: f, status: 'untracked' })
      else files.push({ path, status: 'untracked' })
    } else if (lost.has(path)) files.push({ path, status: 'deleted' })
  }
  return files
}

/** Parses NUL-separated `path\0revision\0` pairs printed by the update script. */
export function parseRevisions(text: string): Map<string, string> {
  const parts = text.split('\0')
  const map = new Map<string, string>()
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) map.set(parts[i], parts[i + 1])
  return map
}

// CVS's scramble.c table.
const SHIFTS = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 114, 120, 53,
  79, 96, 109, 72, 108, 70, 64, 76, 67, 116, 74, 68, 87, 111, 52, 75, 119, 49, 34, 82, 81, 95, 65, 112, 86, 118, 110, 122, 105, 41, 57,
  83, 43, 46, 102, 40, 89, 38, 103, 45, 50, 42, 123, 91, 35, 125, 55, 54, 66, 124, 126, 59, 47, 92, 71, 115, 78, 88, 107, 106, 56, 36,
  121, 117, 104, 101, 100, 69, 73, 99, 63, 94, 93, 39, 37, 61, 48, 58, 113, 32, 90, 44, 98, 60, 51, 33, 97, 62, 77, 84, 80, 85, 223,
  225, 216, 187, 166, 229, 189, 222, 188, 141, 249, 148, 200, 184, 136, 248, 190, 199, 170, 181, 204, 138, 232, 218, 183, 255, 234,
  220, 247, 213, 203, 226, 193, 174, 172, 228, 252, 217, 201, 131, 230, 197, 211, 145, 238, 161, 179, 160, 212, 207, 221, 254, 173,
  202, 146, 224, 151, 140, 196, 205, 130, 135, 133, 143, 246, 192, 159, 244, 239, 185, 168, 215, 144, 139, 165, 180, 157, 147, 186,
  214, 176, 227, 231, 219, 169, 175, 156, 206, 198, 129, 164, 150, 210, 154, 177, 134, 127, 182, 128, 158, 208, 162, 132, 167, 209,
  149, 241, 153, 251, 237, 236, 171, 195, 243, 233, 253, 240, 194, 250, 191, 155, 142, 137, 245, 235, 163, 242, 178, 152,
]

/** CVS's password scrambling (scheme `A`) of the password's UTF-8 bytes, as `cvs login` writes it. */
export function scramble(password: string): Buffer {
  const bytes = Buffer.from(password, 'utf8')
  return Buffer.concat([Buffer.from('A'), Buffer.from(bytes.map((b) => SHIFTS[b]))])
}

/**
 * The `~/.cvspass` line for a pserver CVSROOT (`/1 :pserver:user@host:port/path Ascrambled`, the form cvs 1.12 looks
 * up), or null when the root is not :pserver: or names no user.
 */
export function cvsPassLine(root: string, password: string): Buffer | null {
  const m = /^:pserver(?:;[^:]*)?:([^@:]+)@([^:/]+):(\d*)(\/.*)$/.exec(root)
  if (!m) return null
  const [, user, host, port, path] = m
  return Buffer.concat([Buffer.from(`/1 :pserver:${user}@${host}:${port || '2401'}${path} `), scramble(password), Buffer.from('\n')])
}

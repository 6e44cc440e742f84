/**
 * Parsing of change lists: `git diff --name-status -z` and `git status --porcelain -z` output.
 */
import { type DriftFile, emptyChanges, type FileChanges } from '../domain.js'

/** Parses `git diff --name-status -z -M` output into added / modified / deleted / renamed. */
export function parseNameStatusZ(out: string): FileChanges {
  const changes = emptyChanges()
  const f = out.split('\0')
  let i = 0
  while (i < f.length) {
    const status = f[i++]
    if (!status) continue
    const kind = status[0]
    if (kind === 'R' || kind === 'C') {
      const from = f[i++]
      const to = f[i++]
      if (kind === 'R') changes.renamed.push({ from, to })
      else changes.added.push(to)
    } else {
      const path = f[i++]
      if (kind === 'A') changes.added.push(path)
      else if (kind === 'D') changes.deleted.push(path)
      else changes.modified.push(path) // M, T (type change), U
    }
  }
  return changes
}

/** Parses `git status --porcelain=v1 -z --no-renames` output into drift entries (ignored files, `!!`, are not drift). */
export function parsePorcelainZ(out: string): DriftFile[] {
  const files: DriftFile[] = []
  for (const entry of out.split('\0')) {
    if (entry.length < 4) continue
    const xy = entry.slice(0, 2)
    const path = entry.slice(3)
    if (xy === '!!') continue
    if (xy === '??') files.push({ path, status: 'untracked' })
    else if (xy.includes('D')) files.push({ path, status: 'deleted' })
    else if (xy.includes('T')) files.push({ path, status: 'type-changed' })
    else if (xy[0] === 'A') files.push({ path, status: 'added' })
    else files.push({ path, status: 'modified' })
  }
  return files
}

/** The ignored paths of `git status --porcelain=v1 -z --ignored=matching` output (`!!` entries; a folder without its
 * trailing slash). */
export function parseIgnoredZ(out: string): string[] {
  return out
    .split('\0')
    .filter((e) => e.startsWith('!! ') && e.length > 3)
    .map((e) => e.slice(3).replace(/\/$/, ''))
}

/** Whether `path` is one of `keep` or inside one of them. */
export function isKept(path: string, keep: readonly string[]): boolean {
  return keep.some((k) => path === k || path.startsWith(`${k}/`))
}

/** Whether `path` is one of `paths` or inside one of them (always true when `paths` is empty). */
export function inPaths(path: string, paths: readonly string[]): boolean {
  return paths.length === 0 || isKept(path, paths)
}

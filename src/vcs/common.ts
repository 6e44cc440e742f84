/**
 * Pieces the svn, cvs and push drivers share: a UTF-8 locale for the tools' output (svn and cvs print file names in
 * the locale's encoding: under LC_ALL=C a name like `café.php` comes out mangled), decoding of the base64 fields the
 * scripts print, and the tree operations that need no version control (rename, delete, clean).
 */
import type { DriftFile } from '../domain.js'
import type { Layout } from '../remote/server.js'
import type { TreeRecord } from '../remote/state.js'
import type { RemoteShell } from '../remote/shell.js'
import type { VcsContext } from './driver.js'
import { value } from './git.js'
import { decodeName, encodeName } from './names.js'

/** Shell function picking a UTF-8 locale the server has (C.UTF-8 on most, en_US.UTF-8 on older ones). */
export const UTF8_LOCALE = `dlv_utf8() {
  local l
  for l in C.UTF-8 C.utf8 en_US.UTF-8 en_US.utf8; do
    if [ "$(LC_ALL=$l locale charmap 2>/dev/null)" = UTF-8 ]; then export LC_ALL=$l LANG=$l LANGUAGE=; return 0; fi
  done
  export LC_ALL=C
}
dlv_utf8
`

/** The value of a base64 `name=` field of a script's output, decoded (names that are not UTF-8 kept exact: names.ts). */
export function field(stdout: string, name: string): string {
  return decodeName(Buffer.from(value(stdout, name), 'base64'))
}

/** A base64 `name=` field holding NUL-separated entries. */
export function nulField(stdout: string, name: string): string[] {
  return field(stdout, name)
    .split('\0')
    .filter((s) => s !== '')
    .map((s) => s.replace(/^\.\//, ''))
}

/** Renames trees/<from> to trees/<to> (a working copy keeps no absolute path of itself). */
export async function moveTree(sh: RemoteShell, layout: Layout, from: string, to: string): Promise<void> {
  await sh.run(`rename tree ${from} to ${to}`, `[ ! -e "$2" ] || die "$2 already exists"; mv -T -- "$1" "$2"`, [layout.tree(from), layout.tree(to)])
}

/**
 * Base of the drivers whose trees are plain working copies (svn, cvs): a tree is renamed with mv (a working copy keeps
 * no absolute path of itself).
 */
export abstract class WorkingCopyTrees {
  constructor(protected readonly ctx: VcsContext) {}

  move(from: string, to: string): Promise<void> {
    return moveTree(this.ctx.sh, this.ctx.layout, from, to)
  }

  cleanHalfInit(): Promise<void> {
    return cleanTrees(this.ctx.sh, this.ctx.layout)
  }
}

export async function cleanTrees(sh: RemoteShell, layout: Layout, extra: string[] = []): Promise<void> {
  await sh.run('clean a half-finished init', 'root=$1; shift; find "$root/trees" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; for d in "$@"; do rm -rf -- "$d"; done', [
    layout.root,
    ...extra,
  ])
}

/**
 * Shell function `no_links ROOT P`: makes every parent of ROOT/P under ROOT a real directory, or nothing: a parent
 * that is a symbolic link (or a file) is removed, never followed, so that what is then written or deleted at ROOT/P
 * stays inside ROOT. The link itself goes, not what it points at. With a third argument `self`, ROOT/P goes too when
 * it is a link (before something is written into it as a directory).
 */
export const NO_LINKS = `no_links() {
  local d=$1 rest=$2 c
  while [[ $rest == */* ]]; do
    c=\${rest%%/*}; rest=\${rest#*/}; d=$d/$c
    if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then rm -f -- "$d"; fi
  done
  if [ "\${3:-}" = self ] && [ -L "$d/$rest" ]; then rm -f -- "$d/$rest"; fi
  return 0
}
`

/**
 * Shell function `put_path SRC DST P`: makes DST/P identical to SRC/P (a directory, a file or nothing), with rsync
 * when the server has it. Used by per-path syncbacks that must copy again after repairing a working copy.
 */
export const PUT_PATH = `${NO_LINKS}put_path() {
  local s="$1/$3" d="$2/$3"
  no_links "$2" "$3" self
  if [ -d "$s" ] && [ ! -L "$s" ]; then
    mkdir -p -- "$d"
    if command -v rsync >/dev/null 2>&1; then rsync -a --delete --modify-window=-1 -- "$s/" "$d/"
    else find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; (cd "$s" && tar cf - .) | (cd "$d" && tar xpf -); fi
  elif [ -e "$s" ] || [ -L "$s" ]; then
    mkdir -p -- "$(dirname -- "$d")"; rm -rf -- "$d"; cp -a -- "$s" "$d"
  else rm -rf -- "$d"; fi
}
`

export function conflictMessage(conflicts: string[], rev: string, treeId: string): string {
  const list = conflicts.slice(0, 20).join(', ') + (conflicts.length > 20 ? ` and ${conflicts.length - 20} more` : '')
  return `the update to ${rev} would conflict with hand-made changes in trees/${treeId}: ${list}. Nothing was changed and nothing was switched. Commit those changes to the repository, or undo them on the server (they are saved in the drift patch), then run update again`
}

/**
 * Saves drift for svn and cvs: a patch (the tool's diff of the changed files, and each untracked file as an added
 * file) at `dest`, and every drifted file that still exists, as it is, in `<dest without .patch>.files.tar.gz`
 * (binary files and exact bytes included). `diffCommand` is the shell command printing the tool's diff of
 * "${tracked[@]}". Names go to each command after `--` or with `./` before them; what is saved is readable by the code
 * owner only (it may hold a hand-made `.env` that was 0600).
 */
export async function saveDriftFiles(
  ctx: VcsContext,
  tree: TreeRecord,
  files: DriftFile[],
  dest: string,
  prelude: string,
  diffCommand: string,
  credentials?: { stdinPrefix: Buffer; secrets: string[] },
): Promise<void> {
  const list = files.map((f) => `${f.status}\0${f.path}\0`).join('')
  await ctx.sh.run(
    `save the hand-made changes of ${tree.id}`,
    `${prelude}tree=$1; dest=$2
umask 077
cd "$tree"
mkdir -p -- "$(dirname -- "$dest")"
tracked=(); untracked=(); existing=()
while IFS= read -r -d '' st && IFS= read -r -d '' p; do
  if [ "$st" = untracked ]; then untracked+=("$p"); else tracked+=("$p"); fi
  if [ -e "$p" ] || [ -L "$p" ]; then existing+=("$p"); fi
done
{
  if [ \${#tracked[@]} -gt 0 ]; then ${diffCommand} 2>&1 || true; fi
  for p in "\${untracked[@]}"; do diff -u --label /dev/null --label "b/$p" -- /dev/null "./$p" || true; done
} > "$dest.tmp"
# (tar --null -T reads each name verbatim, never as an option.)
if [ \${#existing[@]} -gt 0 ]; then printf '%s\\0' "\${existing[@]}" | tar czf "\${dest%.patch}.files.tar.gz" --null -T -; fi
mv -f "$dest.tmp" "$dest"`,
    [credentials ? '1' : '0', ctx.layout.tree(tree.id), dest],
    { stdin: Buffer.concat([credentials?.stdinPrefix ?? Buffer.alloc(0), encodeName(list)]), secrets: credentials?.secrets ?? [] },
  )
}

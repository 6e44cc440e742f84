/**
 * Copies between trees on the server: the syncback (whole tree or paths; rsync when the server has it, so the cost
 * follows what differs), and the keep files (config.php...) carried into a tree before it goes live.
 */
import { NO_LINKS } from '../vcs/common.js'
import { encodeName } from '../vcs/names.js'
import type { HostContext } from './context.js'

/**
 * Nothing outside the delivery root is ever written or deleted: before a path of the destination is written, every
 * link at one of its parents is removed (no_links), and so is a link at the path itself when a directory is copied
 * into it; rsync (without --keep-dirlinks) and tar replace links inside what they copy. Links are replaced, never
 * followed.
 */
const COPY_SCRIPT = `${NO_LINKS}src=$1; dst=$2; dry=$3; nexcl=$4; shift 4
excl=(); for ((i = 0; i < nexcl; i++)); do excl+=("$1"); shift; done
changed=0
if command -v rsync >/dev/null 2>&1; then
  # Nanosecond mtimes (--modify-window=-1): with whole seconds, a same-size change made within the second is missed.
  args=(-a --delete --modify-window=-1 --out-format='%i %n')
  [ "$dry" = 1 ] && args+=(--dry-run)
  for e in "\${excl[@]}"; do args+=(--exclude="$e"); done
  if [ $# -eq 0 ]; then
    out=$(rsync "\${args[@]}" -- "$src/" "$dst/")
  else
    out=""
    for p in "$@"; do
      if [ "$dry" != 1 ]; then
        if [ -d "$src/$p" ] && [ ! -L "$src/$p" ]; then no_links "$dst" "$p" self; else no_links "$dst" "$p"; fi
      fi
      if [ -d "$src/$p" ] && [ ! -L "$src/$p" ]; then
        [ "$dry" = 1 ] || mkdir -p -- "$dst/$p"; out+=$(rsync "\${args[@]}" -- "$src/$p/" "$dst/$p/")
      elif [ -e "$src/$p" ] || [ -L "$src/$p" ]; then
        [ "$dry" = 1 ] || mkdir -p -- "$(dirname -- "$dst/$p")"; out+=$(rsync "\${args[@]}" -- "$src/$p" "$dst/$p")
      elif [ -e "$dst/$p" ] || [ -L "$dst/$p" ]; then
        [ "$dry" = 1 ] || rm -rf -- "$dst/$p"; out+="*deleting $p"
      fi
    done
  fi
  changed=$(printf '%s' "$out" | grep -c . || true)
elif [ "$dry" = 1 ]; then
  changed=-1
else
  # No rsync: replace the content (keeping the excluded metadata) with a tar copy.
  copy_one() {
    local s=$1 d=$2
    if [ -d "$s" ] && [ ! -L "$s" ]; then
      mkdir -p -- "$d"
      find "$d" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf -- {} +
      (cd "$s" && tar cf - --exclude=./.git .) | (cd "$d" && tar xpf -)
    elif [ -e "$s" ] || [ -L "$s" ]; then
      mkdir -p -- "$(dirname -- "$d")"; rm -rf -- "$d"; cp -a -- "$s" "$d"
    else rm -rf -- "$d"; fi
  }
  if [ $# -eq 0 ]; then copy_one "$src" "$dst"
  else
    for p in "$@"; do
      if [ -d "$src/$p" ] && [ ! -L "$src/$p" ]; then no_links "$dst" "$p" self; else no_links "$dst" "$p"; fi
      copy_one "$src/$p" "$dst/$p"
    done
  fi
  changed=-1
fi
echo "changed=$changed"`

/**
 * rsync patterns that leave the kept paths out of a whole-tree copy (anchored at the tree's root; wildcards escaped,
 * since rsync reads a backslash as an escape only in a pattern that has one). syncKeep carries them instead: rsync
 * would replace a kept file by a file of the copying user's group.
 */
export function keepExcludes(keep: readonly string[]): string[] {
  return keep.map((k) => `/${/[[*?]/.test(k) ? k.replace(/[[\]*?\\]/g, '\\$&') : k}`)
}

/** Makes `to` identical to `from` (whole, or the given relative paths). Returns the number of changed entries (-1: unknown). */
export async function copyTree(
  ctx: HostContext,
  fromDir: string,
  toDir: string,
  paths: string[],
  excludes: string[],
  dryRun = false,
): Promise<number> {
  const r = await ctx.sh.run(`copy ${paths.length ? paths.join(', ') : 'the whole tree'} into ${toDir}`, COPY_SCRIPT, [
    fromDir,
    toDir,
    dryRun ? '1' : '0',
    String(excludes.length),
    ...excludes,
    ...paths,
  ])
  const m = /changed=(-?\d+)/.exec(r.stdout)
  return m ? Number(m[1]) : -1
}

/**
 * The fast path of a syncback: copies only the listed paths (NUL-separated on stdin, so that any name is data, never
 * an option or a pattern: `q:PATH` compared by size and time as the full comparison does, `c:PATH` by content, for
 * files changed by hand that may have kept their size and time). A listed folder is copied whole; a path the source
 * lacks is deleted, and so are the folders its deletion empties that the source lacks too. Before anything is
 * written, a link at a parent of a listed path (on either side) or the lack of rsync makes it print `fallback=WHY`
 * and change nothing: then the whole trees are compared (which replaces links, never follows them).
 */
const COPY_LIST_SCRIPT = `src=$1; dst=$2; dry=$3; nexcl=$4; shift 4
excl=(); for ((i = 0; i < nexcl; i++)); do excl+=("$1"); shift; done
command -v rsync >/dev/null 2>&1 || { echo "fallback=the server has no rsync"; exit 0; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
cat > "$w/in"
: > "$w/all"; : > "$w/sum"
while IFS= read -r -d '' e; do
  p=\${e#?:}
  case "/$p/" in //|//*|*/../*|*/./*|*//*) echo "fallback=the path '$p' is not a plain relative path"; exit 0 ;; esac
  d=$p; top=
  while [[ $d == */* ]]; do
    d=\${d%/*}
    if [ -L "$src/$d" ] || [ -L "$dst/$d" ]; then echo "fallback=a link stands at $d"; exit 0; fi
    # A folder the source lacks, or has as a file: that is what is copied (deleted) in the path's place (rsync can
    # neither look inside a file nor name a path under a missing folder).
    if { [ -e "$src/$d" ] && [ ! -d "$src/$d" ]; } || { [ ! -e "$src/$d" ] && [ ! -L "$src/$d" ]; }; then top=$d; fi
  done
  [ -z "$top" ] || p=$top
  printf '%s\\0' "$p" >> "$w/all"
  case $e in c:*) printf '%s\\0' "$p" >> "$w/sum" ;; esac
done < "$w/in"
sort -zu -o "$w/all" "$w/all"; sort -zu -o "$w/sum" "$w/sum"
args=(-a -r --delete --delete-missing-args --force --modify-window=-1 --from0 '--out-format=%i %n')
[ "$dry" = 1 ] && args+=(--dry-run)
for e in "\${excl[@]}"; do args+=(--exclude="$e"); done
out=""
[ -s "$w/all" ] && out=$(rsync "\${args[@]}" --files-from="$w/all" -- "$src/" "$dst/")
[ -s "$w/sum" ] && out+=$'\\n'$(rsync "\${args[@]}" --checksum --files-from="$w/sum" -- "$src/" "$dst/")
if [ "$dry" != 1 ]; then
  while IFS= read -r -d '' p; do
    [ -e "$src/$p" ] || [ -L "$src/$p" ] && continue
    d=$p
    while [[ $d == */* ]]; do
      d=\${d%/*}
      { [ -e "$src/$d" ] || [ -L "$src/$d" ]; } && break
      rmdir -- "$dst/$d" 2>/dev/null || break
    done
  done < "$w/all"
fi
echo "changed=$(printf '%s\\n' "$out" | grep -c . || true)"`

/** One path for copyList: compared by size and time (`quick`) or by content (`content`: changed by hand). */
export interface ListedPath {
  path: string
  by: 'quick' | 'content'
}

/**
 * Makes the listed paths of `toDir` identical to `fromDir`'s (see COPY_LIST_SCRIPT). Returns the number of changed
 * entries, or the reason the whole trees must be compared instead (nothing was changed then).
 */
export async function copyList(
  ctx: HostContext,
  fromDir: string,
  toDir: string,
  paths: ListedPath[],
  excludes: string[],
  dryRun = false,
): Promise<{ changed: number; fallback?: undefined } | { fallback: string; changed?: undefined }> {
  const list = paths.map((p) => `${p.by === 'content' ? 'c' : 'q'}:${p.path}\0`).join('')
  const r = await ctx.sh.run(
    `copy ${paths.length} path(s) into ${toDir}`,
    COPY_LIST_SCRIPT,
    [fromDir, toDir, dryRun ? '1' : '0', String(excludes.length), ...excludes],
    { stdin: encodeName(list) },
  )
  const fallback = /^fallback=(.*)$/m.exec(r.stdout)
  if (fallback) return { fallback: fallback[1] }
  const m = /changed=(-?\d+)/.exec(r.stdout)
  return { changed: m ? Number(m[1]) : -1 }
}

/**
 * Shell functions that put a kept file (config.php...) in place with the mode and group of its source. A copy when the
 * user copying may give it that group; else a hard link to the source (one inode: same owner, group and mode in both
 * places), which the owner of a file may make under Linux's protected_hardlinks without belonging to the group. A
 * kept file is always replaced by a rename of a fresh copy or link, never written into: a linked inode is never
 * changed through the trees. When neither can keep mode and group, dies naming the file, what it is, what it should
 * be and the fix, before anything is switched.
 */
const KEEP_FUNCTIONS = `meta() { stat -c '%a %G' -- "$1"; }
# same_access A B: same mode, and same group or a group that changes nobody's access (its bits are the others' bits).
same_access() {
  local a b m
  a=$(meta "$1"); b=$(meta "$2"); [ "$a" = "$b" ] && return 0
  [ "\${a% *}" = "\${b% *}" ] || return 1
  m=$(stat -c %a -- "$1"); [ $(((8#$m >> 3) & 7)) = $((8#$m & 7)) ]
}
keep_fail() {
  local k=$1 s=$2 d=$3 why=$4 want got me fix
  me=$(id -un); want=$(meta "$s"); got=missing
  if [ -e "$d" ] || [ -L "$d" ]; then
    got="'$(stat -c '%a %U:%G' -- "$d")'"; [ -r "$s" ] && ! cmp -s -- "$s" "$d" && got="$got, with other content"
  fi
  if [ -n "\${adopt_root:-}" ]; then
    fix="adopt a directory on the file system of $adopt_root in which $me owns $k (as root: cp -a -- $src NEW-FOLDER; chown $me -- NEW-FOLDER/$k), then run init again"
  elif [ ! -r "$s" ]; then
    fix="as root: chown $me -- $s (then $me can read it, and link it), then run again"
  else
    fix="as root: cp -p -- $s $d (or chgrp \${want#* } -- $d; chmod \${want% *} -- $d), then run again; or make $me the owner of $s, so that it can link it"
  fi
  local copy="cannot give a copy group \${want#* } (not a member)"; [ -r "$s" ] || copy="cannot read it"
  die "kept file $k: $d must hold $s with its mode and group ('$want'), or the web server may not read it; it is $got. $me $copy and cannot link it to $s ($why). Fix: $fix. (Adding $me to group \${want#* } also works, but lets it write whatever that group may write, such as moodledata.)"
}
# keep_file KEY SRC DST: DST becomes SRC's content with SRC's mode and group. Prints "copied=KEY" when it changed.
keep_file() {
  local k=$1 s=$2 d=$3 tmp why
  tmp="$d.dlvtmp.$$"
  if [ -L "$s" ]; then
    [ -L "$d" ] && [ "$(readlink -- "$s")" = "$(readlink -- "$d")" ] && return 0
    mkdir -p -- "$(dirname -- "$d")"; rm -rf -- "$tmp"; cp -P -- "$s" "$tmp"; mv -fT -- "$tmp" "$d"; echo "copied=$k"; return 0
  fi
  if [ -f "$d" ] && [ ! -L "$d" ]; then
    [ "$s" -ef "$d" ] && return 0
    cmp -s -- "$s" "$d" && same_access "$s" "$d" && return 0
  fi
  mkdir -p -- "$(dirname -- "$d")"; rm -rf -- "$tmp" "$tmp.ln"
  if ! { cp -p -- "$s" "$tmp" 2>/dev/null || cp -- "$s" "$tmp" 2>/dev/null; } || ! chmod -- "$(stat -c %a -- "$s")" "$tmp"; then rm -f -- "$tmp"; fi
  if [ -e "$tmp" ]; then
    chgrp -- "$(stat -c %g -- "$s")" "$tmp" 2>/dev/null || true
    if [ "$(meta "$tmp")" = "$(meta "$s")" ]; then mv -fT -- "$tmp" "$d"; echo "copied=$k"; return 0; fi
  fi
  if why=$(ln -- "$s" "$tmp.ln" 2>&1); then rm -f -- "$tmp"; mv -fT -- "$tmp.ln" "$d"; echo "copied=$k"; echo "linked=$k"; return 0; fi
  # A copy whose group differs but gives everyone the same access (group bits = others' bits) will do.
  if [ -e "$tmp" ] && same_access "$s" "$tmp"; then mv -fT -- "$tmp" "$d"; echo "copied=$k"; return 0; fi
  rm -f -- "$tmp" "$tmp.ln"
  keep_fail "$k" "$s" "$d" "\${why##*: }"
}
# keep_path KEY SRC DST: a kept file, or a kept folder whose every entry keeps mode and group (files linked if need be).
keep_path() {
  local k=$1 s=$2 d=$3 e
  if [ -d "$s" ] && [ ! -L "$s" ]; then
    if command -v rsync >/dev/null 2>&1; then
      mkdir -p -- "$d"
      [ -z "$(rsync -a --delete --modify-window=-1 --dry-run --out-format=%n -- "$s/" "$d/")" ] || { rsync -a --delete --modify-window=-1 -- "$s/" "$d/"; echo "copied=$k"; }
    elif ! diff -r -- "$s" "$d" >/dev/null 2>&1; then rm -rf -- "$d"; cp -a -- "$s" "$d"; echo "copied=$k"; fi
    while IFS= read -r -d '' e; do
      if [ -d "$s/$e" ] && [ ! -L "$s/$e" ]; then
        same_access "$s/$e" "$d/$e" || keep_fail "$k" "$s/$e" "$d/$e" "a folder cannot be linked"
      else keep_file "$k" "$s/$e" "$d/$e" >/dev/null; fi
    done < <(cd "$s" && find . -printf '%P\\0' | sed -z '/^$/d')
  else
    keep_file "$k" "$s" "$d"
  fi
}
`

/**
 * Carries the keep paths from the live tree into `toDir` where they differ, keeping mode and group (by a hard link
 * when a copy cannot: see KEEP_FUNCTIONS). Fails (before any switch) when neither can: a config.php readable only by
 * the web server's group would otherwise break the site with "Permission denied".
 */
export async function syncKeep(ctx: HostContext, fromDir: string, toDir: string): Promise<string[]> {
  if (ctx.keep.length === 0) return []
  const r = await ctx.sh.run(
    `carry the kept files into ${toDir}`,
    `${NO_LINKS}${KEEP_FUNCTIONS}src=$1; dst=$2; shift 2
for k in "$@"; do
  s="$src/$k"; d="$dst/$k"
  [ -e "$s" ] || [ -L "$s" ] || continue
  # A link at a parent of the destination (or at it, for a folder) is replaced, never followed.
  if [ -d "$s" ] && [ ! -L "$s" ]; then no_links "$dst" "$k" self; else no_links "$dst" "$k"; fi
  keep_path "$k" "$s" "$d"
done`,
    [fromDir, toDir, ...ctx.keep],
  )
  return [...new Set(r.stdout.split('\n').filter((l) => l.startsWith('copied=')).map((l) => l.slice(7)))]
}

/**
 * After init with adopt: every kept path of the adopted directory must be in each tree with its mode and group (a copy
 * by a user outside the file's group silently changes the group). What differs is fixed as syncKeep does, a hard link
 * to the adopted file when a copy cannot keep the group (the adopted directory lies outside the delivery root:
 * nothing is ever written through the link, see README's Decisions); init fails, before `live` exists, when it cannot.
 * Returns the paths linked to the adopted directory.
 */
export async function adoptKeep(ctx: HostContext, source: string, treeDirs: string[], keep: string[]): Promise<string[]> {
  if (keep.length === 0) return []
  const r = await ctx.sh.run(
    'check the kept files of the trees against the adopted directory',
    `${NO_LINKS}${KEEP_FUNCTIONS}adopt_root=$1; src=$2; nt=$3; shift 3
trees=(); for ((i = 0; i < nt; i++)); do trees+=("$1"); shift; done
for t in "\${trees[@]}"; do
  for k in "$@"; do
    s="$src/$k"
    [ -e "$s" ] || [ -L "$s" ] || continue
    if [ -d "$s" ] && [ ! -L "$s" ]; then no_links "$t" "$k" self; else no_links "$t" "$k"; fi
    keep_path "$k" "$s" "$t/$k"
  done
done`,
    [ctx.layout.root, source, String(treeDirs.length), ...treeDirs, ...keep],
  )
  return [...new Set(r.stdout.split('\n').filter((l) => l.startsWith('linked=')).map((l) => l.slice(7)))]
}

/**
 * Copies between trees on the server: the syncback (whole tree or paths; rsync when the server has it, so the cost
 * follows what differs), and the keep files (config.php...) carried into a tree before it goes live.
 */
import { NO_LINKS } from '../vcs/common.js'
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
 * Carries the keep paths from the live tree into `toDir` where they differ, preserving mode and group. Fails (before
 * any switch) when the group cannot be kept: a config.php readable only by the web server's group would otherwise
 * break the site with "Permission denied".
 */
export async function syncKeep(ctx: HostContext, fromDir: string, toDir: string): Promise<string[]> {
  if (ctx.keep.length === 0) return []
  const r = await ctx.sh.run(
    `carry the kept files into ${toDir}`,
    `${NO_LINKS}src=$1; dst=$2; shift 2
for k in "$@"; do
  s="$src/$k"; d="$dst/$k"
  [ -e "$s" ] || [ -L "$s" ] || continue
  # A link at a parent of the destination (or at it, for a folder) is replaced, never followed.
  if [ -d "$s" ] && [ ! -L "$s" ]; then
    no_links "$dst" "$k" self
    mkdir -p -- "$d"
    if command -v rsync >/dev/null 2>&1; then
      [ -z "$(rsync -a --delete --modify-window=-1 --dry-run --out-format=%n -- "$s/" "$d/")" ] && continue
      rsync -a --delete --modify-window=-1 -- "$s/" "$d/"
    else rm -rf -- "$d"; cp -a -- "$s" "$d"; fi
  else
    no_links "$dst" "$k"
    if [ -e "$d" ] && cmp -s -- "$s" "$d" && [ "$(stat -c '%a %g' -- "$s")" = "$(stat -c '%a %g' -- "$d")" ]; then continue; fi
    mkdir -p -- "$(dirname -- "$d")"
    cp -pP -- "$s" "$d.dlvtmp.$$" 2>/dev/null || cp -P -- "$s" "$d.dlvtmp.$$"
    chgrp -h -- "$(stat -c %g -- "$s")" "$d.dlvtmp.$$" 2>/dev/null || true
    mv -f -- "$d.dlvtmp.$$" "$d"
  fi
  want=$(stat -c '%a %G' -- "$s"); got=$(stat -c '%a %G' -- "$d")
  [ "$want" = "$got" ] || die "$k was copied into $dst but its mode and group are '$got' instead of '$want': the user copying it ($(id -un)) must belong to group $(stat -c %G "$s"). Add it to that group (usermod -aG $(stat -c %G "$s") $(id -un)), or run with sudo-user set to the code owner"
  echo "copied=$k"
done`,
    [fromDir, toDir, ...ctx.keep],
  )
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('copied='))
    .map((l) => l.slice(7))
}

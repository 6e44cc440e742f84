/**
 * The git driver's two longer server scripts: the list of what may differ between two trees (the syncback's fast
 * path), and the patch that saves the hand-made changes of a tree (drift) before it is overwritten. Constant text:
 * every value reaches them as a quoted argument, and file names on stdin, NUL-separated.
 */
import { SUBMODULES } from './submodules.js'

/**
 * syncList REPO SRC DST WANT_SRC WANT_DST LISTED: prints `list=` the NUL-separated paths (base64) that may differ
 * between the trees SRC and DST, whose recorded commits are WANT_SRC and WANT_DST; or `reason=` why that cannot be
 * known. LISTED is 1 when the ignored files of both trees come on stdin (NUL-separated), 0 to list them here.
 */
export const SYNC_LIST = `repo=$1; src=$2; dst=$3; want_src=$4; want_dst=$5; listed=$6
export LC_ALL=C GIT_LITERAL_PATHSPECS=1 GIT_OPTIONAL_LOCKS=0 GIT_CONFIG_NOSYSTEM=1 DLV_GD=$repo
unknown() { printf 'reason=%s\\n' "$1"; exit 0; }
for c in "$want_src" "$want_dst"; do
  git --git-dir="$repo" cat-file -e "$c^{commit}" 2>/dev/null || unknown "commit $c is not in the object store"
done
[ "$(git -C "$src" rev-parse -q --verify HEAD 2>/dev/null)" = "$want_src" ] || unknown "the live tree's HEAD is not the commit recorded for it"
[ "$(git -C "$dst" rev-parse -q --verify HEAD 2>/dev/null)" = "$want_dst" ] || unknown "the safe tree's HEAD is not the commit recorded for it"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
# What the recorded commits say differs. A submodule whose commit changed is one path (its folder, copied whole);
# its new commit must be known, or what its folder should hold is not.
git --git-dir="$repo" diff-tree -r -z --no-renames --raw "$want_dst" "$want_src" > "$w/diff"
: > "$w/list"
while IFS= read -r -d '' meta && IFS= read -r -d '' p; do
  read -r om nm os ns st <<< "\${meta#:}"
  if [ "$om" = 160000 ] || [ "$nm" = 160000 ]; then
    [ "$nm" != 160000 ] || git --git-dir="$repo" cat-file -e "$ns^{commit}" 2>/dev/null || unknown "the commit $ns of submodule $p is not in the object store"
  fi
  printf '%s\\0' "$p" >> "$w/list"
done < "$w/diff"
# Ignored files (which git's status does not show) are always compared: listed in both trees (at once), submodules
# included (a read of the folders, not a stat of every tracked file).
ignored() {
  local t=$1 out=$2 p sha
  git -C "$t" ls-files -z -o -i --exclude-standard --directory | sed -z 's#/$##' >> "$out"
  while IFS= read -r -d '' p && IFS= read -r -d '' sha; do
    [ -d "$t/$p/.git" ] && [ ! -L "$t/$p" ] && [ ! -L "$t/$p/.git" ] || continue
    git -C "$t/$p" ls-files -z -o -i --exclude-standard --directory > "$out.sub" 2>/dev/null || return 1
    sed -z 's#/$##' "$out.sub" | while IFS= read -r -d '' f; do printf '%s\\0' "$p/$f"; done >> "$out"
  done < <(sub_paths "$t" "")
}
if [ "$listed" = 1 ]; then
  # This run's drift checks listed them, in the same walk as their status (NUL-separated on stdin).
  cat >> "$w/list"
else
  ignored "$src" "$w/src" & a=$!
  ignored "$dst" "$w/dst" & b=$!
  wait "$a" && wait "$b" || unknown "the ignored files cannot be listed"
  cat -- "$w/src" "$w/dst" >> "$w/list"
fi
echo "list=$(sort -zu "$w/list" | base64 -w0)"`

/** saveDrift TREE DEST: the hand-made changes of TREE (names on stdin, "u:" untracked, "t:" tracked) as one patch. */
export const SAVE_DRIFT = `export GIT_OPTIONAL_LOCKS=0 LC_ALL=C GIT_LITERAL_PATHSPECS=1
${SUBMODULES}tree=$1; dest=$2
umask 077
mkdir -p -- "$(dirname -- "$dest")"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
: > "$work/all"; : > "$work/untracked"
# Files inside a submodule go to the diff of the deepest submodule holding them.
subs=(); shas=()
while IFS= read -r -d '' p && IFS= read -r -d '' sha; do subs+=("$p"); shas+=("$sha"); done < <(sub_paths "$tree" "")
while IFS= read -r -d '' e; do
  f=\${e#?:}; at=; k=-1
  # A link standing where a submodule is cannot be a diff: the patch says what it points to.
  if [ -L "$tree/$f" ] && git -C "$tree" ls-files -s -z -- "$f" | grep -qz '^160000 '; then
    printf '# %s: a link to %s stands where the submodule is\\n' "$f" "$(readlink -- "$tree/$f")" >> "$work/notes"; continue
  fi
  for i in "\${!subs[@]}"; do
    case $f in "\${subs[$i]}"/*) if [ \${#subs[$i]} -gt \${#at} ]; then at=\${subs[$i]}; k=$i; fi ;; esac
  done
  if [ "$k" -ge 0 ]; then
    case "$e" in u:*) printf '%s\\0' "\${f#"$at"/}" >> "$work/s$k.untracked" ;; esac
    printf '%s\\0' "\${f#"$at"/}" >> "$work/s$k.all"; continue
  fi
  case "$e" in u:*) printf '%s\\0' "\${e#u:}" >> "$work/untracked" ;; esac
  printf '%s\\0' "\${e#?:}" >> "$work/all"
done
cp -- "$(git -C "$tree" rev-parse --path-format=absolute --git-path index)" "$work/index"
export GIT_INDEX_FILE="$work/index"
if [ -s "$work/untracked" ]; then git -C "$tree" add -N --pathspec-from-file="$work/untracked" --pathspec-file-nul; fi
{ cat -- "$work/notes" 2>/dev/null || true; xargs -0 -r -a "$work/all" git -C "$tree" diff --binary HEAD --; } > "$dest.tmp"
for k in "\${!subs[@]}"; do
  [ -s "$work/s$k.all" ] || continue
  d=$tree/\${subs[$k]}
  if [ -f "$d/.git/index" ]; then cp -- "$d/.git/index" "$work/i$k"; else rm -f -- "$work/i$k"; fi
  if [ -s "$work/s$k.untracked" ]; then GIT_INDEX_FILE="$work/i$k" git -C "$d" add -N --pathspec-from-file="$work/s$k.untracked" --pathspec-file-nul; fi
  GIT_INDEX_FILE="$work/i$k" xargs -0 -r -a "$work/s$k.all" git -C "$d" diff --binary --src-prefix="a/\${subs[$k]}/" --dst-prefix="b/\${subs[$k]}/" "\${shas[$k]}" -- >> "$dest.tmp"
done
mv -f "$dest.tmp" "$dest"`

/**
 * git submodules. Their objects are fetched (with the same credentials) into the one object store,
 * `.delivery/repo.git`, under `refs/delivery/submodules/`; in each tree a submodule's checkout has a small git
 * directory of its own (`<path>/.git`) whose objects are the store's (`objects/info/alternates`). Nothing in it names
 * the tree's path, so the checkout survives the renames of its tree; a syncback copies it along like any other file.
 * Nested submodules are handled at every level; relative URLs (`./`, `../`) are resolved as git does, against the
 * URL of the repository that holds the `.gitmodules`.
 *
 * Shell functions for the git scripts (they use `gitc`, `die` and the strict prelude of git.ts). Names from the
 * repository are data: they travel NUL-separated, every path follows `--`, and no link in a tree is followed.
 */
import type { SubmoduleChange } from '../domain.js'

export const SUBMODULES = `# sub_mask URL: URL without its user and password.
sub_mask() { printf '%s' "$1" | sed -E 's#^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@#\\1***@#'; }
# sub_url BASE URL: the URL git uses for a submodule whose .gitmodules says URL, in a repository fetched from BASE.
sub_url() {
  local base=\${1%/} rel=$2
  case $rel in ./*|../*) ;; *) printf '%s' "$rel"; return 0 ;; esac
  while :; do
    case $rel in
      ./*) rel=\${rel#./} ;;
      ../*) rel=\${rel#../}
        if [[ $base == */* ]]; then base=\${base%/*}; elif [[ $base == *:* ]]; then base=\${base%%:*}:; fi ;;
      *) break ;;
    esac
  done
  case $base in *:) printf '%s%s' "$base" "$rel" ;; *) printf '%s/%s' "$base" "$rel" ;; esac
}
# (Entries are filtered with grep before bash reads them: a bash loop over the 30,000 files of a Moodle tree takes
# seconds.)
# sub_list GD COMMIT: one record per submodule of COMMIT (not nested): path NUL commit NUL name NUL url-as-written NUL.
# A commit's submodules never change, so the list of a commit the store holds is kept in GD/delivery-sublist/COMMIT:
# the scripts of a delivery ask for the same two commits several times. Listing the whole tree of a commit to find its
# submodules takes a quarter of a second at 100,000 files, so the list of a new commit is derived when it can be from
# a kept one (sub_links_from), and the tree is listed whole only when it cannot. Kept only when the listing succeeded.
sub_list() {
  local gd=$1 c=$2 memo tmp
  if [[ $c =~ ^([0-9a-f]{40}|[0-9a-f]{64})$ ]]; then
    memo=$gd/delivery-sublist/$c
    if [ -f "$memo" ]; then cat -- "$memo"; return 0; fi
    if git --git-dir="$gd" cat-file -e "$c^{commit}" 2>/dev/null && mkdir -p -- "$gd/delivery-sublist" 2>/dev/null \
      && tmp=$(mktemp -- "$memo.XXXXXX" 2>/dev/null); then
      if { sub_links_from "$gd" "$c" "$tmp" > "$tmp.tree" 2>/dev/null \
          || git --git-dir="$gd" ls-tree -r -z --full-tree "$c" > "$tmp.tree" 2>/dev/null; } \
        && { grep -z '^160000 ' < "$tmp.tree" || true; } | sub_records "$gd" "$c" > "$tmp" && mv -f -- "$tmp" "$memo"; then
        rm -f -- "$tmp.tree" "$tmp.diff" "$tmp.pairs" "$tmp.links" "$tmp.paths"
        # Lists written over 60 days ago go (reading one does not change its time; a later ask lists the commit again).
        find "$gd/delivery-sublist" -maxdepth 1 -type f -mtime +60 -delete 2>/dev/null || true
        cat -- "$memo"
        return 0
      fi
      rm -f -- "$tmp" "$tmp.tree" "$tmp.diff" "$tmp.pairs" "$tmp.links" "$tmp.paths"
    fi
  fi
  { git --git-dir="$gd" ls-tree -r -z --full-tree "$c" 2>/dev/null | grep -z '^160000 ' || true; } | sub_records "$gd" "$c"
}
# sub_links_from GD COMMIT TMP: the gitlink entries of COMMIT's tree, as ls-tree -r -z lines in the tree's order,
# derived from the kept list of another commit P (a parent of COMMIT's that has one, else the list kept last) and the
# entries whose old or new mode is a gitlink in what differs between P and COMMIT (a diff of 100 changed files takes
# 0.03 s where the listing takes 0.2 s at 100,000 files). Fails, and sub_list lists the tree whole, when no list is
# kept, P is not in the store, or a command fails. TMP: a scratch file prefix.
sub_links_from() {
  local gd=$1 c=$2 tmp=$3 p= x line path rest ns rc=0
  local -A at=()
  for x in $(git --git-dir="$gd" show -s --format=%P "$c" 2>/dev/null) \\
    $(ls -t -- "$gd/delivery-sublist" 2>/dev/null | grep -E -m1 '^([0-9a-f]{40}|[0-9a-f]{64})$'); do
    if [[ $x =~ ^([0-9a-f]{40}|[0-9a-f]{64})$ ]] && [ "$x" != "$c" ] && [ -f "$gd/delivery-sublist/$x" ]; then p=$x; break; fi
  done
  [ -n "$p" ] || return 1
  while IFS= read -r -d '' path && IFS= read -r -d '' x && IFS= read -r -d '' line && IFS= read -r -d '' line; do
    at[$path]=$x
  done < "$gd/delivery-sublist/$p" || return 1
  # Each entry's fields and name joined into one record (paste -z), so that a name is never taken for an entry.
  git --git-dir="$gd" diff-tree -r -z --no-renames --no-commit-id "$p" "$c" > "$tmp.diff" || return 1
  paste -z -d '\\t' - - < "$tmp.diff" > "$tmp.pairs" || return 1
  grep -z -E '^:(160000 [0-7]{6}|[0-7]{6} 160000) [0-9a-f]+ [0-9a-f]+ [A-Z][0-9]*'$'\\t' < "$tmp.pairs" > "$tmp.links" || rc=$?
  [ "$rc" -le 1 ] || return 1
  while IFS= read -r -d '' line; do
    path=\${line#*$'\\t'}
    [ -n "$path" ] || return 1
    rest=\${line#:* * * }; ns=\${rest%% *}
    [ "\${line:1:6}" != 160000 ] || at[$path]=
    [ "\${line:8:6}" != 160000 ] || at[$path]=$ns
  done < "$tmp.links"
  for path in "\${!at[@]}"; do [ -z "\${at[$path]}" ] || printf '%s\\0' "$path"; done | LC_ALL=C sort -z > "$tmp.paths" || return 1
  while IFS= read -r -d '' path; do
    printf '160000 commit %s\\t%s\\0' "\${at[$path]}" "$path" || return 1
  done < "$tmp.paths"
}
# sub_records GD COMMIT: sub_list's records from the gitlink entries of COMMIT's tree on stdin (ls-tree -z lines).
sub_records() {
  local gd=$1 c=$2 rec k v meta p
  local -A nm=() ur=()
  if git --git-dir="$gd" cat-file -e "$c:.gitmodules" 2>/dev/null; then
    while IFS= read -r -d '' rec; do
      k=\${rec%%$'\\n'*}; v=\${rec#*$'\\n'}
      case $k in
        submodule.*.path) [ -z "$v" ] || nm[$v]=\${k:10:\${#k}-15} ;;
        submodule.*.url) k=\${k:10:\${#k}-14}; [ -z "$k" ] || ur[$k]=$v ;;
      esac
    done < <(git --git-dir="$gd" config --blob "$c:.gitmodules" -z --get-regexp '^submodule\\..*\\.(path|url)$' || true)
  fi
  while IFS= read -r -d '' rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    k=\${nm[$p]-}
    # A write that fails (a full disk) fails the function: sub_list then keeps no list cut short.
    if [ -n "$k" ]; then printf '%s\\0%s\\0%s\\0%s\\0' "$p" "\${meta##* }" "$k" "\${ur[$k]-}" || return 1
    else printf '%s\\0%s\\0\\0\\0' "$p" "\${meta##* }" || return 1; fi
  done
}
# sub_fetch GD URL COMMIT NAME PATH: makes sure the store holds COMMIT of that submodule, or fails naming it.
sub_fetch() {
  local gd=$1 url=$2 sha=$3 name=$4 p=$5 shown
  git --git-dir="$gd" cat-file -e "$sha^{commit}" 2>/dev/null && return 0
  shown=$(sub_mask "$url")
  [ -n "$url" ] || die "submodule '$p' (commit $sha) has no URL in .gitmodules: add it there"
  case $url in
    -*|*::*) die "submodule '$name' ($p): its URL '$shown' is not allowed (an option or a remote helper): use an https://, ssh://, git:// or file:// URL, user@host:path or an absolute path" ;;
  esac
  if gitc --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head -- "$url" "+$sha:refs/delivery/submodules/$sha" 2>"$gd/.fetch.err"; then :
  elif gitc --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head -- "$url" '+refs/heads/*:refs/delivery/submodules/incoming/heads/*' '+refs/tags/*:refs/delivery/submodules/incoming/tags/*' 2>>"$gd/.fetch.err" \\
    && git --git-dir="$gd" cat-file -e "$sha^{commit}" 2>/dev/null; then
    git --git-dir="$gd" update-ref "refs/delivery/submodules/$sha" "$sha"
  else
    sed -E 's#([A-Za-z][A-Za-z0-9+.-]*://)[^/@ ]*@#\\1***@#g' "$gd/.fetch.err" >&2; rm -f "$gd/.fetch.err"
    die "cannot fetch submodule '$name' ($p) at commit $sha from $shown: check that the server can reach that repository with the credentials given, and that the commit was pushed. Nothing was switched"
  fi
  rm -f "$gd/.fetch.err"
}
# sub_fetch_all GD COMMIT BASEURL PREFIX: fetches every submodule of COMMIT, nested ones too.
sub_fetch_all() {
  local gd=$1 c=$2 base=$3 pre=$4 p sha name url u
  while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 name && IFS= read -r -d '' -u 4 url; do
    u=$(sub_url "$base" "$url")
    sub_fetch "$gd" "$u" "$sha" "\${name:-$pre$p}" "$pre$p"
    sub_fetch_all "$gd" "$sha" "$u" "$pre$p/"
  done 4< <(sub_list "$gd" "$c")
}
# sub_flat GD COMMIT BASEURL PREFIX: every submodule of COMMIT, nested ones too: path NUL commit NUL url NUL.
sub_flat() {
  local gd=$1 c=$2 base=$3 pre=$4 p sha name url u
  git --git-dir="$gd" cat-file -e "$c^{commit}" 2>/dev/null || return 0
  while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 name && IFS= read -r -d '' -u 4 url; do
    u=$(sub_url "$base" "$url")
    printf '%s\\0%s\\0%s\\0' "$pre$p" "$sha" "$(sub_mask "$u")"
    sub_flat "$gd" "$sha" "$u" "$pre$p/"
  done 4< <(sub_list "$gd" "$c")
}
# sub_nolinks ROOT REL: removes a link found on the way from ROOT to ROOT/REL (a checkout never writes through one).
sub_nolinks() {
  local acc=$1 rest=$2 x
  while [ -n "$rest" ]; do
    x=\${rest%%/*}; if [[ $rest == */* ]]; then rest=\${rest#*/}; else rest=; fi
    acc=$acc/$x
    if [ -L "$acc" ]; then rm -f -- "$acc"; fi
  done
}
# sub_haslink ROOT REL: whether a link lies on the way from ROOT to ROOT/REL.
sub_haslink() {
  local acc=$1 rest=$2
  while [ -n "$rest" ]; do
    acc=$acc/\${rest%%/*}; if [[ $rest == */* ]]; then rest=\${rest#*/}; else rest=; fi
    [ ! -L "$acc" ] || return 0
  done
  return 1
}
# sub_gitdir GD D: gives the checkout D a git directory of its own that borrows the store's objects.
sub_gitdir() {
  if [ ! -d "$2/.git" ] || [ -L "$2/.git" ]; then rm -rf -- "$2/.git"; git init -q --template= -- "$2"; fi
  printf '%s\\n' "$1/objects" > "$2/.git/objects/info/alternates"
}
# sub_settle GD DIR [COMMIT]: after a copy between trees, makes each submodule checkout of DIR record the commit DIR
# records for it (its files are left as the copy made them). COMMIT: the commit DIR's index was just reset to, whose
# kept submodule list then answers (listing the index costs a tenth of a second at 100,000 files).
sub_settle() {
  local gd=$1 dir=$2 c=\${3:-} rec meta p sha
  if [ -n "$c" ] && git --git-dir="$gd" cat-file -e "$c^{commit}" 2>/dev/null; then
    while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 rec && IFS= read -r -d '' -u 4 rec; do
      sub_settle_at "$gd" "$dir" "$p" "$sha"
    done 4< <(sub_list "$gd" "$c")
    return 0
  fi
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    sha=\${meta#* }; sha=\${sha%% *}
    sub_settle_at "$gd" "$dir" "$p" "$sha"
  done 4< <(git -C "$dir" ls-files -s -z | grep -z '^160000 ' || true)
}
sub_settle_at() {
  local gd=$1 dir=$2 p=$3 sha=$4
  if sub_haslink "$dir" "$p" || [ ! -d "$dir/$p" ]; then return 0; fi
  sub_gitdir "$gd" "$dir/$p"
  git -C "$dir/$p" reset -q "$sha"
  sub_settle "$gd" "$dir/$p"
}
# sub_checkout GD DIR COMMIT OLD: puts every submodule of COMMIT (checked out in DIR) at its commit, nested ones too,
# and removes those that OLD had and COMMIT has not.
sub_checkout() {
  local gd=$1 dir=$2 c=$3 old=$4 p sha name url d was
  local -A now=()
  while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 name && IFS= read -r -d '' -u 4 url; do
    now[$p]=1
    sub_nolinks "$dir" "$p"
    d=$dir/$p
    if [ -e "$d" ] && [ ! -d "$d" ]; then rm -f -- "$d"; fi
    mkdir -p -- "$d"
    was=
    if [ -d "$d/.git" ] && [ ! -L "$d/.git" ]; then was=$(git -C "$d" rev-parse -q --verify HEAD 2>/dev/null || true); fi
    sub_gitdir "$gd" "$d"
    git -C "$d" checkout -q --detach -f "$sha"
    sub_checkout "$gd" "$d" "$sha" "$was"
  done 4< <(sub_list "$gd" "$c")
  [ -n "$old" ] || return 0
  while IFS= read -r -d '' -u 4 p && IFS= read -r -d '' -u 4 sha && IFS= read -r -d '' -u 4 name && IFS= read -r -d '' -u 4 url; do
    [ -z "\${now[$p]-}" ] || continue
    if sub_haslink "$dir" "$p" || [ ! -d "$dir/$p/.git" ]; then continue; fi
    rm -rf -- "\${dir:?}/$p"
    if git -C "$dir" cat-file -e "$c:$p" 2>/dev/null; then git -C "$dir" checkout -q -f "$c" -- "$p"; fi
  done 4< <(sub_list "$gd" "$old")
}
# sub_all GD COMMIT KIND PREFIX: every file of COMMIT (nested submodules too) as a name-status record of KIND.
sub_all() {
  local gd=$1 c=$2 kind=$3 pre=$4 rec meta
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}
    if [ "\${meta%% *}" = 160000 ]; then sub_all "$gd" "\${meta##* }" "$kind" "$pre\${rec#*$'\\t'}/"
    else printf '%s\\0%s\\0' "$kind" "$pre\${rec#*$'\\t'}"; fi
  done 4< <(git --git-dir="$gd" ls-tree -r -z --full-tree "$c" 2>/dev/null || true)
}
# sub_diff GD OLD NEW PREFIX [-- PATH...]: git diff --name-status -z -M OLD NEW, with each submodule replaced by its
# files: a bumped one by what differs between its two commits, an added or removed one by all its files.
sub_diff() {
  local gd=$1 a=$2 b=$3 pre=$4 meta om nm os ns st p q
  shift 4; [ "\${1:-}" != -- ] || shift
  while IFS= read -r -d '' -u 4 meta && IFS= read -r -d '' -u 4 p; do
    read -r om nm os ns st <<< "\${meta#:}"
    q=; case $st in R*|C*) IFS= read -r -d '' -u 4 q ;; esac
    if [ "$om" != 160000 ] && [ "$nm" != 160000 ]; then
      if [ -n "$q" ]; then printf '%s\\0%s\\0%s\\0' "$st" "$pre$p" "$pre$q"; else printf '%s\\0%s\\0' "$st" "$pre$p"; fi
    elif [ "$om" = 160000 ] && [ "$nm" = 160000 ] && git --git-dir="$gd" cat-file -e "$os^{commit}" 2>/dev/null; then
      sub_diff "$gd" "$os" "$ns" "$pre$p/"
    else
      if [ "$om" = 160000 ]; then sub_all "$gd" "$os" D "$pre$p/"; elif [ "$om" != 000000 ]; then printf 'D\\0%s\\0' "$pre$p"; fi
      if [ "$nm" = 160000 ]; then sub_all "$gd" "$ns" A "$pre$p/"; elif [ "$nm" != 000000 ]; then printf 'A\\0%s\\0' "$pre$p"; fi
    fi
  done 4< <(git --git-dir="$gd" diff --raw -z -M --no-abbrev "$a" "$b" -- "$@")
}
# sub_adopt GD SRC DIR: DIR is a copy of the working copy SRC: each submodule checked out there gets its commit's
# objects from SRC's checkout into the store, and a git directory of its own (its files stay as they were copied).
sub_adopt() {
  local gd=$1 src=$2 dir=$3 rec meta p sha
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    sha=\${meta#* }; sha=\${sha%% *}
    if sub_haslink "$src" "$p" || sub_haslink "$dir" "$p" || [ ! -e "$src/$p/.git" ] || [ ! -d "$dir/$p" ]; then continue; fi
    if ! git --git-dir="$gd" cat-file -e "$sha^{commit}" 2>/dev/null; then
      git --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head -- "$src/$p" "+$sha:refs/delivery/submodules/$sha" 2>/dev/null \
        || { git --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head -- "$src/$p" '+HEAD:refs/delivery/submodules/incoming/HEAD' '+refs/heads/*:refs/delivery/submodules/incoming/heads/*' '+refs/tags/*:refs/delivery/submodules/incoming/tags/*' \
          && git --git-dir="$gd" update-ref "refs/delivery/submodules/$sha" "$sha"; } \
        || die "the submodule $p of $src does not hold the commit $sha its superproject records: run git submodule update in $src, then init again"
    fi
    rm -rf -- "$dir/$p/.git"
    sub_gitdir "$gd" "$dir/$p"
    git -C "$dir/$p" reset -q "$sha"
    sub_adopt "$gd" "$src/$p" "$dir/$p"
  done 4< <(git -C "$dir" ls-files -s -z | grep -z '^160000 ' || true)
}
# sub_paths DIR PREFIX: the submodule checkouts of DIR, nested ones too: path NUL recorded commit NUL.
sub_paths() {
  local dir=$1 pre=$2 rec meta p sha
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    sha=\${meta#* }; sha=\${sha%% *}
    if sub_haslink "$dir" "$p"; then continue; fi
    printf '%s\\0%s\\0' "$pre$p" "$sha"
    if [ -d "$dir/$p/.git" ] && [ ! -L "$dir/$p/.git" ]; then sub_paths "$dir/$p" "$pre$p/"; fi
  done 4< <(git -C "$dir" ls-files -s -z 2>/dev/null | grep -z '^160000 ' || true)
}
# sub_drift DIR PREFIX (DLV_GD: the store): hand-made changes inside the submodule checkouts of DIR, as git status --porcelain=v1 -z
# records, against the commit the tree records for each (not the checkout's own HEAD); and their ignored files (\`!!\`).
sub_drift() {
  local dir=$1 pre=$2 rec meta p sha d st f x
  while IFS= read -r -d '' -u 4 rec; do
    meta=\${rec%%$'\\t'*}; p=\${rec#*$'\\t'}
    [ "\${meta%% *}" = 160000 ] || continue
    sha=\${meta#* }; sha=\${sha%% *}
    d=$dir/$p
    if sub_haslink "$dir" "$p" || [ ! -d "$d" ]; then printf ' T %s\\0' "$pre$p"; continue; fi
    if [ ! -d "$d/.git" ] || [ -L "$d/.git" ]; then
      # Not checked out: every file the commit holds is missing (or is there without its git directory).
      sub_all "$DLV_GD" "$sha" D "" | while IFS= read -r -d '' st && IFS= read -r -d '' f; do printf ' D %s\\0' "$pre$p/$f"; done
      continue
    fi
    git -C "$d" diff --name-status -z --no-renames --ignore-submodules=all "$sha" -- | while IFS= read -r -d '' st && IFS= read -r -d '' f; do
      case $st in A) printf 'A  %s\\0' "$pre$p/$f" ;; D) printf ' D %s\\0' "$pre$p/$f" ;; T) printf ' T %s\\0' "$pre$p/$f" ;; *) printf ' M %s\\0' "$pre$p/$f" ;; esac
    done
    git -C "$d" ls-files -z -o --exclude-standard | while IFS= read -r -d '' f; do printf '?? %s\\0' "$pre$p/$f"; done
    git -C "$d" ls-files -z -o -i --exclude-standard --directory | while IFS= read -r -d '' f; do printf '!! %s\\0' "$pre$p/$f"; done
    sub_drift "$d" "$pre$p/"
  done 4< <(git -C "$dir" ls-files -s -z 2>/dev/null | grep -z '^160000 ' || true)
}
`

/** Parses `sub_flat` records (path NUL commit NUL url NUL) into a map path -> {commit, url}. */
export function parseSubFlat(text: string): Map<string, { commit: string; url: string }> {
  const f = text.split('\0')
  const out = new Map<string, { commit: string; url: string }>()
  for (let i = 0; i + 2 < f.length; i += 3) if (f[i]) out.set(f[i], { commit: f[i + 1], url: f[i + 2] })
  return out
}

/** Every submodule before and after, by path: bumped, unchanged, added (no `before`) and removed (no `after`). */
export function submoduleReport(before: Map<string, { commit: string; url: string }>, after: Map<string, { commit: string; url: string }>): SubmoduleChange[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort()
  return paths.map((path) => {
    const b = before.get(path)
    const a = after.get(path)
    const r: SubmoduleChange = { path, url: (a ?? b)!.url }
    if (b) r.before = b.commit
    if (a) r.after = a.commit
    return r
  })
}

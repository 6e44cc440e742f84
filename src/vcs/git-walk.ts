/**
 * The drift check's record of a tree's folders: what git's untracked cache does, kept by relative path.
 *
 * The drift check's `git status` stats every tracked file and reads every folder of the tree to find the files git
 * does not track (and the ignored ones, which the syncback copies). At 100,000 files the folder reads are two thirds
 * of it (bench/README.md, "What the drift check's walk costs"). git's own untracked cache cannot help: it is keyed by
 * the tree's absolute path, and a tree moves to a fresh path each time it goes live (OPcache); nor does git use it
 * with `--ignored`. So the check keeps its own record, in the tree's git folder (it moves with the tree):
 *
 * - every folder the status reads (tracked, untracked, empty; not ignored folders, not repositories inside the tree
 *   or submodule checkouts) with its change time, modification time (seconds), inode and type, stat'ed before it is
 *   read;
 * - the untracked (`??`) and ignored (`!!`) entries found, each with the folder it is directly in;
 * - the tree's commit, the paths whose index or file differed from it, the `.gitignore` files, and a key of the ignore
 *   rules (those files' content, `info/exclude`, `core.excludesFile`, git's version).
 *
 * A later check runs `git status --untracked-files=no` (the tracked files: a stat of each, as before), stats the
 * recorded folders (no read; `diff` against the record finds what changed), and reads again only the folders whose
 * times, inode or type changed (an entry added, removed or renamed changes its folder's times; a modification time set
 * back still moves the change time), those holding a path the commit or the index changed since (an index change
 * moves no folder's time), and those recorded racy. A folder is racy when its times are not before the second the
 * check that recorded it began, read on the file system's own clock (the change time of a file it touches first): a
 * later change could keep the same time stamp, whatever the machine's clock (a file server's, a coarse kernel clock).
 * The files of a folder read again are classified against the index and by `git check-ignore`; its new folders are
 * walked by `git status` itself.
 *
 * Whatever the record cannot answer exactly sends the check back to git's full walk, which writes a new record: no
 * record, another key, a commit the store lacks, a `.gitignore` added, changed or removed, a folder gone while the
 * folder holding it kept its times, a `.git` made inside the tree, an entry of a folder the record does not hold, most
 * folders changed, a git command failing. A tree where a tracked file matches an ignore rule gets no record (git reads
 * such an ignored folder only while the index has files there, a change no folder's time shows), nor does a server
 * without `diff`. A run killed at any instant leaves the old record or the new one (renamed into place), each true of
 * the times it holds.
 *
 * Constant text: the scripts run in the tree (its root the working folder); every name travels NUL-separated and every
 * path handed to a command starts with `./` or comes on stdin.
 */

/** Below this many tracked files a tree without a record gets git's plain walk (bench/README.md, "What the drift check's walk costs"). */
export const WALK_MIN_FILES = 40_000

/**
 * ut_status REC WRITE MIN, in the tree, with DLV_UT an empty working folder of its own: prints what `git status
 * --porcelain=v1 -z --no-renames --ignore-submodules=all --untracked-files=all --ignored=matching` prints (in another
 * order), from the record REC (a folder) when it can answer, from git's full walk otherwise; with WRITE=1 writes the
 * new record. A tree without a record tracking fewer than MIN files gets git's plain walk and no record. Writes how it
 * answered ("record", "full" or "plain") to $DLV_UT/how. Needs bash, git, GNU find, stat, xargs, awk, sha1sum, and
 * diff for the record.
 */
export const WALK = `ut_git_status() { git -c status.showUntrackedFiles=all status --porcelain=v1 -z --no-renames --ignore-submodules=all "$@"; }
# ut_stat: a record "CTIME MTIME INODE MODE PATH" (times in seconds, MODE in hex) per path on stdin (NUL-separated), in
# order, NUL-terminated, never following a link; a path gone prints nothing.
ut_stat() { xargs -0 -r stat --printf '%Z %Y %i %f %n\\0' -- 2> /dev/null || true; }
# The awk functions reading those records: the path, and whether it is a folder.
UT_AWK='function ut_path(r, a) { split(r, a, " "); return substr(r, length(a[1]) + length(a[2]) + length(a[3]) + length(a[4]) + 5) }
function ut_isdir(r, a) { split(r, a, " "); return a[4] ~ /^4[0-9a-f][0-9a-f][0-9a-f]$/ }
function ut_racy(r, t0, a) { split(r, a, " "); return a[1] + 0 >= t0 || a[2] + 0 >= t0 }
function ut_dir(p) { if (sub(/\\/[^\\/]*$/, "", p)) return "./" p; return "." }'
# ut_dirs START...: "D" NUL PATH NUL for each folder under START, "G" NUL PATH NUL for each folder holding a .git (a
# repository of its own: neither it nor what it holds is read by the tree's status).
ut_dirs() { find "$@" -name .git -prune -printf 'G\\0%h\\0' -o -type d -printf 'D\\0%p\\0'; }
# ut_key REC: the ignore rules' key: git's version, where the user's rules may be, the content of each .gitignore the
# record knows (REC/gi), info/exclude, core.excludesFile. A file gone or unreadable changes it too (its error is hashed).
ut_key() {
  { git --version; git config --get core.excludesFile; printf '%s\\n' "\${XDG_CONFIG_HOME:-}" "\${HOME:-}"
    xargs -0 -r sha1sum -- < "$1/gi"
    for f in "$(git rev-parse --git-path info/exclude)" "$(git config --path --get core.excludesFile)" "\${XDG_CONFIG_HOME:-\${HOME:-/nonexistent}/.config}/git/ignore"; do
      if [ -n "$f" ] && [ -e "$f" ]; then sha1sum -- "$f" < /dev/null; fi
    done
  } 2>&1 | sha1sum | cut -c1-40
}
# ut_entries STATUS: the untracked and ignored entries of git status output STATUS as OWNER NUL ENTRY NUL (OWNER: the
# ./-prefixed folder the entry is directly in).
ut_entries() { awk "$UT_AWK"'BEGIN { RS = "\\0" } /^(\\?\\?|!!) / { p = substr($0, 4); sub(/\\/$/, "", p); printf "%s%c%s%c", ut_dir(p), 0, $0, 0 }' "$1"; }
# ut_gitignores STATUS: the .gitignore files among the untracked and ignored entries of STATUS, ./-prefixed.
ut_gitignores() { awk 'BEGIN { RS = "\\0" } /^(\\?\\?|!!) / { p = substr($0, 4); if (p ~ /(^|\\/)\\.gitignore$/) printf "./%s%c", p, 0 }' "$1"; }
# ut_keepdirs FOUND STATUS STATS: the records of STATS (ut_stat output) for the folders of FOUND (ut_dirs output) that
# the status reads: not a folder holding a .git (other than the tree's own) nor inside one; not an ignored folder of
# STATUS nor inside one.
ut_keepdirs() {
  awk "$UT_AWK"'BEGIN { RS = "\\0" }
    FILENAME == ARGV[1] { if (FNR % 2 == 1) { t = $0; next }; if (t == "G") { if ($0 != ".") cut[$0] = 1 } else dir[$0] = 1; next }
    FILENAME == ARGV[2] { if ($0 ~ /^!! .*\\/$/) { p = substr($0, 4); sub(/\\/$/, "", p); cut["./" p] = 1 }; next }
    { q = ut_path($0); if (!(q in dir) || !ut_isdir($0)) next; delete dir[q]; r = $0
      while (1) { if (q in cut) next; if (!sub(/\\/[^\\/]*$/, "", q)) break }
      printf "%s%c", r, 0 }' "$1" "$2" "$3"
}
# ut_excluded: status 1 when a tracked file matches an ignore rule, itself or by a folder it is in. git reads an ignored
# folder only while it holds tracked files, and lists it whole as ignored once the index has none there: a change the
# record, which knows folders by their times, would not see. Such a tree gets no record.
ut_excluded() { git ls-files -z -i -c --exclude-standard "$@" > "$DLV_UT/tig" || return 1; [ ! -s "$DLV_UT/tig" ]; }
# ut_full W: git's full walk into W/{status,stats,res,gi}. The folders are listed and stat'ed before git reads them
# (one made or changed meanwhile has a time from the check's first second on: racy, read again next time).
ut_full() {
  local w=$1
  ut_dirs . > "$w/found" || return 1
  awk 'BEGIN { RS = "\\0" } NR % 2 == 1 { t = $0; next } t == "D" { printf "%s%c", $0, 0 }' "$w/found" | ut_stat > "$w/allstats"
  ut_git_status --untracked-files=all --ignored=matching > "$w/status" || return 1
  ut_entries "$w/status" > "$w/res"
  ut_keepdirs "$w/found" "$w/status" "$w/allstats" > "$w/stats"
  ut_excluded || : > "$w/norec"
  { GIT_LITERAL_PATHSPECS=0 git ls-files -z -- ':(glob)**/.gitignore' | sed -z 's#^#./#' && ut_gitignores "$w/status"; } | sort -zu > "$w/gi"
}
# ut_incremental REC W HEAD: the record's answer into W/{status,stats,res,gi,changed}; status 1 when it has none.
ut_incremental() {
  local rec=$1 w=$2 head=$3 old=$4 rc
  [ -n "$old" ] && [ -n "$head" ] || return 1
  ut_git_status --untracked-files=no > "$w/status" || return 1
  # Folders read again whatever their times: those of the paths the commit changed since the record, and those of the
  # paths whose index or file differ from the commit, now or when recorded (an index change moves no folder's time).
  # A .gitignore among those paths that the record does not know changes the rules: the record cannot answer (one it
  # knows is in the key, with its content).
  : > "$w/force"
  if [ "$old" != "$head" ]; then
    git cat-file -e "$old^{commit}" 2> /dev/null || return 1
    git diff-tree -r -z --no-renames --name-only "$old" "$head" > "$w/force" || return 1
  fi
  awk 'BEGIN { RS = "\\0" } length($0) > 3 { printf "%s%c", substr($0, 4), 0 }' "$w/status" >> "$w/force"
  cat -- "$rec/paths" >> "$w/force" || return 1
  cp -- "$rec/gi" "$w/gi" || return 1
  # The recorded folders, stat'ed in the record's order (a folder gone prints nothing), and what differs from the
  # record: "<" the record's line, ">" the new one.
  ut_stat < "$rec/dirs" > "$w/now"
  diff -a --unchanged-line-format= --old-line-format='<%L' --new-line-format='>%L' <(tr '\\0\\n' '\\n\\0' < "$rec/stats") <(tr '\\0\\n' '\\n\\0' < "$w/now") | tr '\\0\\n' '\\n\\0' > "$w/diff"
  [ "\${PIPESTATUS[0]}" -le 1 ] || return 1
  # Unchanged folders keep their entries. Read again: the folders whose times, inode or type changed (stat'ed before
  # the read), the forced ones, the racy ones. "X": the record cannot answer (a folder went while the folder holding it
  # kept its times; an entry's folder is not recorded; most folders changed: the full walk costs less).
  : > "$w/changed"; : > "$w/chst"; : > "$w/restat"; : > "$w/gone"; : > "$w/res"
  awk -v out="$w" -v dirsf="$rec/dirs" -v forcef="$w/force" -v racyf="$rec/racy" -v difff="$w/diff" -v gif="$rec/gi" "$UT_AWK"'BEGIN { RS = "\\0"; v = "ok" }
    FILENAME == dirsf { known[$0] = 1; n++; next }
    FILENAME == gif { gi[$0] = 1; next }
    FILENAME == forcef { p = $0; if (p ~ /(^|\\/)\\.gitignore$/ && !(("./" p) in gi)) v = "X"; force[ut_dir(p)] = 1; next }
    FILENAME == racyf { force[$0] = 1; next }
    FILENAME == difff { p = ut_path(substr($0, 2))
      if (substr($0, 1, 1) == "<") { if (!(p in now)) gone[p] = 1 } else { delete gone[p]; now[p] = substr($0, 2); if (!ut_isdir(now[p])) gone[p] = 1 }; next }
    FNR % 2 == 1 { o = $0; if (!(o in known)) v = "X"; next }
    { e[++m] = o; e[++m] = $0 }
    END {
      for (p in force) if ((p in known) && !(p in gone) && !(p in now)) now[p] = ""
      for (p in now) if (!(p in gone)) { changed[p] = 1; nch++ }
      for (p in gone) { q = p; if (!sub(/\\/[^\\/]*$/, "", q) || !((q in changed) || (q in gone))) v = "X" }
      if (nch > 1000 && 8 * nch > n) v = "X"
      if (v != "ok") { print v; exit }
      for (p in changed) { printf "%s%c", p, 0 > (out "/changed"); if (now[p] != "") printf "%s%c", now[p], 0 > (out "/chst"); else printf "%s%c", p, 0 > (out "/restat") }
      for (p in gone) printf "%s%c", p, 0 > (out "/gone")
      for (i = 1; i <= m; i += 2) if (!(e[i] in changed) && !(e[i] in gone)) printf "%s%c%s%c", e[i], 0, e[i + 1], 0 > (out "/res")
      print v }' "$rec/gi" "$rec/dirs" "$w/force" "$rec/racy" "$w/diff" "$rec/res" > "$w/verdict" || return 1
  [ "$(< "$w/verdict")" = ok ] || return 1
  # The forced folders (their times unchanged) are stat'ed again, before they are read.
  ut_stat < "$w/restat" >> "$w/chst"
  # The new record's folders: the stat just made, less what is no longer a folder, plus the new folders (below).
  if [ -s "$w/gone" ]; then
    awk "$UT_AWK"'BEGIN { RS = "\\0" } FILENAME == ARGV[1] { g[$0] = 1; next } !(ut_path($0) in g) { printf "%s%c", $0, 0 }' "$w/gone" "$w/now" > "$w/stats"
  else cp -- "$w/now" "$w/stats"; fi
  [ -s "$w/changed" ] || return 0
  # The entries of the folders read again. A folder recorded answers for itself; a .git other than the tree's own is
  # a repository made inside the tree: the record cannot answer.
  xargs -0 -r sh -c 'exec find "$@" -mindepth 1 -maxdepth 1 -printf "%y\\0%p\\0"' sh < "$w/changed" > "$w/ents" || return 1
  # What the index holds there: the commit's entries of those folders, with the paths added to or removed from the
  # index since ("A" or "D" in the status's first column, "A" in its second: git add -N).
  sed -z 's#$#/#' "$w/changed" | xargs -0 -r git ls-tree -z HEAD -- > "$w/tracked" || return 1
  : > "$w/cand"; : > "$w/candd"; : > "$w/walk"
  awk -v out="$w" -v trackedf="$w/tracked" -v statusf="$w/status" -v entsf="$w/ents" 'BEGIN { RS = "\\0"; v = "ok" }
    FILENAME == trackedf { i = index($0, "\\t"); split(substr($0, 1, i - 1), m, " "); p = "./" substr($0, i + 1)
      if (m[2] == "tree") tdir[p] = 1; else { tracked[p] = 1; if (m[2] == "commit") link[p] = 1 }; next }
    FILENAME == statusf { x = substr($0, 1, 1); y = substr($0, 2, 1); p = "./" substr($0, 4)
      if (x == "A" || y == "A") { tracked[p] = 1; while (sub(/\\/[^\\/]*$/, "", p) && p != ".") tdir[p] = 1 }
      else if (x == "D") delete tracked[p]; next }
    FILENAME == entsf { if (FNR % 2 == 1) { y = $0; next }; n++; ty[n] = y; ep[n] = $0; if (y == "d") want[$0] = 1; next }
    # The recorded folders, last: only those among the entries are kept.
    ($0 in want) { known[$0] = 1; next }
    END { for (i = 1; i <= n; i++) { p = ep[i]; y = ty[i]; b = p; sub(/^.*\\//, "", b)
      if (b == ".git") { if (p != "./.git") v = "X"; continue }
      if (y == "d" && (p in known)) continue
      # A folder of the commit or of a path added to the index: walked (it is new to the record). A file, link or
      # submodule of the index: tracked (a folder where the index has a file is not). Anything else: is it ignored?
      if (y == "d" && (p in tdir)) { printf "%s%c", p, 0 > (out "/walk"); continue }
      if ((p in tracked) && (y != "d" || (p in link))) continue
      printf "%s%c", p, 0 > (out "/cand"); if (y == "d") printf "%s%c", p, 0 > (out "/candd") }
      print v }' "$w/tracked" "$w/status" "$w/ents" "$rec/dirs" > "$w/verdict" || return 1
  [ "$(< "$w/verdict")" = ok ] || return 1
  if [ -s "$w/cand" ]; then
    # check-ignore prints each path with the rule that decides it: none (or a negated one) for a path not ignored. It
    # takes its paths as pathspecs and knows no literal ones: the ./ prefix keeps a name starting with ':' a name.
    # Its status 1 only says that nothing is ignored. A new .gitignore changes the rules: the record cannot answer.
    GIT_LITERAL_PATHSPECS=0 GIT_GLOB_PATHSPECS=0 GIT_NOGLOB_PATHSPECS=0 GIT_ICASE_PATHSPECS=0 git check-ignore -z --stdin --verbose --non-matching < "$w/cand" > "$w/ci"; rc=$?
    [ "$rc" -le 1 ] || return 1
    awk -v out="$w" "$UT_AWK"'BEGIN { RS = "\\0"; v = "ok" }
      FILENAME == ARGV[1] { isdir[$0] = 1; next }
      { f = (FNR - 1) % 4; if (f == 2) pat = $0; if (f != 3) next
        p = $0; ign = (pat != "" && substr(pat, 1, 1) != "!"); q = substr(p, 3); o = ut_dir(q)
        b = p; sub(/^.*\\//, "", b); if (b == ".gitignore") v = "X"
        if (p in isdir) { if (ign) printf "%s%c!! %s/%c", o, 0, q, 0 >> (out "/res"); else printf "%s%c", p, 0 >> (out "/walk") }
        else printf "%s%c%s %s%c", o, 0, (ign ? "!!" : "??"), q, 0 >> (out "/res") }
      END { print v }' "$w/candd" "$w/ci" > "$w/verdict" || return 1
    [ "$(< "$w/verdict")" = ok ] || return 1
  fi
  [ -s "$w/walk" ] || return 0
  # New folders: listed and stat'ed, then walked by git itself. A tracked file there that an ignore rule matches: the
  # tree gets no record (ut_excluded).
  xargs -0 -r sh -c 'exec find "$@" -name .git -prune -printf "G\\0%h\\0" -o -type d -printf "D\\0%p\\0"' sh < "$w/walk" > "$w/found" || return 1
  awk 'BEGIN { RS = "\\0" } NR % 2 == 1 { t = $0; next } t == "D" { printf "%s%c", $0, 0 }' "$w/found" | ut_stat > "$w/allstats"
  xargs -0 -r git -c status.showUntrackedFiles=all status --porcelain=v1 -z --no-renames --ignore-submodules=all --untracked-files=all --ignored=matching -- < "$w/walk" > "$w/wst" || return 1
  xargs -0 -r sh -c 'exec git ls-files -z -i -c --exclude-standard -- "$@"' sh < "$w/walk" > "$w/tig" || return 1
  [ ! -s "$w/tig" ] || return 1
  ut_entries "$w/wst" >> "$w/res"
  ut_keepdirs "$w/found" "$w/wst" "$w/allstats" > "$w/new"
  cat -- "$w/new" >> "$w/stats"; cat -- "$w/new" >> "$w/chst"
  ut_gitignores "$w/wst" >> "$w/gi"
}
# ut_dirlist REC W: the paths of W/stats, in order: the record's own list when no folder came or went.
ut_dirlist() {
  if [ ! -e "$2/full" ] && [ ! -s "$2/gone" ] && [ ! -s "$2/new" ]; then cat -- "$1/dirs"; else sed -z 's/^[^ ]* [^ ]* [^ ]* [^ ]* //' "$2/stats"; fi
}
# ut_write REC W KEY HEAD T0 FULL: makes W the record REC. A folder whose times are not before the second T0 is racy
# (read again next time: a later change could keep the same time stamp); only the folders read again can be (FULL=0).
# No record is kept when a .gitignore changed in that second or later.
ut_write() {
  local rec=$1 w=$2 key=$3 head=$4 t0=$5 full=$6 n=$1.new
  if [ -e "$w/norec" ]; then rm -rf -- "$rec"; return 0; fi
  rm -rf -- "$n" && mkdir -- "$n" || return 0
  if ut_stat < "$w/gi" | awk "$UT_AWK"'BEGIN { RS = "\\0"; r = 1 } ut_racy($0, '"$t0"') { r = 0 } END { exit r }'; then
    rm -rf -- "$n" "$rec"; return 0
  fi
  if { [ "$full" = 1 ] && r=$w/stats || r=$w/chst; } &&
     awk "$UT_AWK"'BEGIN { RS = "\\0" } ut_racy($0, '"$t0"') { printf "%s%c", ut_path($0), 0 }' "$r" > "$n/racy" &&
     cp -- "$w/stats" "$n/stats" && ut_dirlist "$rec" "$w" > "$n/dirs" &&
     cp -- "$w/res" "$n/res" && sort -zu "$w/gi" > "$n/gi" &&
     awk 'BEGIN { RS = "\\0" } /^(\\?\\?|!!) / { next } length($0) > 3 { printf "%s%c", substr($0, 4), 0 }' "$w/status" > "$n/paths" &&
     printf 'dlv-walk-2\\n%s\\n%s\\n' "$key" "$head" > "$n/meta" && rm -rf -- "$rec" && mv -T -- "$n" "$rec"; then
    return 0
  fi
  rm -rf -- "$n" "$rec"; return 0
}
# ut_status REC WRITE MIN (in the tree; DLV_UT: an empty working folder of its own): prints what \`git status
# --porcelain=v1 -z --no-renames --ignore-submodules=all --untracked-files=all --ignored=matching\` prints (order aside),
# from the record REC (a folder) when it can answer, from git's full walk otherwise; with WRITE=1 writes the new record.
# A tree without a record that tracks fewer than MIN files gets git's plain walk and no record (the record's own
# commands cost more than they save there). The check begins by reading the file system's clock (the change time of
# REC.clock, touched): every change made after has a time from that second on, whatever the machine's clock says (a
# file server's clock, a coarse kernel clock).
ut_status() {
  local rec=$1 write=$2 min=$3 w=$DLV_UT/w t0= head key= full=0 l1= l2= l3= n
  if [ "$write" = 1 ] && command -v diff > /dev/null; then t0=$(touch -- "$rec.clock" && stat -c %Z -- "$rec.clock") || t0=; fi
  head=$(git rev-parse -q --verify HEAD) || head=
  mkdir -p -- "$w"
  if [ -f "$rec/meta" ]; then { read -r l1; read -r l2; read -r l3; } < "$rec/meta" || true; fi
  if [ "$l1" = dlv-walk-2 ]; then key=$(ut_key "$rec"); fi
  if [ -n "$key" ] && [ "$l2" = "$key" ] && ut_incremental "$rec" "$w" "$head" "$l3"; then
    echo record > "$DLV_UT/how"
    awk 'BEGIN { RS = "\\0" } NR % 2 == 0 { printf "%s%c", $0, 0 }' "$w/res" | cat -- "$w/status" -
  elif [ "$l1" != dlv-walk-2 ] && n=$(git ls-files -z | tr -cd '\\0' | wc -c) && [ "$n" -lt "$min" ]; then
    echo plain > "$DLV_UT/how"
    rm -rf -- "$rec" "$rec.clock"
    ut_git_status --untracked-files=all --ignored=matching
    return
  else
    echo full > "$DLV_UT/how"; full=1
    rm -rf -- "$w" && mkdir -- "$w" && : > "$w/full" && ut_full "$w" || return 1
    key=$(ut_key "$w")
    cat -- "$w/status"
  fi
  [ "$write" != 1 ] || [ -z "$head" ] || [ -z "$t0" ] || ut_write "$rec" "$w" "$key" "$head" "$t0" "$full"
}
`

/**
 * The bash that svn runs on the server, sourced before each svn script: the environment (`SVN_PRELUDE`: credentials on
 * standard input, `svnr`/`svnl`, revisions, `svn status` read from XML), the externals (`EXTERNALS`), and the check
 * for conflicts an update would cause (`PRECHECK`). Constant text: values reach it only as positional arguments.
 */
import { UTF8_LOCALE } from './common.js'

/**
 * The svn environment. `$1` is 1 when the user name and password follow on stdin. `svnr` talks to the repository
 * (with the credentials), `svnl` only reads or writes the working copy. Every path given to svn ends with `@`, so a
 * name holding `@` is never read as a peg revision.
 */
export const SVN_PRELUDE = `${UTF8_LOCALE}export SVN_SSH="ssh -o BatchMode=yes"
DLV_U=; DLV_P=
if [ "$1" = 1 ]; then IFS= read -r DLV_U || true; IFS= read -r DLV_P || true; fi
shift
SVN_OPTS=(--non-interactive --no-auth-cache --config-option servers:global:store-passwords=no --config-option servers:global:store-auth-creds=no --config-option config:miscellany:global-ignores=)
if [ -n "$DLV_P" ]; then
  v=$(svn --version --quiet)
  case $v in 0.*|1.[0-9].*) die "svn $v on the server cannot take a password without showing it to other users (--password-from-stdin needs svn 1.10 or later): upgrade subversion";; esac
fi
svnr() {
  local a=("\${SVN_OPTS[@]}")
  [ -z "$DLV_U" ] || a+=(--username "$DLV_U")
  if [ -n "$DLV_P" ]; then printf '%s\\n' "$DLV_P" | svn "\${a[@]}" --password-from-stdin "$@"
  else svn "\${a[@]}" "$@" </dev/null; fi
}
svnl() { svn "\${SVN_OPTS[@]}" "$@" </dev/null; }
# resolve_rev URL REF: the revision number REF ('' or HEAD: the youngest) names, checking that URL exists there.
resolve_rev() {
  local url=$1 ref=\${2:-HEAD} n
  n=$(svnr info --show-item revision -- "$url@$ref" 2>"$DLV_TMP/info.err") || { cat "$DLV_TMP/info.err" >&2; die "cannot read $url at revision $ref: check repository, ref and the credentials"; }
  printf '%s' "$n" | tr -d '[:space:]'
}
DLV_TMP=$(mktemp -d); trap 'rm -rf "$DLV_TMP"' EXIT
b64() { base64 -w0 < "$1"; echo; }
# xml_text VAR TEXT: sets VAR to TEXT with XML's entity and character references decoded.
xml_text() {
  local s=$2 out= e c h
  while [[ $s == *'&'*';'* ]]; do
    out+=\${s%%'&'*}; s=\${s#*'&'}; e=\${s%%';'*}; s=\${s#*';'}
    case $e in
      amp) c='&' ;; lt) c='<' ;; gt) c='>' ;; quot) c='"' ;; apos) c="'" ;;
      '#x'[0-9a-fA-F]*) printf -v h %08x "0x\${e#??}"; printf -v c "\\U$h" ;;
      '#'[0-9]*) printf -v h %08x "$((10#\${e#?}))"; printf -v c "\\U$h" ;;
      *) c="&$e;" ;;
    esac
    out+=$c
  done
  printf -v "$1" '%s' "$out$s"
}
# svn_status ARGS...: \`svn status --xml ARGS\` as NUL-separated records "TPC" NUL PATH NUL (text, property and
# tree-conflict columns as svn status prints them). Read from XML, where svn escapes a newline in a name: a name can
# never pass for another entry. A name that is not UTF-8 makes svn fail: said so.
svn_status() {
  local line st=0 path item props tc k v t p c re='^ +([a-z-]+)="([^"]*)"(/?>)?$'
  if ! svnl status --xml "$@" > "$DLV_TMP/st.xml" 2> "$DLV_TMP/st.err"; then
    cat "$DLV_TMP/st.err" >&2
    if grep -q E000022 "$DLV_TMP/st.err"; then die "svn cannot read this working copy: a file name in it is not valid UTF-8 (above). Rename or remove that file on the server, then run again"; fi
    die "svn status failed"
  fi
  while IFS= read -r line; do
    case $st in
      0) [ "$line" = '<entry' ] && st=1 ;;
      1) if [[ $line == '   path="'*'">' ]]; then v=\${line#'   path="'}; xml_text path "\${v%'">'}"; st=2; else st=0; fi ;;
      2) [ "$line" = '<wc-status' ] && { item=; props=; tc=; st=3; } ;;
      3)
        if [[ $line =~ $re ]]; then
          k=\${BASH_REMATCH[1]}; v=\${BASH_REMATCH[2]}
          case $k in item) item=$v ;; props) props=$v ;; tree-conflicted) tc=$v ;; esac
          if [ -n "\${BASH_REMATCH[3]}" ]; then
            case $item in
              unversioned) t='?' ;; modified) t=M ;; added) t=A ;; deleted) t=D ;; missing|incomplete) t='!' ;;
              replaced) t=R ;; obstructed) t='~' ;; conflicted) t=C ;; ignored) t=I ;; external) t=X ;; *) t=' ' ;;
            esac
            case $props in modified) p=M ;; conflicted) p=C ;; *) p=' ' ;; esac
            c=' '; [ "$tc" != true ] || c=C
            printf '%s%s%s\\0%s\\0' "$t" "$p" "$c" "$path"
            st=0
          fi
        else st=0; fi ;;
    esac
  done < "$DLV_TMP/st.xml"
  return 0
}
`

/**
 * svn externals (`svn:externals`, plugins kept in other repositories). `ext_list`: every directory external of the
 * working copy, nested ones too, as path NUL revision NUL url NUL. `ext_check URL REV`: fails, naming the external and
 * its URL, when one defined in URL at REV cannot be read (deliver checks it before anything changes).
 */
export const EXTERNALS = `ext_list() {
  local line p
  svnl status -- .@ 2>/dev/null | while IFS= read -r line; do
    [[ $line == 'X       '* ]] || continue
    p=\${line:8}
    [ -d "$p" ] && [ ! -L "$p" ] || continue
    printf '%s\\0%s\\0%s\\0' "$p" "$(svnl info --show-item revision -- "$p@" 2>/dev/null)" "$(svnl info --show-item url -- "$p@" 2>/dev/null | sed -E 's#^([a-z+]+://)[^/@]*@#\\1***@#')"
  done
}
# ext_dry: what a dry run needs to list the files an update would change inside externals, read without changing
# anything (uses $newroot and $n): the externals the working copy holds (extwc: path NUL), their versioned files
# (extinfo: svn info -R --xml) and all their files on disk (extfiles: NUL-separated), and the files of the externals
# defined at the target (extnew: svn list -R --include-externals --xml of each directory that defines some).
ext_dry() {
  local line st=0 d p
  ext_list > "$DLV_TMP/extl"
  : > "$DLV_TMP/extwc"; : > "$DLV_TMP/extinfo"; : > "$DLV_TMP/extfiles"
  while IFS= read -r -d '' p && IFS= read -r -d '' _ && IFS= read -r -d '' _; do
    printf '%s\\0' "$p" >> "$DLV_TMP/extwc"
    svnl info -R --xml -- "$p@" >> "$DLV_TMP/extinfo" 2>/dev/null || true
    find "./$p" -name .svn -prune -o \\( -type f -o -type l \\) -print0 >> "$DLV_TMP/extfiles"
  done < "$DLV_TMP/extl"
  svnr propget -R --xml svn:externals -- "$newroot@$n" > "$DLV_TMP/extprops" 2>/dev/null || : > "$DLV_TMP/extprops"
  : > "$DLV_TMP/extnew"
  while IFS= read -r line; do
    case $st in
      0) [ "$line" = '<target' ] && st=1 ;;
      1) if [[ $line == '   path="'*'">' ]]; then d=\${line#'   path="'}; xml_text d "\${d%'">'}"
           svnr list -R --include-externals --xml -- "$d@$n" >> "$DLV_TMP/extnew"
         fi; st=0 ;;
    esac
  done < "$DLV_TMP/extprops"
  printf 'extwc='; b64 "$DLV_TMP/extwc"; printf 'extinfo='; b64 "$DLV_TMP/extinfo"
  printf 'extfiles='; b64 "$DLV_TMP/extfiles"; printf 'extnew='; b64 "$DLV_TMP/extnew"
}
ext_check() {
  local url=$1 rev=$2 root line target def t u peg r p i
  root=$(svnr info --show-item repos-root-url -- "$url@$rev")
  svnr propget -R svn:externals -- "$url@$rev" > "$DLV_TMP/ext" 2>/dev/null || return 0
  target=
  while IFS= read -r line; do
    if [[ $line =~ ^([a-z+]+://[^ ]*)\\ -\\ (.*)$ ]]; then target=\${BASH_REMATCH[1]}; def=\${BASH_REMATCH[2]}; else def=$line; fi
    read -ra t <<< "$def" || true
    [ \${#t[@]} -ge 2 ] || continue
    [[ \${t[0]} != '#'* ]] || continue
    u=; r=; p=
    for ((i = 0; i < \${#t[@]}; i++)); do
      case \${t[$i]} in
        -r) i=$((i + 1)); r=\${t[$i]:-} ;;
        -r*) r=\${t[$i]#-r} ;;
        *://*|^/*|//*|../*) [ -n "$u" ] && p=\${t[$i]} || u=\${t[$i]} ;;
        /*) if [ -z "$u" ]; then u=\${t[$i]}; else p=\${t[$i]}; fi ;;
        *) if [ -z "$p" ]; then p=\${t[$i]}; fi ;;
      esac
    done
    [ -n "$u" ] || continue
    peg=; if [[ $u == *@* ]]; then peg=\${u##*@}; u=\${u%@*}; fi
    case $u in
      ^/*) u=$root/\${u#^/} ;;
      ../*) u=$target/$u ;;
      //*) u=\${root%%://*}:$u ;;
      /*) u=$(printf '%s' "$root" | sed -E 's#^([a-z+]+://[^/]*).*#\\1#')$u ;;
    esac
    if ! svnr info -- "$u@\${peg:-\${r:-HEAD}}" >/dev/null 2>"$DLV_TMP/ext.err"; then
      cat "$DLV_TMP/ext.err" >&2
      p=\${target#"$url"}/$p
      die "cannot fetch the svn external '\${p#/}' from $(printf '%s' "$u" | sed -E 's#^([a-z+]+://)[^/@]*@#\\1***@#')\${peg:+@$peg}\${r:+ (revision $r)}: check that the server can reach it with the credentials given. Nothing was switched"
    fi
  done < "$DLV_TMP/ext"
}
`

/** Builds the list of conflicts a change would cause before anything is touched (sourced by the update script). */
export const PRECHECK = `precheck() {
  local cols c1 c2 c7 p rev out
  (svn_status --ignore-externals -- "\${targets[@]}") > "$DLV_TMP/status" 2>/dev/null || true
  while IFS= read -r -d '' cols && IFS= read -r -d '' p; do
    c1=\${cols:0:1}; c2=\${cols:1:1}; c7=\${cols:2:1}
    if [ "$c1" = C ] || [ "$c2" = C ] || [ "$c7" = C ]; then printf '%s\\0' "$p"; continue; fi
    case $c1 in
      '?'|A)
        # Something the update would add where a hand-made file already is.
        if svnr info -- "$newroot/$p@$n" >/dev/null 2>&1; then printf '%s\\0' "$p"; fi ;;
      M|R|' ')
        { [ "$c1" = ' ' ] && [ "$c2" = ' ' ]; } && continue
        [ -d "$p" ] && continue
        rev=$(svnl info --show-item revision -- "$p@") || continue
        [ "$rev" = "$n" ] && continue
        if ! svnr info -- "$newroot/$p@$n" >/dev/null 2>&1; then printf '%s\\0' "$p"; continue; fi
        # (No pipe into grep -q: under pipefail, svn killed by SIGPIPE would hide the answer.)
        out=$(svnr merge --dry-run --allow-mixed-revisions -r "$rev:$n" -- "$newroot/$p@$n" "$p" 2>&1) || { printf '%s\\0' "$p"; continue; }
        if grep -Eq '^(C|.C|...C) ' <<< "$out"; then printf '%s\\0' "$p"; fi ;;
    esac
  done < "$DLV_TMP/status"
}
`

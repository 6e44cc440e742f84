/**
 * cvs: each tree is a CVS checkout of `module` from `CVSROOT` (`repository` is `CVSROOT#module`); `ref` is a tag or a
 * branch (HEAD when empty, which clears sticky tags with -A). An update is `cvs -q update -dP`, run first with -n:
 * that dry run names every file that would conflict with a hand-made change, and the update then stops before
 * touching anything. A pserver password reaches cvs through a passfile (CVS_PASSFILE) created for the command,
 * readable by the code owner only, and deleted after it.
 */
import type { DriftFile } from '../domain.js'
import { StepFailure } from '../errors.js'
import type { TreeRecord } from '../remote/state.js'
import { treeRevision } from '../remote/state.js'
import { conflictMessage, field, NO_LINKS, nulField, saveDriftFiles, UTF8_LOCALE, WorkingCopyTrees } from './common.js'
import { cvsPassLine, parseCvsDrift, parseCvsUpdate, parseRevisions } from './cvs-output.js'
import type { InitResult, UpdateResult, VcsDriver } from './driver.js'
import { value } from './git.js'
import { parseCvsSource } from './source.js'

/** `$1` is 1 when a passfile line follows on stdin. `cvsc` runs cvs without ~/.cvsrc. */
const CVS_PRELUDE = `${UTF8_LOCALE}DLV_TMP=$(mktemp -d); trap 'rm -rf "$DLV_TMP"' EXIT
if [ "$1" = 1 ]; then
  IFS= read -r DLV_PASS || true
  ( umask 077; printf '%s\\n' "$DLV_PASS" > "$DLV_TMP/cvspass" ); unset DLV_PASS
  export CVS_PASSFILE="$DLV_TMP/cvspass"
fi
shift
printf '#!/bin/sh\\nexec ssh -o BatchMode=yes "$@"\\n' > "$DLV_TMP/rsh"; chmod 700 "$DLV_TMP/rsh"
export CVS_RSH="$DLV_TMP/rsh"
unset CVSREAD CVSWRAPPERS CVSIGNORE
cvsc() { cvs -f "$@" </dev/null; }
b64() { base64 -w0 < "$1"; echo; }
# entry_of PATH: the line CVS/Entries records for a file or folder ('' when none).
entry_of() {
  local d n l a name rest
  d=$(dirname -- "$1"); n=$(basename -- "$1")
  [ -f "$d/CVS/Entries" ] || return 0
  while IFS= read -r l; do
    IFS=/ read -r a name rest <<< "$l"
    if { [ -z "$a" ] || [ "$a" = D ]; } && [ "$name" = "$n" ]; then printf '%s' "$l"; return 0; fi
  done < "$d/CVS/Entries"
}
# entry_rev PATH: the revision CVS/Entries records for a file ('' when none).
entry_rev() {
  local d n a name rev rest
  d=$(dirname -- "$1"); n=$(basename -- "$1")
  [ -f "$d/CVS/Entries" ] || return 0
  while IFS=/ read -r a name rev rest; do
    if [ -z "$a" ] && [ "$name" = "$n" ]; then printf '%s' "$rev"; return 0; fi
  done < "$d/CVS/Entries"
}
# revisions FILE: for each U/P/M/C line of cvs output in FILE, "path NUL revision NUL".
revisions() {
  local line re='^[UPMC] (.+)$'
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then printf '%s\\0%s\\0' "\${BASH_REMATCH[1]}" "$(entry_rev "\${BASH_REMATCH[1]}")"; fi
  done < "$1"
}
# check_origin ROOT MODULE: the working copy in . comes from ROOT's MODULE.
check_origin() {
  local root repo
  root=$(cat CVS/Root); repo=$(cat CVS/Repository)
  [ "$root" = "$1" ] || die "this tree was checked out from $root, not $1: deliver from the same CVSROOT, or init a new layout"
  [ "$repo" = "$2" ] || [ "$repo" = "\${1##*:}/$2" ] || die "this tree holds module $repo, not $2: deliver the same module, or init a new layout"
}
`

export class CvsDriver extends WorkingCopyTrees implements VcsDriver {
  readonly method = 'cvs'
  readonly tools = ['cvs']
  /** CVS keeps its metadata in a CVS/ folder of every directory: a syncback copies it along. */
  readonly syncExcludes: string[] = []

  /** CVSROOT (with repository-username put in when it names no user) and module of `repository`. */
  private source(): { root: string; module: string } {
    const src = parseCvsSource('repository', this.ctx.settings.repository)
    const u = this.ctx.settings.repositoryUsername
    if (u && /^:(pserver|ext)(;[^:]*)?:[^@]+:/.test(src.root) && !/^:[^:]*:[^/@]*@/.test(src.root)) {
      src.root = src.root.replace(/^(:[^:]*:)/, `$1${u}@`)
    }
    return src
  }

  private cvs(what: string, script: string, args: string[], stdin = '') {
    const pw = this.ctx.settings.repositoryPassword
    let cred: Buffer | null = null
    if (pw && this.ctx.settings.repository) {
      cred = cvsPassLine(this.source().root, pw)
      if (!cred && /^:pserver/.test(this.source().root)) {
        throw new StepFailure("the :pserver: CVSROOT names no user: write :pserver:USER@host:/path, or give 'repository-username'")
      }
    }
    return this.ctx.sh.run(what, CVS_PRELUDE + script, [cred ? '1' : '0', ...args], {
      stdin: cred ? Buffer.concat([cred, Buffer.from(stdin)]) : stdin || undefined,
      secrets: pw ? [pw] : [],
    })
  }

  async init(treeIds: string[]): Promise<InitResult> {
    const { root, module } = this.source()
    const ref = this.ctx.settings.ref
    const r = await this.cvs(
      'check out the module into the trees',
      `root=$1; module=$2; ref=$3; dir=$4; first=$5; shift 5
cd "$dir"
rf=(); [ -z "$ref" ] || [ "$ref" = HEAD ] || rf=(-r "$ref")
cvsc -q -d "$root" checkout -P "\${rf[@]}" -d "$first" -- "$module" > "$DLV_TMP/out" || die "cvs cannot check out $module at \${ref:-HEAD} from $root"
[ -d "$first/CVS" ] || die "cvs checked out nothing: is $module a module of $root, and \${ref:-HEAD} a tag or branch of it?"
for t in "$@"; do cp -a -- "$first" "$t"; done
echo "rev=\${ref:-HEAD}"`,
      [root, module, this.ctx.settings.ref, this.ctx.layout.trees, ...treeIds],
    )
    return { revision: value(r.stdout, 'rev') || ref || 'HEAD', repository: this.ctx.settings.repository }
  }

  async adopt(source: string, treeIds: string[]): Promise<InitResult> {
    const r = await this.cvs(
      'adopt the existing CVS checkout',
      `src=$1; shift
[ -f "$src/CVS/Root" ] && [ -f "$src/CVS/Repository" ] || die "$src is not a CVS checkout (no CVS/Root): adopt it with method push, or check it out with init"
tag=HEAD; if [ -f "$src/CVS/Tag" ]; then tag=$(cut -c2- "$src/CVS/Tag"); fi
for t in "$@"; do cp -a -- "$src" "$t"; done
echo "rev=$tag"; echo "repo=$(cat "$src/CVS/Root")#$(cat "$src/CVS/Repository")"`,
      [source, ...treeIds.map((id) => this.ctx.layout.tree(id))],
    )
    return { revision: value(r.stdout, 'rev'), repository: value(r.stdout, 'repo') }
  }

  async update(tree: TreeRecord, ref: string, paths: string[], dryRun: boolean): Promise<UpdateResult> {
    const { root, module } = this.source()
    const r = await this.cvs(
      dryRun ? 'compute the update (dry run)' : 'update the work tree',
      `tree=$1; root=$2; module=$3; ref=$4; dry=$5; shift 5
cd "$tree"
check_origin "$root" "$module"
rf=(-A); [ -z "$ref" ] || [ "$ref" = HEAD ] || rf=(-r "$ref")
if ! cvsc -nq update -dP "\${rf[@]}" -- "$@" > "$DLV_TMP/n.out" 2> "$DLV_TMP/n.err"; then
  # A hand-made file where the update adds one makes the dry run fail: that is a conflict, named as such.
  sed -n "s/^cvs [a-z]*: move away .\\(.*\\).; it is in the way$/\\1/p" "$DLV_TMP/n.err" | tr '\\n' '\\0' > "$DLV_TMP/conflicts" || true
  if [ -s "$DLV_TMP/conflicts" ]; then printf 'conflicts='; b64 "$DLV_TMP/conflicts"; exit 0; fi
  cat "$DLV_TMP/n.err" >&2; die "cvs cannot update to \${ref:-HEAD} from $root: check repository, ref and the credentials"
fi
revisions "$DLV_TMP/n.out" > "$DLV_TMP/before"
if [ "$dry" = 1 ]; then
  printf 'out='; b64 "$DLV_TMP/n.out"; printf 'err='; b64 "$DLV_TMP/n.err"; printf 'before='; b64 "$DLV_TMP/before"; exit 0
fi
grep -E '^C ' "$DLV_TMP/n.out" | cut -c3- | tr '\\n' '\\0' > "$DLV_TMP/conflicts" || true
sed -n 's/^cvs [a-z]*: conflict: .\\(.*\\). is .*/\\1/p' "$DLV_TMP/n.err" | tr '\\n' '\\0' >> "$DLV_TMP/conflicts" || true
if [ -s "$DLV_TMP/conflicts" ]; then printf 'conflicts='; b64 "$DLV_TMP/conflicts"; exit 0; fi
cvsc -q update -dP "\${rf[@]}" -- "$@" > "$DLV_TMP/out" 2> "$DLV_TMP/err" || { cat "$DLV_TMP/err" >&2; die "cvs update failed"; }
revisions "$DLV_TMP/out" > "$DLV_TMP/after"
# cvs keeps the hand-made version of each file it merged as .#FILE.REVISION; it is in the drift patch already, and
# must not be served: remove it.
while IFS= read -r -d '' p && IFS= read -r -d '' was; do
  b="$(dirname -- "$p")/.#$(basename -- "$p").$was"
  if [ -n "$was" ] && [ -f "$b" ] && [ "$(entry_rev "$p")" != "$was" ]; then rm -f -- "$b"; fi
done < "$DLV_TMP/before"
printf 'out='; b64 "$DLV_TMP/out"; printf 'err='; b64 "$DLV_TMP/err"; printf 'before='; b64 "$DLV_TMP/before"; printf 'after='; b64 "$DLV_TMP/after"`,
      [this.ctx.layout.tree(tree.id), root, module, ref, dryRun ? '1' : '0', ...paths],
    )
    const conflicts = nulField(r.stdout, 'conflicts')
    const rev = ref || 'HEAD'
    if (conflicts.length) throw new StepFailure(conflictMessage([...new Set(conflicts)], rev, tree.id))
    const before = parseRevisions(field(r.stdout, 'before'))
    const after = dryRun ? undefined : parseRevisions(field(r.stdout, 'after'))
    const parsed = parseCvsUpdate(field(r.stdout, 'out'), field(r.stdout, 'err'), before, after)
    if (parsed.conflicts.length) {
      throw new StepFailure(
        `cvs left ${parsed.conflicts.length} file(s) of trees/${tree.id} in conflict when updating to ${rev}: ${parsed.conflicts.slice(0, 20).join(', ')}. Nothing was switched: the live tree is unchanged. Resolve them in trees/${tree.id} (the hand-made version is kept by cvs as .#FILE.REVISION), then run update again`,
      )
    }
    if (paths.length === 0) return { commit: rev, revision: rev, changes: parsed.changes }
    return { commit: rev, revision: tree.revision, take: { paths, ref: rev, revision: rev }, changes: parsed.changes }
  }

  async drift(tree: TreeRecord): Promise<DriftFile[]> {
    const r = await this.cvs(
      `look for hand-made changes in ${tree.id}`,
      `cd "$1"
if ! cvsc -nq update -I '!' > "$DLV_TMP/out" 2> "$DLV_TMP/err"; then
  cat "$DLV_TMP/err" >&2
  # cvs's protocol is line-based: a name holding a newline makes it abort.
  odd=$(find . -name CVS -prune -o -name '*[[:cntrl:]]*' -print0 -quit | tr -d '\\0' | tr '[:cntrl:]' '?' | head -c 200)
  [ -z "$odd" ] || die "cvs cannot read this tree: the name $odd holds a control character (a newline...), which cvs cannot handle. Rename or remove it on the server, then run again"
  die "cvs cannot compare the tree with the repository: check repository and the credentials"
fi
# cvs prints one name a line: a name holding a newline could pass for another entry. A '?' line counts only when
# its name is there and not recorded in CVS/Entries; names holding a control character (CVS can never record one)
# are listed apart, exactly, NUL-separated.
: > "$DLV_TMP/unknown"
while IFS= read -r line; do
  [[ $line == '? '* ]] || continue
  p=\${line:2}
  { [ -e "$p" ] || [ -L "$p" ]; } && [ -z "$(entry_of "$p")" ] || continue
  printf '%s\\0' "$p" >> "$DLV_TMP/unknown"
  if [ -d "$p" ] && [ ! -L "$p" ]; then find "./$p" \\( -type f -o -type l \\) -print0; fi
done < "$DLV_TMP/out" > "$DLV_TMP/untracked"
find . -name CVS -prune -o -name '*[[:cntrl:]]*' -prune \\( \\( -type d ! -type l -exec find {} \\( -type f -o -type l \\) -print0 \\; \\) -o -print0 \\) > "$DLV_TMP/odd"
printf 'out='; b64 "$DLV_TMP/out"; printf 'err='; b64 "$DLV_TMP/err"; printf 'untracked='; b64 "$DLV_TMP/untracked"; printf 'unknown='; b64 "$DLV_TMP/unknown"; printf 'odd='; b64 "$DLV_TMP/odd"`,
      [this.ctx.layout.tree(tree.id)],
    )
    // An untracked entry counts when the script confirmed its name (or a folder holding it).
    const unknown = new Set(nulField(r.stdout, 'unknown'))
    const confirmed = (p: string) => {
      for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) if (unknown.has(p.slice(0, i))) return true
      return unknown.has(p)
    }
    const files = parseCvsDrift(field(r.stdout, 'out'), field(r.stdout, 'err'), nulField(r.stdout, 'untracked')).filter((f) => f.status !== 'untracked' || confirmed(f.path))
    const listed = new Set(files.map((f) => f.path))
    const odd = nulField(r.stdout, 'odd').filter((p) => !listed.has(p))
    return [...files, ...odd.map((path) => ({ path, status: 'untracked' as const }))]
  }

  async saveDrift(tree: TreeRecord, files: DriftFile[], dest: string): Promise<void> {
    const pw = this.ctx.settings.repositoryPassword
    const line = pw ? cvsPassLine(this.source().root, pw) : null
    await saveDriftFiles(
      this.ctx,
      tree,
      files,
      dest,
      CVS_PRELUDE,
      'cvsc diff -uN -- "${tracked[@]}"',
      line ? { stdinPrefix: line, secrets: pw ? [pw] : [] } : undefined,
    )
  }

  async afterSync(from: TreeRecord, to: TreeRecord, paths: string[]): Promise<Partial<TreeRecord>> {
    if (paths.length === 0) return { revision: from.revision, head: from.head, paths: from.paths }
    // The copy carried the CVS/ folders inside each path; the entry of the path itself lives in its parent's
    // CVS/Entries: set it as the live tree has it.
    await this.cvs(
      `record ${paths.length} path(s) in ${to.id}`,
      `${NO_LINKS}src=$1; dst=$2; shift 2
for p in "$@"; do
  no_links "$dst" "$p"
  d=$(dirname -- "$p"); n=$(basename -- "$p")
  [ -f "$dst/$d/CVS/Entries" ] || continue
  want=
  if [ -f "$src/$d/CVS/Entries" ]; then
    while IFS= read -r l; do
      IFS=/ read -r a name rest <<< "$l"
      if { [ -z "$a" ] || [ "$a" = D ]; } && [ "$name" = "$n" ]; then want=$l; break; fi
    done < "$src/$d/CVS/Entries"
  fi
  {
    while IFS= read -r l; do
      IFS=/ read -r a name rest <<< "$l"
      if { [ -z "$a" ] || [ "$a" = D ]; } && [ "$name" = "$n" ]; then continue; fi
      printf '%s\\n' "$l"
    done < "$dst/$d/CVS/Entries"
    [ -z "$want" ] || printf '%s\\n' "$want"
  } > "$dst/$d/CVS/Entries.dlv"
  mv -f "$dst/$d/CVS/Entries.dlv" "$dst/$d/CVS/Entries"
done`,
      [this.ctx.layout.tree(from.id), this.ctx.layout.tree(to.id), ...paths],
    )
    return { paths: [...(to.paths ?? []), { paths, ref: `syncback:${from.id}`, revision: treeRevision(from) }] }
  }
}

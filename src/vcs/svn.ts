/**
 * svn: each tree is a Subversion working copy of `repository` (the URL of trunk, of a branch or of a tag). `ref` is a
 * revision number (HEAD when empty), resolved once to a number so that every tree of a run gets the same revision.
 * An update is `svn update` (or `svn switch` when `repository` names another branch or tag), whose output is parsed
 * into the changed-file list. Hand-made changes are merged by svn as it always does; a change that would conflict is
 * found before anything is touched (a dry-run merge of each hand-changed file), and the update then fails naming the
 * files. A dry run changes nothing: its list is `svn diff --summarize` between the two revisions, plus the files of
 * the externals, read from `svn list --include-externals` of the target and `svn info` of the working copy's
 * externals (see externalChanges in svn-output.ts). Credentials go to svn through its standard input
 * (`--password-from-stdin`), never on a command line. The bash sourced by its scripts is in svn-shell.ts, the reading
 * of svn's output in svn-output.ts.
 */
import type { DriftFile } from '../domain.js'
import { StepFailure } from '../errors.js'
import type { TreeRecord } from '../remote/state.js'
import { treeRevision } from '../remote/state.js'
import { inPaths } from './changes.js'
import { conflictMessage, field, nulField, PUT_PATH, saveDriftFiles, WorkingCopyTrees } from './common.js'
import type { InitResult, UpdateResult, VcsDriver } from './driver.js'
import { value } from './git.js'
import { parseSubFlat, submoduleReport } from './submodules.js'
import { externalChanges, parseSvnInfoFiles, parseSvnListExternals, parseSvnStatusZ, parseSvnSummarize, parseSvnUpdate } from './svn-output.js'
import { EXTERNALS, PRECHECK, SVN_PRELUDE } from './svn-shell.js'

export class SvnDriver extends WorkingCopyTrees implements VcsDriver {
  readonly method = 'svn'
  readonly tools = ['svn']
  /** The working copy's metadata (one .svn at the root) is copied along by a whole syncback. */
  readonly syncExcludes: string[] = []

  /** Runs an svn script with the credentials (if any) on stdin. */
  private svn(what: string, script: string, args: string[], withCredentials = true) {
    const { repositoryUsername: u, repositoryPassword: p } = this.ctx.settings
    const cred = withCredentials && (u !== undefined || p !== undefined)
    return this.ctx.sh.run(what, SVN_PRELUDE + script, [cred ? '1' : '0', ...args], {
      stdin: cred ? `${u ?? ''}\n${p ?? ''}\n` : undefined,
      secrets: p ? [p] : [],
    })
  }

  async init(treeIds: string[]): Promise<InitResult> {
    const { repository, ref } = this.ctx.settings
    const r = await this.svn(
      'check out the repository into the trees',
      `url=$1; ref=$2; first=$3; shift 3
n=$(resolve_rev "$url" "$ref")
svnr checkout -q -r "$n" -- "$url@$n" "$first"
for t in "$@"; do cp -a -- "$first" "$t"; done
echo "rev=$n"`,
      [repository, ref, ...treeIds.map((id) => this.ctx.layout.tree(id))],
    )
    return { revision: value(r.stdout, 'rev'), repository }
  }

  async adopt(source: string, treeIds: string[]): Promise<InitResult> {
    const r = await this.svn(
      'adopt the existing svn working copy',
      `src=$1; shift
svnl info -- "$src@" >/dev/null 2>&1 || die "$src is not a Subversion working copy: adopt it with method push, or check it out with init"
wcroot=$(svnl info --show-item wc-root -- "$src@")
[ "$wcroot" = "$src" ] || die "$src lies inside the working copy $wcroot: adopt $wcroot"
rev=$(svnl info --show-item revision -- "$src@"); url=$(svnl info --show-item url -- "$src@")
for t in "$@"; do cp -a -- "$src" "$t"; done
echo "rev=$rev"; echo "url=$url"`,
      [source, ...treeIds.map((id) => this.ctx.layout.tree(id))],
      false,
    )
    return { revision: value(r.stdout, 'rev'), repository: value(r.stdout, 'url') }
  }

  async update(tree: TreeRecord, ref: string, paths: string[], dryRun: boolean): Promise<UpdateResult> {
    const { repository } = this.ctx.settings
    const r = await this.svn(
      dryRun ? 'compute the update (dry run)' : 'update the work tree',
      `${EXTERNALS}${PRECHECK}${PUT_PATH}tree=$1; url=$2; ref=$3; base=$4; dry=$5; shift 5
cd "$tree"
n=$(resolve_rev "$url" "$ref")
newroot=$(svnr info --show-item url -- "$url@$n")
oldroot=$(svnl info --show-item url -- .@)
switch=0; [ "$newroot" = "$oldroot" ] || switch=1
if [ "$switch" = 1 ] && [ $# -gt 0 ]; then die "the work tree holds $oldroot, not $newroot: a partial update cannot change the branch; update the whole tree"; fi
targets=(); for p in "$@"; do targets+=("$p@"); done; [ $# -gt 0 ] || targets=(.@)
echo "rev=$n"; echo "switch=$switch"
if [ "$dry" = 1 ]; then
  if [ "$switch" = 1 ]; then svnr diff --summarize --old="$oldroot@$base" --new="$newroot@$n" > "$DLV_TMP/sum"
  else svnr diff --summarize -r "$base:$n" -- "$oldroot@$n" > "$DLV_TMP/sum"; fi
  echo "root=$oldroot"; echo "newroot=$newroot"; printf 'summary='; b64 "$DLV_TMP/sum"
  ext_dry
  exit 0
fi
if [ "$switch" = 0 ]; then precheck > "$DLV_TMP/conflicts"; else : > "$DLV_TMP/conflicts"; fi
if [ -s "$DLV_TMP/conflicts" ]; then printf 'conflicts='; b64 "$DLV_TMP/conflicts"; exit 0; fi
# The files there are now: a deleted directory is printed as one line, its files are found here.
# (find takes no --: each name goes with ./ before it, so that it is never read as an option; externals keep a .svn.)
for t in "\${targets[@]}"; do t=\${t%@}; [ -e "$t" ] || continue; [ "$t" = . ] || t=./$t; find "$t" -name .svn -prune -o \\( -type f -o -type l \\) -print0; done > "$DLV_TMP/before"
run_update() {
  if [ "$switch" = 1 ]; then svnr switch --accept postpone -r "$n" -- "$newroot@$n" .
  else svnr update --accept postpone --parents -r "$n" -- "\${targets[@]}"; fi
}
ext_list > "$DLV_TMP/extbefore"
if ! run_update > "$DLV_TMP/out" 2> "$DLV_TMP/err"; then
  if grep -Eq 'E155004|E155037|svn cleanup' "$DLV_TMP/err"; then
    svnl cleanup -- .@ && run_update > "$DLV_TMP/out" 2> "$DLV_TMP/err" || { cat "$DLV_TMP/err" >&2; exit 1; }
  else cat "$DLV_TMP/err" >&2; exit 1; fi
fi
re='^[ ADUCGER][ UCG][ B][ C] (.+)$'
while IFS= read -r line; do
  if [[ $line =~ $re ]] && [ -d "\${BASH_REMATCH[1]}" ] && [ ! -L "\${BASH_REMATCH[1]}" ]; then printf '%s\\0' "\${BASH_REMATCH[1]}"; fi
done < "$DLV_TMP/out" > "$DLV_TMP/dirs"
while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] || printf '%s\\0' "\${f#./}"; done < "$DLV_TMP/before" > "$DLV_TMP/gone"
ext_list > "$DLV_TMP/extafter"
printf 'out='; b64 "$DLV_TMP/out"; printf 'dirs='; b64 "$DLV_TMP/dirs"; printf 'gone='; b64 "$DLV_TMP/gone"
printf 'extbefore='; b64 "$DLV_TMP/extbefore"; printf 'extafter='; b64 "$DLV_TMP/extafter"`,
      [this.ctx.layout.tree(tree.id), repository, ref, tree.revision, dryRun ? '1' : '0', ...paths],
    )
    const rev = value(r.stdout, 'rev')
    const conflicts = nulField(r.stdout, 'conflicts')
    if (conflicts.length) throw new StepFailure(conflictMessage(conflicts, rev, tree.id))
    let changes
    if (dryRun) {
      const sum = field(r.stdout, 'summary')
      changes = parseSvnSummarize(sum, value(r.stdout, 'switch') === '1' ? value(r.stdout, 'newroot') : value(r.stdout, 'root'))
      if (value(r.stdout, 'switch') === '1') {
        const other = parseSvnSummarize(sum, value(r.stdout, 'root'))
        if (countAll(other) > countAll(changes)) changes = other
      }
      const wc = nulField(r.stdout, 'extwc')
      // Externals that the tree's own directories define (the externals of an external are not listed by a dry run).
      const top = wc.filter((e) => !wc.some((o) => o !== e && e.startsWith(`${o}/`)))
      const ext = externalChanges(
        top,
        parseSvnInfoFiles(field(r.stdout, 'extinfo')),
        nulField(r.stdout, 'extfiles'),
        parseSvnListExternals(field(r.stdout, 'extnew'), value(r.stdout, 'newroot')),
      )
      // A change of svn:externals shows as a property change of its directory, which the real run does not list.
      const dirs = new Set([...top, ...ext.added, ...ext.modified, ...ext.deleted].flatMap((p) => p.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'))))
      changes.modified = changes.modified.filter((p) => !dirs.has(p))
      for (const k of ['added', 'modified', 'deleted'] as const) changes[k] = [...changes[k], ...ext[k]].filter((p) => inPaths(p, paths))
    } else {
      const parsed = parseSvnUpdate(field(r.stdout, 'out'), new Set(nulField(r.stdout, 'dirs')), nulField(r.stdout, 'gone'))
      if (parsed.conflicts.length) {
        throw new StepFailure(
          `svn left ${parsed.conflicts.length} path(s) of trees/${tree.id} in conflict when updating to revision ${rev}: ${parsed.conflicts.slice(0, 20).join(', ')}. Nothing was switched: the live tree is unchanged. Resolve them in trees/${tree.id} (svn resolve, or svn revert to take the repository's version), then run update again`,
        )
      }
      changes = parsed.changes
    }
    const externals = dryRun ? [] : submoduleReport(parseSubFlat(field(r.stdout, 'extbefore')), parseSubFlat(field(r.stdout, 'extafter'))).filter((e) => inPaths(e.path, paths))
    const submodules = externals.length ? { submodules: externals } : {}
    if (paths.length === 0) return { commit: rev, revision: rev, changes, ...submodules }
    return { commit: rev, revision: tree.revision, take: { paths, ref: ref || 'HEAD', revision: rev }, changes, ...submodules }
  }

  async fetch(ref: string): Promise<string> {
    const r = await this.svn('check the revision and its externals', `${EXTERNALS}url=$1; n=$(resolve_rev "$url" "$2"); ext_check "$url" "$n"; echo "rev=$n"`, [this.ctx.settings.repository, ref])
    return value(r.stdout, 'rev')
  }

  async checkReady(tree: TreeRecord): Promise<void> {
    const r = await this.svn(
      `check that ${tree.id} has no conflicts`,
      'cd "$1"; svn_status --ignore-externals -- .@ > "$DLV_TMP/st"; printf "status="; b64 "$DLV_TMP/st"',
      [this.ctx.layout.tree(tree.id)],
      false,
    )
    const { conflicts } = parseSvnStatusZ(field(r.stdout, 'status'))
    if (conflicts.length) {
      throw new StepFailure(
        `trees/${tree.id} has unresolved svn conflicts in ${conflicts.slice(0, 20).join(', ')}: it cannot go live. Resolve them there (svn resolve, or svn revert to take the repository's version), then run backtoprod again`,
      )
    }
  }

  async drift(tree: TreeRecord): Promise<DriftFile[]> {
    const r = await this.svn(
      `look for hand-made changes in ${tree.id}`,
      `cd "$1"
# Externals included: a hand-made change inside a plugin kept as an external is drift too.
svn_status -- .@ > "$DLV_TMP/st"
while IFS= read -r -d '' cols && IFS= read -r -d '' p; do
  if [ "\${cols:0:1}" = '?' ] && [ -d "$p" ] && [ ! -L "$p" ]; then find "./$p" \\( -type f -o -type l \\) -print0; fi
done < "$DLV_TMP/st" > "$DLV_TMP/untracked"
printf 'status='; b64 "$DLV_TMP/st"; printf 'untracked='; b64 "$DLV_TMP/untracked"`,
      [this.ctx.layout.tree(tree.id)],
      false,
    )
    return parseSvnStatusZ(field(r.stdout, 'status'), nulField(r.stdout, 'untracked')).files
  }

  async saveDrift(tree: TreeRecord, files: DriftFile[], dest: string): Promise<void> {
    await saveDriftFiles(this.ctx, tree, files, dest, SVN_PRELUDE, 'svnl diff --git')
  }

  async afterSync(from: TreeRecord, to: TreeRecord, paths: string[]): Promise<Partial<TreeRecord>> {
    if (paths.length === 0) return { revision: from.revision, head: from.head, paths: from.paths }
    // The copy put the live tree's files over the safe tree's, but the safe tree's one .svn still records its own
    // revisions for them. Put those paths back as the safe tree had them, bring them to the revisions the live tree
    // holds (svn update, per node where the live tree is of mixed revisions), then copy the live files again.
    await this.svn(
      `record ${paths.length} path(s) in ${to.id}`,
      `${PUT_PATH}src=$1; dst=$2; shift 2
for p in "$@"; do
  cd "$dst"
  no_links "$dst" "$p"
  if svnl info -- "$p@" >/dev/null 2>&1; then svnl revert -R -q -- "$p@"; fi
  # What is not versioned there goes (the copy below puts back what the live tree holds). Names come from XML: a
  # name holding a newline cannot pass for another entry; only entries inside the path are ever removed.
  (svn_status --no-ignore -- "$p@") > "$DLV_TMP/st" 2>/dev/null || true
  while IFS= read -r -d '' cols && IFS= read -r -d '' e; do
    case $cols in '?'*|'I'*) ;; *) continue ;; esac
    { [ "$e" = "$p" ] || [[ $e == "$p"/* ]]; } && [[ /$e/ != */../* ]] || continue
    rm -rf -- "./$e"
  done < "$DLV_TMP/st"
  # The nearest parent the live tree has under version control (. at worst: the loop is bounded by the depth).
  q=$p
  until [ "$q" = . ] || (cd "$src" && svnl info -- "$q@" >/dev/null 2>&1); do q=$(dirname -- "$q"); done
  if [ "$q" = "$p" ]; then
    (cd "$src" && svnl info -R --show-item revision -- "$p@") > "$DLV_TMP/revs"
    declare -A at=()
    while read -r r item; do
      [ -n "$item" ] || continue
      parent=$(dirname -- "$item")
      if [ "$item" = "$p" ]; then svnr update -q --parents -r "$r" -- "$item@"
      elif [ "\${at[$parent]:-}" != "$r" ]; then svnr update -q --parents -r "$r" -- "$item@"; fi
      at[$item]=$r
    done < "$DLV_TMP/revs"
    unset at
  else
    r=$(cd "$src" && svnl info --show-item revision -- "$q@")
    svnr update -q --parents -r "$r" -- "$p@"
  fi
  put_path "$src" "$dst" "$p"
done`,
      [this.ctx.layout.tree(from.id), this.ctx.layout.tree(to.id), ...paths],
    )
    return { paths: [...(to.paths ?? []), { paths, ref: `syncback:${from.id}`, revision: treeRevision(from) }] }
  }
}

function countAll(c: { added: string[]; modified: string[]; deleted: string[] }): number {
  return c.added.length + c.modified.length + c.deleted.length
}

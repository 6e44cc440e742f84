/**
 * git: one bare object store in .delivery/repo.git; each tree is one of its worktrees, detached at a commit. A partial
 * update composes a local commit (the tree's HEAD) from the base commit with the paths taken from the new one, so a
 * tree's HEAD always says exactly what it should hold.
 */
import type { DriftFile } from '../domain.js'
import type { TreeRecord } from '../remote/state.js'
import { inPaths, parseIgnoredZ, parseNameStatusZ, parsePorcelainZ } from './changes.js'
import type { InitResult, SyncList, UpdateResult, VcsContext, VcsDriver } from './driver.js'
import { decodeName, encodeName } from './names.js'
import { SAVE_DRIFT, SYNC_LIST } from './git-scripts.js'
import { parseSubFlat, SUBMODULES, submoduleReport } from './submodules.js'

/**
 * Git environment and helpers shared by every script. `$1` is 1 when credentials follow on stdin: user, password, and
 * the host (with its port) of the repository. They are given to git for that host only: a submodule on another host
 * never receives them.
 */
/**
 * status_caches GITDIR: the drift checks' \`git status\` refreshes a split index (a refresh rewrites a small index,
 * not the whole one). No untracked cache: its key is the tree's path, and a tree moves to a fresh path each time it
 * goes live, so the cache was thrown away and rebuilt (the index rewritten with it) at every check; and a status that
 * also lists the ignored files, as the drift check does for the syncback's fast path, cannot use it. Set once per
 * store; every tree (worktree) shares it. A store made when the cache was on has it turned off.
 */
const STATUS_CACHES = `status_caches() {
  [ "$(git --git-dir="$1" config --get core.untrackedCache || true)" = false ] && return 0
  # Two checks may set it at once: a lost race leaves it set by the other.
  git --git-dir="$1" config core.untrackedCache false 2>/dev/null || true
  git --git-dir="$1" config core.splitIndex true 2>/dev/null || true
}
`

export const GIT_PRELUDE = `export GIT_TERMINAL_PROMPT=0 GIT_OPTIONAL_LOCKS=0 LC_ALL=C GIT_CONFIG_NOSYSTEM=1 GIT_LITERAL_PATHSPECS=1
export GIT_SSH_COMMAND="ssh -o BatchMode=yes"
export GIT_AUTHOR_NAME=Delivery GIT_AUTHOR_EMAIL=delivery@localhost GIT_COMMITTER_NAME=Delivery GIT_COMMITTER_EMAIL=delivery@localhost
DLV_U=; DLV_P=; DLV_H=
if [ "$1" = 1 ]; then IFS= read -r DLV_U || true; IFS= read -r DLV_P || true; IFS= read -r DLV_H || true; fi
export DLV_U DLV_P DLV_H
shift
gitc() {
  if [ -n "$DLV_U$DLV_P" ]; then
    git -c credential.helper= -c 'credential.helper=!f() { test "$1" = get || exit 0; h=; while IFS= read -r l && [ -n "$l" ]; do case $l in host=*) h=\${l#host=} ;; esac; done; [ -n "$DLV_H" ] && [ "$h" = "$DLV_H" ] || exit 0; printf "username=%s\\npassword=%s\\n" "$DLV_U" "$DLV_P"; }; f' "$@"
  else git "$@"; fi
}
# fetch_commit GITDIR URL REF: fetches REF (branch, tag, commit; '' = the remote HEAD) and prints its commit.
fetch_commit() {
  local gd=$1 url=$2 ref=$3 want
  want=\${ref:-HEAD}
  if gitc --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head "$url" "+$want:refs/delivery/incoming" 2>"$gd/.fetch.err"; then
    git --git-dir="$gd" rev-parse --verify -q "refs/delivery/incoming^{commit}"
  elif printf '%s' "$ref" | grep -Eq '^[0-9a-f]{7,40}$' && gitc --git-dir="$gd" fetch -q --no-tags --no-write-fetch-head "$url" '+refs/heads/*:refs/delivery/heads/*' '+refs/tags/*:refs/delivery/tags/*' 2>>"$gd/.fetch.err" && git --git-dir="$gd" rev-parse --verify -q "$ref^{commit}"; then
    :
  else
    cat "$gd/.fetch.err" >&2; rm -f "$gd/.fetch.err"
    die "cannot fetch '\${ref:-the default branch}' from the repository"
  fi
  rm -f "$gd/.fetch.err"
}
${STATUS_CACHES}# compose TREE BASE SOURCE MESSAGE PATH...: prints a local commit holding BASE with PATHs taken from SOURCE.
compose() {
  local tree=$1 base=$2 src=$3 msg=$4 idx t p
  shift 4
  idx=$(mktemp)
  GIT_INDEX_FILE=$idx git -C "$tree" read-tree "$base"
  for p in "$@"; do
    GIT_INDEX_FILE=$idx git -C "$tree" ls-files -z -- "$p" | GIT_INDEX_FILE=$idx git -C "$tree" update-index -z --force-remove --stdin
    git -C "$tree" ls-tree -r -z "$src" -- "$p" | GIT_INDEX_FILE=$idx git -C "$tree" update-index -z --index-info
  done
  t=$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)
  rm -f "$idx"
  printf '%s\\n' "$msg" | git -C "$tree" commit-tree "$t" -p "$base"
}
`

export class GitDriver implements VcsDriver {
  readonly method = 'git'
  readonly tools = ['git']
  readonly syncExcludes = ['/.git']

  /** Per tree id: the ignored files its last drift check under the lock listed, until syncList takes them. */
  private readonly ignored = new Map<string, string[]>()

  constructor(private readonly ctx: VcsContext) {}

  /** Runs a git script with the credentials (if any) on stdin, never on a command line. */
  private git(what: string, script: string, args: string[]) {
    const { repositoryUsername: u, repositoryPassword: p } = this.ctx.settings
    const cred = u !== undefined || p !== undefined
    return this.ctx.sh.run(what, GIT_PRELUDE + SUBMODULES + script, [cred ? '1' : '0', ...args], {
      stdin: cred ? `${u ?? ''}\n${p ?? ''}\n${repositoryHost(this.ctx.settings.repository)}\n` : undefined,
      secrets: p ? [p] : [],
    })
  }

  private get repo() {
    return this.ctx.layout.repo
  }

  async init(treeIds: string[]): Promise<InitResult> {
    const { repository, ref } = this.ctx.settings
    const r = await this.git(
      'check out the repository into the trees',
      `repo=$1; url=$2; ref=$3; shift 3
[ -d "$repo" ] || git init -q --bare "$repo"
git --git-dir="$repo" config gc.auto 0
status_caches "$repo"
commit=$(fetch_commit "$repo" "$url" "$ref")
sub_fetch_all "$repo" "$commit" "$url" ""
for t in "$@"; do git --git-dir="$repo" worktree add -q --detach -f "$t" "$commit"; sub_checkout "$repo" "$t" "$commit" ""; done
echo "commit=$commit"
echo "subs=$(sub_flat "$repo" "$commit" "$url" "" | base64 -w0)"`,
      [this.repo, repository, ref, ...treeIds.map((id) => this.ctx.layout.tree(id))],
    )
    const submodules = submoduleReport(new Map(), parseSubFlat(b64(r.stdout, 'subs')))
    return { revision: value(r.stdout, 'commit'), repository, ...(submodules.length ? { submodules } : {}) }
  }

  async adopt(source: string, treeIds: string[]): Promise<InitResult> {
    const r = await this.git(
      'adopt the existing git working copy',
      `repo=$1; src=$2; shift 2
[ -d "$src/.git" ] || die "$src is not a git working copy (no .git): adopt it with method push, or check it out with init"
head=$(git -C "$src" rev-parse --verify -q "HEAD^{commit}") || die "$src has no commit checked out"
origin=$(git -C "$src" remote get-url origin 2>/dev/null || true)
rm -rf -- "$repo"
git clone -q --bare --no-hardlinks -- "$src" "$repo"
git --git-dir="$repo" config gc.auto 0
status_caches "$repo"
git --git-dir="$repo" remote remove origin 2>/dev/null || true
for t in "$@"; do
  git --git-dir="$repo" worktree add -q --detach -f --no-checkout "$t" "$head"
  rsync -a --exclude=/.git -- "$src/" "$t/"
  git -C "$t" reset -q
  sub_adopt "$repo" "$src" "$t"
done
echo "commit=$head"
echo "origin=$origin"`,
      [this.repo, source, ...treeIds.map((id) => this.ctx.layout.tree(id))],
    )
    return { revision: value(r.stdout, 'commit'), repository: value(r.stdout, 'origin') }
  }

  async update(tree: TreeRecord, ref: string, paths: string[], dryRun: boolean, opts: { fetched?: string } = {}): Promise<UpdateResult> {
    const { repository } = this.ctx.settings
    const base = tree.head ?? tree.revision
    const r = await this.git(
      dryRun ? 'compute the update (dry run)' : 'update the work tree',
      `repo=$1; tree=$2; url=$3; ref=$4; base=$5; dry=$6; fetched=$7; shift 7
gd=$repo
if [ "$dry" = 1 ]; then
  # A throwaway repository borrowing the store's objects: the dry run writes nothing in the layout.
  gd=$(mktemp -d); trap 'rm -rf "$gd"' EXIT
  git init -q --bare "$gd"; echo "$repo/objects" > "$gd/objects/info/alternates"
fi
# The commit this run's checks fetched is taken as it is (a second fetch costs a walk of the tree's objects).
if [ -n "$fetched" ] && git --git-dir="$gd" cat-file -e "$fetched^{commit}" 2>/dev/null; then commit=$fetched
else commit=$(fetch_commit "$gd" "$url" "$ref"); fi
head=$commit
if [ $# -gt 0 ]; then
  if [ "$dry" = 1 ]; then head=; else head=$(compose "$tree" "$base" "$commit" "delivery: $* from $commit" "$@"); fi
fi
# Every submodule the tree will hold is fetched before the tree changes.
sub_fetch_all "$gd" "\${head:-$commit}" "$url" ""
echo "commit=$commit"
echo "head=$head"
echo "diff=$(sub_diff "$gd" "$base" "$commit" "" -- "$@" | base64 -w0)"
echo "subsbefore=$(sub_flat "$gd" "$base" "$url" "" | base64 -w0)"
echo "subsafter=$(sub_flat "$gd" "\${head:-$commit}" "$url" "" | base64 -w0)"
if [ "$dry" != 1 ]; then git -C "$tree" checkout -q --detach -f "$head"; sub_checkout "$gd" "$tree" "$head" "$base"; fi`,
      [this.repo, this.ctx.layout.tree(tree.id), repository, ref, base, dryRun ? '1' : '0', opts.fetched ?? '', ...paths],
    )
    const commit = value(r.stdout, 'commit')
    const head = value(r.stdout, 'head') || undefined
    const changes = parseNameStatusZ(decodeName(Buffer.from(value(r.stdout, 'diff'), 'base64')))
    const subs = submoduleReport(parseSubFlat(b64(r.stdout, 'subsbefore')), parseSubFlat(b64(r.stdout, 'subsafter'))).filter((s) => inPaths(s.path, paths))
    const submodules = subs.length ? { submodules: subs } : {}
    if (paths.length === 0) return { commit, revision: commit, head: undefined, changes, ...submodules }
    return { commit, revision: tree.revision, head, take: { paths, ref, revision: commit }, changes, ...submodules }
  }

  async fetch(ref: string): Promise<string> {
    const r = await this.git('fetch the ref', `commit=$(fetch_commit "$1" "$2" "$3"); sub_fetch_all "$1" "$commit" "$2" ""; echo "commit=$commit"`, [
      this.repo,
      this.ctx.settings.repository,
      ref,
    ])
    return value(r.stdout, 'commit')
  }

  async drift(tree: TreeRecord, refresh = false): Promise<DriftFile[]> {
    // With refresh (the run holds the lock) status may write the tree's index: its stat data are kept, and the next
    // check hashes only what changed. Without, nothing is written (status runs beside other runs). The same walk of
    // the tree lists its ignored files (submodules too), which syncList then takes instead of walking it again.
    const r = await this.ctx.sh.run(
      `look for hand-made changes in ${tree.id}`,
      `export LC_ALL=C GIT_LITERAL_PATHSPECS=1
[ "$3" = 1 ] || export GIT_OPTIONAL_LOCKS=0
${SUBMODULES}${STATUS_CACHES}DLV_GD=$2
[ "$3" != 1 ] || status_caches "$2"
{ git -C "$1" -c status.showUntrackedFiles=all status --porcelain=v1 -z --no-renames --ignore-submodules=all --ignored=matching; sub_drift "$1" ""; } | base64 -w0`,
      [this.ctx.layout.tree(tree.id), this.repo, refresh ? '1' : '0'],
    )
    const out = decodeName(Buffer.from(r.stdout.trim(), 'base64'))
    if (refresh) this.ignored.set(tree.id, parseIgnoredZ(out))
    return parsePorcelainZ(out)
  }

  async syncList(from: TreeRecord, to: TreeRecord): Promise<SyncList> {
    // The ignored files the drift checks of this run listed (under the lock, just before), each used once.
    const listed = [this.ignored.get(from.id), this.ignored.get(to.id)]
    this.ignored.delete(from.id)
    this.ignored.delete(to.id)
    const known = listed[0] !== undefined && listed[1] !== undefined
    const r = await this.ctx.sh.run(
      `list what differs between ${from.id} and ${to.id}`,
      SUBMODULES + SYNC_LIST,
      [this.repo, this.ctx.layout.tree(from.id), this.ctx.layout.tree(to.id), from.head ?? from.revision, to.head ?? to.revision, known ? '1' : '0'],
      known ? { stdin: encodeName(listed.flatMap((l) => l ?? []).map((p) => `${p}\0`).join('')) } : {},
    )
    const reason = value(r.stdout, 'reason')
    if (reason) return { reason }
    const list = decodeName(Buffer.from(value(r.stdout, 'list'), 'base64'))
    return { paths: list.split('\0').filter((p) => p !== '') }
  }

  async saveDrift(tree: TreeRecord, files: DriftFile[], dest: string): Promise<void> {
    // File names travel on stdin, NUL-separated (a NUL cannot be part of a command line): "u:" untracked, "t:" tracked.
    const list = files.map((f) => `${f.status === 'untracked' ? 'u' : 't'}:${f.path}\0`).join('')
    await this.ctx.sh.run(
      `save the hand-made changes of ${tree.id}`,
      SAVE_DRIFT,
      [this.ctx.layout.tree(tree.id), dest],
      { stdin: encodeName(list) },
    )
  }

  async afterSync(from: TreeRecord, to: TreeRecord, paths: string[]): Promise<Partial<TreeRecord>> {
    if (paths.length === 0) {
      const head = from.head ?? from.revision
      // Without the refresh (a stat of every file): the next drift check makes it, and only the entries the reset
      // changed lose their stat data. git before 2.35 has no --no-refresh, and refreshes.
      await this.git(
        `record ${to.id} at ${head}`,
        `export LC_ALL=C; git -C "$1" reset -q --no-refresh "$2" -- 2>/dev/null || git -C "$1" reset -q "$2" --; sub_settle "$3" "$1" "$2"`,
        [this.ctx.layout.tree(to.id), head, this.repo],
      )
      return { revision: from.revision, head: from.head, paths: from.paths }
    }
    // Per path: compose a local commit from the safe tree's HEAD with those paths from the live tree's HEAD.
    const base = to.head ?? to.revision
    const source = from.head ?? from.revision
    const r = await this.git(
      `record ${paths.length} path(s) in ${to.id}`,
      `tree=$1; base=$2; src=$3; repo=$4; shift 4
head=$(compose "$tree" "$base" "$src" "delivery: syncback $* from $src" "$@")
git -C "$tree" reset -q "$head" --
sub_settle "$repo" "$tree" "$head"
echo "head=$head"`,
      [this.ctx.layout.tree(to.id), base, source, this.repo, ...paths],
    )
    const takes = [...(to.paths ?? []), { paths, ref: `syncback:${from.id}`, revision: source }]
    return { head: value(r.stdout, 'head'), paths: takes }
  }

  async move(from: string, to: string): Promise<void> {
    // git will not move a worktree holding submodules: then the tree is renamed as a directory (locked meanwhile, so
    // that no prune drops it) and git's record of it repaired.
    await this.ctx.sh.run(
      `rename tree ${from} to ${to}`,
      `git --git-dir="$1" worktree move "$2" "$3" 2>/dev/null && exit 0
[ ! -e "$3" ] || die "$3 already exists"
wt=$(git -C "$2" rev-parse --path-format=absolute --git-dir)
echo "being renamed to $3" > "$wt/locked"
mv -T -- "$2" "$3"
git --git-dir="$1" worktree repair -- "$3"
rm -f -- "$wt/locked"`,
      [this.repo, this.ctx.layout.tree(from), this.ctx.layout.tree(to)],
    )
  }

  async cleanHalfInit(): Promise<void> {
    await this.ctx.sh.run(
      'clean a half-finished init',
      `root=$1; repo=$2
find "$root/trees" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
if [ -d "$repo" ]; then git --git-dir="$repo" worktree prune; fi`,
      [this.ctx.layout.root, this.repo],
    )
  }
}

/** The host (and port) of an http(s) repository URL, as git names it to a credential helper; '' for other URLs. */
export function repositoryHost(url: string): string {
  if (!/^https?:\/\//i.test(url)) return ''
  try {
    return new URL(url).host
  } catch {
    return ''
  }
}

/** A base64 `name=` field of a script's output, decoded. */
function b64(stdout: string, name: string): string {
  return Buffer.from(value(stdout, name), 'base64').toString('utf8')
}

/** The value of a `name=value` line of a script's output. */
export function value(stdout: string, name: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name}=`))
  return line ? line.slice(name.length + 1).trim() : ''
}

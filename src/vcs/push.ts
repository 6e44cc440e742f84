/**
 * push: the server needs no access to the repository and no version control: the runner's git checkout (the
 * workspace, or the directory `repository` names on the runner) is the source. Each tree has a manifest on the server
 * (`.delivery/manifests/<tree-id>`: SHA-1 and mode of every file it should hold, and the revision). An update scans
 * the tree's actual files (sha1sum), sends over the SSH connection, as one tar stream, only the files whose content or
 * mode differs from the commit's, deletes the files the manifest lists that the commit no longer has (never an
 * untracked or kept file), and records the new manifest. The change list is git's own diff when the runner's history
 * holds the tree's revision, else the comparison of the checksums (renames: a deleted and an added file with the
 * same content). Works with a shallow checkout. The runner's side (the commit's files, the tar stream) is in
 * push-runner.ts, the server's (the scan and apply scripts) in push-server.ts.
 */
import { StepFailure } from '../errors.js'
import { Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import type { DriftFile } from '../domain.js'
import type { TreeRecord } from '../remote/state.js'
import { treeRevision } from '../remote/state.js'
import { inPaths, isKept } from './changes.js'
import { cleanTrees } from './common.js'
import type { InitResult, UpdateResult, VcsContext, VcsDriver } from './driver.js'
import { compareManifests, type FileState, type Manifest, manifestDrift, parseManifest, serializeManifest } from './manifest.js'
import { decodeName, encodeName } from './names.js'
import { commitFiles, subMap, transferStream } from './push-runner.js'
import { applyTransfer, scanTree } from './push-server.js'
import { submoduleReport } from './submodules.js'
import { type TreeFile, Workspace } from './workspace.js'

export class PushDriver implements VcsDriver {
  readonly method = 'push'
  readonly tools = ['tar', 'gzip', 'sha1sum']
  readonly syncExcludes: string[] = []

  constructor(private readonly ctx: VcsContext) {}

  private manifestPath(id: string): string {
    return `${this.ctx.layout.meta}/manifests/${id}`
  }

  private workspace(): Workspace {
    return new Workspace(this.ctx.settings.repository || this.ctx.settings.run.workspace)
  }

  private get keep(): string[] {
    return this.ctx.keep ?? this.ctx.settings.keep
  }

  /** The tree's actual files and its manifest (null when it has none). */
  private scan(id: string): Promise<{ actual: Map<string, FileState>; manifest: Manifest | null }> {
    return scanTree(this.ctx.sh, id, this.ctx.layout.tree(id), this.manifestPath(id))
  }

  /** Sends `files` (their content from the checkout), the deletions and the new manifest into trees/<id>. */
  private async send(ws: Workspace, id: string, files: TreeFile[], deleted: string[], manifest: Manifest): Promise<void> {
    const { stream, failure } = transferStream(ws, files, deleted, manifest)
    try {
      await applyTransfer(
        this.ctx.sh,
        `send ${files.length} file(s) and ${deleted.length} deletion(s) into ${id}`,
        this.ctx.layout.tree(id),
        this.manifestPath(id),
        `${this.ctx.layout.meta}/incoming-${id}`,
        // Compressed (gzip level 1, cheap): source code shrinks several times, and the SSH channel is the bottleneck.
        Readable.from(stream).pipe(createGzip({ level: 1 })),
      )
    } finally {
      const f = failure()
      if (f) throw new StepFailure(`reading the checkout failed while sending (${f.message}): nothing was changed in trees/${id}`)
    }
  }

  private sourceName(ws: Workspace): string {
    const { repository, run } = this.ctx.settings
    if (repository) return repository
    return run.workflowRepository ? `${run.serverUrl}/${run.workflowRepository}` : ws.dir
  }

  async init(treeIds: string[]): Promise<InitResult> {
    const ws = this.workspace()
    try {
      const commit = await this.resolve(ws, this.ctx.settings.ref)
      const { files, states, submodules } = await commitFiles(ws, commit, [])
      const [first, ...others] = treeIds
      await this.send(ws, first, files, [], { revision: commit, adopted: false, files: states, submodules: subMap(submodules) })
      if (others.length) {
        await this.ctx.sh.run(
          'copy the first tree into the others',
          `root=$1; mfdir=$2; first=$3; shift 3
for t in "$@"; do cp -a -- "$root/trees/$first" "$root/trees/$t"; cp -f -- "$mfdir/$first" "$mfdir/$t"; done`,
          [this.ctx.layout.root, `${this.ctx.layout.meta}/manifests`, first, ...others],
        )
      }
      const subs = submoduleReport(new Map(), subMap(submodules))
      return { revision: commit, repository: this.sourceName(ws), ...(subs.length ? { submodules: subs } : {}) }
    } finally {
      ws.close()
    }
  }

  private async resolve(ws: Workspace, ref: string): Promise<string> {
    try {
      return await ws.resolve(ref)
    } catch (e) {
      throw new StepFailure((e as Error).message)
    }
  }

  async adopt(source: string, treeIds: string[]): Promise<InitResult> {
    await this.ctx.sh.run(
      'copy the existing directory into the trees',
      `src=$1; shift
[ -d "$src" ] || die "$src is not a directory"
for t in "$@"; do cp -a -- "$src" "$t"; rm -rf -- "$t/.git"; done`,
      [source, ...treeIds.map((id) => this.ctx.layout.tree(id))],
    )
    // What the adopted tree holds is recorded as it is; no update ever deletes those files (they may not come from
    // the repository): the first update leaves those the commit lacks in place, untracked.
    const { actual } = await this.scan(treeIds[0])
    for (const p of [...actual.keys()]) if (isKept(p, this.keep)) actual.delete(p)
    const text = serializeManifest({ revision: 'adopted', adopted: true, files: actual })
    await this.ctx.sh.run(
      'record what the adopted trees hold',
      'mfdir=$1; shift; mkdir -p -- "$mfdir"; cat > "$mfdir/.tmp.$$"; for t in "$@"; do cp -f -- "$mfdir/.tmp.$$" "$mfdir/$t"; done; rm -f -- "$mfdir/.tmp.$$"',
      [`${this.ctx.layout.meta}/manifests`, ...treeIds],
      { stdin: encodeName(text) },
    )
    return { revision: 'adopted', repository: this.ctx.settings.repository || source }
  }

  async update(tree: TreeRecord, ref: string, paths: string[], dryRun: boolean): Promise<UpdateResult> {
    const ws = this.workspace()
    try {
      const commit = await this.resolve(ws, ref)
      const [{ files, states, submodules }, { actual, manifest }] = await Promise.all([commitFiles(ws, commit, paths), this.scan(tree.id)])
      const before: Manifest = manifest ?? { revision: tree.revision, adopted: true, files: new Map(actual) }
      const sameState = (a?: FileState, b?: FileState) => !!a && !!b && a.sha1 === b.sha1 && a.mode === b.mode
      const send = files.filter((f) => !sameState(actual.get(f.path), states.get(f.path)))
      const deleted = before.adopted ? [] : [...before.files.keys()].filter((p) => inPaths(p, paths) && !states.has(p) && !isKept(p, this.keep)).sort()
      const after = new Map(before.files)
      for (const p of before.files.keys()) if (inPaths(p, paths)) after.delete(p)
      for (const [p, s] of states) after.set(p, s)
      const subsBefore = before.submodules ?? new Map()
      const subsAfter = new Map([...subsBefore].filter(([p]) => !inPaths(p, paths)))
      for (const [p, s] of subMap(submodules)) if (inPaths(p, paths)) subsAfter.set(p, s)
      const next: Manifest = paths.length ? { ...before, files: after, submodules: subsAfter } : { revision: commit, adopted: false, files: after, submodules: subsAfter }
      // git's own diff names a submodule, not its files: with submodules, the checksums say what changed.
      const pure = !before.adopted && !tree.paths?.length && before.revision === tree.revision && before.revision !== commit && subsBefore.size === 0 && submodules.length === 0
      let changes
      if (pure && (await ws.has(before.revision))) changes = await ws.diff(before.revision, commit, paths)
      else changes = compareManifests(before.files, states, paths, before.adopted)
      if (before.adopted) {
        const left = [...before.files.keys()].filter((p) => inPaths(p, paths) && !states.has(p))
        if (left.length) {
          this.ctx.log.warning(`${left.length} file(s) of the adopted tree are not in the commit and were left in place (untracked from now on): ${left.slice(0, 10).join(', ')}${left.length > 10 ? ', ...' : ''}`)
        }
      }
      if (!dryRun) await this.send(ws, tree.id, send, deleted, next)
      const subs = submoduleReport(subsBefore, subsAfter).filter((s) => inPaths(s.path, paths))
      const report = subs.length ? { submodules: subs } : {}
      if (paths.length === 0) return { commit, revision: commit, changes, ...report }
      return { commit, revision: tree.revision, take: { paths, ref: ref || commit, revision: commit }, changes, ...report }
    } finally {
      ws.close()
    }
  }

  async drift(tree: TreeRecord): Promise<DriftFile[]> {
    const { actual, manifest } = await this.scan(tree.id)
    if (!manifest) {
      this.ctx.log.warning(`trees/${tree.id} has no manifest (${this.manifestPath(tree.id)}): its drift cannot be known`)
      return []
    }
    return manifestDrift(manifest.files, actual)
  }

  async saveDrift(tree: TreeRecord, files: DriftFile[], dest: string): Promise<string> {
    // No repository content is on the server to diff against: the drifted files are kept as they are.
    const out = dest.replace(/\.patch$/, '.tar.gz')
    const listing = files.map((f) => `${f.status}\t${f.path}`).join('\n')
    await this.ctx.sh.run(
      `save the hand-made changes of ${tree.id}`,
      `tree=$1; out=$2
umask 077
mkdir -p -- "$(dirname -- "$out")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
IFS= read -r -d '' listing || true
printf '%s\\n' "$listing" > "$tmp/DRIFT.txt"
: > "$tmp/files"
while IFS= read -r -d '' p; do if [ -e "$tree/$p" ] || [ -L "$tree/$p" ]; then printf '%s\\0' "$p" >> "$tmp/files"; fi; done
# (tar --null -T reads each name verbatim, never as an option.)
tar czf "$out.tmp" -C "$tmp" DRIFT.txt -C "$tree" --null -T "$tmp/files"
mv -f "$out.tmp" "$out"`,
      [this.ctx.layout.tree(tree.id), out],
      { stdin: encodeName(`${listing}\0${files.map((f) => `${f.path}\0`).join('')}`) },
    )
    return out
  }

  async afterSync(from: TreeRecord, to: TreeRecord, paths: string[]): Promise<Partial<TreeRecord>> {
    if (paths.length === 0) {
      await this.ctx.sh.run(`record ${to.id} as a copy of ${from.id}`, 'if [ -f "$1" ]; then cp -f -- "$1" "$2.tmp" && mv -f -- "$2.tmp" "$2"; fi', [
        this.manifestPath(from.id),
        this.manifestPath(to.id),
      ])
      return { revision: from.revision, head: from.head, paths: from.paths }
    }
    const r = await this.ctx.sh.run(`read the manifests of ${from.id} and ${to.id}`, 'for f in "$@"; do printf "m="; base64 -w0 < "$f" 2>/dev/null || true; echo; done', [
      this.manifestPath(from.id),
      this.manifestPath(to.id),
    ])
    const [src, dst] = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('m='))
      .map((l) => parseManifest(decodeName(Buffer.from(l.slice(2), 'base64'))))
    if (src && dst) {
      for (const p of [...dst.files.keys()]) if (inPaths(p, paths)) dst.files.delete(p)
      for (const [p, s] of src.files) if (inPaths(p, paths)) dst.files.set(p, s)
      await this.ctx.sh.run(`record ${paths.length} path(s) in ${to.id}`, 'cat > "$1.tmp" && mv -f -- "$1.tmp" "$1"', [this.manifestPath(to.id)], {
        stdin: encodeName(serializeManifest(dst)),
      })
    }
    return { paths: [...(to.paths ?? []), { paths, ref: `syncback:${from.id}`, revision: treeRevision(from) }] }
  }

  async move(from: string, to: string): Promise<void> {
    await this.ctx.sh.run(
      `rename tree ${from} to ${to}`,
      // The manifest is copied to its new name first: a run cut at any point leaves the tree with a manifest
      // under whichever id the next run reconciles it to.
      `[ ! -e "$2" ] || die "$2 already exists"
if [ -f "$3" ]; then cp -f -- "$3" "$4.tmp" && mv -f -- "$4.tmp" "$4"; fi
mv -T -- "$1" "$2"
rm -f -- "$3"`,
      [this.ctx.layout.tree(from), this.ctx.layout.tree(to), this.manifestPath(from), this.manifestPath(to)],
    )
  }

  cleanHalfInit(): Promise<void> {
    return cleanTrees(this.ctx.sh, this.ctx.layout, [`${this.ctx.layout.meta}/manifests`])
  }
}

/**
 * push, the server's side: the scripts that read a tree's files with their hashes (and its manifest), and that apply
 * a transfer. Constant text: the tree, the manifest and the staging folder reach them only as positional arguments.
 */
import type { Readable } from 'node:stream'
import type { RemoteShell } from '../remote/shell.js'
import { field } from './common.js'
import { value } from './git.js'
import { type FileState, type Manifest, parseManifest, parseScan } from './manifest.js'

/** Lists a tree's files and links with their hashes; prints the manifest too. Excludes a `.git` at the root. */
const SCAN = `tree=$1; mf=$2
cd "$tree"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
find . -path ./.git -prune -o -type f -printf 'f\\0%m\\0%p\\0' -o -type l -printf 'l\\0%l\\0%p\\0' > "$tmp/list"
find . -path ./.git -prune -o -type f -print0 | xargs -0 -r sha1sum -- > "$tmp/sums"
printf 'list='; base64 -w0 < "$tmp/list"; echo
printf 'sums='; base64 -w0 < "$tmp/sums"; echo
if [ -f "$mf" ]; then printf 'manifest='; base64 -w0 < "$mf"; echo; echo "hasmanifest=1"; fi`

/**
 * Applies a gzipped tar stream (stdin) of `files/<path>` members and `meta/deleted` (NUL-separated paths), `meta/manifest`:
 * everything is received into a staging folder first, so a transfer cut midway changes nothing in the tree.
 */
const APPLY = `tree=$1; mf=$2; stage=$3
trap 'rm -rf -- "$stage"' EXIT
rm -rf -- "$stage"; mkdir -p -- "$stage" "$(dirname "$mf")"
tar -xz --no-same-owner -C "$stage" -f -
[ -f "$stage/meta/manifest" ] || die "the transfer ended before its end: nothing was changed in $tree"
if [ ! -d "$tree" ]; then
  if [ -d "$stage/files" ]; then mv -T -- "$stage/files" "$tree"; else mkdir -p -- "$tree"; fi
else
  cd "$tree"
  if [ -s "$stage/meta/deleted" ]; then
    # A file under a link is not in the tree: deleting it would delete outside the root. Such names are skipped.
    while IFS= read -r -d '' p; do
      d=$p; inside=1
      while [[ $d == */* ]]; do d=\${d%/*}; if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then inside=0; break; fi; done
      [ "$inside" = 0 ] || printf './%s\\0' "$p"
    done < "$stage/meta/deleted" | xargs -0 -r rm -rf --
    while IFS= read -r -d '' p; do d=$p; while [[ $d == */* ]]; do d=\${d%/*}; printf '%s\\0' "$d"; done; done < "$stage/meta/deleted" | sort -zru | xargs -0 -r rmdir --ignore-fail-on-non-empty -- 2>/dev/null || true
  fi
  if [ -d "$stage/files" ]; then
    # Where a directory must become a file, or a file a directory, clear the way first.
    (cd "$stage/files" && find . \\( -type f -o -type l \\) -print0) > "$stage/meta/list"
    while IFS= read -r -d '' p; do
      p=\${p#./}
      if [ -d "$p" ] && [ ! -L "$p" ]; then rm -rf -- "$p"; fi
      d=$p
      while [[ $d == */* ]]; do d=\${d%/*}; if { [ -e "$d" ] || [ -L "$d" ]; } && { [ ! -d "$d" ] || [ -L "$d" ]; }; then rm -f -- "$d"; fi; done
    done < "$stage/meta/list"
    cp -a --remove-destination -- "$stage/files/." .
  fi
fi
mv -f -- "$stage/meta/manifest" "$mf"
rm -rf -- "$stage"`


/** A tree's actual files and its manifest (null when it has none). */
export async function scanTree(sh: RemoteShell, id: string, tree: string, manifestPath: string): Promise<{ actual: Map<string, FileState>; manifest: Manifest | null }> {
  const r = await sh.run(`read the files of ${id}`, SCAN, [tree, manifestPath])
  const actual = parseScan(field(r.stdout, 'list'), field(r.stdout, 'sums'))
  const manifest = value(r.stdout, 'hasmanifest') === '1' ? parseManifest(field(r.stdout, 'manifest')) : null
  return { actual, manifest }
}

/** Receives a transfer (a gzipped tar stream on `stdin`) into `tree` through the staging folder `stage`. */
export async function applyTransfer(sh: RemoteShell, what: string, tree: string, manifestPath: string, stage: string, stdin: Readable): Promise<void> {
  await sh.run(what, APPLY, [tree, manifestPath, stage], { stdin })
}

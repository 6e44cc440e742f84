/**
 * The permission audit: the web server must never be able to write code. One `find` over the live tree (and the
 * layout's own folders: whoever can write `<path>` or `trees/` can repoint `live`) flags what is world-writable, owned
 * by `web-user`, or group-writable with a group of `web-user`. Findings warn; they never fail a run (the code is
 * already served as it is; a failure would only stop the delivery that could fix it). The output is bounded: counts of
 * every problem, and the first findings in path order.
 */
import type { FileChanges } from '../domain.js'
import type { PermissionAudit, PermissionFinding } from '../report/model.js'
import type { HostContext } from './context.js'

/** Findings listed in the report; the counts cover all of them. */
export const MAX_FINDINGS = 50

const PROBLEMS: PermissionFinding['problem'][] = ['world-writable', 'owned-by-web-user', 'writable-by-web-user']

const AUDIT = `root=$1; tree=$2; web=$3; max=$4; scoped=$5
if [ -n "$web" ] && id -u "$web" >/dev/null 2>&1; then
  gexpr=()
  for g in $(id -G "$web"); do gexpr+=(-o -group "$g"); done
  webexpr=(, \\( -user "$web" -printf 'owned-by-web-user\\t%p\\0' \\) , \\( -perm -0020 ! -type l ! -user "$web" \\( "\${gexpr[@]:1}" \\) -printf 'writable-by-web-user\\t%p\\0' \\))
else
  echo noweb
  webexpr=()
fi
checks=(\\( -perm -0002 ! -type l -printf 'world-writable\\t%p\\0' \\) "\${webexpr[@]}")
# xargs hands find the paths (no limit on their number); the checks go first, their count before them.
sweep() {
  xargs -0 -r bash -c 'n=$1; depth=$2; shift 2; c=("\${@:1:n}"); shift "$n"; find "$@" $depth "\${c[@]}"' bash "\${#checks[@]}" "$1" "\${checks[@]}"
}
{
  find "$root" "$root/trees" "$root/.delivery" -maxdepth 0 "\${checks[@]}" || true
  if [ "$scoped" = 1 ]; then
    # stdin: the changed paths (d: with what is under them) and the folders above them (s: the folder alone).
    deep=(); shallow=()
    while IFS= read -r -d '' e; do
      case $e in d*) deep+=("$tree/\${e:1}") ;; s*) shallow+=("$tree\${e:1}") ;; esac
    done
    [ \${#shallow[@]} -eq 0 ] || printf '%s\\0' "\${shallow[@]}" | sweep '-maxdepth 0' || true
    [ \${#deep[@]} -eq 0 ] || printf '%s\\0' "\${deep[@]}" | sweep '' || true
  else
    find "$tree" "\${checks[@]}" || true
  fi
} 2>/dev/null | LC_ALL=C sort -z -u -t "$(printf '\\t')" -k2 -k1 | tr '\\n\\0' '?\\n' | awk -v max="$max" '
  { i = index($0, "\\t"); kind = substr($0, 1, i - 1); count[kind]++; if (shown < max) { print "f\\t" $0; shown++ } }
  END { for (k in count) print "c\\t" k "\\t" count[k] }'
`

/**
 * What a scoped audit reads on stdin: each changed path that is still in the tree (`d`, with whatever lies under it:
 * a submodule's folder), and every folder above a changed path, the tree's root included (`s`, the folder alone).
 * Paths that would leave the tree are left out.
 */
export function scopeInput(files: FileChanges): { input: string; count: number } {
  const safe = (p: string) => p !== '' && !p.startsWith('/') && !p.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')
  const present = [...files.added, ...files.modified, ...files.renamed.map((r) => r.to)].filter(safe)
  const gone = [...files.deleted, ...files.renamed.map((r) => r.from)].filter(safe)
  const folders = new Set<string>([''])
  for (const p of [...present, ...gone]) {
    const parts = p.split('/')
    for (let i = 1; i < parts.length; i++) folders.add(`/${parts.slice(0, i).join('/')}`)
  }
  const deep = [...new Set(present)]
  for (const p of deep) folders.delete(`/${p}`)
  return { input: [...deep.map((p) => `d${p}`), ...[...folders].map((f) => `s${f}`)].map((e) => `${e}\0`).join(''), count: deep.length }
}

/**
 * Audits the live tree (`treeId`) and the layout's folders. Paths are reported through `<path>/live/` for the tree's
 * files (as the web server sees them), absolute for the folders. Never throws: an audit that cannot run is a note.
 */
export async function auditPermissions(ctx: HostContext, treeId: string, changed?: FileChanges): Promise<PermissionAudit> {
  const { layout, settings } = ctx
  const tree = layout.tree(treeId)
  const audit: PermissionAudit = { webUser: settings.webUser, tree: treeId, total: 0, counts: {}, truncated: false }
  const findings: PermissionFinding[] = []
  const scope = changed ? scopeInput(changed) : undefined
  if (scope) audit.changedPaths = scope.count
  try {
    const r = await ctx.sh.run(
      scope ? 'audit the permissions of the paths the delivery changed' : 'audit the permissions of the live tree',
      AUDIT,
      [layout.root, tree, settings.webUser, String(MAX_FINDINGS), scope ? '1' : '0'],
      { timeoutMs: 600_000, ...(scope ? { stdin: scope.input } : {}) },
    )
    for (const line of r.stdout.split('\n')) {
      const [kind, a, ...rest] = line.split('\t')
      const b = rest.length ? rest.join('\t') : undefined
      if (kind === 'noweb') audit.note = `web-user ${settings.webUser} does not exist on the server: only world-writable files were looked for`
      if (kind === 'c' && PROBLEMS.includes(a as PermissionFinding['problem'])) {
        audit.counts[a as PermissionFinding['problem']] = Number(b)
        audit.total += Number(b)
      }
      if (kind === 'f' && PROBLEMS.includes(a as PermissionFinding['problem']) && b !== undefined) {
        const path = b === tree ? layout.live : b.startsWith(`${tree}/`) ? `${layout.live}/${b.slice(tree.length + 1)}` : b
        findings.push({ path, problem: a as PermissionFinding['problem'] })
      }
    }
  } catch (e) {
    audit.note = `the permission audit could not run: ${(e as Error).message}`
  }
  audit.truncated = audit.total > findings.length
  ctx.report.permissions = findings
  ctx.report.permissionAudit = audit
  if (audit.total > 0) ctx.log.warning(`${ctx.target.label}: ${describeAudit(audit)}`)
  else if (audit.note) ctx.log.warning(`${ctx.target.label}: ${audit.note}`)
  return audit
}

/** One sentence: what the audit found, and what it means. */
export function describeAudit(a: PermissionAudit): string {
  const where = a.changedPaths === undefined ? 'the live tree' : `the ${a.changedPaths} paths this delivery changed (and the folders above them)`
  if (a.total === 0) return `permissions: nothing in ${where} is writable by ${a.webUser} or by everyone`
  const parts: string[] = []
  if (a.counts['world-writable']) parts.push(`${a.counts['world-writable']} world-writable`)
  if (a.counts['owned-by-web-user']) parts.push(`${a.counts['owned-by-web-user']} owned by ${a.webUser}`)
  if (a.counts['writable-by-web-user']) parts.push(`${a.counts['writable-by-web-user']} group-writable by a group of ${a.webUser}`)
  return `permissions: ${parts.join(', ')} in ${where} or the delivery root's folders: the web server (or anyone) could change the code it runs; make the code owner own them and remove those write bits`
}

/**
 * The status page on the server: each run that changes a server stores its run record in `.delivery/reports/` and
 * rewrites `.delivery/reports/index.html` from the newest records, the end of the journal and the session records
 * (report/status-page.ts renders it). Outside the trees, so the web server does not serve it unless an admin
 * publishes it; files 0644 (the shell's umask 022), readable by the login user. Two commands: store and read, write.
 */
import { hostSummary, maskValues } from '../notify/summary.js'
import { treeRevision } from '../remote/state.js'
import type { HostReport } from '../report/model.js'
import { type JournalLine, RECORD_FILE_LIMIT, renderStatusPage, RUN_RECORD_VERSION, type RunRecord } from '../report/status-page.js'
import { fileRows, rowCount } from '../report/view.js'
import { listSessions } from '../session/sessions.js'
import { maskSecrets } from '../transport/run.js'
import type { HostContext } from './context.js'

/** Runs listed on the page at most; journal lines read at most (its end). */
export const PAGE_RUNS = 100
export const JOURNAL_TAIL = 2000

/** The record a run stores: the host's summary and the first changed files, masked value by value. */
export function runRecord(ctx: HostContext, report: HostReport): RunRecord {
  const { settings } = ctx
  const rows = fileRows(report.files)
  const record: RunRecord = {
    recordVersion: RUN_RECORD_VERSION,
    runId: settings.run.runId,
    mode: settings.mode,
    actor: settings.run.actor,
    trigger: settings.run.event,
    runUrl: settings.run.runUrl,
    repository: settings.repository,
    ref: settings.ref,
    commit: ctx.commit ?? '',
    comment: settings.comment || undefined,
    sessionId: ctx.sessionId,
    finishedAt: ctx.now().toISOString(),
    host: hostSummary(report),
    files: rows.slice(0, RECORD_FILE_LIMIT).map((r) => ({ kind: r.kind, path: r.path, from: r.from })),
    filesNotListed: Math.max(0, rowCount(report.files) - RECORD_FILE_LIMIT),
  }
  return maskValues(record, settings.secrets)
}

// Stores the record, then prints the newest records (regular files only, never a link: a link could show another
// file's text on the page), each line as `R <file> <line>`, then `J` and the end of the journal. Three processes
// whatever the number of records.
const STORE_AND_READ = `d=$1; name=$2; journal=$3; n=$4; lines=$5
if [ -L "$d" ]; then echo "$d is a symbolic link: remove it (the reports stay inside the delivery root)" >&2; exit 3; fi
mkdir -p "$d"
tmp="$d/.$name.tmp.$$"
( set -C; cat > "$tmp" ) && mv -f "$tmp" "$d/$name"
cd "$d"
find . -maxdepth 1 -type f -name '[0-9]*.json' | { grep -E '^[.]/[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9_.-]+[.]json$' || true; } | sort -r | head -n "$n" | xargs -r awk '{ printf "R %s %s\\n", substr(FILENAME, 3), $0 }'
echo J
if [ -f "$journal" ]; then tail -n "$lines" "$journal"; fi`

const WRITE_PAGE = `d=$1; tmp="$d/.index.html.tmp.$$"
( set -C; cat > "$tmp" ) && chmod 0644 "$tmp" && mv -f "$tmp" "$d/index.html"`

/** Stores this run's record and rewrites the page; returns the page's path. Throws on a failed command. */
export async function publishStatusPage(ctx: HostContext, report: HostReport): Promise<string> {
  const { sh, layout, settings } = ctx
  const record = runRecord(ctx, report)
  const stamp = record.finishedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const name = `${stamp}-${record.runId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)}.json`
  const [read, sessions] = await Promise.all([
    sh.run('store the run record and read the history', STORE_AND_READ, [layout.reports, name, layout.journal, String(PAGE_RUNS), String(JOURNAL_TAIL)], {
      stdin: `${JSON.stringify(record)}\n`,
    }),
    listSessions(sh, layout, 50),
  ])
  const records: RunRecord[] = []
  const journal: JournalLine[] = []
  const damaged: string[] = [...sessions.damaged]
  const out = read.stdout.split('\n')
  const split = out.indexOf('J')
  // Records: a file's lines joined (one line as written; a hand-formatted file has several).
  const files = new Map<string, string[]>()
  for (const line of out.slice(0, split < 0 ? out.length : split)) {
    const m = /^R (\S+) (.*)$/.exec(line)
    if (m) files.set(m[1], [...(files.get(m[1]) ?? []), m[2]])
  }
  for (const [file, lines] of files) {
    try {
      const r = JSON.parse(lines.join('\n')) as RunRecord
      if (typeof r !== 'object' || !r || typeof r.runId !== 'string' || typeof r.host !== 'object' || !r.host || !Array.isArray(r.files)) throw new Error()
      records.push(r)
    } catch {
      // Not its text: a record is read back as data, and text of unknown origin stays off the page.
      damaged.push(`${layout.reports}/${file}: not a run record`)
    }
  }
  for (const l of split < 0 ? [] : out.slice(split + 1)) {
    if (!l.trim()) continue
    try {
      const j = JSON.parse(l) as JournalLine
      if (typeof j !== 'object' || !j || typeof j.event !== 'string' || typeof j.at !== 'string') throw new Error()
      journal.push(j)
    } catch {
      damaged.push(`${layout.journal}: ${l.length > 120 ? `${l.slice(0, 117)}...` : l}`)
    }
  }
  const st = ctx.state
  const page = renderStatusPage({
    root: layout.root,
    host: ctx.target.label,
    generatedAt: record.finishedAt,
    state: st ? { state: st.state, live: st.live, revision: st.trees[st.live] ? treeRevision(st.trees[st.live]) : undefined, appVersion: report.appVersionAfter } : undefined,
    records,
    journal,
    sessions: sessions.records,
    damaged,
    limit: PAGE_RUNS,
  })
  await sh.run('write the status page', WRITE_PAGE, [layout.reports], { stdin: maskSecrets(page, settings.secrets) })
  return `${layout.reports}/index.html`
}

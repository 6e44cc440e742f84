/**
 * The upgrade plan, known before the upgrade runs: which components change version (from every `version.php` of the
 * live and work trees, read in one server command), whether maintenance mode is needed, and the size of the snapshot
 * that would be taken. Also the announcement of maintenance to users (`maintenance.php --enablelater`) and the hint a
 * refused goback gives when a snapshot could take the site back.
 */
import { StepFailure } from '../errors.js'
import type { ComponentChange, UpgradePlanReport } from '../report/model.js'
import type { HostContext } from '../steps/context.js'
import { step } from '../steps/context.js'
import { cannotDump, readDbConfig } from './moodle-config.js'
import { backupDir, databaseSize, humanBytes, snapshotFor } from './moodle-db.js'
import type { MoodleApp } from './moodle.js'

/**
 * Prints `@@ live` / `@@ work` then the lines of every version.php that set a component or a version (paths relative
 * to the tree). Test fixtures, vendor code and VCS folders are left out.
 */
const READ_VERSIONS = `for role in live work; do
  d=$1; shift
  echo "@@ $role"
  ( cd -- "$d" && grep -r -s -H -E --include=version.php \\
      --exclude-dir=.git --exclude-dir=tests --exclude-dir=fixtures --exclude-dir=vendor --exclude-dir=node_modules \\
      '^[[:space:]]*[$](plugin|module)->(component|version)[[:space:]]*=|^[[:space:]]*[$]version[[:space:]]*=' . ) || true
done
`

/** component -> version, from the grep lines of one tree. */
export function parseVersionLines(lines: string[]): Map<string, string> {
  const files = new Map<string, { component?: string; version?: string; core?: string }>()
  for (const line of lines) {
    const m = /^\.\/(.+?\/)?version\.php:(.*)$/.exec(line)
    if (!m) continue
    const dir = (m[1] ?? '').replace(/\/$/, '')
    const f = files.get(dir) ?? {}
    const text = m[2]
    const comp = /\$(?:plugin|module)->component\s*=\s*(['"])([A-Za-z0-9_]+)\1/.exec(text)
    const ver = /\$(?:plugin|module)->version\s*=\s*([0-9]+(?:\.[0-9]+)?)/.exec(text)
    const core = /^\s*\$version\s*=\s*([0-9]+(?:\.[0-9]+)?)/.exec(text)
    if (comp) f.component = comp[2]
    if (ver) f.version = ver[1]
    if (core && (dir === '' || dir === 'public')) f.core = core[1]
    files.set(dir, f)
  }
  const out = new Map<string, string>()
  for (const f of files.values()) {
    if (f.core) out.set('core', f.core)
    else if (f.component && f.version) out.set(f.component, f.version)
  }
  return out
}

/** The components whose version differs, new ones, removed ones; core first, then by name. */
export function diffComponents(before: Map<string, string>, after: Map<string, string>): ComponentChange[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => (a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)))
  return names.filter((n) => before.get(n) !== after.get(n)).map((n) => ({ component: n, before: before.get(n), after: after.get(n) }))
}

/** Reads the plan (and, for a dry run, the size of the snapshot it would take); records it in the report. */
export async function readUpgradePlan(ctx: HostContext, liveDir: string, workDir: string, maintenance: boolean, dry: boolean): Promise<UpgradePlanReport> {
  const plan = await step(
    ctx,
    'upgrade plan',
    async () => {
      const r = await ctx.sh.run('read the version.php files of the live and work trees', READ_VERSIONS, [liveDir, workDir], { timeoutMs: 300_000 })
      const [, live = '', work = ''] = r.stdout.split(/^@@ (?:live|work)$/m)
      const components = diffComponents(parseVersionLines(live.split('\n')), parseVersionLines(work.split('\n')))
      const p: UpgradePlanReport = { components, maintenance }
      if (dry && ctx.settings.databaseBackup === 'auto') {
        const db = await readDbConfig(ctx, liveDir)
        if (!cannotDump(db)) p.snapshotBytes = await databaseSize(ctx, db)
      }
      return p
    },
    (p) => `${describeChanges(p.components)}; maintenance ${p.maintenance ? 'needed' : 'not needed'}`,
  )
  ctx.report.upgradePlan = plan
  return plan
}

function describeChanges(c: ComponentChange[]): string {
  const changed = c.filter((x) => x.before && x.after).map((x) => `${x.component} ${x.before} -> ${x.after}`)
  const added = c.filter((x) => !x.before).map((x) => `${x.component} ${x.after}`)
  const removed = c.filter((x) => !x.after).map((x) => x.component)
  const parts = [
    changed.length ? `${changed.length} component${changed.length === 1 ? '' : 's'} change version: ${shortList(changed)}` : 'no component changes version',
    added.length ? `new: ${shortList(added)}` : '',
    removed.length ? `removed: ${shortList(removed)}` : '',
  ]
  return parts.filter(Boolean).join('; ')
}

function shortList(items: string[], max = 20): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ')
}

/** The dry run's sentences about the plan. */
export function planSentences(ctx: HostContext, p: UpgradePlanReport): string[] {
  return [
    `upgrade plan: ${describeChanges(p.components)}`,
    p.snapshotBytes !== undefined
      ? `a database snapshot would be taken into ${backupDir(ctx)} before the switch (the site's tables take ${humanBytes(p.snapshotBytes)}), keeping the newest ${ctx.settings.backupKeep}`
      : ctx.settings.databaseBackup === 'never'
        ? 'no database snapshot (database-backup: never)'
        : 'no database snapshot (this database type has none)',
  ]
}

/** `maintenance.php --enablelater=MINUTES`, then waits that long (users see a countdown). */
export async function announceMaintenance(ctx: HostContext, app: MoodleApp, dir: string): Promise<void> {
  const minutes = ctx.settings.maintenanceNotice
  await step(
    ctx,
    'maintenance notice',
    async () => {
      const r = await app.cli(ctx, dir, 'maintenance.php', [`--enablelater=${minutes}`])
      if (r.code !== 0) throw new StepFailure(`maintenance.php --enablelater=${minutes} failed (exit code ${r.code}): ${r.out.split('\n').slice(-5).join('\n')}`)
      await new Promise((resolve) => setTimeout(resolve, minutes * 60_000))
    },
    () => `users were warned ${minutes} min ahead (maintenance.php --enablelater=${minutes})`,
  )
}

/** What a refused goback says about going back with the database restored. */
export function restoreHint(ctx: HostContext, dbVersion: string | undefined): string {
  const snap = ctx.state ? snapshotFor(ctx.state, dbVersion) : undefined
  if (snap) {
    return `A snapshot of the database taken before the upgrade to ${snap.toVersion} exists (${snap.file}, database ${snap.fromVersion}): run goback with restore-database: true to restore it and go back (the site is in maintenance mode meanwhile; changes made since the upgrade are lost)`
  }
  return 'No snapshot of the database before this upgrade is recorded (database-backup takes one before each upgrade): restore the database from your own backup taken before the upgrade, then run goback with allow-downgrade: true'
}

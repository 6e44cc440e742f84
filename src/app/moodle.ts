/**
 * Moodle: `config.php` kept in both trees, the code version read from `version.php`, and the CLI steps around a switch:
 * ask the work tree whether an upgrade is pending (and whether it needs maintenance mode), before-upgrade, cron held,
 * [fresh path, kept files], maintenance on, database snapshot, [switch], upgrade, purge caches, maintenance off, cron
 * back on: the maintenance window holds only the snapshot, the switch, the upgrade and the purge. Moodle's CLI runs as the web user (it
 * writes into moodledata), as `sudo -n -u WEB PHP SCRIPT ARGS...` unless the web user is the login user. Moodle 5.1+ keeps its web root
 * and CLI under `public/` (config.php stays at the root).
 */
import { Refusal, StepFailure } from '../errors.js'
import type { HostContext } from '../steps/context.js'
import { skipped, step } from '../steps/context.js'
import { runHook } from '../steps/hooks.js'
import { syncKeep } from '../steps/copy.js'
import type { RemoteShell } from '../remote/shell.js'
import { sudoersLine } from '../remote/sudo.js'
import type { Layout } from '../remote/server.js'
import type { TreeRecord } from '../remote/state.js'
import { type AppDriver, type AppVersion, type SwitchPlan, UnsafeToGoBack } from './app.js'
import { type DbConfig, type SnapshotRecord, cannotDump, readDbConfig, takeSnapshot } from './moodle-db.js'
import { announceMaintenance, planSentences, readUpgradePlan, restoreHint } from './moodle-plan.js'
import type { UpgradePlanReport } from '../report/model.js'

/** Reads `$release`, `$version` and `$branch` from the text of a Moodle version.php. */
export function parseVersionPhp(text: string): AppVersion | undefined {
  const str = (name: string) => new RegExp(`\\$${name}\\s*=\\s*(['"])([^'"]*)\\1`).exec(text)?.[2]
  const version = /\$version\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*;/.exec(text)?.[1]
  const release = str('release')
  if (!version || !release) return undefined
  const m = /\$maturity\s*=\s*([A-Z_]+|[0-9]+)\s*;/.exec(text)?.[1]
  const maturity = m === undefined ? undefined : (MATURITY[m] ?? (/^[0-9]+$/.test(m) ? Number(m) : undefined))
  return { release, version, branch: str('branch'), ...(maturity === undefined ? {} : { maturity }) }
}

/** Moodle's maturity levels (lib/setuplib.php). */
const MATURITY: Record<string, number> = { MATURITY_ALPHA: 50, MATURITY_BETA: 100, MATURITY_RC: 150, MATURITY_STABLE: 200 }

/** `4.3 (Build: 20231009) (2023100900.00)`: a version as the report shows it. */
export function describeVersion(v: AppVersion | undefined): string {
  return v ? `${v.release} (${v.version})` : 'unknown'
}

/** Compares two Moodle `$version` numbers (YYYYMMDDRR.XX); negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const [ai, af = ''] = a.trim().split('.')
  const [bi, bf = ''] = b.trim().split('.')
  const n = BigInt(ai || '0') - BigInt(bi || '0')
  if (n !== 0n) return n < 0n ? -1 : 1
  const fa = af.padEnd(8, '0')
  const fb = bf.padEnd(8, '0')
  return fa === fb ? 0 : fa < fb ? -1 : 1
}

/** How the outage is decided: `auto` maintenance only when the upgrade needs it; `always` / `never` override. */
export function decideMaintenance(setting: 'auto' | 'always' | 'never', pending: boolean, required: boolean | undefined): boolean {
  if (setting === 'always') return true
  if (setting === 'never') return false
  // A script that cannot tell (before Moodle 4.2) gets the safe answer: every upgrade needs maintenance.
  return pending && required !== false
}

export interface MoodlePlan extends SwitchPlan {
  /** upgrade.php said maintenance is not required: run it with `--maintenance=false` (no outage). */
  outageless: boolean
  /** Cron was disabled before the switch (`cron.php --disable-wait`) by this delivery: it turns it back on. */
  cronHeld: boolean
  /** The site's admin had put it in maintenance mode before the delivery (CLI or web): it stays so. */
  adminMaintenance?: 'cli' | 'web'
  /** The site's admin had disabled cron: it stays disabled. */
  adminCronOff?: boolean
  /** `before-upgrade` ran (and succeeded). */
  beforeUpgrade: boolean
  from?: AppVersion
  to?: AppVersion
  /** The database snapshot taken before the switch (database-backup). */
  snapshot?: SnapshotRecord
  /** The upgrade failed while maintenance mode was on (nothing wrote since the snapshot). */
  failedInMaintenance?: boolean
  /** What `beforeSwitch` decided and `enterWindow` needs. */
  prepared?: { pending: boolean; maintenance: boolean; liveDir: string; db?: DbConfig; upgrade?: UpgradePlanReport }
}

interface CliResult {
  code: number
  /** Standard output then standard error. */
  out: string
  stdout: string
}

/** Calls `each` with every complete line of a stream of chunks (long output reaches the log as it comes). */
function lineWise(each: (line: string) => void): (chunk: Buffer) => void {
  let rest = ''
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n')
    rest = lines.pop() ?? ''
    for (const l of lines) if (l.trim()) each(l.trimEnd())
  }
}

export class MoodleApp implements AppDriver {
  readonly name = 'moodle'
  readonly keep = ['config.php']

  constructor(
    private readonly sh: RemoteShell,
    private readonly layout: Layout,
  ) {}

  async version(tree: TreeRecord): Promise<AppVersion | undefined> {
    return this.versionAt(this.layout.tree(tree.id))
  }

  private async versionAt(dir: string): Promise<AppVersion | undefined> {
    const r = await this.sh.run(
      `read the Moodle version in ${dir}`,
      `d=$1
if [ -f "$d/public/version.php" ]; then echo public=1; head -c 65536 "$d/public/version.php"; elif [ -f "$d/version.php" ]; then echo public=0; head -c 65536 "$d/version.php"; fi`,
      [dir],
    )
    const v = parseVersionPhp(r.stdout)
    if (v) v.publicRoot = r.stdout.startsWith('public=1')
    return v
  }

  /** The live tree (the one the CLI must use while it matches the database). */
  private liveDir(ctx: HostContext): string {
    if (!ctx.state) throw new StepFailure('no delivery state: run mode init first')
    return this.layout.tree(ctx.state.live)
  }

  /**
   * PHP as the web user may run it: the absolute path the sudo preflight resolved (`command -v` as the SSH user), which
   * is the path a sudoers rule names. Unset when the web user is the SSH user (then the `php` input as given).
   */
  php?: string

  /**
   * Runs `admin/cli/<script>` (5.1+: `public/admin/cli/<script>`) of the tree in `dir` with PHP, as the web user. The
   * script's path is chosen first, as the code owner (who can read the trees); then the SSH user runs exactly
   * `sudo -n -u WEB PHP SCRIPT ARGS...` (the argv a php-only sudoers rule allows; nothing runs as the web user through
   * a shell), in its own process group like every command, from the tree's root when the SSH user may enter it, else
   * from `/` (Moodle's scripts find config.php from `__DIR__`, not from the working directory). Never throws for the
   * script's own exit code; throws when sudo refuses.
   */
  async cli(ctx: HostContext, dir: string, script: string, args: string[], timeoutMs = 600_000, stream?: (line: string) => void): Promise<CliResult> {
    const what = `moodle ${script}${args.length ? ` ${args.join(' ')}` : ''} as ${ctx.settings.webUser}`
    const found = await ctx.sh.run(
      `find admin/cli/${script} in ${dir}`,
      `d=$1; s=$2
if [ -f "$d/public/version.php" ]; then f="$d/public/admin/cli/$s"; else f="$d/admin/cli/$s"; fi
if [ -f "$f" ]; then printf 'cli=%s\n' "$f"; else echo "no $f" >&2; fi`,
      [dir, script],
    )
    const file = /^cli=(.*)$/m.exec(found.stdout)?.[1]
    if (!file) return { code: 127, out: found.stderr.trim(), stdout: '' }
    return this.runPhp(ctx, dir, what, [file, ...args], timeoutMs, stream)
  }

  /**
   * Runs PHP with `argv` as the web user (`sudo -n -u WEB PHP ARGV...`), from `dir` when the SSH user may enter it.
   * Never throws for PHP's own exit code; throws when sudo refuses.
   */
  private async runPhp(ctx: HostContext, dir: string, what: string, argv: string[], timeoutMs: number, stream?: (line: string) => void): Promise<CliResult> {
    const { webUser } = ctx.settings
    const user = webUser === ctx.target.user ? undefined : webUser
    const php = this.php ?? ctx.settings.php
    const r = await ctx.sh.runAs(
      undefined,
      what,
      `d=$1; php=$2; u=$3; shift 3
cd -- "$d" 2>/dev/null || cd /
if [ -n "$u" ]; then set -- sudo -n -u "$u" -- "$php" "$@"; else set -- "$php" "$@"; fi
rc=0; "$@" || rc=$?
exit "$rc"`,
      [dir, php, user ?? '', ...argv],
      { nothrow: true, timeoutMs, ...(stream ? { onStdout: lineWise(stream), keepBytes: 1024 * 1024 } : {}) },
    )
    const out = `${r.stdout}${r.stderr ? `${r.stdout && !r.stdout.endsWith('\n') ? '\n' : ''}${r.stderr}` : ''}`.trim()
    if (user && r.code === 1 && /^sudo: /m.test(r.stderr) && !r.stdout) {
      throw new StepFailure(
        `cannot run Moodle's CLI as ${webUser}: ${r.stderr.trim().split('\n')[0]}. Allow the login user ${ctx.target.user} to run PHP as ${webUser} without a password (sudoers: ${sudoersLine(ctx.target.user, [webUser], php)}), or set web-user`,
      )
    }
    return { code: r.code, out, stdout: r.stdout }
  }

  /**
   * Whether the site is in maintenance mode by its admin's choice: CLI maintenance (`climaintenance.html` in moodledata,
   * which only the web user may read: PHP reads config.php as Moodle's own bootstrap does and stops right after it) and
   * the web setting `maintenance_enabled` (`cfg.php`).
   */
  private async readMaintenance(ctx: HostContext, dir: string): Promise<{ cli: boolean; web: boolean }> {
    const cli = await this.cliMaintenanceFile(ctx, dir, 'read')
    const w = await this.cli(ctx, dir, 'cfg.php', ['--name=maintenance_enabled'], 120_000)
    if (w.code !== 0 && w.code !== 3) {
      throw new StepFailure(`cannot tell whether the site is in maintenance mode: cfg.php --name=maintenance_enabled failed (exit code ${w.code})${w.out ? `: ${tail(w.out)}` : ''}`)
    }
    return { cli, web: w.code === 0 && w.stdout.trim() === '1' }
  }

  /** Whether `climaintenance.html` is in moodledata; `end` removes it first (`maintenance.php --disable` less the web setting). */
  private async cliMaintenanceFile(ctx: HostContext, dir: string, action: 'read' | 'end'): Promise<boolean> {
    const f = await this.runPhp(ctx, dir, `${action} CLI maintenance mode as ${ctx.settings.webUser}`, ['-r', CLI_MAINTENANCE, '--', `${dir}/config.php`, action], 120_000)
    const on = /^climaintenance=([01])$/m.exec(f.stdout)?.[1]
    if (f.code !== 0 || on === undefined) {
      throw new StepFailure(`cannot tell whether the site is in CLI maintenance mode: PHP could not read ${dir}/config.php and moodledata as ${ctx.settings.webUser} (exit code ${f.code})${f.out ? `: ${tail(f.out)}` : ''}`)
    }
    return on === '1'
  }

  /** Whether cron is enabled: the setting cron_enabled as cron.php reads it (unset or 0: disabled). */
  private async cronEnabled(ctx: HostContext, dir: string): Promise<boolean> {
    const r = await this.cli(ctx, dir, 'cfg.php', ['--name=cron_enabled'], 120_000)
    if (r.code !== 0 && r.code !== 3) {
      throw new StepFailure(`cannot tell whether cron is enabled: cfg.php --name=cron_enabled failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}`)
    }
    return r.code === 0 && !['', '0'].includes(r.stdout.trim())
  }

  /** Runs a CLI script that must succeed, as a named step. */
  private async must(ctx: HostContext, name: string, dir: string, script: string, args: string[], timeoutMs?: number): Promise<string> {
    return step(
      ctx,
      name,
      async () => {
        const r = await this.cli(ctx, dir, script, args, timeoutMs)
        if (r.code !== 0) throw new StepFailure(`${script} ${args.join(' ')} failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}`)
        return r.stdout
      },
      (out) => lastLine(out) || 'done',
    )
  }

  /** Whether a CLI script's `--help` mentions an option (older Moodle lacks some). */
  private async supports(ctx: HostContext, dir: string, script: string, option: string): Promise<boolean> {
    const r = await this.cli(ctx, dir, script, ['--help'], 60_000)
    return r.code === 0 && r.out.includes(option)
  }

  /** The version recorded in the database (`cfg.php --name=version`), read through the live tree. */
  async databaseVersion(ctx: HostContext): Promise<string | undefined> {
    const r = await this.cli(ctx, this.liveDir(ctx), 'cfg.php', ['--name=version'], 120_000)
    const v = r.out.split('\n').map((l) => l.trim()).find((l) => /^[0-9]+(\.[0-9]+)?$/.test(l))
    return r.code === 0 ? v : undefined
  }

  async checkGoback(ctx: HostContext, safe: TreeRecord): Promise<void> {
    const safeV = await this.version(safe)
    if (!safeV || ctx.settings.allowDowngrade) return
    let against = await this.databaseVersion(ctx)
    let what = 'the database'
    if (!against) {
      // The database could not be asked: compare with the live code, which ran against it.
      against = ctx.state ? (await this.version(ctx.state.trees[ctx.state.live]))?.version : undefined
      what = "the live tree's code (the database's version could not be read with admin/cli/cfg.php)"
    }
    if (against && compareVersions(safeV.version, against) < 0) {
      throw new Refusal(
        `goback refused: the safe tree trees/${safe.id} holds Moodle ${describeVersion(safeV)}, older than ${what} (${against}); Moodle refuses to run older code on a newer database. ${restoreHint(ctx, against)}`,
      )
    }
  }

  /** Versions, layout move, and whether an upgrade is pending (read-only, except carrying config.php when not dry). */
  private async inspect(ctx: HostContext, work: TreeRecord, live: TreeRecord, dry: boolean) {
    const workDir = this.layout.tree(work.id)
    const liveDir = this.layout.tree(live.id)
    const [from, to] = [await this.versionAt(liveDir), await this.versionAt(workDir)]
    await step(ctx, 'moodle versions', async () => undefined, () => `live trees/${live.id}: ${describeVersion(from)}${from?.branch ? ` branch ${from.branch}` : ''}; work trees/${work.id}: ${describeVersion(to)}${to?.branch ? ` branch ${to.branch}` : ''}`)
    if (!to) throw new StepFailure(`the work tree trees/${work.id} holds no readable Moodle version.php: it would not serve Moodle`)
    this.checkLayoutMove(ctx, from, to)
    // config.php must be in the work tree for its CLI to reach the database.
    if (!dry) await syncKeep(ctx, liveDir, workDir)
    const { pending, required } = await step(
      ctx,
      'upgrade check',
      async () => {
        const r = await this.cli(ctx, workDir, 'upgrade.php', ['--is-pending'], 300_000)
        if (r.code !== 0 && r.code !== 2) {
          throw new StepFailure(`cannot tell whether the work tree needs a database upgrade: upgrade.php --is-pending failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}; nothing was switched`)
        }
        if (r.code === 0) return { pending: false, required: undefined as boolean | undefined }
        if (!ctx.settings.upgrade) return { pending: true, required: undefined }
        if (!(await this.supports(ctx, workDir, 'upgrade.php', '--is-maintenance-required'))) return { pending: true, required: undefined }
        const m = await this.cli(ctx, workDir, 'upgrade.php', ['--is-maintenance-required'], 300_000)
        if (m.code !== 2 && m.code !== 3) {
          throw new StepFailure(`upgrade.php --is-maintenance-required failed (exit code ${m.code})${m.out ? `: ${tail(m.out)}` : ''}; nothing was switched`)
        }
        return { pending: true, required: m.code === 2 }
      },
      (r) =>
        r.pending
          ? `database upgrade pending (${describeVersion(from)} -> ${describeVersion(to)}); maintenance ${r.required === undefined ? 'assumed required (upgrade.php cannot tell)' : r.required ? 'required' : 'not required'}`
          : 'no database upgrade pending: code-only switch',
    )
    if (pending && ctx.settings.upgrade && to.maturity !== undefined && to.maturity < MATURITY.MATURITY_STABLE) {
      const level = Object.keys(MATURITY).find((k) => MATURITY[k] === to.maturity) ?? `maturity ${to.maturity}`
      throw new Refusal(
        `the work tree's code (${describeVersion(to)}) is ${level}, not a stable release: Moodle's upgrade.php refuses to upgrade to it (without --allow-unstable), which would leave the new code live on the old database. Nothing was switched: deliver a stable release`,
      )
    }
    if (pending && !ctx.settings.upgrade) {
      throw new Refusal(
        `the work tree's code (${describeVersion(to)}) needs a database upgrade and upgrade is false: switching would serve it on the old database (Moodle then answers every page with its upgrade screen). Nothing was switched: run backtoprod with upgrade: true, or deliver code that needs no upgrade`,
      )
    }
    return { from, to, pending, required, liveDir }
  }

  async planSwitch(ctx: HostContext, work: TreeRecord, live: TreeRecord): Promise<string[]> {
    const { pending, required, liveDir } = await this.inspect(ctx, work, live, true)
    const m = decideMaintenance(ctx.settings.maintenance, pending, required)
    if (!pending) return [`no database upgrade pending: switch, then purge_caches.php${m ? ', in maintenance mode (maintenance: always)' : ''}`]
    const upgrade = await readUpgradePlan(ctx, liveDir, this.layout.tree(work.id), m, true)
    return [
      `a database upgrade is pending: ${ctx.settings.beforeUpgrade ? 'run before-upgrade, ' : ''}cron held, fresh path and kept files, ${m && ctx.settings.maintenanceNotice ? `announce maintenance to users ${ctx.settings.maintenanceNotice} min ahead (maintenance.php --enablelater=${ctx.settings.maintenanceNotice}) and wait, ` : ''}${m ? 'maintenance mode on, ' : 'no maintenance mode, '}${upgrade.snapshotBytes !== undefined ? 'database snapshot, ' : ''}switch, upgrade.php --non-interactive${pending && required === false && ctx.settings.maintenance !== 'always' ? ' --maintenance=false' : ''}, purge_caches.php, ${m ? 'maintenance mode off, ' : ''}cron on (maintenance and cron as the admin had them: a site already in maintenance stays so, cron the admin disabled stays off)`,
      ...planSentences(ctx, upgrade),
    ]
  }

  async beforeSwitch(ctx: HostContext, work: TreeRecord, live: TreeRecord): Promise<MoodlePlan> {
    const { from, to, pending, required, liveDir } = await this.inspect(ctx, work, live, false)
    const plan: MoodlePlan = { upgrade: false, maintenance: false, notes: [], outageless: false, cronHeld: false, beforeUpgrade: false, from, to }
    plan.upgrade = pending
    plan.outageless = pending && required === false && ctx.settings.maintenance !== 'always'
    const maintenance = decideMaintenance(ctx.settings.maintenance, pending, required)
    // The admin's own state, read before anything changes it: a site the admin keeps in maintenance stays so, cron the
    // admin disabled stays disabled; the delivery restores only what it changed.
    if (maintenance || ctx.settings.healthUrl) {
      const m = await step(ctx, 'maintenance state', () => this.readMaintenance(ctx, liveDir), (m) =>
        m.cli ? 'in CLI maintenance mode (set by the admin): it stays on' : m.web ? 'in maintenance mode set on the web (maintenance_enabled, by the admin): it stays on' : 'not in maintenance mode',
      )
      plan.adminMaintenance = m.cli ? 'cli' : m.web ? 'web' : undefined
      if (plan.adminMaintenance) {
        ctx.maintenanceKept = `the site's admin keeps it in ${plan.adminMaintenance === 'cli' ? 'CLI maintenance mode' : 'maintenance mode (maintenance_enabled)'}, which this delivery leaves on`
      }
    }
    if (pending && (await this.supports(ctx, liveDir, 'cron.php', '--disable-wait'))) {
      plan.adminCronOff = !(await step(ctx, 'cron state', () => this.cronEnabled(ctx, liveDir), (on) => (on ? 'cron enabled' : 'cron disabled (by the admin): it stays disabled')))
    }
    const workDir = this.layout.tree(work.id)
    const upgrade = pending ? await readUpgradePlan(ctx, liveDir, workDir, maintenance, false) : undefined
    const db = pending && ctx.settings.databaseBackup === 'auto' ? await readDbConfig(ctx, workDir) : undefined
    const noDump = db && cannotDump(db)
    if (noDump) {
      skipped(ctx, 'database snapshot', `no snapshot: ${noDump}; use before-upgrade for your own backup`)
      plan.notes.push(`no database snapshot was taken (${noDump}): goback cannot restore the database`)
    }
    plan.window = maintenance && plan.adminMaintenance !== 'cli'
    plan.prepared = { pending, maintenance, liveDir, db: db && !noDump ? db : undefined, upgrade }
    try {
      if (pending && ctx.settings.beforeUpgrade) {
        await runHook(ctx, 'before-upgrade', ctx.settings.beforeUpgrade)
        plan.beforeUpgrade = true
      }
      // Cron is held while the site still serves: its wait for running tasks stays outside the maintenance window.
      if (pending) {
        if (plan.adminCronOff !== undefined) {
          // --disable-wait disables cron first, then waits: after a failure cron may be off, so turn it back on (unless
          // the admin had it off: then it only waits for the running tasks).
          plan.cronHeld = !plan.adminCronOff
          await this.must(ctx, 'cron hold', liveDir, 'cron.php', ['--disable-wait'], 900_000)
        } else {
          skipped(ctx, 'cron hold', 'cron.php of the live tree has no --disable-wait (Moodle before 4.2)')
          plan.notes.push('cron was not held during the upgrade: this Moodle cannot disable it from the CLI')
        }
      }
    } catch (e) {
      await this.cancelSwitch(ctx, plan)
      throw e
    }
    return plan
  }

  /**
   * The maintenance window opens: the notice and its wait, maintenance on, the database snapshot (nothing writes while
   * it is taken). Only the switch, the upgrade and the purge follow before maintenance goes off.
   */
  async enterWindow(ctx: HostContext, sp: SwitchPlan): Promise<void> {
    const plan = sp as MoodlePlan
    const prep = plan.prepared
    if (!prep) throw new StepFailure('internal: enterWindow without beforeSwitch')
    const { pending, maintenance, liveDir, db, upgrade } = prep
    if (maintenance && plan.adminMaintenance === 'cli') {
      skipped(ctx, 'maintenance on', 'the site is already in CLI maintenance mode, set by its admin: it stays on after the delivery')
    } else if (maintenance) {
      if (pending && ctx.settings.maintenanceNotice > 0) await announceMaintenance(ctx, this, liveDir)
      await this.must(ctx, 'maintenance on', liveDir, 'maintenance.php', ['--enable'])
      plan.maintenance = true
    } else {
      skipped(ctx, 'maintenance on', ctx.settings.maintenance === 'never' ? 'maintenance: never' : pending ? 'the upgrade does not require maintenance mode' : 'no upgrade: code-only switch')
    }
    const { from, to } = plan
    if (db && from && to) {
      plan.snapshot = await takeSnapshot(ctx, db, { from: from.version, fromRelease: from.release, to: to.version, toRelease: to.release, quiet: plan.maintenance && plan.cronHeld })
      if (upgrade) upgrade.snapshotBytes = plan.snapshot.bytes
    }
  }

  /** Refuses a move between the pre-5.1 layout and 5.1's `public/` web root that the web server is not ready for. */
  private checkLayoutMove(ctx: HostContext, from: AppVersion | undefined, to: AppVersion): void {
    if (!from) return
    if (!from.publicRoot && to.publicRoot && !ctx.settings.confirmPublicRoot) {
      throw new Refusal(
        `this delivery moves the site to Moodle 5.1's layout (web root ${this.layout.live}/public, code ${describeVersion(to)}): a web server whose document root is ${this.layout.live} would then serve the code tree itself. Point the web server's root at ${this.layout.live}/public (nginx: root ${this.layout.live}/public;), then run again with confirm-public-root: true. Nothing was switched`,
      )
    }
    if (from.publicRoot && !to.publicRoot) {
      throw new Refusal(
        `this delivery moves the site from Moodle 5.1's public/ layout back to the older layout (code ${describeVersion(to)}): the web server serves ${this.layout.live}/public, which the work tree lacks. Nothing was switched`,
      )
    }
  }

  /**
   * Ends the maintenance mode this delivery turned on. A site its admin had in web maintenance (`maintenance_enabled`,
   * which `maintenance.php --enable` clears) gets that setting back first, then the CLI maintenance file goes: visitors
   * never see the site open in between.
   */
  private async maintenanceOff(ctx: HostContext, p: MoodlePlan, dir: string): Promise<void> {
    if (p.adminMaintenance === 'web') {
      await step(
        ctx,
        'maintenance off',
        async () => {
          const r = await this.cli(ctx, dir, 'cfg.php', ['--name=maintenance_enabled', '--set=1'], 120_000)
          if (r.code !== 0) throw new StepFailure(`cfg.php --name=maintenance_enabled --set=1 failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}`)
          await this.cliMaintenanceFile(ctx, dir, 'end')
        },
        () => "CLI maintenance off; the admin's maintenance mode (maintenance_enabled) stays on",
      )
    } else {
      await this.must(ctx, 'maintenance off', dir, 'maintenance.php', ['--disable'])
    }
    p.maintenance = false
  }

  async cancelSwitch(ctx: HostContext, plan: SwitchPlan): Promise<void> {
    const p = plan as MoodlePlan
    const dir = this.liveDir(ctx)
    if (p.maintenance) {
      await this.maintenanceOff(ctx, p, dir).catch((e: Error) => ctx.log.warning(`could not turn maintenance mode off: ${e.message}`))
    }
    if (p.cronHeld) {
      await this.must(ctx, 'cron on', dir, 'cron.php', ['--enable']).then(
        () => (p.cronHeld = false),
        (e: Error) => ctx.log.warning(`could not turn cron back on: ${e.message}`),
      )
    }
  }

  async afterSwitch(ctx: HostContext, plan: SwitchPlan, nodes?: () => Promise<void>): Promise<void> {
    const p = plan as MoodlePlan
    const dir = this.liveDir(ctx)
    if (p.upgrade) {
      p.databaseChanged = true
      const args = ['--non-interactive', ...(p.outageless ? ['--maintenance=false'] : [])]
      let failure: string | undefined
      await step(
        ctx,
        'upgrade',
        async () => {
          const r = await this.cli(ctx, dir, 'upgrade.php', args, 4 * 3600_000, (line) => ctx.log.info(`${ctx.target.label}: upgrade: ${line}`)).catch((e: Error) => ({ code: -1, out: e.message, stdout: '' }))
          ctx.report.upgradeOutput = r.out
          if (r.code !== 0) {
            failure = `upgrade.php --non-interactive failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}`
            throw new StepFailure(failure)
          }
          return r.out
        },
        () => `${describeVersion(p.from)} -> ${describeVersion(p.to)}${p.outageless ? ' (no maintenance needed: --maintenance=false)' : ''}`,
      ).catch(() => undefined)
      if (failure) {
        p.failedInMaintenance = p.maintenance
        // A half-upgraded database can be served by no code: an upgrade that ran without maintenance mode (not
        // required) gets it now, unless maintenance: never.
        if (!p.maintenance && p.adminMaintenance !== 'cli' && ctx.settings.maintenance !== 'never') {
          await this.must(ctx, 'maintenance on', dir, 'maintenance.php', ['--enable']).then(
            () => (p.maintenance = true),
            (e: Error) => ctx.log.warning(`could not turn maintenance mode on after the failed upgrade: ${e.message}`),
          )
        }
        const restore = this.restoreAfterFailedUpgrade(ctx, p, dir)
        throw new UnsafeToGoBack(
          `${failure}. The database may be half-upgraded: the site ${p.maintenance || p.adminMaintenance === 'cli' ? 'stays in maintenance mode' : `is NOT in maintenance mode (${ctx.settings.maintenance === 'never' ? 'maintenance: never' : 'it could not be turned on'})`} and will not go back by itself`,
          restore,
        )
      }
    }
    let purgeError: Error | undefined
    await this.must(ctx, 'purge caches', dir, 'purge_caches.php', []).catch((e: Error) => (purgeError = e))
    if (nodes) await nodes().catch((e: Error) => (purgeError = purgeError ? new Error(`${purgeError.message}; ${e.message}`) : e))
    // Maintenance off and cron back on run once the upgrade succeeded, also when the purge failed.
    const problems: string[] = []
    if (p.maintenance) await this.maintenanceOff(ctx, p, dir).catch((e: Error) => problems.push(e.message))
    if (p.cronHeld) {
      await this.must(ctx, 'cron on', dir, 'cron.php', ['--enable']).then(
        () => (p.cronHeld = false),
        (e: Error) => problems.push(e.message),
      )
    }
    if (purgeError) problems.unshift(purgeError.message)
    if (!problems.length) return
    const why = problems.join('; ')
    if (!p.upgrade) throw new StepFailure(why)
    const cmd = (s: string, a: string) => this.command(ctx, dir, s, a, p.to?.publicRoot)
    throw new UnsafeToGoBack(
      `${why}. The database upgrade to ${describeVersion(p.to)} succeeded, so the site does not go back to the older code`,
      [
        purgeError ? `purge Moodle's caches: ${cmd('purge_caches.php', '')}` : '',
        p.maintenance ? `turn maintenance mode off: ${cmd('maintenance.php', '--disable')}` : '',
        p.cronHeld ? `turn cron back on: ${cmd('cron.php', '--enable')}` : '',
      ]
        .filter(Boolean)
        .join('; then '),
    )
  }

  async holdAfterFailure(ctx: HostContext, plan: SwitchPlan, why: string): Promise<string> {
    const p = plan as MoodlePlan
    const dir = this.liveDir(ctx)
    let held = ''
    if (p.adminMaintenance === 'cli') held = 'The site stays in the maintenance mode its admin had set. '
    else if (ctx.settings.maintenance !== 'never') {
      await this.must(ctx, 'maintenance on', dir, 'maintenance.php', ['--enable']).then(
        () => {
          p.maintenance = true
          held = 'The site was put back into maintenance mode. '
        },
        (e: Error) => (held = `Maintenance mode could not be turned back on (${e.message}). `),
      )
    }
    return `${held}${why} after the database was upgraded to ${describeVersion(p.to)}: the older code in the safe tree cannot serve it, so nothing went back. Fix the cause on trees/${ctx.state?.live} (or restore the database from the backup taken before the upgrade${p.beforeUpgrade ? ' by before-upgrade' : ''} and run goback), then turn maintenance mode off: ${this.command(ctx, dir, 'maintenance.php', '--disable', p.to?.publicRoot)}`
  }

  async afterGoback(ctx: HostContext): Promise<void> {
    await this.must(ctx, 'purge caches', this.liveDir(ctx), 'purge_caches.php', []).catch((e: Error) =>
      ctx.log.warning(`purging caches after going back failed: ${e.message}; run purge_caches.php by hand`),
    )
  }

  /** What an operator types to run a CLI script as the web user. */
  private command(ctx: HostContext, dir: string, script: string, args: string, publicRoot = false): string {
    return `sudo -u ${ctx.settings.webUser} ${this.php ?? ctx.settings.php} ${dir}/${publicRoot ? 'public/' : ''}admin/cli/${script}${args ? ` ${args}` : ''}`
  }

  private restoreAfterFailedUpgrade(ctx: HostContext, p: MoodlePlan, dir: string): string {
    const safe = ctx.state ? `trees/${ctx.state.safe}` : 'the safe tree'
    const safeDir = ctx.state ? this.layout.tree(ctx.state.safe) : dir
    // Only what the delivery changed: a site its admin kept in CLI maintenance stays in it; web maintenance comes back.
    const off = (d: string, pub?: boolean) =>
      [
        p.adminMaintenance === 'cli' ? '' : this.command(ctx, d, 'maintenance.php', '--disable', pub),
        p.adminMaintenance === 'web' ? this.command(ctx, d, 'cfg.php', '--name=maintenance_enabled --set=1', pub) : '',
        p.cronHeld ? this.command(ctx, d, 'cron.php', '--enable', pub) : '',
      ]
        .filter(Boolean)
        .join(' and ') || 'leave maintenance mode on, as the admin had it'
    return [
      `Either fix the cause and finish the upgrade: ${this.command(ctx, dir, 'upgrade.php', '--non-interactive', p.to?.publicRoot)}, then ${off(dir, p.to?.publicRoot)}.`,
      `Or restore the database and moodledata from the backup taken before the upgrade${p.beforeUpgrade ? ` (before-upgrade: ${ctx.settings.beforeUpgrade})` : ''}, run mode goback (live back to ${safe}, ${describeVersion(p.from)}), then ${off(safeDir, p.from?.publicRoot)}.`,
    ].join(' ')
  }
}

/**
 * PHP run as the web user: reads config.php as Moodle's own scripts do, stopping right after it (ABORT_AFTER_CONFIG),
 * then tells whether `climaintenance.html` (CLI maintenance mode) is in moodledata; with `end`, removes it first.
 */
const CLI_MAINTENANCE = `define("CLI_SCRIPT", true); define("ABORT_AFTER_CONFIG", true); $CFG = new stdClass(); require $argv[1];
$f = $CFG->dataroot . "/climaintenance.html"; if (($argv[2] ?? "") === "end" && file_exists($f)) { unlink($f); }
echo "climaintenance=", file_exists($f) ? 1 : 0, "\\n";`

function tail(out: string): string {
  return out.trim().split('\n').slice(-15).join('\n')
}

function lastLine(out: string): string {
  return out.trim().split('\n').pop()?.slice(0, 200) ?? ''
}

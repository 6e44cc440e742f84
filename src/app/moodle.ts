/**
 * Moodle: `config.php` kept in both trees, the code version read from `version.php`, and the CLI steps around a switch:
 * ask the work tree whether an upgrade is pending (and whether it needs maintenance mode), before-upgrade, cron held,
 * [fresh path, kept files], maintenance on, database snapshot, [switch], upgrade and maintenance off in one command,
 * purge caches, cron back on: the maintenance window holds only the snapshot, the switch and the upgrade (see
 * moodle-upgrade.ts). Moodle's CLI runs as the web user (it writes into moodledata), as `sudo -n -u WEB PHP SCRIPT
 * ARGS...` unless the web user is the login user (moodle-cli.ts). Moodle 5.1+ keeps its web root and CLI under
 * `public/` (config.php stays at the root).
 */
import { Refusal, StepFailure } from '../errors.js'
import type { HostContext } from '../steps/context.js'
import { skipped, step } from '../steps/context.js'
import { runHook } from '../steps/hooks.js'
import { syncKeep } from '../steps/copy.js'
import type { RemoteShell } from '../remote/shell.js'
import type { Layout } from '../remote/server.js'
import type { TreeRecord } from '../remote/state.js'
import { type AppDriver, type AppVersion, type SiteStatus, type SwitchPlan } from './app.js'
import { MoodleCli, tail } from './moodle-cli.js'
import { type DbConfig, cannotDump, readDbConfig } from './moodle-config.js'
import { claimUpgrade, plainFleet } from './moodle-sites.js'
import { type SnapshotRecord, takeSnapshot } from './moodle-db.js'
import { cronEnabled, decideMaintenance, maintenanceOff, readMaintenance } from './moodle-maintenance.js'
import { announceMaintenance, planSentences, readUpgradePlan, restoreHint } from './moodle-plan.js'
import { finishSwitch, holdAfterFailure } from './moodle-upgrade.js'
import { MATURITY, compareVersions, describeVersion, readVersion } from './moodle-version.js'
import type { UpgradePlanReport } from '../report/model.js'

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

export class MoodleApp extends MoodleCli implements AppDriver {
  readonly name = 'moodle'
  readonly keep = ['config.php']

  constructor(
    private readonly sh: RemoteShell,
    private readonly layout: Layout,
  ) {
    super()
  }

  async version(tree: TreeRecord): Promise<AppVersion | undefined> {
    return this.versionAt(this.layout.tree(tree.id))
  }

  private versionAt(dir: string): Promise<AppVersion | undefined> {
    return readVersion(this.sh, dir)
  }

  /** The live tree (the one the CLI must use while it matches the database). */
  private liveDir(ctx: HostContext): string {
    if (!ctx.state) throw new StepFailure('no delivery state: run mode init first')
    return this.layout.tree(ctx.state.live)
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
      `a database upgrade is pending: ${ctx.settings.beforeUpgrade ? 'run before-upgrade, ' : ''}cron held, fresh path and kept files, ${m && ctx.settings.maintenanceNotice ? `announce maintenance to users ${ctx.settings.maintenanceNotice} min ahead (maintenance.php --enablelater=${ctx.settings.maintenanceNotice}) and wait, ` : ''}${m ? 'maintenance mode on, ' : 'no maintenance mode, '}${upgrade.snapshotBytes !== undefined ? 'database snapshot, ' : ''}switch, upgrade.php --non-interactive${pending && required === false && ctx.settings.maintenance !== 'always' ? ' --maintenance=false' : ''}, ${m ? 'maintenance mode off (in the same command), ' : ''}purge_caches.php, cron on (maintenance and cron as the admin had them: a site already in maintenance stays so, cron the admin disabled stays off)`,
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
      const m = await step(ctx, 'maintenance state', () => readMaintenance(this, ctx, liveDir), (m) =>
        m.cli ? 'in CLI maintenance mode (set by the admin): it stays on' : m.web ? 'in maintenance mode set on the web (maintenance_enabled, by the admin): it stays on' : 'not in maintenance mode',
      )
      plan.adminMaintenance = m.cli ? 'cli' : m.web ? 'web' : undefined
      if (plan.adminMaintenance) {
        ctx.maintenanceKept = `the site's admin keeps it in ${plan.adminMaintenance === 'cli' ? 'CLI maintenance mode' : 'maintenance mode (maintenance_enabled)'}, which this delivery leaves on`
      }
    }
    if (pending && (await this.supports(ctx, liveDir, 'cron.php', '--disable-wait'))) {
      plan.adminCronOff = !(await step(ctx, 'cron state', () => cronEnabled(this, ctx, liveDir), (on) => (on ? 'cron enabled' : 'cron disabled (by the admin): it stays disabled')))
    }
    const workDir = this.layout.tree(work.id)
    const upgrade = pending ? await readUpgradePlan(ctx, liveDir, workDir, maintenance, false) : undefined
    const db = pending && ctx.settings.databaseBackup === 'auto' ? await readDbConfig(ctx, workDir) : undefined
    // Nodes of one site delivered as a plain fleet at once: one upgrades, the others are refused (src/app/moodle-sites.ts).
    if (pending && plainFleet(ctx.settings)) {
      const site = db ?? (await readDbConfig(ctx, workDir).catch((e: Error) => ctx.log.warning(`${ctx.target.label}: ${e.message}: the site's address is unknown`)))
      claimUpgrade(ctx, site ? site.wwwroot : undefined)
    }
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

  async cancelSwitch(ctx: HostContext, plan: SwitchPlan): Promise<void> {
    const p = plan as MoodlePlan
    const dir = this.liveDir(ctx)
    if (p.maintenance) {
      await maintenanceOff(this, ctx, p.adminMaintenance, dir).then(() => (p.maintenance = false)).catch((e: Error) => ctx.log.warning(`could not turn maintenance mode off: ${e.message}`))
    }
    if (p.cronHeld) {
      await this.must(ctx, 'cron on', dir, 'cron.php', ['--enable']).then(
        () => (p.cronHeld = false),
        (e: Error) => ctx.log.warning(`could not turn cron back on: ${e.message}`),
      )
    }
  }

  async afterSwitch(ctx: HostContext, plan: SwitchPlan, nodes?: () => Promise<void>): Promise<void> {
    return finishSwitch(this, ctx, plan as MoodlePlan, this.liveDir(ctx), nodes)
  }

  async holdAfterFailure(ctx: HostContext, plan: SwitchPlan, why: string): Promise<string> {
    return holdAfterFailure(this, ctx, plan as MoodlePlan, this.liveDir(ctx), why)
  }

  /**
   * `status`: maintenance mode (CLI, web), cron and the database's version against the live code, read through the
   * live tree as the web user (four read-only PHP runs, at once). Warns of what a run that stopped half-way may leave:
   * the site in maintenance, cron held, a database the live code does not match.
   */
  async siteStatus(ctx: HostContext): Promise<SiteStatus> {
    const dir = this.liveDir(ctx)
    const [m, cron, db, code] = await Promise.all([readMaintenance(this, ctx, dir), cronEnabled(this, ctx, dir), this.databaseVersion(ctx), this.versionAt(dir)])
    const maintenance = m.cli && m.web ? 'on (CLI and web)' : m.cli ? 'on (CLI)' : m.web ? 'on (web: maintenance_enabled)' : 'off'
    const facts: Record<string, string> = { maintenance, cron: cron ? 'enabled' : 'disabled', database: db ?? 'unknown (cfg.php --name=version answered nothing)' }
    if (code) facts.code = code.version
    const warnings: string[] = []
    const cmd = (script: string, args: string) => this.command(ctx, this.layout.live, script, args, code?.publicRoot)
    // A restore that did not finish keeps the site in maintenance on purpose: status says so (state.restoring).
    const restoring = Boolean(ctx.state?.restoring)
    if ((m.cli || m.web) && !restoring) warnings.push(`the site is in maintenance mode (${maintenance.slice(4, -1)}): if no one meant it (a run that stopped half-way), end it with ${cmd('maintenance.php', '--disable')}`)
    if (!cron && !restoring) warnings.push(`cron is disabled: if no one meant it (a run that stopped half-way holds it), turn it on with ${cmd('cron.php', '--enable')}`)
    if (db && code) {
      const c = compareVersions(code.version, db)
      if (c < 0) warnings.push(`the database (${db}) is newer than the live code (${describeVersion(code)}): Moodle cannot serve it; deliver the upgraded code again, or go back with restore-database: true`)
      if (c > 0) warnings.push(`the live code (${describeVersion(code)}) is newer than the database (${db}): an upgrade is pending (admin/cli/upgrade.php)`)
    }
    return { facts, warnings }
  }

  async afterGoback(ctx: HostContext): Promise<void> {
    await this.must(ctx, 'purge caches', this.liveDir(ctx), 'purge_caches.php', []).catch((e: Error) =>
      ctx.log.warning(`purging caches after going back failed: ${e.message}; run purge_caches.php by hand`),
    )
  }
}

/**
 * The application served from the trees: what it needs kept across updates, its version, and the steps it needs
 * around a switch of `live` (Moodle: upgrade, maintenance, caches). `none` needs nothing.
 */
import { DeliveryError } from '../errors.js'
import type { HostContext } from '../steps/context.js'
import type { RemoteShell } from '../remote/shell.js'
import type { TreeRecord } from '../remote/state.js'

export interface AppVersion {
  /** Human release string (Moodle: `$release`, e.g. `4.3 (Build: 20231009)`). */
  release: string
  /** Machine version (Moodle: `$version`, e.g. `2023100900.00`). */
  version: string
  branch?: string
  /** Moodle 5.1+: the web root is `public/`. */
  publicRoot?: boolean
  /** Moodle's `$maturity` (MATURITY_ALPHA 50, BETA 100, RC 150, STABLE 200), when version.php sets it. */
  maturity?: number
}

/** What the app decided before a switch; handed back after it. */
export interface SwitchPlan {
  /** A database upgrade will run after the switch. */
  upgrade: boolean
  /** Maintenance mode was turned on before the switch. */
  maintenance: boolean
  /** Maintenance mode goes on at `enterWindow` (decided by `beforeSwitch`). */
  window?: boolean
  /** Free-form notes for the report. */
  notes: string[]
  /** Set once the database may have changed (an upgrade ran, even one that failed): going back is no longer safe. */
  databaseChanged?: boolean
}

/** Thrown by `afterSwitch` when the failure leaves the database changed: going back is not safe. */
export class UnsafeToGoBack extends DeliveryError {
  readonly kind = 'failure'
  constructor(
    message: string,
    /** What an operator must restore by hand. */
    readonly restore: string,
  ) {
    super(message)
    this.name = 'UnsafeToGoBack'
  }
}

export interface AppDriver {
  readonly name: 'moodle' | 'none'
  /** Paths the repository does not hold but the site needs, present in both trees at all times. */
  readonly keep: string[]
  /** Reads the version of the code in a tree (undefined when the tree holds no recognisable app). */
  version(tree: TreeRecord): Promise<AppVersion | undefined>
  /** goback: refuses (throws Refusal) when the safe tree cannot serve the current database. */
  checkGoback(ctx: HostContext, safe: TreeRecord): Promise<void>
  /** backtoprod's dry run: what the app would do around the switch (read-only; may refuse like beforeSwitch). */
  planSwitch(ctx: HostContext, work: TreeRecord, live: TreeRecord): Promise<string[]>
  /**
   * backtoprod, before the switch and outside the maintenance window: decides the outage and prepares what can be done
   * while the site still serves (before-upgrade, cron held). When it throws, it has undone what it prepared and nothing
   * was switched. The caller then gives the work tree its fresh path and carries the kept files, and only then calls
   * `enterWindow`.
   */
  beforeSwitch(ctx: HostContext, work: TreeRecord, live: TreeRecord): Promise<SwitchPlan>
  /**
   * backtoprod, right before the switch: opens the maintenance window (the notice and its wait, maintenance on, the
   * database snapshot). When it throws, the caller undoes with `cancelSwitch`.
   */
  enterWindow(ctx: HostContext, plan: SwitchPlan): Promise<void>
  /** The switch (or what prepares it) failed after `beforeSwitch`: undo what was prepared (the old tree is still live). */
  cancelSwitch(ctx: HostContext, plan: SwitchPlan): Promise<void>
  /**
   * backtoprod, after the switch: upgrade, maintenance off, caches (Moodle: after an upgrade in maintenance mode the
   * purge follows maintenance off; otherwise it comes first). Throws UnsafeToGoBack after a database change. `nodes` (a
   * cluster's per-node steps) runs right after the purge; its failure is the purge's.
   */
  afterSwitch(ctx: HostContext, plan: SwitchPlan, nodes?: () => Promise<void>): Promise<void>
  /**
   * A step after `afterSwitch` (after-switch, health) failed once the database had changed: make the site safe (Moodle:
   * maintenance on again) and return what an operator must do.
   */
  holdAfterFailure(ctx: HostContext, plan: SwitchPlan, why: string): Promise<string>
  /** After `live` went back to an older tree (goback, automatic rollback): caches of the newer code are dropped. */
  afterGoback(ctx: HostContext): Promise<void>
  /**
   * `status`: the site as the app sees it through the live tree (Moodle: maintenance mode, cron, the database's
   * version against the live code), read-only; undefined when the app has nothing to say. Throws when it cannot read.
   */
  siteStatus?(ctx: HostContext): Promise<SiteStatus | undefined>
}

/** `status`: what the app says of the site; `warnings` are what an operator should act on. */
export interface SiteStatus {
  facts: Record<string, string>
  warnings: string[]
}

export class NoApp implements AppDriver {
  readonly name = 'none'
  readonly keep: string[] = []
  async version(): Promise<AppVersion | undefined> {
    return undefined
  }
  async checkGoback(): Promise<void> {}
  async planSwitch(): Promise<string[]> {
    return []
  }
  async beforeSwitch(): Promise<SwitchPlan> {
    return { upgrade: false, maintenance: false, notes: [] }
  }
  async enterWindow(): Promise<void> {}
  async cancelSwitch(): Promise<void> {}
  async afterSwitch(): Promise<void> {}
  async holdAfterFailure(_ctx: HostContext, _plan: SwitchPlan, why: string): Promise<string> {
    return why
  }
  async afterGoback(): Promise<void> {}
}

/** Whether a directory on the server holds Moodle (`version.php` + `lib/setup.php`, or 5.1's `public/version.php`). */
export async function looksLikeMoodle(sh: RemoteShell, dir: string): Promise<boolean> {
  const r = await sh.run(
    'detect the application',
    `d=$1
if { [ -f "$d/version.php" ] && [ -f "$d/lib/setup.php" ]; } || [ -f "$d/public/version.php" ]; then echo moodle; else echo none; fi`,
    [dir],
  )
  return r.stdout.trim() === 'moodle'
}

/**
 * Moodle's maintenance mode and cron as the site's admin left them: whether the outage is needed, whether the admin
 * keeps the site in maintenance (CLI or web) or cron off, and the end of the maintenance mode a delivery turned on.
 */
import type { HostContext } from '../steps/context.js'
import { StepFailure } from '../errors.js'
import { step } from '../steps/context.js'
import { type MoodleCli, tail } from './moodle-cli.js'

/** How the outage is decided: `auto` maintenance only when the upgrade needs it; `always` / `never` override. */
export function decideMaintenance(setting: 'auto' | 'always' | 'never', pending: boolean, required: boolean | undefined): boolean {
  if (setting === 'always') return true
  if (setting === 'never') return false
  // A script that cannot tell (before Moodle 4.2) gets the safe answer: every upgrade needs maintenance.
  return pending && required !== false
}

/**
 * Whether the site is in maintenance mode by its admin's choice: CLI maintenance (`climaintenance.html` in moodledata,
 * which only the web user may read: PHP reads config.php as Moodle's own bootstrap does and stops right after it) and
 * the web setting `maintenance_enabled` (`cfg.php`).
 */
export async function readMaintenance(cli: MoodleCli, ctx: HostContext, dir: string): Promise<{ cli: boolean; web: boolean }> {
  const on = await cliMaintenanceFile(cli, ctx, dir, 'read')
  const w = await cli.cli(ctx, dir, 'cfg.php', ['--name=maintenance_enabled'], 120_000)
  if (w.code !== 0 && w.code !== 3) {
    throw new StepFailure(`cannot tell whether the site is in maintenance mode: cfg.php --name=maintenance_enabled failed (exit code ${w.code})${w.out ? `: ${tail(w.out)}` : ''}`)
  }
  return { cli: on, web: w.code === 0 && w.stdout.trim() === '1' }
}

/** Whether the site is in CLI maintenance mode, read without starting Moodle (no database needed). */
export function cliMaintenanceOn(cli: MoodleCli, ctx: HostContext, dir: string): Promise<boolean> {
  return cliMaintenanceFile(cli, ctx, dir, 'read')
}

/** Whether `climaintenance.html` is in moodledata; `end` removes it first (`maintenance.php --disable` less the web setting). */
async function cliMaintenanceFile(cli: MoodleCli, ctx: HostContext, dir: string, action: 'read' | 'end'): Promise<boolean> {
  const f = await cli.runPhp(ctx, dir, `${action} CLI maintenance mode as ${ctx.settings.webUser}`, ['-r', CLI_MAINTENANCE, '--', `${dir}/config.php`, action], 120_000)
  const on = /^climaintenance=([01])$/m.exec(f.stdout)?.[1]
  if (f.code !== 0 || on === undefined) {
    throw new StepFailure(`cannot tell whether the site is in CLI maintenance mode: PHP could not read ${dir}/config.php and moodledata as ${ctx.settings.webUser} (exit code ${f.code})${f.out ? `: ${tail(f.out)}` : ''}`)
  }
  return on === '1'
}

/** Whether cron is enabled: the setting cron_enabled as cron.php reads it (unset or 0: disabled). */
export async function cronEnabled(cli: MoodleCli, ctx: HostContext, dir: string): Promise<boolean> {
  const r = await cli.cli(ctx, dir, 'cfg.php', ['--name=cron_enabled'], 120_000)
  if (r.code !== 0 && r.code !== 3) {
    throw new StepFailure(`cannot tell whether cron is enabled: cfg.php --name=cron_enabled failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}`)
  }
  return r.code === 0 && !['', '0'].includes(r.stdout.trim())
}

/**
 * Ends the maintenance mode a delivery turned on. A site its admin had in web maintenance (`maintenance_enabled`,
 * which `maintenance.php --enable` clears) gets that setting back first, then the CLI maintenance file goes: visitors
 * never see the site open in between.
 */
export async function maintenanceOff(cli: MoodleCli, ctx: HostContext, adminMaintenance: 'cli' | 'web' | undefined, dir: string): Promise<void> {
  if (adminMaintenance === 'web') {
    await step(
      ctx,
      'maintenance off',
      async () => {
        const r = await cli.cli(ctx, dir, 'cfg.php', ['--name=maintenance_enabled', '--set=1'], 120_000)
        if (r.code !== 0) throw new StepFailure(`cfg.php --name=maintenance_enabled --set=1 failed (exit code ${r.code})${r.out ? `: ${tail(r.out)}` : ''}`)
        await cliMaintenanceFile(cli, ctx, dir, 'end')
      },
      () => "CLI maintenance off; the admin's maintenance mode (maintenance_enabled) stays on",
    )
  } else {
    await cli.must(ctx, 'maintenance off', dir, 'maintenance.php', ['--disable'])
  }
}

/**
 * PHP run as the web user: reads config.php as Moodle's own scripts do, stopping right after it (ABORT_AFTER_CONFIG),
 * then tells whether `climaintenance.html` (CLI maintenance mode) is in moodledata; with `end`, removes it first.
 */
const CLI_MAINTENANCE = `define("CLI_SCRIPT", true); define("ABORT_AFTER_CONFIG", true); $CFG = new stdClass(); require $argv[1];
$f = $CFG->dataroot . "/climaintenance.html"; if (($argv[2] ?? "") === "end" && file_exists($f)) { unlink($f); }
echo "climaintenance=", file_exists($f) ? 1 : 0, "\\n";`

/**
 * What a Moodle site's config.php and moodledata say, read (or written back) by PHP as the web user without starting
 * Moodle: the database settings (the password kept apart, masked like every secret) and the cache configuration
 * (`muc/config.php`), which a snapshot keeps because older code cannot load the one an upgrade wrote.
 */
import type { HostContext } from '../steps/context.js'
import { StepFailure } from '../errors.js'

/** What config.php says about the database (the password kept apart, never reported). */
export interface DbConfig {
  dbtype: string
  dbhost: string
  dbname: string
  dbuser: string
  prefix: string
  dboptions: { dbport?: string; dbsocket?: string }
  /** Not reported; masked as a secret from the moment it is read. */
  dbpass: string
  /** The site's address: the nodes of one site share it. */
  wwwroot: string
}

/** The engines a snapshot knows how to dump. */
export const DUMPABLE = ['pgsql', 'mysqli', 'mariadb', 'auroramysql'] as const

const PREFIX = /^[A-Za-z0-9_]{0,40}$/

/** Reads `$CFG->db*` from the tree's config.php with `sudo -n -u WEB_USER PHP -r CODE` (no shell as the web user). */
const READ_CONFIG_PHP = `define('CLI_SCRIPT', true);
define('ABORT_AFTER_CONFIG', true);
$d = $argv[1];
chdir($d);
global $CFG;
$CFG = new stdClass();
ob_start();
require $d . '/config.php';
ob_end_clean();
$o = isset($CFG->dboptions) && is_array($CFG->dboptions) ? $CFG->dboptions : [];
$s = function ($v) { return is_scalar($v) ? (string) $v : ''; };
echo "\\n@@delivery-dbconfig@@", json_encode([
    'dbtype' => $s($CFG->dbtype ?? ''), 'dbhost' => $s($CFG->dbhost ?? ''), 'dbname' => $s($CFG->dbname ?? ''),
    'dbuser' => $s($CFG->dbuser ?? ''), 'dbpass' => bin2hex($s($CFG->dbpass ?? '')), 'prefix' => $s($CFG->prefix ?? ''),
    'dboptions' => ['dbport' => $s($o['dbport'] ?? ''), 'dbsocket' => $s($o['dbsocket'] ?? '')],
    'wwwroot' => $s($CFG->wwwroot ?? ''),
]), "\\n";
`

/**
 * Moodle's cache configuration, `$CFG->dataroot/muc/config.php`: the upgrade rewrites it for the new code (new cache
 * definitions), and older code cannot load it ("The data source class does not exist"): a database restored to an
 * older version needs the configuration of that version. Read (`read`) and put back (`write`, from standard input,
 * through a temporary file renamed into place, the file it replaces kept beside it) as the web user, who owns
 * moodledata, with `sudo -n -u WEB_USER PHP -r CODE`.
 */
const MUC_CONFIG_PHP = `define('CLI_SCRIPT', true);
define('ABORT_AFTER_CONFIG', true);
[$d, $op, $stamp] = [$argv[1], $argv[2], $argv[3] ?? ''];
global $CFG;
$CFG = new stdClass();
ob_start();
require $d . '/config.php';
ob_end_clean();
$f = rtrim($CFG->dataroot, '/') . '/muc/config.php';
if ($op === 'read') {
    if (is_file($f) && !is_link($f)) { echo "@@delivery-muc@@", base64_encode(file_get_contents($f)), "\\n"; } else { echo "@@delivery-muc@@none\\n"; }
    exit(0);
}
$text = stream_get_contents(STDIN);
if (!is_dir(dirname($f))) {
    if ($text === '') { echo "@@delivery-muc@@\\n"; exit(0); }
    if (!mkdir(dirname($f), 0777)) { fwrite(STDERR, "cannot make " . dirname($f) . "\\n"); exit(1); }
}
$aside = $f . '.before-restore-' . preg_replace('/[^0-9A-Za-z]/', '', $stamp);
if (is_file($f) && !is_link($f) && !rename($f, $aside)) { fwrite(STDERR, "cannot set $f aside\\n"); exit(1); }
if ($text !== '') {
    $tmp = $f . '.delivery-tmp';
    if (file_put_contents($tmp, $text) !== strlen($text) || !rename($tmp, $f)) { fwrite(STDERR, "cannot write $f\\n"); exit(1); }
}
echo "@@delivery-muc@@", is_file($aside) ? $aside : '', "\\n";
`

/** The cache configuration of the site whose tree is `dir`, or undefined when moodledata holds none. */
export async function readCacheConfig(ctx: HostContext, dir: string): Promise<Buffer | undefined> {
  const r = await phpAsWebUser(ctx, `read the cache configuration (muc/config.php) as ${ctx.settings.webUser}`, MUC_CONFIG_PHP, [dir, 'read'])
  const at = r.stdout.lastIndexOf('@@delivery-muc@@')
  if (r.code !== 0 || at < 0) throw new StepFailure(`cannot read moodledata's muc/config.php as ${ctx.settings.webUser} (exit code ${r.code}): ${lastLines(r.stderr || r.stdout)}`)
  const v = r.stdout.slice(at + '@@delivery-muc@@'.length).trim().split('\n')[0]
  return v === 'none' ? undefined : Buffer.from(v, 'base64')
}

/**
 * Puts back the cache configuration of a snapshot (or, with none recorded, sets the current one aside so that Moodle
 * builds its default again). The file replaced is kept beside it; returns its path ('' when there was none).
 */
export async function putCacheConfig(ctx: HostContext, dir: string, text: Buffer | undefined): Promise<string> {
  const stamp = ctx.now().toISOString()
  const r = await phpAsWebUser(ctx, `put back the cache configuration (muc/config.php) as ${ctx.settings.webUser}`, MUC_CONFIG_PHP, [dir, 'write', stamp], 120_000, text ?? '')
  const at = r.stdout.lastIndexOf('@@delivery-muc@@')
  if (r.code !== 0 || at < 0) throw new StepFailure(`cannot put back moodledata's muc/config.php as ${ctx.settings.webUser} (exit code ${r.code}): ${lastLines(r.stderr || r.stdout)}`)
  return r.stdout.slice(at + '@@delivery-muc@@'.length).trim().split('\n')[0]
}

/** Runs PHP code as the web user: `sudo -n -u WEB_USER PHP -r CODE -- ARGS` (or PHP directly when it is the login user). */
export async function phpAsWebUser(ctx: HostContext, what: string, code: string, args: string[], timeoutMs = 120_000, stdin?: string | Buffer) {
  const { webUser } = ctx.settings
  // The path the sudo preflight resolved and proved (MoodleApp.php), which is the one a php-only sudoers rule names.
  const php = (ctx.app as { php?: string }).php ?? ctx.settings.php
  return ctx.sh.runAs(
    undefined,
    what,
    `web=$1; php=$2; code=$3; shift 3
if [ "$web" = "$(id -un)" ]; then exec "$php" -r "$code" -- "$@"; fi
exec sudo -n -u "$web" -- "$php" -r "$code" -- "$@"`,
    [webUser, php, code, ...args],
    { nothrow: true, timeoutMs, ...(stdin !== undefined ? { stdin } : {}) },
  )
}

/** The database settings of the site whose tree is `dir` (its config.php). */
export async function readDbConfig(ctx: HostContext, dir: string): Promise<DbConfig> {
  const r = await phpAsWebUser(ctx, `read the database settings from ${dir}/config.php as ${ctx.settings.webUser}`, READ_CONFIG_PHP, [dir])
  const at = r.stdout.lastIndexOf('@@delivery-dbconfig@@')
  if (r.code !== 0 || at < 0) {
    const why = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')
    throw new StepFailure(
      `cannot read the database settings from ${dir}/config.php as ${ctx.settings.webUser} (exit code ${r.code})${why ? `: ${why}` : ''}`,
    )
  }
  const c = JSON.parse(r.stdout.slice(at + '@@delivery-dbconfig@@'.length).trim().split('\n')[0]) as DbConfig
  // Hex on the wire: the connection masks known secrets in every output, which would blank a second read.
  c.dbpass = Buffer.from(c.dbpass, 'hex').toString('utf8')
  if (c.dbpass && c.dbpass.length >= 3 && !ctx.settings.secrets.includes(c.dbpass)) ctx.settings.secrets.push(c.dbpass)
  return c
}

/** Why a snapshot of this database cannot be taken (undefined when it can). */
export function cannotDump(c: DbConfig): string | undefined {
  if (!c.dbtype) return 'config.php names no $CFG->dbtype'
  if (!(DUMPABLE as readonly string[]).includes(c.dbtype)) return `the database type ${c.dbtype} has no snapshot here (pgsql, mysqli, mariadb and auroramysql have)`
  if (!c.dbname) return 'config.php names no $CFG->dbname'
  if (!PREFIX.test(c.prefix)) return `the table prefix ${JSON.stringify(c.prefix)} is not letters, digits and underscores`
  return undefined
}

/** The last lines of an output, for an error message. */
export function lastLines(s: string): string {
  return s.trim().split('\n').slice(-5).join('\n')
}

/**
 * Moodle's database around an upgrade: its settings read from a tree's `config.php` (as the web user, without starting
 * Moodle), a snapshot of the site's tables before the upgrade (`pg_dump -Fc`, or `mysqldump --single-transaction`),
 * its checksum and retention, and the restore that lets `goback` cross the upgrade again.
 *
 * The password never reaches a command line: it comes back from PHP in the JSON, is masked like every secret, and
 * travels to the dump or restore script on its standard input, which hands it to the tool through its environment
 * (PGPASSWORD, MYSQL_PWD). Snapshots are 0600 files in a 0700 folder, named by time, run and versions, each with a
 * `.sha256` beside it.
 */
import { compareVersions } from './moodle-version.js'
import type { HostContext } from '../steps/context.js'
import { Refusal, StepFailure, saveState, journal, step } from '../steps/context.js'
import type { ServerState, SnapshotRecord } from '../remote/state.js'

export type { SnapshotRecord }

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

const isPg = (t: string) => t === 'pgsql'

/** The connection words every database script takes, in this order: type host port socket user name prefix. */
function connArgs(c: DbConfig): string[] {
  return [c.dbtype, c.dbhost, c.dboptions.dbport ?? '', c.dboptions.dbsocket ?? '', c.dbuser, c.dbname, c.prefix]
}

/**
 * Bash shared by the database scripts: reads the password from the first line of standard input and sets up `pgenv`
 * (PG* variables) or `my` (the client's connection options, MYSQL_PWD exported). The password is never an argument.
 */
const DB_PRELUDE = `IFS= read -r pw || true
type=$1 host=$2 port=$3 sock=$4 user=$5 db=$6 prefix=$7; shift 7
likepat="\${prefix//_/\\\\_}%"
if [ "$type" = pgsql ]; then
  export PGPASSWORD="$pw" PGUSER="$user" PGDATABASE="$db" PGCONNECT_TIMEOUT=20
  if [ -n "$sock" ] && [ "\${sock:0:1}" = / ]; then export PGHOST="$sock"; elif [ -n "$host" ]; then export PGHOST="$host"; fi
  [ -z "$port" ] || export PGPORT="$port"
  for t in pg_dump pg_restore psql; do command -v "$t" >/dev/null || die "$t is not installed on the server (Debian: apt-get install postgresql-client)"; done
  sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
  dbsize() { sql -v pat="$likepat" <<< "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname = current_schema() AND c.relname LIKE :'pat';"; }
  tables() { sql -v pat="$likepat" <<< "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname LIKE :'pat' ORDER BY 1;"; }
else
  export MYSQL_PWD="$pw"
  client=$(command -v mariadb || command -v mysql) || die "the mysql client is not installed on the server (Debian: apt-get install mariadb-client)"
  dumper=$(command -v mariadb-dump || command -v mysqldump) || die "mysqldump is not installed on the server (Debian: apt-get install mariadb-client)"
  my=(--user="$user")
  if [ -n "$sock" ]; then my+=(--socket="$sock"); elif [ -n "$host" ]; then my+=(--host="$host"); fi
  [ -z "$port" ] || my+=(--port="$port")
  sql() { "$client" --no-defaults "\${my[@]}" --connect-timeout=20 -N -B --database="$db"; }
  dbsize() { sql <<< "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE '$likepat';"; }
  tables() { sql <<< "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name LIKE '$likepat' ORDER BY 1;"; }
fi
`

/**
 * Dumps the site's tables into DIR/NAME: free space checked against the tables' size first, written to a temporary
 * name, flushed, renamed, its sha256 beside it; on failure nothing is left behind. Prints `bytes=`, `sha256=`, `size=`.
 */
const DUMP = `${DB_PRELUDE}dir=$1 name=$2
umask 077
mkdir -p -- "$dir"
chmod 0700 -- "$dir"
size=$(dbsize) || die "cannot connect to the database $db as $user to measure it"
size=\${size//[^0-9]/}; size=\${size:-0}
avail=$(df -P -k -- "$dir" | awk 'NR == 2 { print $4 * 1024 }')
need=$(( size + 16 * 1024 * 1024 ))
if [ "\${avail:-0}" -lt "$need" ]; then
  die "not enough free space in $dir for a snapshot: the site's tables take $size bytes; $avail bytes are free, $need needed (the tables and 16 MiB to spare). Free space there, or set backup-dir to a larger disk"
fi
echo "size=$size"
tmp="$dir/.$name.partial"
trap 'rm -f -- "$tmp"' EXIT
if [ "$type" = pgsql ]; then
  if [ -n "$prefix" ]; then pg_dump -Fc -Z 1 --no-owner -t "$prefix*" -f "$tmp"; else pg_dump -Fc -Z 1 --no-owner -f "$tmp"; fi \
    || die "pg_dump of $db failed: nothing was switched"
else
  mapfile -t list < <(tables) || die "cannot list the tables of $db"
  [ "\${#list[@]}" -gt 0 ] || die "no table of $db starts with the prefix $prefix"
  "$dumper" --no-defaults "\${my[@]}" --single-transaction --quick --skip-lock-tables --no-tablespaces \
    --default-character-set=utf8mb4 --result-file="$tmp" -- "$db" "\${list[@]}" \
    || die "mysqldump of $db failed: nothing was switched"
fi
sync -- "$tmp" 2>/dev/null || sync
chmod 0600 -- "$tmp"
mv -f -- "$tmp" "$dir/$name"
trap - EXIT
sum=$(cd -- "$dir" && sha256sum -- "./$name" | cut -d' ' -f1)
printf '%s  %s\\n' "$sum" "$name" > "$dir/$name.sha256"
echo "bytes=$(stat -c %s -- "$dir/$name")"
echo "sha256=$sum"
`

/** Keeps the newest KEEP snapshots of DIR (names sort by time); prints the names it removed. */
const PRUNE = `dir=$1 keep=$2
cd -- "$dir"
mapfile -t all < <(ls -1 -- . | grep -E '^moodle-db-[0-9]{8}T[0-9]{6}Z-.*\\.(pgdump|sql)$' | sort)
n=$(( \${#all[@]} - keep ))
for (( i = 0; i < n; i++ )); do rm -f -- "./\${all[$i]}" "./\${all[$i]}.sha256"; echo "\${all[$i]}"; done
`

/** Sizes the site's tables take (for the plan); prints bytes. */
const SIZE = `${DB_PRELUDE}size=$(dbsize) || die "cannot connect to the database $db as $user to measure it"
echo "size=\${size//[^0-9]/}"
`

/** Checks a snapshot's sha256 against the file beside it. */
const VERIFY = `f=$1
[ -f "$f" ] || die "the snapshot $f is missing"
[ -f "$f.sha256" ] || die "the checksum file $f.sha256 is missing"
want=$(cut -d' ' -f1 < "$f.sha256")
have=$(sha256sum -- "$f" | cut -d' ' -f1)
[ "$want" = "$have" ] || die "the snapshot $f is damaged: its sha256 is $have, $f.sha256 says $want"
echo "sha256=$have"
`

/**
 * Restores a snapshot in one transaction: the site's tables that the snapshot does not hold (made by the upgrade) are
 * dropped, those it holds are dropped and recreated with their rows. PostgreSQL: `pg_restore --clean --if-exists` as SQL
 * into `psql --single-transaction`; MySQL/MariaDB: the dump (DROP TABLE IF EXISTS, CREATE, INSERT) after the drops.
 */
const RESTORE = `${DB_PRELUDE}f=$1
if [ "$type" = pgsql ]; then
  mapfile -t have < <(tables) || die "cannot list the tables of $db: the database was not changed"
  mapfile -t keep < <(pg_restore -l -- "$f" | awk '$4 == "TABLE" && $5 != "DATA" { print $6 }') || die "pg_restore cannot read $f: the database was not changed"
  {
    for t in "\${have[@]}"; do
      printf '%s\\n' "\${keep[@]}" | grep -qxF -- "$t" || printf 'DROP TABLE IF EXISTS "%s" CASCADE;\\n' "$t"
    done
    pg_restore --clean --if-exists --no-owner -f - -- "$f"
  } | psql -X -q -v ON_ERROR_STOP=1 --single-transaction -o /dev/null \
    || die "the restore of $f into $db failed and was rolled back (one transaction): the database is as it was before the restore"
else
  mapfile -t have < <(tables) || die "cannot list the tables of $db: the database was not changed"
  mapfile -t keep < <(sed -n 's/^CREATE TABLE \`\\([^\`]*\\)\`.*/\\1/p' -- "$f")
  drops=""
  for t in "\${have[@]}"; do
    printf '%s\\n' "\${keep[@]}" | grep -qxF -- "$t" || drops+="DROP TABLE IF EXISTS \\\`$t\\\`;"$'\\n'
  done
  { printf 'SET foreign_key_checks = 0;\\n%s' "$drops"; cat -- "$f"; } | "$client" --no-defaults "\${my[@]}" --database="$db" \
    || die "the restore of $f into $db failed part-way (MySQL cannot undo table changes): the site's tables are partly restored; run the restore again by hand: mysql $db < $f"
fi
echo restored
`

function kv(out: string): Record<string, string> {
  const r: Record<string, string> = {}
  for (const l of out.split('\n')) {
    const m = /^([a-z0-9]+)=(.*)$/.exec(l.trim())
    if (m) r[m[1]] = m[2]
  }
  return r
}

/** Where snapshots go: `backup-dir`, or `.delivery/backups` under the delivery root. */
export function backupDir(ctx: HostContext): string {
  return ctx.settings.backupDir ?? `${ctx.layout.meta}/backups`
}

/** `moodle-db-<time>-<run>-<from>-to-<to>.<pgdump|sql>`: time first, so names sort by age. */
export function snapshotName(now: Date, runId: string, dbtype: string, from: string, to: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const clean = (s: string) => s.replace(/[^A-Za-z0-9.]/g, '').slice(0, 24) || 'unknown'
  return `moodle-db-${stamp}-${clean(runId)}-${clean(from)}-to-${clean(to)}.${isPg(dbtype) ? 'pgdump' : 'sql'}`
}

/** Human size: 1.5 MB. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

/** The bytes the site's tables take now (the size a snapshot is checked against). */
export async function databaseSize(ctx: HostContext, c: DbConfig): Promise<number> {
  const r = await ctx.sh.run(`measure the database ${c.dbname}`, SIZE, connArgs(c), { stdin: `${c.dbpass}\n`, secrets: [c.dbpass], timeoutMs: 300_000 })
  return Number(kv(r.stdout).size ?? 0)
}

/**
 * Takes the snapshot (maintenance on and cron held by the caller), records it in state.json and the journal, then
 * applies `backup-keep`. Throws StepFailure when the dump fails (nothing is left behind).
 */
export async function takeSnapshot(
  ctx: HostContext,
  c: DbConfig,
  v: { from: string; fromRelease?: string; to: string; toRelease?: string; quiet: boolean },
): Promise<SnapshotRecord> {
  const dir = backupDir(ctx)
  const name = snapshotName(ctx.now(), ctx.settings.run.runId, c.dbtype, v.from, v.to)
  const started = Date.now()
  const rec = await step(
    ctx,
    'database snapshot',
    async () => {
      const r = await ctx.sh.run(`snapshot the database ${c.dbname}`, DUMP, [...connArgs(c), dir, name], {
        stdin: `${c.dbpass}\n`,
        secrets: [c.dbpass],
        nothrow: true,
        timeoutMs: 6 * 3600_000,
      })
      if (r.code !== 0) throw new StepFailure(`database snapshot failed: ${lastLines(r.stderr || r.stdout)}`)
      const o = kv(r.stdout)
      const muc = await saveCacheConfig(ctx, `${dir}/${name}.muc`)
      const record: SnapshotRecord = {
        ...(muc ? { muc } : {}),
        file: `${dir}/${name}`,
        sha256: o.sha256,
        bytes: Number(o.bytes),
        dbtype: c.dbtype,
        dbname: c.dbname,
        prefix: c.prefix,
        fromVersion: v.from,
        fromRelease: v.fromRelease,
        toVersion: v.to,
        toRelease: v.toRelease,
        tree: ctx.state?.live ?? '',
        runId: ctx.settings.run.runId,
        at: ctx.now().toISOString(),
        ms: Date.now() - started,
        quiet: v.quiet,
      }
      return record
    },
    (r) => `${r.file} (${humanBytes(r.bytes)}, ${c.dbtype}) in ${(r.ms / 1000).toFixed(1)} s; database ${v.from} before the upgrade to ${v.to}; the maintenance window grew by ${(r.ms / 1000).toFixed(1)} s`,
  )
  ctx.report.snapshot = { file: rec.file, bytes: rec.bytes, ms: rec.ms, sha256: rec.sha256, dbtype: rec.dbtype, fromVersion: rec.fromVersion, toVersion: rec.toVersion, windowGrowthMs: rec.ms }
  if (ctx.state) {
    const state: ServerState = ctx.state
    state.snapshots = [...(state.snapshots ?? []), rec]
    await saveState(ctx, state)
  }
  await journal(ctx, 'database-snapshot', { snapshot: rec })
  // Retention only once the new snapshot is safely written.
  const pruned = await ctx.sh.run('apply backup-keep', PRUNE, [dir, String(ctx.settings.backupKeep)], { nothrow: true })
  const gone = pruned.stdout.split('\n').map((s) => s.trim()).filter(Boolean)
  if (pruned.code !== 0) ctx.log.warning(`could not remove old snapshots in ${dir}: ${lastLines(pruned.stderr)}`)
  if (gone.length && ctx.state) {
    ctx.state.snapshots = (ctx.state.snapshots ?? []).filter((s) => !gone.some((g) => s.file === `${dir}/${g}`))
    await saveState(ctx, ctx.state)
    await journal(ctx, 'database-snapshot-removed', { files: gone.map((g) => `${dir}/${g}`), keep: ctx.settings.backupKeep })
  }
  return rec
}

/**
 * Keeps the cache configuration that goes with the database being dumped (0600, beside the dump); undefined when
 * moodledata holds none or it cannot be read (a warning: the restore then lets Moodle build its default one).
 */
async function saveCacheConfig(ctx: HostContext, file: string): Promise<string | undefined> {
  try {
    const text = await readCacheConfig(ctx, ctx.layout.tree(ctx.state!.live))
    if (!text) return undefined
    await ctx.sh.run(`keep the cache configuration in ${file}`, 'umask 077; cat > "$1.tmp"; mv -f -- "$1.tmp" "$1"', [file], { stdin: text })
    return file
  } catch (e) {
    ctx.log.warning(`the cache configuration (muc/config.php) was not kept with the snapshot: ${(e as Error).message}`)
    return undefined
  }
}

/**
 * After a restore: the cache configuration kept with the snapshot goes back into moodledata (the newer one, which the
 * older code cannot load, is kept beside it); with none kept, the current one is set aside and Moodle builds its
 * default again.
 */
export async function restoreCacheConfig(ctx: HostContext, dir: string, s: SnapshotRecord): Promise<void> {
  await step(ctx, 'cache configuration', async () => {
    let text: Buffer | undefined
    if (s.muc) {
      const r = await ctx.sh.run(`read ${s.muc}`, 'base64 -w0 < "$1"', [s.muc])
      text = Buffer.from(r.stdout.trim(), 'base64')
    }
    return { aside: await putCacheConfig(ctx, dir, text), kept: Boolean(text) }
  }, (r) => `${r.kept ? `muc/config.php as it was before the upgrade (${s.muc})` : "no cache configuration was kept with the snapshot: Moodle builds its default one (cache stores configured by hand must be set again)"}${r.aside ? `; the newer one is kept as ${r.aside}` : ''}`)
}

/** Checks the snapshot against its checksum; throws Refusal when it is missing or damaged. */
export async function verifySnapshot(ctx: HostContext, s: SnapshotRecord): Promise<void> {
  await step(ctx, 'snapshot checksum', async () => {
    const r = await ctx.sh.run(`verify the snapshot ${s.file}`, VERIFY, [s.file], { nothrow: true, timeoutMs: 3600_000 })
    if (r.code !== 0) throw new Refusal(`goback refused: ${lastLines(r.stderr)}; nothing was changed`)
    if (kv(r.stdout).sha256 !== s.sha256) {
      throw new Refusal(`goback refused: the snapshot ${s.file} is not the one recorded (sha256 ${kv(r.stdout).sha256}, state.json says ${s.sha256}); nothing was changed`)
    }
    return s.sha256
  }, (h) => `${s.file}: sha256 ${h.slice(0, 16)}… matches`)
}

/** Restores the snapshot into the database config.php names. Throws StepFailure saying what state the database is in. */
export async function restoreSnapshot(ctx: HostContext, c: DbConfig, s: SnapshotRecord): Promise<void> {
  await step(ctx, 'database restore', async () => {
    const r = await ctx.sh.run(`restore ${s.file} into ${c.dbname}`, RESTORE, [...connArgs(c), s.file], {
      stdin: `${c.dbpass}\n`,
      secrets: [c.dbpass],
      nothrow: true,
      timeoutMs: 6 * 3600_000,
    })
    if (r.code !== 0) throw new StepFailure(`database restore failed: ${lastLines(r.stderr || r.stdout)}`)
  }, () => `${s.file} restored into ${c.dbname} (${c.dbtype}): the database is at ${s.fromVersion} again`)
}

/** The snapshot taken just before the upgrade that produced `dbVersion`, when state.json records one. */
export function snapshotFor(state: ServerState, dbVersion: string | undefined): SnapshotRecord | undefined {
  if (!dbVersion) return undefined
  // Moodle keeps the version as PHP prints a float (2023100900, not 2023100900.00): compared as numbers.
  return [...(state.snapshots ?? [])].reverse().find((s) => compareVersions(s.toVersion, dbVersion) === 0)
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-5).join('\n')
}

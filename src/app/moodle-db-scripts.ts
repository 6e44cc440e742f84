/**
 * The bash scripts that snapshot, measure, verify, prune and restore a Moodle database on the server (pg_dump -Fc /
 * pg_restore, or mysqldump --single-transaction / mysql). Constant text: the connection words are positional arguments
 * (`connArgs`), the password comes on standard input and reaches the tool through its environment, never an argument.
 */
import type { DbConfig } from './moodle-config.js'

export const isPg = (t: string) => t === 'pgsql'

/** The connection words every database script takes, in this order: type host port socket user name prefix. */
export function connArgs(c: DbConfig): string[] {
  return [c.dbtype, c.dbhost, c.dboptions.dbport ?? '', c.dboptions.dbsocket ?? '', c.dbuser, c.dbname, c.prefix]
}

/**
 * Bash shared by the database scripts: reads the password from the first line of standard input and sets up `pgenv`
 * (PG* variables) or `my` (the client's connection options, MYSQL_PWD exported). The password is never an argument.
 */
export const DB_PRELUDE = `IFS= read -r pw || true
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
export const DUMP = `${DB_PRELUDE}dir=$1 name=$2
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
export const PRUNE = `dir=$1 keep=$2
cd -- "$dir"
mapfile -t all < <(ls -1 -- . | grep -E '^moodle-db-[0-9]{8}T[0-9]{6}Z-.*\\.(pgdump|sql)$' | sort)
n=$(( \${#all[@]} - keep ))
for (( i = 0; i < n; i++ )); do rm -f -- "./\${all[$i]}" "./\${all[$i]}.sha256"; echo "\${all[$i]}"; done
`

/** Sizes the site's tables take (for the plan); prints bytes. */
export const SIZE = `${DB_PRELUDE}size=$(dbsize) || die "cannot connect to the database $db as $user to measure it"
echo "size=\${size//[^0-9]/}"
`

/** Checks a snapshot's sha256 against the file beside it. */
export const VERIFY = `f=$1
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
export const RESTORE = `${DB_PRELUDE}f=$1
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

export function kv(out: string): Record<string, string> {
  const r: Record<string, string> = {}
  for (const l of out.split('\n')) {
    const m = /^([a-z0-9]+)=(.*)$/.exec(l.trim())
    if (m) r[m[1]] = m[2]
  }
  return r
}

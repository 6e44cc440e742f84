#!/usr/bin/env bash
# Measures every table of bench/README.md in one run, on this checkout's dist/ (built first from its src/), side by
# side with the seed procedure where a table compares them, then writes the README's tables from the results
# (bench/tables.mjs). The benchmarks run one after the other (they must not overlap: they share the machine); each
# one's console output is in bench/results/NAME.log. About 30 minutes on 2 quiet cores (bench/README.md, "Running
# them", lists the time each took last).
#
# Needs root, nginx and php-fpm (apt-get install -y nginx-light php8.2-fpm) plus the project's CI packages; the
# database snapshot also needs PostgreSQL and MariaDB (postgresql, mariadb-server, php-pgsql, php-mysql) and is left
# out, with a message, without them.
#
#   bash bench/all.sh [--no-build] [--tiny]
# A benchmark that fails does not stop the others; the script then exits 1 and its table reads "not yet measured".
# --tiny runs the same sequence with tiny sizes and 2 runs (a few minutes), to check that everything works: its
# results go to $BENCH_RESULTS (default /tmp/dlv-bench-tiny), its tables into a copy of the README there.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/all.sh: run it as root (the benchmarks start sshd servers for a local user)" >&2; exit 2; }
for tool in nginx php-fpm8.2 rsync git sshd; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "bench/all.sh: $tool is missing (apt-get install -y nginx-light php8.2-fpm)" >&2; exit 2; }
done
build=1 tiny=
for arg in "$@"; do
  case $arg in
    --no-build) build= ;;
    --tiny) tiny=1 ;;
    *) echo "usage: bash bench/all.sh [--no-build] [--tiny]" >&2; exit 2 ;;
  esac
done
if [ -n "$build" ]; then npm run -s build || exit 1; fi
if [ -n "$tiny" ]; then export BENCH_RESULTS=${BENCH_RESULTS:-/tmp/dlv-bench-tiny}; fi
results=${BENCH_RESULTS:-bench/results}
mkdir -p "$results"
failed=()
# run NAME OPTIONS...: runs benchmark NAME (its results file NAME.json is removed first, so that a failed run leaves
# no figures of an earlier one behind); its console output also goes to NAME.log.
run() {
  local name=$1 start=$SECONDS
  rm -f "$results/$name.json"
  echo "== $(date -u +%H:%M:%S) node bench/run.mjs $*"
  if ! node bench/run.mjs "$@" 2>&1 | tee "$results/$name.log"; then failed+=("$name"); fi
  echo "== $name: $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
}
if [ -z "$tiny" ]; then
  run exec-latency --runs 20
  run footprint --runs 10
  run outage --files 10000 --rounds 5 --rate 200
  run maintenance --files 2000 --rounds 5 --rate 50
  run fleet --hosts 1,4,16 --files 2000 --runs 5
  run cost --sizes 10000,30000,100000 --changes 10,100 --extra "" --runs 5 --first-runs 3 --first-runs-large 1 --seed-max 30000
  run walk --sizes 10000,30000,50000,100000 --runs 5
  snapshot=(--sizes 10,100 --rounds 1)
else
  run exec-latency --runs 3
  run footprint --runs 2 --files 200
  run outage --files 500 --rounds 2 --rate 50
  run maintenance --files 200 --rounds 2 --rate 20
  run fleet --hosts 1,4 --files 200 --runs 2
  run cost --sizes 1000,3000 --changes 10 --extra 3000:100 --runs 2 --first-runs 2 --first-runs-large 1 --large 3000
  run walk --sizes 1000 --runs 2
  snapshot=(--sizes 1 --rounds 1)
fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v mariadbd >/dev/null; then
  run snapshot "${snapshot[@]}"
else
  echo "== snapshot left out: PostgreSQL or MariaDB is not installed"
  rm -f "$results/snapshot.json"
fi
if [ -n "$tiny" ]; then
  cp bench/README.md "$results/README.md"
  node bench/tables.mjs --results "$results" --readme "$results/README.md"
else
  node bench/tables.mjs --results "$results"
fi
if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}" >&2; exit 1; fi

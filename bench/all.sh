#!/usr/bin/env bash
# Runs every benchmark as bench/README.md reports them, one after the other (they must not overlap: they share the
# machine), each log in bench/results/NAME.log. About 45 minutes on 2 cores.
# Needs root, nginx and php-fpm: apt-get install -y nginx-light php8.2-fpm (plus the project's CI packages).
# Delivery is this checkout's dist/; `nodelay` is this checkout with bench/patches/ssh-nodelay.patch (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
nodelay=$(node bench/variant.mjs --name nodelay --patch bench/patches/ssh-nodelay.patch)
clis="Delivery=dist/cli.js,nodelay=$nodelay"
# run LOG NAME OPTIONS...: runs benchmark NAME, its output also in bench/results/LOG.log
run() { local log=$1; shift; echo "== $*"; node bench/run.mjs "$@" 2>&1 | tee "bench/results/$log.log"; }
run exec-latency exec-latency --runs 20
run footprint footprint --runs 10 --cli "$clis"
run outage outage --files 10000 --rounds 5 --rate 200 --cli "$clis"
run maintenance maintenance --files 2000 --rounds 3 --rate 50 --cli "$clis"
run fleet fleet --hosts 1,4,16 --files 2000 --runs 3 --cli "$clis"
run fleet-small fleet --hosts 1,4,16 --files 100 --change 5 --runs 3 --cli "$clis" --out fleet-small
run cost cost --sizes 10000,30000,100000 --changes 10,100,1000 --runs 3 --runs-large 2 --cli "$clis"

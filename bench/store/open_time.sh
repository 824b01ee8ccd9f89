#!/usr/bin/env bash
# Open time with the plain CLI (no daemon): `duet status` of one run in a store holding RUNS
# runs, each made by its own `duet run` of a small workflow (two turns), as a user's store
# grows. The defaults, 1000 1099 10000 10099, catch both ends of the journal: each run adds
# 2.6 KB to it, so the 1000th run's close has just retired it into tables (empty journal)
# and at 1099 runs it is at its longest (just under the 256 KiB at which it is retired).
# Release build; hyperfine's mean. (What an open costs after a writer was killed with a long
# journal: `cargo run --release -p duet-store --example open_time`.)
#
#   bench/store/open_time.sh [RUNS...]          (ascending)
#   DUET_BIN=path/to/duet bench/store/open_time.sh 1000
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 1099 10000 10099)
if [ -z "${DUET_BIN:-}" ]; then
  cargo build --release --quiet
  DUET_BIN="${CARGO_TARGET_DIR:-target}/release/duet"
fi
duet=$(realpath "$DUET_BIN")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/small.lisp" <<'LISP'
(workflow small
  (state s
    (println (random-int 10))
    (println (random-int 10))
    (terminal)))
LISP
cd "$work"
made=0
for runs in "${sizes[@]}"; do
  start=$(date +%s%N)
  while [ "$made" -lt "$runs" ]; do
    "$duet" run small.lisp >/dev/null 2>&1
    made=$((made + 1))
  done
  took=$(( ($(date +%s%N) - start) / 1000000 ))
  probe="r$((runs / 2))"
  "$duet" status "$probe" >/dev/null
  journal=$(stat -c %s .duet/db/*.jnl | paste -sd+ | bc)
  tables=$(find .duet/db/keyspaces -path '*/tables/*' -type f | wc -l)
  echo "$runs runs (made in $took ms; journal now $journal bytes, $tables table files):"
  hyperfine -N --style basic --warmup 3 --runs 30 "$duet status $probe" 2>&1 | grep -E "Time|Range"
done

#!/usr/bin/env bash
# Cold `duet resume` latency and the store's size per suspended run (release build).
#
#   bench/runtime/resume.sh [RUNS]      (default 1000 suspended runs)
#
# Makes RUNS runs of a workflow that works a few turns (clock, random draws, a timer), then
# waits for a person (`ask-user` with no terminal: exit 3). Then, each in a fresh process,
# times `duet resume` of runs spread over the store (open the store, load the manifest,
# restore the nearest snapshot, redeliver the journal after it, suspend again), next to
# `duet --version` (process start) and `duet status` (process start + opening the store),
# and reports the ratios. No peer engine is installable offline; the floors are the peers.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-1000}
# DUET_BIN runs another build (or a copy) instead of building target/release/duet.
if [ -z "${DUET_BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=${DUET_BIN:-$PWD/target/release/duet}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/wait.lisp" <<'LISP'
(workflow waiter
  (def total 0)
  (state work
    (set! total (+ (random-int 100) (random-int 100) (random-int 100)))
    (sleep "1ms")
    (println "drawn" total (> (now) 0))
    (goto ask))
  (state ask
    (let [answer (ask-user "Ship it?" :options ["yes" "no"])]
      (terminal :completed answer))))
LISP
cd "$work"
echo "making $runs suspended runs…"
start=$(date +%s.%N)
for _ in $(seq "$runs"); do
  code=0
  "$bin" run wait.lisp < /dev/null > /dev/null 2>&1 || code=$?
  [ "$code" = 3 ] || { echo "a run exited $code instead of waiting (3)"; exit 1; }
done
end=$(date +%s.%N)
size=$(du -sb .duet | cut -f1)
python3 - "$runs" "$size" "$start" "$end" <<'PY'
import sys
runs, size, start, end = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"{runs} suspended runs: store {size/1e6:.1f} MB = {size/runs/1024:.1f} KiB per run; "
      f"made at {runs/(end-start):.0f} runs/s (one process each)")
PY
"$bin" status r1 | grep -q "waiting: an answer to: Ship it?" || { echo "r1 is not waiting"; exit 1; }
python3 - "$bin" "$runs" <<'PY'
import statistics, subprocess, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
picks = [f"r{1 + (i * 7919) % runs}" for i in range(60)]
def timed(args, code):
    t = time.perf_counter()
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if p.returncode != code:
        sys.exit(f"{args} exited {p.returncode}, expected {code}")
    return time.perf_counter() - t
rows = {"duet --version": [], "duet status RUN": [], "duet resume RUN": []}
for run in picks:  # interleaved, so drift hits all three alike
    rows["duet --version"].append(timed([bin, "--version"], 0))
    rows["duet status RUN"].append(timed([bin, "status", run], 0))
    rows["duet resume RUN"].append(timed([bin, "resume", run], 3))
floor = statistics.median(rows["duet --version"])
for name, times in rows.items():
    m = statistics.median(times)
    print(f"{name:18} median {m*1000:6.2f} ms  ({m/floor:4.1f}x process start)")
import resource
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak memory of any of those processes: {peak/1024:.1f} MiB (max RSS)")
PY

#!/usr/bin/env bash
# The daemon under load, release build:
#   1. `duet status` and `duet runs` latency with RUNS runs in the store (default 10,000),
#      through the daemon and without one (goal: status <= 10 ms through the daemon);
#   2. SLEEPERS runs (default 1,000) sleeping at once in one daemon: the daemon's memory per
#      sleeping run, and how late their timers fire (p50/p99/max), read from the runs' own
#      log lines (each logs `late MS` after `sleep-until` its deadline).
#
#   bench/daemon/daemon.sh [RUNS] [SLEEPERS]
#
# Works in a fresh directory under $TMPDIR (removed afterwards). Needs python3 for the
# percentiles.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-10000}
SLEEPERS=${2:-1000}
cargo build --release --quiet --bin duet
duet=$PWD/target/release/duet
work=$(mktemp -d "${TMPDIR:-/tmp}/duet-daemon-bench.XXXXXX")
trap '"$duet" daemon stop --store "$work/store" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd "$work"
export DUET_STORE=$work/store

# Milliseconds a command takes, N times: prints p50 and p90.
latency() {
  local n=$1; shift
  python3 - "$n" "$@" <<'PY'
import subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"p50 {times[len(times)//2]:.1f} ms, p90 {times[int(len(times)*0.9)]:.1f} ms")
PY
}

echo "== 1. $RUNS runs in the store"
cat > quick.lisp <<'LISP'
(workflow quick
  (roles (w :agent-kind "echo"))
  (state s (prompt w "hi") (terminal :completed 1)))
LISP
"$duet" daemon start >/dev/null
started=$(date +%s.%N)
for ((i = 0; i < RUNS; i++)); do
  "$duet" run --detach quick.lisp >/dev/null 2>&1 || true
done
# Until every run has ended (the listing is read whole: `grep -q` would end `duet runs`
# early, and pipefail would end the wait).
active() { "$duet" runs > listing.txt; grep -qv completed listing.txt; }
while active; do sleep 1; done
echo "made $RUNS runs through the daemon in $(python3 -c "print(round($(date +%s.%N) - $started, 1))") s"
middle="r$((RUNS / 2))"
echo "duet status $middle through the daemon: $(latency 50 "$duet" status "$middle")"
echo "duet runs through the daemon:          $(latency 10 "$duet" runs)"
"$duet" daemon stop >/dev/null
echo "duet status $middle without a daemon:  $(latency 20 "$duet" status "$middle")"
echo "duet runs without a daemon:            $(latency 5 "$duet" runs)"

echo "== 2. $SLEEPERS runs sleeping at once in one daemon"
rm -rf "$work/store"
cat > sleeper.lisp <<'LISP'
(workflow sleeper
  (state s
    (let [due (+ (now) 30000)]
      (sleep-until due)
      (log (str "late " (- (now) due))))
    (terminal)))
LISP
"$duet" daemon start >/dev/null
pid=$("$duet" daemon status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null \
  || "$duet" daemon status | sed -n 's/.*pid \([0-9]*\).*/\1/p' | head -1)
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
before=$(rss)
for ((i = 0; i < SLEEPERS; i++)); do
  "$duet" run --detach sleeper.lisp >/dev/null 2>&1 || true
done
sleep 2
during=$(rss)
threads=$(ls "/proc/$pid/task" | wc -l)
echo "daemon RSS: $before KiB idle, $during KiB with $SLEEPERS sleeping runs ($(( (during - before) / SLEEPERS )) KiB a run); $threads threads"
while active; do sleep 1; done
python3 - "$work/store/logs/daemon.log" <<'PY'
import json, sys
late = []
for line in open(sys.argv[1]):
    # Lines of a run's events are `run ID: {JSON}`.
    _, _, payload = line.partition(": ")
    try:
        event = json.loads(payload)
    except ValueError:
        continue
    if event.get("event") == "log" and event.get("text", "").startswith("late "):
        late.append(int(event["text"].split()[1]))
late.sort()
if not late:
    sys.exit("no run logged how late it woke")
pick = lambda q: late[min(len(late) - 1, int(len(late) * q))]
print(f"timers fired late by p50 {pick(0.5)} ms, p99 {pick(0.99)} ms, max {late[-1]} ms ({len(late)} runs)")
PY

#!/usr/bin/env bash
# Resume of a long run: a workflow makes TURNS journaled effects (default 10000), then sleeps
# durably; it is killed (SIGKILL) while it sleeps, and `duet resume` restores it (nearest
# snapshot + the inputs journaled since) and finishes it once the timer is due. Also times
# `duet status` and `duet replay` (which checks every turn) of that run. Release build.
#
#   bench/store/resume.sh [TURNS]
#   DUET_BIN=path/to/duet bench/store/resume.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
turns=${1:-10000}
if [ -z "${DUET_BIN:-}" ]; then
  cargo build --release --quiet
  DUET_BIN="${CARGO_TARGET_DIR:-target}/release/duet"
fi
duet=$(realpath "$DUET_BIN")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/long.lisp" <<LISP
(workflow long
  (def total 0)
  (state s
    (loop [i 0]
      (when (< i $turns)
        (set! total (+ total (random-int 10)))
        (recur (inc i))))
    (println "done" total)
    (sleep 2000)
    (println "total" total)
    (terminal :completed total)))
LISP
cd "$work"
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
start=$(date +%s%N)
"$duet" run long.lisp > out 2>err &
writer=$!
until grep -q "^done" out 2>/dev/null; do sleep 0.05; done
ran=$(ms "$start")
# Past the sleep's journaled deadline being written, then killed.
sleep 0.5
{ kill -9 "$writer"; wait "$writer"; } 2>/dev/null || true
# Let the timer fall due, so the resume's time is restoring and finishing, not waiting.
sleep 2
start=$(date +%s%N)
"$duet" resume r1 > resumed 2>&1
resume_ms=$(ms "$start")
grep -q "^total" resumed || { cat resumed >&2; exit 1; }
history=$("$duet" history r1 | wc -l)
status_start=$(date +%s%N)
"$duet" status r1 >/dev/null
status_ms=$(ms "$status_start")
replay_start=$(date +%s%N)
"$duet" replay r1 > replay 2>&1
replay_ms=$(ms "$replay_start")
printf 'turns        %d journaled (%d ms to run them)\n' "$history" "$ran"
printf 'resume       %d ms (restore after SIGKILL, then the last turns)\n' "$resume_ms"
printf 'status       %d ms\n' "$status_ms"
printf 'replay       %d ms: %s\n' "$replay_ms" "$(head -c 200 replay)"
printf 'store        %.1f MB\n' "$(echo "$(du -sb .duet | cut -f1) / 1000000" | bc -l)"

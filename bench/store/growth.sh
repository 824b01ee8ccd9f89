#!/usr/bin/env bash
# Store growth: a workflow holding 200 KB of text across 400 turns (200 short sleeps, each a
# deadline and a timer's end), run with the release `duet`: the store's size on disk and the
# run's wall time. Before the snapshot policy (every turn snapshotted) this wrote 693 MB in
# 5.5 s; the goal is <= 20 MB and <= 1 s.
#
# The text is built by doubling a string, leaving almost no garbage in the heap: a VM
# snapshot still carries the heap's freed slots, so a state built from 200,000 list cells
# costs far more per turn than its 200 KB (see the note in bench/store/README.md).
#
#   bench/store/growth.sh [TEXT_BYTES] [SLEEPS] [cells]     (defaults 200000 200)
#   (with `cells`, the state is a list of TEXT_BYTES one-character strings instead)
#   DUET_BIN=path/to/duet bench/store/growth.sh     (another build, e.g. an older one)
set -euo pipefail
cd "$(dirname "$0")/../.."
bytes=${1:-200000}
sleeps=${2:-200}
shape=${3:-text}
if [ -z "${DUET_BIN:-}" ]; then
  cargo build --release --quiet
  DUET_BIN="${CARGO_TARGET_DIR:-target}/release/duet"
fi
duet=$(realpath "$DUET_BIN")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$shape" = cells ]; then
  state="(loop [l '() i 0] (if (< i $bytes) (recur (cons \"x\" l) (+ i 1)) l))"
else
  state="(subs (loop [s \"x\"] (if (< (count s) $bytes) (recur (str s s)) s)) 0 $bytes)"
fi
cat > "$work/grow.lisp" <<LISP
(def text $state)
(workflow grow
  (state s
    (loop [i 0]
      (when (< i $sleeps)
        (sleep 1)
        (recur (+ i 1))))
    (println (count text))
    (terminal)))
LISP
cd "$work"
start=$(date +%s%N)
"$duet" run grow.lisp >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
end=$(date +%s%N)
turns=$("$duet" history r1 | wc -l)
size=$(du -sb .duet | cut -f1)
replay_start=$(date +%s%N)
"$duet" replay r1 2>&1
replay_end=$(date +%s%N)
printf 'state        %d %s\n' "$bytes" "$([ "$shape" = cells ] && echo "list cells" || echo "bytes of text")"
printf 'turns        %d\n' "$turns"
printf 'store        %.1f MB\n' "$(echo "$size / 1000000" | bc -l)"
printf 'run          %d ms (of which sleeping: %d ms)\n' $(( (end - start) / 1000000 )) "$sleeps"
printf 'replay       %d ms\n' $(( (replay_end - replay_start) / 1000000 ))

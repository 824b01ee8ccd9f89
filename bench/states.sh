#!/usr/bin/env bash
# `duet check` and the language server on workflows with many states and gotos (issue 14:
# both used to be quadratic). Generates workflows of 1,000, 4,000 and 16,000 states (each
# state with two gotos), times `duet check` on each (the ratio between sizes shows the
# growth: linear is ×4 per step), then times the language server's didChange →
# publishDiagnostics on 1,100 states with bench/lsp.sh.
#
# Uses the debug build by default; PROFILE=release measures an optimised build.
#   bench/states.sh
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-debug}
mkdir -p bench/out
gen() {
  python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1])
print("(workflow big")
for i in range(n):
    nxt = f"(goto s{i + 1}x)" if i + 1 < n else "(terminal)"
    print(f"  (state s{i}x\n    (log \"state {i}\")\n    (if (= 1 2) (goto s{(i * 7) % n}x) {nxt}))")
print(")")
PY
}
if [ "$profile" = release ]; then
  cargo build --release --quiet --bin duet
else
  cargo build --quiet --bin duet
fi
bin="${CARGO_TARGET_DIR:-target}/$profile/duet"
for n in 1000 4000 16000; do
  gen "$n" > "bench/out/states-$n.lisp"
  "$bin" check "bench/out/states-$n.lisp" 2>/dev/null || { echo "states-$n does not check clean"; exit 1; }
done
python3 - "$bin" <<'PY'
import subprocess, sys, time
previous = None
for n in (1000, 4000, 16000):
    runs = []
    for _ in range(7):
        t = time.perf_counter()
        subprocess.run([sys.argv[1], "check", f"bench/out/states-{n}.lisp"], check=True,
                       stderr=subprocess.DEVNULL)
        runs.append(time.perf_counter() - t)
    median = sorted(runs)[len(runs) // 2] * 1000
    ratio = f" (×{median / previous:.1f} for ×4 states)" if previous else ""
    print(f"duet check, {n:,} states: median {median:.1f} ms{ratio}")
    previous = median
PY
gen 1100 > bench/out/states-1100.lisp
INPUT=bench/out/states-1100.lisp NEEDLE="(goto s550x" bench/lsp.sh

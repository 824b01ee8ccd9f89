#!/usr/bin/env bash
# Measures `duet fmt -` throughput (release build) on about 5 MB of generated, partly
# unformatted Duet source, and prints MB/s. Usage: bench/fmt.sh [BYTES]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
bytes="${1:-5000000}"
input=bench/out/fmt-input.lisp
python3 bench/gen_fmt_input.py "$bytes" > "$input"
cargo build --release --quiet --bin duet
bin="${CARGO_TARGET_DIR:-target}/release/duet"
"$bin" fmt - < "$input" > bench/out/fmt-output.lisp || { echo "the generated input does not format"; exit 1; }
# The output must be a fixed point; a benchmark of a broken formatter measures nothing.
"$bin" fmt --check - < bench/out/fmt-output.lisp > /dev/null || { echo "formatting is not idempotent on the input"; exit 1; }
echo "input: $(wc -l < "$input") lines, $(wc -c < "$input") bytes"
python3 - "$bin" "$input" <<'PY'
import os, subprocess, sys, time
binary, path = sys.argv[1], sys.argv[2]
size = os.path.getsize(path)
runs = []
for _ in range(10):
    with open(path, "rb") as f:
        t = time.perf_counter()
        subprocess.run([binary, "fmt", "-"], stdin=f, stdout=subprocess.DEVNULL, check=True)
        runs.append(time.perf_counter() - t)
runs.sort()
median = runs[len(runs) // 2]
print(f"duet fmt -: median {median * 1000:.0f} ms, min {runs[0] * 1000:.0f} ms over {len(runs)} runs")
print(f"throughput: {size / median / 1e6:.1f} MB/s (median), {size / runs[0] / 1e6:.1f} MB/s (best)")
PY

#!/usr/bin/env bash
# Times `duet check` on a generated 10,000-line program (release build). Uses hyperfine when
# it is installed (installing it from Debian when run as root), else a plain timing loop.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
python3 bench/gen_check_input.py 10000 > bench/out/check-10k.lisp
cargo build --release --quiet
bin=target/release/duet
"$bin" check bench/out/check-10k.lisp 2>/dev/null || { echo "the generated program does not check clean"; exit 1; }
echo "input: $(wc -l < bench/out/check-10k.lisp) lines, $(wc -c < bench/out/check-10k.lisp) bytes"
if ! command -v hyperfine >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get install -y -qq hyperfine >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq hyperfine; }) >/dev/null 2>&1 || true
fi
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 3 --runs 30 -N "$bin check bench/out/check-10k.lisp"
else
  python3 - "$bin" <<'PY'
import subprocess, sys, time
runs = []
for _ in range(30):
    t = time.perf_counter()
    subprocess.run([sys.argv[1], "check", "bench/out/check-10k.lisp"], check=True, stderr=subprocess.DEVNULL)
    runs.append(time.perf_counter() - t)
runs.sort()
print(f"duet check, 10,000 lines: median {runs[len(runs)//2]*1000:.1f} ms, min {runs[0]*1000:.1f} ms over {len(runs)} runs")
PY
fi

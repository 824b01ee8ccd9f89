#!/usr/bin/env bash
# Runs each fuzz target of fuzz/ (the reader, the expander, the formatter, the VM's
# builtins) for SECONDS
# (default 300) on stable Rust without a sanitizer, seeded with the test corpora. Installs
# cargo-fuzz when it is missing. Exits non-zero when a target finds a crash; the input is
# saved under fuzz/artifacts/TARGET/.
#   bench/fuzz.sh [SECONDS] [TARGET…]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(reader expander formatter builtins)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
status=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  before=$(ls "artifacts/$target" | wc -l)
  echo "=== $target, ${seconds} s"
  # libFuzzer writes what it finds into the first directory: the target's own corpus.
  cargo fuzz run "$target" -s none "corpus/$target" ../tests/check ../tests/fmt ../tests/run ../examples \
    -- -max_total_time="$seconds" -max_len=4096 2>&1 | grep -E '^Done|panicked|crash-' || true
  if [ "$(ls "artifacts/$target" | wc -l)" -gt "$before" ]; then
    echo "$target: a new crash in fuzz/artifacts/$target/" >&2
    status=1
  fi
done
exit "$status"

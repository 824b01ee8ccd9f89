#!/usr/bin/env bash
# Dataspace throughput of the SAM kernel (release build): assert+retract with 0, 1 and 1,000
# observers (unrelated labels or constants, skeleton vs naive index) and message delivery.
# Prints a Markdown table. Uses CARGO_TARGET_DIR if set.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run --release --quiet -p duet-sam --example sam_bench

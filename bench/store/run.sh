#!/usr/bin/env bash
# Durable turns per second of duet's store (one writer; four writers sharing fdatasyncs
# through group commit) against raw write + fdatasync loops on the same disk, in the same
# run, interleaved round by round; and the store's size per turn. Release build.
#
#   bench/store/run.sh [--dir DIR] [--turns N] [--payload BYTES] [--rounds R]
#
# DIR must be on the disk to measure (default: a fresh directory in $TMPDIR or /tmp); it is
# removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo run --release --quiet -p duet-store --example store_bench -- "$@"

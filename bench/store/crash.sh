#!/usr/bin/env bash
# Crash benchmark: SIGKILL at random moments, many times, then count what was lost.
#
#   bench/store/crash.sh [TRIALS]      (default 1000)
#
# 1. The store: a writer appending turns to four runs is killed TRIALS times; every turn it
#    acknowledged must be there afterwards (the test fails on the first one lost).
# 2. Workflows: a 120-turn workflow is killed TRIALS times mid-run and resumed; every resumed
#    run must print the uninterrupted result, hold each turn once and pass `duet replay`.
# Both print their counts; a failure names the trial.
set -euo pipefail
cd "$(dirname "$0")/../.."
trials=${1:-1000}
# Both tests stop at the first loss or difference, naming the trial: passing means the count
# is 0.
start=$(date +%s)
if STORE_CRASH_TRIALS=$trials cargo test --release -q -p duet-store --test store_crash -- --nocapture 2>&1 \
  | tee /dev/stderr | grep -q "^test result: ok"; then
  echo "store: $trials SIGKILLs, acknowledged turns lost: 0 ($(( $(date +%s) - start )) s)"
else
  echo "store: acknowledged turns LOST (see above)"; exit 1
fi 2>&1 | grep -E "store crash test|^store:|panicked"
start=$(date +%s)
if WORKFLOW_CRASH_TRIALS=$trials cargo test --release -q -p duet --test workflow_crash -- --nocapture 2>&1 \
  | tee /dev/stderr | grep -q "^test result: ok"; then
  echo "workflows: $trials SIGKILLs, resumes that differ from an uninterrupted run: 0 ($(( $(date +%s) - start )) s)"
else
  echo "workflows: a resume DIFFERED (see above)"; exit 1
fi 2>&1 | grep -E "workflow crash test|^workflows:|panicked"

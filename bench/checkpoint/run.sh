#!/usr/bin/env bash
# Workspace checkpoints: the cost of one on a workspace of FILES files (default 10,000) where
# each turn changes one file, next to a plain `git add -A && git commit` on the same tree.
#
#   bench/checkpoint/run.sh [FILES] [TURNS]      (defaults 10000 50)
#   DUET_BIN=path/to/duet bench/checkpoint/run.sh
#
# duet: a workflow whose TURNS turns each `write-file` the same file, run with the release
# `duet` in a fresh copy of the tree, with git on PATH (checkpoints on) and without (off,
# the run says so and goes on). The time of a turn is read from the journal (each turn's
# time, `duet history --json`) from the run's first write to its last, so the start and the
# first checkpoint (the whole tree, once a run: writing 10,000 objects, which swings with the
# disk) drop out:
#   ms per checkpoint = ms a write with checkpoints on - ms a write with them off
#   growth per checkpoint = (store[TURNS] - store[1]) / (TURNS - 1), with git on, minus the
#   same without git (the journal's own turns); checkpoints.git alone is shown too.
# git: the same tree committed once, then TURNS times: change the file, `git add -A && git
# commit -q`, timed; growth is that of .git. Automatic `git gc` is off (gc.auto=0) there, as
# it is for the checkpoints (commit-tree never starts one), so both keep loose objects.
set -euo pipefail
cd "$(dirname "$0")/../.."
files=${1:-10000}
turns=${2:-50}
if [ -z "${DUET_BIN:-}" ]; then
  cargo build --release --quiet
  DUET_BIN="${CARGO_TARGET_DIR:-target}/release/duet"
fi
duet=$(realpath "$DUET_BIN")
git=$(command -v git) || { echo "git is needed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The tree: FILES files of ~200 bytes in directories of 100.
python3 - "$work/tree" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 100:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i % 100:03d}.txt"), "w") as f:
        f.write(f"file {i}\n" + "lorem ipsum dolor sit amet " * 7 + "\n")
PY

workflow() {
  cat <<LISP
(workflow touch
  (state s
    (loop [i 0]
      (when (< i $1)
        (write-file "d000/f000.txt" (str "change " i))
        (recur (+ i 1))))
    (terminal)))
LISP
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# duet_run TURNS on|off -> "ms store_bytes checkpoint_bytes ms_a_write"
duet_run() {
  local dir="$work/run-$1-$2"
  cp -r "$work/tree" "$dir"
  workflow "$1" > "$dir/touch.lisp"
  local path=$PATH
  [ "$2" = off ] && path=/nonexistent
  local start end
  start=$(now_ms)
  (cd "$dir" && PATH=$path "$duet" run --allow workspace/write touch.lisp >/dev/null 2>"$dir.err") \
    || { cat "$dir.err" >&2; exit 1; }
  end=$(now_ms)
  local cp=0
  [ -d "$dir/.duet/checkpoints.git" ] && cp=$(du -sb "$dir/.duet/checkpoints.git" | cut -f1)
  # From the first write's result to the last's: the time of TURNS - 1 writes.
  local per
  per=$( (cd "$dir" && "$duet" history r1 --json) | python3 -c '
import json, sys
turns = [json.loads(line) for line in sys.stdin]
writes = [t["at"] for t in turns if "Effect" in t.get("input", {})]
print((writes[-1] - writes[0]) / max(len(writes) - 1, 1))')
  echo "$((end - start)) $(du -sb "$dir/.duet" | cut -f1) $cp $per"
  rm -rf "$dir"
}

read -r on1 store_on1 cp1 _ < <(duet_run 1 on)
read -r onN store_onN cpN on_per < <(duet_run "$turns" on)
read -r off1 store_off1 _ _ < <(duet_run 1 off)
read -r offN store_offN _ off_per < <(duet_run "$turns" off)

# Plain git on the same tree.
repo="$work/git"
cp -r "$work/tree" "$repo"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
(
  cd "$repo"
  "$git" init -q
  "$git" config gc.auto 0
  "$git" config user.name bench
  "$git" config user.email bench@bench
  "$git" add -A
  "$git" commit -q -m tree
)
git_before=$(du -sb "$repo/.git" | cut -f1)
start=$(now_ms)
for i in $(seq "$turns"); do
  echo "change $i" > "$repo/d000/f000.txt"
  (cd "$repo" && "$git" add -A && "$git" commit -q -m "turn $i")
done
end=$(now_ms)
git_after=$(du -sb "$repo/.git" | cut -f1)

python3 - "$files" "$turns" "$on1" "$onN" "$off1" "$offN" "$store_on1" "$store_onN" \
  "$store_off1" "$store_offN" "$cp1" "$cpN" "$((end - start))" "$git_before" "$git_after" \
  "$on_per" "$off_per" <<'PY'
import sys
(files, turns, on1, onN, off1, offN, s_on1, s_onN, s_off1, s_offN, cp1, cpN, git_ms,
 git_before, git_after) = map(int, sys.argv[1:16])
on_per, off_per = map(float, sys.argv[16:18])
steps = turns - 1
per_cp = on_per - off_per
grow = ((s_onN - s_on1) - (s_offN - s_off1)) / steps
grow_cp = (cpN - cp1) / steps
git_per = git_ms / turns
git_grow = (git_after - git_before) / turns
print(f"workspace: {files} files, {turns} turns each changing 1 file")
print(f"duet run, checkpoints on : {on1} ms (1 turn), {onN} ms ({turns} turns); "
      f"{on_per:.1f} ms a write")
print(f"duet run, checkpoints off: {off1} ms (1 turn), {offN} ms ({turns} turns); "
      f"{off_per:.1f} ms a write")
print(f"first checkpoint (whole tree, once a run): ~{(on1 - off1)} ms")
print(f"checkpoint: {per_cp:.1f} ms a turn; store growth {grow:.0f} bytes a checkpoint "
      f"(checkpoints.git {grow_cp:.0f} bytes)")
print(f"git add -A && git commit: {git_per:.1f} ms a turn; .git growth {git_grow:.0f} bytes a commit")
print(f"ratio duet/git: {per_cp / git_per:.2f}x time, {grow / git_grow:.2f}x bytes")
PY

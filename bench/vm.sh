#!/usr/bin/env bash
# Interpreter benchmarks: small programs (bench/vm/NAME.{lisp,py,lua,scm}) run by `duet run`,
# CPython 3, Lua 5.4 and Guile 3, plus a hello-world for startup time. A program that a
# peer has no file for (Lua and Guile have no JSON library) shows `-` in that column.
#
#   bench/vm.sh                 # every program
#   bench/vm.sh fib tak         # some of them
#   RUNS=20 WARMUP=3 bench/vm.sh  # more runs (defaults: 10 runs after 2 warm-ups)
#   NO_HYPERFINE=1 bench/vm.sh     # the plain Python timing loop instead of hyperfine
#
# Installs the peers from Debian when they are missing and we are root, builds duet in
# release, checks that every implementation prints the same answer, times each with
# hyperfine (or a plain Python timing loop when hyperfine is unavailable) and prints two
# tables: wall-clock and CPU time per run, with the ratios duet/python3 and duet/lua, and
# the peak memory of one run.
# A peer that cannot be installed is skipped with a note. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
STARTUP_RUNS=${STARTUP_RUNS:-30}
ALL=(fib tak closures strings mapreduce conj assoc jsonrt workflow)
if [ $# -gt 0 ]; then PROGRAMS=("$@"); else PROGRAMS=("${ALL[@]}"); fi
dir=bench/vm
out=bench/out/vm
mkdir -p "$out"
rm -f "$out"/*.json

note() { printf '%s\n' "$*" >&2; }

# --- peers ---------------------------------------------------------------------------------
missing=()
command -v lua5.4 >/dev/null || missing+=(lua5.4)
command -v guile-3.0 >/dev/null || command -v guile >/dev/null || missing+=(guile-3.0)
command -v hyperfine >/dev/null || missing+=(hyperfine)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    note "installing ${missing[*]} (apt-get)"
    apt-get update -qq >/dev/null 2>&1 || note "apt-get update failed; trying to install anyway"
    # One package at a time, so one that cannot be installed does not stop the others.
    for pkg in "${missing[@]}"; do
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 \
        || note "could not install $pkg"
    done
  else
    note "missing ${missing[*]} and not root (or no apt-get): those are skipped"
  fi
fi

# NO_HYPERFINE=1 forces the plain timing loop.
use_hyperfine=0
if command -v hyperfine >/dev/null && [ "${NO_HYPERFINE:-0}" != 1 ]; then use_hyperfine=1; fi

# The real interpreter, not a wrapper: a pyenv shim is a shell script that would add tens of
# milliseconds to every run.
python=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)
# -S skips the site module, so the timings are CPython's and not whatever .pth files an
# installation's site-packages import at start-up (on the machine these benchmarks were first
# run on, one of them imported certifi and added about 40 ms to every run).
# PYTHON_FLAGS= (empty) times plain `python3 FILE`.
python_flags=${PYTHON_FLAGS--S}
lua=$(command -v lua5.4 || true)
guile=$(command -v guile-3.0 || command -v guile || true)

# Guile compiles a script on first use and caches the compiled file (keyed on the script's
# path and time stamp) under $XDG_CACHE_HOME/guile. Auto-compilation stays on, the cache
# lives in bench/out so it starts empty and never touches ~/.cache, and the correctness
# check below runs every script once before timing, so the timed runs load the cached
# compiled code and never measure compilation.
export GUILE_AUTO_COMPILE=1
export XDG_CACHE_HOME="$PWD/$out/cache"

# --- duet ----------------------------------------------------------------------------------
note "building duet (release)"
cargo build --release --quiet
duet="${CARGO_TARGET_DIR:-target}/release/duet"
[ -x "$duet" ] || { note "no duet binary at $duet"; exit 1; }

# impl name, command prefix; a peer that is absent gets an empty command.
names=(duet python3 lua5.4 guile)
declare -A cmd=([duet]="$duet run" [python3]="${python:+$python $python_flags}" [lua5.4]="$lua" [guile]="$guile")
declare -A ext=([duet]=lisp [python3]=py [lua5.4]=lua [guile]=scm)
impls=()
for n in "${names[@]}"; do
  if [ -n "${cmd[$n]}" ]; then impls+=("$n"); else note "skipping $n: not installed"; fi
done

echo "== versions"
echo "duet:      $("$duet" --version) at $(git rev-parse --short HEAD) ($(git rev-parse --abbrev-ref HEAD)), release build"
if [ -n "$python" ]; then echo "python3:   $("$python" --version 2>&1) ($python${python_flags:+ $python_flags})"; fi
if [ -n "$lua" ]; then echo "lua5.4:    $("$lua" -v 2>&1 | head -1)"; fi
if [ -n "$guile" ]; then echo "guile:     $("$guile" --version 2>&1 | head -1)"; fi
if [ "$use_hyperfine" = 1 ]; then
  echo "timing:    $(hyperfine --version), $RUNS runs after $WARMUP warm-up"
else
  echo "timing:    Python timing loop (no hyperfine), $RUNS runs after $WARMUP warm-up"
fi
echo "machine:   $(nproc) cores, $(uname -sr)"

# --- correctness ---------------------------------------------------------------------------
echo "== answers"
failed=0
for p in "${PROGRAMS[@]}" hello; do
  [ -f "$dir/$p.lisp" ] || { note "no program $dir/$p.lisp"; exit 2; }
  expected=""
  line="$(printf '%-10s' "$p")"
  for n in "${impls[@]}"; do
    [ -f "$dir/$p.${ext[$n]}" ] || continue
    # shellcheck disable=SC2086
    got=$(${cmd[$n]} "$dir/$p.${ext[$n]}" 2>"$out/$p.$n.stderr") || {
      note "$n failed on $p:"; cat "$out/$p.$n.stderr" >&2; failed=1; got="<failed>"
    }
    if [ -z "$expected" ]; then
      expected=$got
      line+=" $got"
    elif [ "$got" != "$expected" ]; then
      line+=" MISMATCH($n: $got)"
      failed=1
    fi
  done
  echo "$line"
done
if [ "$failed" = 1 ]; then
  note "the implementations disagree (or one failed); not timing"
  exit 1
fi

# --- timing --------------------------------------------------------------------------------
time_program() { # program runs warmup
  local p=$1 runs=$2 warmup=$3 args=() n
  if [ "$use_hyperfine" = 1 ]; then
    for n in "${impls[@]}"; do
      [ -f "$dir/$p.${ext[$n]}" ] && args+=(-n "$n" "${cmd[$n]} $dir/$p.${ext[$n]}")
    done
    hyperfine -N --style basic --warmup "$warmup" --runs "$runs" \
      --export-json "$out/$p.json" "${args[@]}" >&2
  else
    for n in "${impls[@]}"; do
      [ -f "$dir/$p.${ext[$n]}" ] && args+=("$n" "${cmd[$n]} $dir/$p.${ext[$n]}")
    done
    python3 - "$out/$p.json" "$runs" "$warmup" "${args[@]}" <<'PY'
import json, resource, shlex, statistics, subprocess, sys, time
path, runs, warmup, rest = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
results = []
for name, command in zip(rest[::2], rest[1::2]):
    argv = shlex.split(command)
    times, user, system = [], [], []
    for i in range(warmup + runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i >= warmup:
            times.append(elapsed)
            user.append(after.ru_utime - before.ru_utime)
            system.append(after.ru_stime - before.ru_stime)
    sd = statistics.stdev(times) if len(times) > 1 else 0.0
    results.append({"command": name, "mean": statistics.mean(times), "stddev": sd,
                    "user": statistics.mean(user), "system": statistics.mean(system)})
    print(f"{name}: {results[-1]['mean']*1000:.1f} ms ± {sd*1000:.1f}", file=sys.stderr)
json.dump({"results": results}, open(path, "w"))
PY
  fi
}

for p in "${PROGRAMS[@]}"; do
  note "== timing $p"
  time_program "$p" "$RUNS" "$WARMUP"
done
note "== timing startup (hello)"
time_program hello "$STARTUP_RUNS" 3

# Peak resident memory of one run, as GNU time reports it (its own fork sets a floor of about
# 2 MiB); without GNU time, a fresh Python process runs the command and reads its children's
# largest resident set, which Linux carries across exec, so there the floor is the size of
# that Python process (about 10-15 MiB) and only larger values mean anything.
note "== peak memory"
: > "$out/memory.txt"
for p in "${PROGRAMS[@]}" hello; do
  for n in "${impls[@]}"; do
    [ -f "$dir/$p.${ext[$n]}" ] || continue
    if [ -x /usr/bin/time ]; then
      # shellcheck disable=SC2086
      kib=$(/usr/bin/time -f '%M' -o "$out/time.txt" ${cmd[$n]} "$dir/$p.${ext[$n]}" \
        >/dev/null 2>&1 && tail -1 "$out/time.txt")
    else
      # shellcheck disable=SC2086
      kib=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' ${cmd[$n]} "$dir/$p.${ext[$n]}")
    fi
    echo "$p $n $kib" >> "$out/memory.txt"
  done
done

# --- tables -------------------------------------------------------------------------------
python3 - "$out" "${impls[*]}" "${PROGRAMS[@]}" hello <<'PY'
import json, sys
out, impls, programs = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
cols = ["duet", "python3", "lua5.4", "guile"]
timings = {p: {r["command"]: r for r in json.load(open(f"{out}/{p}.json"))["results"]}
           for p in programs}

def secs(x):
    if x >= 1:
        return f"{x:.2f} s"
    return f"{x*1000:.0f} ms" if x >= 0.1 else f"{x*1000:.1f} ms"

def wall(r):
    return r["mean"]

def cpu(r):
    return r["user"] + r["system"]

def ratio(a, b, key):
    if not a or not b:
        return "-"
    q = key(a) / key(b)
    return f"{q:.2f}x" if q < 1 else f"{q:.1f}x"

def table(title, data, key, cell):
    print(title)
    head = ["program"] + cols + ["duet/python3", "duet/lua"]
    rows = []
    for p in programs:
        res = data[p]
        rows.append(["startup (hello)" if p == "hello" else p]
                    + [cell(res[c]) if c in res else "-" for c in cols]
                    + [ratio(res.get("duet"), res.get("python3"), key),
                       ratio(res.get("duet"), res.get("lua5.4"), key)])
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print()

table("== mean wall-clock time per run ± standard deviation (process start to exit)",
      timings, wall, lambda r: f"{secs(r['mean'])} ± {secs(r['stddev'] or 0.0)}")
table("== mean CPU time per run (user + system; steadier than wall time on a busy machine)",
      timings, cpu, lambda r: secs(cpu(r)))
memory = {}
for line in open(f"{out}/memory.txt"):
    p, n, kib = line.split()
    memory.setdefault(p, {})[n] = {"kib": int(kib)}
table("== peak resident memory of one run", memory, lambda r: r["kib"],
      lambda r: f"{r['kib'] / 1024:.1f} MiB")
missing = [c for c in cols if c not in impls]
if missing:
    print(f"not installed, skipped: {', '.join(missing)}")
PY

#!/bin/sh
# Overhead of an agent call through `duet run` over the raw HTTP call: N (default 100)
# sequential prompts to an instant local OpenAI-compatible server, timed through duet and
# with a plain Python client (a fresh connection per call; one kept-alive connection is
# shown too), and a run of the same workflow with no
# prompt (start-up, the run's creation and its end) subtracted. Best of ROUNDS (default 5).
# DUET_BIN runs a given binary (default: a release build of this tree); STORE_DIR puts the
# stores there (default: a temporary directory).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${DUET_BIN:-}" ]; then
    (cd "$root" && cargo build --release --quiet)
    DUET_BIN="${CARGO_TARGET_DIR:-$root/target}/release/duet"
fi
work=$(mktemp -d "${STORE_DIR:-${TMPDIR:-/tmp}}/duet-bench-XXXXXX")
python3 -u "$here/fake_server.py" > "$work/port" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
while [ ! -s "$work/port" ]; do sleep 0.05; done
export DUET_BIN
python3 - "$work" "$(head -n1 "$work/port")" "${N:-100}" "${ROUNDS:-5}" <<'PY'
import http.client, json, os, shutil, subprocess, sys, time

work, port, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
duet = os.path.abspath(os.environ["DUET_BIN"])
env = dict(os.environ, OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1", OPENAI_API_KEY="bench")

def raw(fresh):
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        if fresh:
            conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        assert b"ok" in conn.getresponse().read()
        if fresh:
            conn.close()
    return time.perf_counter() - start

def through_duet(count):
    source = f"""(workflow calls
  (roles (model :agent-kind "openai"))
  (state go
    (loop [i 0] (when (< i {count}) (prompt model "hi") (recur (inc i))))
    (terminal)))
"""
    path = os.path.join(work, f"calls{count}.lisp")
    with open(path, "w") as f:
        f.write(source)
    store = os.path.join(work, "store")
    shutil.rmtree(store, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run([duet, "run", "--store", store, path], cwd=work, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"duet run failed: {done.stderr.decode()}")
    return took

raw_s = min(raw(True) for _ in range(rounds))
kept = min(raw(False) for _ in range(rounds))
empty = min(through_duet(0) for _ in range(rounds))
full = min(through_duet(n) for _ in range(rounds))
print(f"{n} raw calls:            {raw_s:.3f} s ({raw_s / n * 1000:.2f} ms a call; "
      f"{kept / n * 1000:.2f} ms on one kept-alive connection)")
print(f"duet run, no call:        {empty:.3f} s")
print(f"duet run, {n} calls:      {full:.3f} s ({(full - empty) / n * 1000:.2f} ms a call)")
print(f"overhead per agent call:  {((full - empty) - raw_s) / n * 1000:.2f} ms")
PY

#!/usr/bin/env bash
# Events per second delivered to a Server-Sent Events client of the daemon's HTTP API
# (`duet daemon start --http`), as a ratio to the run's own pace with no client.
#
# A workflow asks a question, then prints N lines (default 100,000; each one `output`
# event of about 120 bytes). The same run is timed three ways, from its answer to its end:
#   1. no client watching (the run's own pace: until `GET /v1/runs/ID` says it completed,
#      polled every 2 ms);
#   2. one `curl -N` client streaming `GET /v1/runs/ID/events` to a file (the time until the
#      stream has delivered the run's `ended` event);
#   3. the replay of an ended run's kept events (the newest 4,096) to a new client.
# Prints events/s for each and the ratio live-with-client / no-client.
#
# Release build by default (PROFILE=debug for the debug build).
#   bench/daemon/sse.sh [LINES]
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-100000}
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release --quiet --bin duet
else
  cargo build --quiet --bin duet
fi
bin="$(pwd)/${CARGO_TARGET_DIR:-target}/$profile/duet"
work=$(mktemp -d /tmp/duet-sse-bench.XXXXXX)
trap '"$bin" daemon stop --store "$work/.duet" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd "$work"
cat > flood.lisp <<LISP
(workflow flood
  (state ask
    (let [a (ask-user "Go?" :options ["go"])]
      (goto print)))
  (state print
    (loop [i 0]
      (when (< i $lines)
        (println "line" i "0123456789012345678901234567890123456789")
        (recur (+ i 1))))
    (terminal)))
LISP
"$bin" daemon start --http 127.0.0.1:0 2>/dev/null
base=$("$bin" daemon status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["http"])')
token=$(cat .duet/daemon.token)
python3 - "$base" "$token" "$lines" <<'PY'
import json, subprocess, sys, time, urllib.request

base, token, lines = sys.argv[1], sys.argv[2], int(sys.argv[3])

def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)

def waiting_run():
    run = call("POST", "/v1/runs", {"file": "flood.lisp"})["run"]
    while "Waiting" not in json.dumps(call("GET", f"/v1/runs/{run}")["status"]):
        time.sleep(0.01)
    return run

def stream(run, out):
    return subprocess.Popen(["curl", "-sN", "-H", f"Authorization: Bearer {token}",
                             f"{base}/v1/runs/{run}/events", "-o", out])

def count(out):
    frames = open(out).read().split("\n\n")
    ids = sum(1 for f in frames if f.startswith("id: "))
    last = frames[-2] if len(frames) > 1 else ""
    return ids, last

# 1. The run's own pace, no client.
run = waiting_run()
t = time.perf_counter()
call("POST", f"/v1/runs/{run}/answer", {"text": "go"})
while call("GET", f"/v1/runs/{run}")["status"] != "Completed":
    time.sleep(0.002)
alone = time.perf_counter() - t

# 2. One streaming client.
run = waiting_run()
client = stream(run, "live.sse")
time.sleep(0.3)
t = time.perf_counter()
call("POST", f"/v1/runs/{run}/answer", {"text": "go"})
client.wait()
live = time.perf_counter() - t
got, last = count("live.sse")
ended = "stream-end" in last

# 3. Replay of what is kept of an ended run.
t = time.perf_counter()
client = stream(run, "replay.sse")
client.wait()
replay = time.perf_counter() - t
kept, _ = count("replay.sse")

print(f"{lines:,} output events")
print(f"no client:        {got / alone:12,.0f} events/s ({alone * 1000:.0f} ms)")
print(f"one SSE client:   {got / live:12,.0f} events/s delivered ({live * 1000:.0f} ms, "
      f"{got:,} events, {'to the run end' if ended else 'STREAM DID NOT END WITH THE RUN: ' + last[:80]})")
print(f"ratio:            {alone / live:.2f} (1.00: watching costs the run nothing)")
print(f"replay when ended:{kept / replay:12,.0f} events/s ({kept:,} kept events, {replay * 1000:.0f} ms incl. curl start)")
PY

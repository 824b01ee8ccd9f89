#!/usr/bin/env bash
# Events per second delivered to a Server-Sent Events client of the daemon's HTTP API
# (`duet daemon start --http`), next to the pace of the run producing them.
#
# A workflow asks a question, then prints LINES lines (default 100,000; each one `output`
# event of about 120 bytes): `flood` as fast as the VM goes, `paced` with a 1 ms sleep after
# every 1,000 lines. For each, timed from the answer:
#   1. no client watching: the run's own pace, from the `at` of its `answered` event to
#      that of its `ended` event (in the daemon's log);
#   2. one `curl -N` client streaming `GET /v1/runs/ID/events` to a file: until the stream
#      closes after the run's `ended` event — or, should the client fall 1,024 events
#      behind, at its `stream-behind` notice (then the figure says how far it got); the
#      run's own time alongside, to show the client did not slow it;
# Then 3. the replay of the ended flood run's kept events (the newest 4,096) to a new client.
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
# flood.lisp prints as fast as the VM goes; paced.lisp sleeps 1 ms after every 1,000 lines (each sleep a journaled turn).
for kind in flood paced; do
  if [ $kind = paced ]; then pause='(when (= 0 (mod i 1000)) (sleep "1ms"))'; else pause=''; fi
  cat > $kind.lisp <<LISP
(workflow $kind
  (state ask
    (let [a (ask-user "Go?" :options ["go"])]
      (goto print)))
  (state print
    (loop [i 0]
      (when (< i $lines)
        $pause
        (println "line" i "0123456789012345678901234567890123456789")
        (recur (+ i 1))))
    (terminal)))
LISP
done
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

def waiting_run(kind):
    run = call("POST", "/v1/runs", {"file": f"{kind}.lisp"})["run"]
    while "Waiting" not in json.dumps(call("GET", f"/v1/runs/{run}")["status"]):
        time.sleep(0.01)
    return run

def completed(run, since):
    while call("GET", f"/v1/runs/{run}")["status"] != "Completed":
        time.sleep(0.002)
    return time.perf_counter() - since

def stream(run, out):
    return subprocess.Popen(["curl", "-sN", "-H", f"Authorization: Bearer {token}",
                             f"{base}/v1/runs/{run}/events", "-o", out])

def frames(out):
    parts = [p for p in open(out).read().split("\n\n") if p]
    ids = sum(1 for p in parts if p.startswith("id: "))
    return ids, parts[-1] if parts else ""

def logged(run):
    """The run's events in the daemon's log, and its own time from answer to end (s)."""
    prefix = f"run {run}: "
    events = [json.loads(l[len(prefix):]) for l in open(".duet/logs/daemon.log")
              if l.startswith(prefix + "{")]
    at = {e["event"]: e["at"] for e in events if e["event"] in ("answered", "ended")}
    return len(events), (at["ended"] - at["answered"]) / 1000

def measure(kind):
    print(f"{kind}.lisp:")
    # 1. The run's own pace, no client.
    run = waiting_run(kind)
    t = time.perf_counter()
    call("POST", f"/v1/runs/{run}/answer", {"text": "go"})
    completed(run, t)
    events, alone = logged(run)
    after = events - 3  # started, state, question came before the answer
    print(f"  no client:      run {after / alone:10,.0f} events/s ({after:,} events in "
          f"{alone * 1000:.0f} ms, answered → ended)")
    # 2. One streaming client.
    run = waiting_run(kind)
    client = stream(run, "live.sse")
    time.sleep(0.3)
    t = time.perf_counter()
    call("POST", f"/v1/runs/{run}/answer", {"text": "go"})
    client.wait()
    live = time.perf_counter() - t
    completed(run, t)
    ran = logged(run)[1]
    got, last = frames("live.sse")
    delivered = got - 3
    if "stream-end" in last:
        how = "all of them, to the run's end"
    else:
        how = f"then it fell behind and was told {json.loads(last[6:])['event']}"
    print(f"  one SSE client: run {after / ran:10,.0f} events/s ({ran * 1000:.0f} ms); "
          f"delivered {delivered / live:,.0f} events/s ({delivered:,} events in "
          f"{live * 1000:.0f} ms: {how})")
    return run

measure("paced")
run = measure("flood")

# 3. Replay of what is kept of the ended run.
t = time.perf_counter()
client = stream(run, "replay.sse")
client.wait()
replay = time.perf_counter() - t
kept, _ = frames("replay.sse")
print(f"replay of an ended run: {kept / replay:,.0f} events/s ({kept:,} kept events, "
      f"{replay * 1000:.0f} ms with curl's start)")
PY

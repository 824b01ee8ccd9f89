#!/usr/bin/env bash
# Latency of `duet lsp` diagnostics: opens a generated 5,000-line program in the server and
# times, for each of several edits, the span from sending `didChange` to receiving the
# `publishDiagnostics` for that version. Prints the median.
#
# Uses the debug build by default, as the rest of the tooling here does; set PROFILE=release
# to measure an optimised build (which is several times faster).
#   bench/lsp.sh [LINES] [EDITS]
# INPUT=FILE NEEDLE=WORD bench/lsp.sh measures FILE instead, breaking and fixing the last
# character of the first WORD past its middle (bench/states.sh uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-5000}
edits=${2:-21}
profile=${PROFILE:-debug}
mkdir -p bench/out
if [ -z "${INPUT:-}" ]; then
# The generator stops mid-form at most sizes: keep whole blocks (they end at a blank line)
# and pad with comment lines to exactly LINES lines.
python3 bench/gen_check_input.py "$lines" | python3 -c '
import sys
n = int(sys.argv[1])
lines = sys.stdin.read().split("\n")[:n]
while lines and lines[-1] != "":
    lines.pop()
lines += [";; padding"] * (n - len(lines))
print("\n".join(lines))
' "$lines" > "bench/out/lsp-$lines.lisp"
  INPUT="bench/out/lsp-$lines.lisp"
  NEEDLE="weight"
fi
if [ "$profile" = release ]; then
  cargo build --release --quiet --bin duet
else
  cargo build --quiet --bin duet
fi
bin="${CARGO_TARGET_DIR:-target}/$profile/duet"
python3 - "$bin" "$INPUT" "$edits" "$profile" "$NEEDLE" <<'PY'
import json, os, select, statistics, subprocess, sys, time

binary, path, edits, profile, needle = sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
text = open(path, encoding="utf-8").read()
uri = "file://" + path
server = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
buffer = b""

def send(message):
    body = json.dumps(message).encode()
    server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.stdin.flush()

def read(timeout=60.0):
    global buffer
    deadline = time.monotonic() + timeout
    while True:
        head, sep, rest = buffer.partition(b"\r\n\r\n")
        if sep:
            length = int([l.split(b":")[1] for l in head.split(b"\r\n")
                          if l.lower().startswith(b"content-length")][0])
            if len(rest) >= length:
                buffer = rest[length:]
                return json.loads(rest[:length])
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([server.stdout], [], [], left)[0]:
            sys.exit("the server did not answer in time")
        chunk = os.read(server.stdout.fileno(), 1 << 16)
        if not chunk:
            sys.exit("the server closed its output")
        buffer += chunk

def diagnostics(version):
    while True:
        m = read()
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version:
            return m["params"]["diagnostics"]

send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
while read().get("id") != 1:
    pass
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
start = time.perf_counter()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
      "params": {"textDocument": {"uri": uri, "languageId": "duet", "version": 1, "text": text}}})
first = diagnostics(1)
open_ms = (time.perf_counter() - start) * 1000
assert first == [], f"the generated program should check clean: {first[:3]}"

# Alternately break and fix a name in the middle of the file: `(* weight n)` → `(* weigh n)`.
line_no = next(i for i, l in enumerate(text.splitlines()) if i >= len(text.splitlines()) // 2 and needle in l)
col = text.splitlines()[line_no].index(needle) + len(needle) - 1
times = []
for k in range(edits):
    version = k + 2
    if k % 2 == 0:
        change = {"range": {"start": {"line": line_no, "character": col}, "end": {"line": line_no, "character": col + 1}}, "text": ""}
    else:
        change = {"range": {"start": {"line": line_no, "character": col}, "end": {"line": line_no, "character": col}}, "text": needle[-1]}
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange",
          "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})
    found = diagnostics(version)
    times.append((time.perf_counter() - t) * 1000)
    assert (len(found) == 1) == (k % 2 == 0), found
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
while read().get("id") != 2:
    pass
send({"jsonrpc": "2.0", "method": "exit"})
server.wait(timeout=10)
lines = len(text.splitlines())
print(f"duet lsp ({profile} build), {lines:,} lines, {len(text):,} bytes")
print(f"  didOpen → publishDiagnostics: {open_ms:.1f} ms")
print(f"  didChange → publishDiagnostics: median {statistics.median(times):.1f} ms, "
      f"min {min(times):.1f} ms, max {max(times):.1f} ms over {len(times)} edits")
PY

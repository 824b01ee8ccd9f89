"""Time from a server's first byte to duet's first `agent-delta` event: a local
OpenAI-compatible server writes the response's head and its first SSE piece at once (the
moment is noted), holds the rest for 200 ms, then ends the stream; `duet run --json`'s
standard output is read line by line and the arrival of its first `agent-delta` line noted.
RUNS runs (default 20) of a one-prompt workflow; prints the median and the worst.
Usage: DUET_BIN=target/release/duet python3 bench/agents/first_delta.py"""

import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

first_byte = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        piece = lambda text: "data: " + json.dumps(
            {"choices": [{"index": 0, "delta": {"content": text}}]}
        ) + "\n\n"
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            "connection: close\r\n\r\n"
        )
        first_byte.append(time.time())
        self.wfile.write((head + piece("first")).encode())
        self.wfile.flush()
        time.sleep(0.2)
        self.wfile.write((piece(" rest") + "data: [DONE]\n\n").encode())
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def main():
    duet = os.path.abspath(os.environ.get("DUET_BIN", "target/release/duet"))
    runs = int(os.environ.get("RUNS", "20"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="duet-first-delta-")
    with open(os.path.join(work, "one.lisp"), "w") as f:
        f.write(
            '(workflow one (roles (model :agent-kind "openai"))\n'
            '  (state go (prompt model "hi") (terminal)))\n'
        )
    env = dict(
        os.environ,
        OPENAI_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/v1",
        OPENAI_API_KEY="bench",
    )
    gaps = []
    for _ in range(runs):
        store = os.path.join(work, "store")
        shutil.rmtree(store, ignore_errors=True)
        child = subprocess.Popen(
            [duet, "run", "--json", "--store", store, "one.lisp"],
            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        seen = None
        for line in child.stdout:
            if seen is None and b'"agent-delta"' in line:
                seen = time.time()
        if child.wait() != 0 or seen is None:
            sys.exit("duet run failed or showed no agent-delta")
        gaps.append((seen - first_byte[-1]) * 1000)
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"first agent-delta after the server's first byte: median "
        f"{statistics.median(gaps):.2f} ms, worst {max(gaps):.2f} ms ({runs} runs)"
    )


main()

"""An instant OpenAI-compatible chat server for bench/agents/overhead.sh: every POST gets
the reply "ok" at once, streamed as SSE when the request asks for `stream`, as one JSON
object otherwise. Prints its port on the first line of standard output.

It sets TCP_NODELAY, as production servers do (Go's net/http, uvicorn, Node): without it
the body, written after the headers, waits for the client's delayed ACK (40 ms on Linux)
on a connection that is reused."""

import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if body.get("stream"):
            chunk = {"choices": [{"index": 0, "delta": {"content": "ok"}}]}
            data = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
            kind = "text/event-stream"
        else:
            data = json.dumps(
                {"choices": [{"message": {"role": "assistant", "content": "ok"}}]}
            ).encode()
            kind = "application/json"
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()

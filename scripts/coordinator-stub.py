"""A stand-in for the coordinator's billing API on a free loopback port (printed first), for the fuzzer in
scripts/test.sh: it acknowledges every usage record and answers every invoice request, so that billing routes
answer as they do with a live coordinator rather than 503 for a missing one."""
import http.server
import json


class Coordinator(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = {"invoice_id": "inv-fuzz", "status": "issued"} if self.path.endswith("/invoice") else {"accepted": True}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Coordinator)
print(server.server_address[1], flush=True)
server.serve_forever()

#!/usr/bin/env python3
"""Opens the hub's /dashboard in headless Debian chromium and checks what a person would see.

   dashboard_check.py HUB_URL SCREENSHOT.png [API_KEY]

Drives chromium over the DevTools protocol (a small WebSocket client below, stdlib only): loads the page,
enters API_KEY in the page's own key form when one is given (the form must appear, and nothing may be fetched
with a key before it), waits for the page to draw, then checks: the numbers shown equal /api/v1/status, every
plot has data points, no script error, no console error, no failed request (401 answers before the key is
entered are the page asking for it and are allowed), and the key never appears in a URL. Saves a screenshot.
Prints one line per problem and exits 1 if there is any.
"""
import base64, json, os, shutil, socket, struct, subprocess, sys, tempfile, time, urllib.request

hub, shot = sys.argv[1].rstrip("/"), sys.argv[2]
key = sys.argv[3] if len(sys.argv) > 3 else None
problems = []


class Socket:
    """A WebSocket client, enough for the DevTools protocol (text frames, client masking)."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.s = socket.create_connection((host, int(port)), timeout=30)
        nonce = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {nonce}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.s.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket handshake refused: " + head.decode(errors="replace"))

    def send(self, text):
        data = text.encode()
        header = bytes([0x81])
        n = len(data)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise RuntimeError("browser closed the connection")
            out += chunk
        return out

    def receive(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            if b0 & 0x0F == 0x8:
                raise RuntimeError("browser closed the websocket")
            message += payload
            if b0 & 0x80:
                return message.decode()


class Page:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.receive())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluating {expression!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression, seconds=20):
        end = time.time() + seconds
        while time.time() < end:
            if self.evaluate(expression):
                return True
            time.sleep(0.2)
        return False


def get_json(path):
    request = urllib.request.Request(hub + path, headers={"X-API-Key": key} if key else {})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    print("chromium is not installed (scripts/test.sh installs Debian's)")
    sys.exit(1)
profile = tempfile.mkdtemp(prefix="poolhub-chromium-")
browser = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
     "--disable-extensions", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
     f"--user-data-dir={profile}", "--window-size=1400,1900", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.1)
    port = int(open(port_file).read().split()[0])
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
    page = Page(Socket(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]))
    for domain in ("Page", "Runtime", "Network", "Log"):
        page.call(domain + ".enable")
    page.call("Page.navigate", url=hub + "/dashboard")

    key_entered_at = None
    if key:
        if not page.wait_for("!!document.body && document.body.dataset.needsKey === '1'"):
            problems.append("with API keys the page never asked for a key")
        else:
            visible = page.evaluate("getComputedStyle(document.getElementById('keyform')).display !== 'none'")
            if not visible:
                problems.append("the key form is not visible")
            key_entered_at = len(page.events)
            page.evaluate(f"document.getElementById('key-input').value = {json.dumps(key)};"
                          "document.getElementById('key-form').requestSubmit(); true")
    if not page.wait_for("!!document.body && document.body.dataset.ready === '1'", 30):
        problems.append("the dashboard never finished drawing: " + str(page.evaluate("document.getElementById('errors').textContent")))
    time.sleep(0.5)
    page.call("Runtime.evaluate", expression="1")  # collects the events that arrived meanwhile

    status = get_json("/api/v1/status")
    shown = page.evaluate("""Object.fromEntries(['miners-online','miners-total','miners-available','matches-served',
        'slots-used','slots-total','slots-free','reservations'].map(id => [id, document.getElementById(id).textContent]))""")
    expected = {
        "miners-online": status["miners"]["online"], "miners-total": status["miners"]["total"],
        "miners-available": status["miners"]["available"], "matches-served": status["matches_served"],
        "slots-used": status["capacity"]["used_slots"], "slots-total": status["capacity"]["total_slots"],
        "slots-free": status["capacity"]["total_slots"] - status["capacity"]["used_slots"],
        "reservations": status["capacity"]["active_reservations"],
    }
    for name, value in expected.items():
        if shown.get(name) != str(value):
            problems.append(f"{name}: the page shows {shown.get(name)!r}, /api/v1/status says {value}")
    for plot in ("plot-fleet", "plot-rates", "plot-latency", "plot-capacity"):
        points = page.evaluate(f"Number(document.getElementById('{plot}').dataset.points || 0)")
        paths = page.evaluate(f"document.querySelectorAll('#{plot} svg path.series').length")
        axes = page.evaluate(f"document.querySelectorAll('#{plot} svg text').length")
        if not points or not paths:
            problems.append(f"{plot}: no data points drawn ({points} points, {paths} lines)")
        if axes < 6:
            problems.append(f"{plot}: axes are not labelled ({axes} labels)")
    if not page.evaluate("document.querySelectorAll('#plot-capacity line.threshold').length"):
        problems.append("the capacity plot has no threshold line")
    forecast = get_json("/sla/capacity/forecast?hours=24")
    if forecast.get("points"):
        if not page.evaluate("document.querySelectorAll('#plot-capacity polygon.band').length"):
            problems.append("the forecast has points but the capacity plot draws no forecast band")
        if not page.evaluate("document.querySelectorAll('#plot-capacity path.series[data-name=forecast]').length"):
            problems.append("the forecast has points but the capacity plot draws no forecast line")
    violations = get_json("/sla/violations?resolved=false")
    rows = page.evaluate("document.querySelectorAll('#violations tbody tr').length")
    if violations and rows != len(violations):
        problems.append(f"the page lists {rows} open violations, the hub {len(violations)}")
    usage = get_json("/sla/billing/usage")
    for state in ("pending", "acknowledged", "rejected"):
        shown_count = page.evaluate(f"document.getElementById('outbox-{state}').textContent")
        if shown_count != str(usage["outbox"].get(state, 0)):
            problems.append(f"outbox {state}: the page shows {shown_count!r}, the hub {usage['outbox'].get(state, 0)}")
    if page.evaluate("document.body.dataset.errors || '0'") != "0":
        problems.append("the page reported errors: " + page.evaluate("document.getElementById('errors').textContent"))

    requests = {}
    sent_before_key = set()
    for i, e in enumerate(page.events):
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            problems.append("script error: " + json.dumps(params["exceptionDetails"].get("exception", {}).get("description") or params["exceptionDetails"].get("text")))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error" and "401" not in params["entry"].get("text", ""):
            problems.append("console error: " + params["entry"].get("text", ""))
        elif method == "Runtime.consoleAPICalled" and params["type"] == "error":
            problems.append("console error: " + json.dumps(params.get("args")))
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            requests[params["requestId"]] = url
            if key_entered_at is not None and i < key_entered_at:
                sent_before_key.add(params["requestId"])
            if not url.startswith(hub) and not url.startswith("data:"):
                problems.append("a request left the hub (the page must work offline): " + url)
            if key and key in url:
                problems.append("the API key appeared in a URL: " + url)
            sent_key = params["request"].get("headers", {}).get("X-API-Key")
            if key and key_entered_at is not None and i < key_entered_at and sent_key:
                problems.append("a key was sent before one was entered")
        elif method == "Network.loadingFailed":
            problems.append(f"request failed: {requests.get(params['requestId'])}: {params.get('errorText')}")
        elif method == "Network.responseReceived":
            code = params["response"]["status"]
            # A 401 to a request sent before the key was entered is the page finding out that it needs one.
            if code >= 400 and not (code == 401 and params["requestId"] in sent_before_key):
                problems.append(f"request answered {code}: {params['response']['url']}")
    shot_data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(shot_data))
    if key:
        # Asked once: a reload in the same tab finds the key in session storage and asks no more.
        page.call("Page.reload")
        time.sleep(0.5)
        if not page.wait_for("!!document.body && document.body.dataset.ready === '1'", 30):
            problems.append("after a reload the dashboard did not draw with the stored key")
        if page.evaluate("document.body.dataset.needsKey === '1'"):
            problems.append("after a reload the page asked for the key again")
    drawn = page.evaluate("['plot-fleet','plot-rates','plot-latency','plot-capacity'].map(p => p + '=' + document.getElementById(p).dataset.points).join(' ')")
    print(f"dashboard: {drawn}; forecast {forecast.get('method')} with {len(forecast.get('points') or [])} points; numbers {shown}; {len(requests)} requests; screenshot {shot}")
finally:
    browser.terminate()
    try:
        browser.wait(10)
    except subprocess.TimeoutExpired:
        browser.kill()
    shutil.rmtree(profile, ignore_errors=True)

for p in problems:
    print("problem: " + p)
sys.exit(1 if problems else 0)

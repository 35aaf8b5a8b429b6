"""Steady mixed load for scripts/bench/soak.sh: 600 miner addresses of which about 500 are registered at a time,
coming and going (deregistered, and later registered again with their tokens: 5 a second), heartbeats, reserving
matches with job ids followed by results or releases (or left to expire), non-reserving matches, reads, and an SLA
pass a minute. Usage: soak.py URL SECONDS [NEW_ADDRESSES]: with NEW_ADDRESSES=1 every comeback is a new address
instead (the hub keeps every address it ever registered, deregistered ones included, in memory and storage)."""
import http.client, json, random, sys, threading, time, urllib.parse

url, seconds = sys.argv[1], float(sys.argv[2])
new_addresses = len(sys.argv) > 3 and sys.argv[3] == "1"
parts = urllib.parse.urlparse(url)
end = time.time() + seconds
counts, lock = {}, threading.Lock()

def client():
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

def call(conn, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, None if body is None else json.dumps(body), headers)
    response = conn.getresponse()
    data = response.read()
    with lock:
        counts[response.status] = counts.get(response.status, 0) + 1
    return response.status, (json.loads(data) if data and response.getheader("Content-Type", "").startswith("application/json") else None)

fleet, gone, fleet_lock, serial = {}, {}, threading.Lock(), [0]

def register(conn):
    with fleet_lock:
        if gone and not new_addresses:
            address, token = gone.popitem()  # a miner coming back, with its token
        else:
            serial[0] += 1
            address, token = "0xs%x" % serial[0], None
    model = "model-%d" % (int(address[3:], 16) % 10)
    status, body = call(conn, "POST", "/api/v1/miners/register", {
        "address": address, "endpoint": "http://10.1.0.1:8080",
        "capabilities": {"models": [model], "gpu_memory": 24576, "max_concurrent_jobs": 4}}, token)
    if status in (200, 201):
        token = body.get("token") or token
        call(conn, "POST", "/api/v1/miners/%s/status" % address, {"available": True, "current_load": 0}, token)
        with fleet_lock:
            fleet[address] = token

def churn():
    conn = client()
    while time.time() < end:
        with fleet_lock:
            victim = random.choice(list(fleet.items())) if len(fleet) > 450 else None
            if victim:
                del fleet[victim[0]]
        if victim:
            call(conn, "DELETE", "/api/v1/miners/%s" % victim[0], token=victim[1])
            with fleet_lock:
                gone[victim[0]] = victim[1]
        register(conn)
        time.sleep(0.2)

def heartbeats():
    conn = client()
    while time.time() < end:
        with fleet_lock:
            sample = random.sample(list(fleet.items()), min(20, len(fleet)))
        for address, token in sample:
            call(conn, "POST", "/api/v1/miners/%s/status" % address, {"current_load": random.randint(0, 2)}, token)
        time.sleep(0.05)

def matches(worker):
    conn = client()
    n = 0
    while time.time() < end:
        n += 1
        job = "w%d-%d" % (worker, n)
        model = "model-%d" % random.randrange(10)
        status, body = call(conn, "POST", "/api/v1/match", {"job_type": "inference", "model": model, "job_id": job,
                                                             "tenant_id": "tenant-%d" % random.randrange(20)})
        miners = (body or {}).get("miners") or []
        if miners and miners[0].get("reservation"):
            if n % 4 == 0:
                call(conn, "DELETE", "/api/v1/reservations/%s" % miners[0]["reservation"]["id"])
            elif n % 4 != 1:  # one in four is left to expire
                call(conn, "POST", "/api/v1/jobs/%s/result" % job, {"address": miners[0]["address"],
                     # one in ten fails: miners stay above min_success_rate (0.8), so matches keep reserving
                     "status": "failed" if random.random() < 0.1 else "completed",
                     "response_time_ms": random.randint(100, 3000), "gpu_seconds": 1.5})
        call(conn, "POST", "/api/v1/match", {"job_type": "inference", "model": model, "reserve": False})
        call(conn, "GET", "/api/v1/miners?limit=20")

def passes():
    conn = client()
    while time.time() < end:
        time.sleep(60)
        call(conn, "POST", "/sla/metrics/collect")

conn = client()
for _ in range(600):
    register(conn)
with fleet_lock:  # 100 of the 600 start out gone
    for address in list(fleet)[:100]:
        call(conn, "DELETE", "/api/v1/miners/%s" % address, token=fleet[address])
        gone[address] = fleet.pop(address)
threads = [threading.Thread(target=churn), threading.Thread(target=heartbeats), threading.Thread(target=passes, daemon=True)]
threads += [threading.Thread(target=matches, args=(w,)) for w in range(3)]
for t in threads:
    t.start()
for t in threads[:2] + threads[3:]:
    t.join()
print("answers by status:", dict(sorted(counts.items())))

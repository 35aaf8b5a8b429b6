"""Registers N miners across 20 models (SLOTS slots each, default 8), sends each a heartbeat, and writes their tokens for wrk.
Usage: populate.py URL N OUT [SLOTS]"""
import sys
from hub_client import Hub

url, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
slots = int(sys.argv[4]) if len(sys.argv) > 4 else 8
post = Hub(url).post

tokens = []
for i in range(count):
    address = "0x%x" % (i + 1)
    token = post("/api/v1/miners/register", {
        "address": address, "endpoint": "http://10.0.%d.%d:8080" % (i // 256 % 256, i % 256),
        "capabilities": {"models": ["model-%d" % (i % 20)], "gpu_memory": [8192, 16384, 24576, 81920][i % 4],
                         "max_concurrent_jobs": slots},
        "stake": i % 50000})["token"]
    post("/api/v1/miners/%s/status" % address, {"available": True, "current_load": min(i % 3, slots - 1)}, token)
    tokens.append((address, token))
with open(out, "w") as f:
    f.writelines("%s %s\n" % t for t in tokens)
print("registered %d miners" % count)

"""Makes a fleet busy: reserving matches, model after model, until FRACTION of the miners hold a
reservation (one-slot miners are then full); then registers one miner that only a large GPU request
fits, ranked last of model-0 (no stake), with a heartbeat, and prints its address.
Usage: busy.py URL MINERS FRACTION"""
import sys
from hub_client import Hub

url, count, fraction = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
post = Hub(url).post

target = int(count * fraction)
reserved = 0
per_model = target // 20
for model in range(20):
    for _ in range(per_model):
        answer = post("/api/v1/match", {"job_type": "inference", "model": "model-%d" % model, "limit": 1, "reserve": True})
        assert answer["miners"] and "reservation" in answer["miners"][0], answer
        reserved += 1
token = post("/api/v1/miners/register", {
    "address": "0xlast", "endpoint": "http://10.9.9.9:8080",
    "capabilities": {"models": ["model-0"], "gpu_memory": 163840, "max_concurrent_jobs": 1}, "stake": 0})["token"]
post("/api/v1/miners/0xlast/status", {"available": True, "current_load": 0}, token)
print("reserved %d of %d miners; 0xlast fits only min_gpu_memory 163840" % (reserved, count))

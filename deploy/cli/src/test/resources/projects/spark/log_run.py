"""A Python entry point run by spark-submit's PythonRunner: logs to the run with the standard library only.

It does not import pyspark (not installed here); PYSPARK_GATEWAY_PORT, which PythonRunner sets for pyspark's
SparkContext, shows it ran under spark-submit.
"""
import json
import os
import sys
import time
import urllib.request

factor = float(sys.argv[1])
now = int(time.time() * 1000)
body = {
    "run_id": os.environ["MLFLOW_RUN_ID"],
    "metrics": [{"key": "doubled_factor", "value": factor * 2, "timestamp": now, "step": 0}],
    "tags": [{"key": "pyspark_gateway", "value": "yes" if os.environ.get("PYSPARK_GATEWAY_PORT") else "no"}],
}
request = urllib.request.Request(
    os.environ["MLFLOW_TRACKING_URI"].rstrip("/") + "/api/2.0/mlflow/runs/log-batch",
    data=json.dumps(body).encode(),
    headers={"Content-Type": "application/json"},
    method="POST",
)
with urllib.request.urlopen(request) as response:
    print("logged", factor * 2, "status", response.status)

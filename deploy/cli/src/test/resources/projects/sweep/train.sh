#!/usr/bin/env bash
# A sweep's trial that needs only bash, awk and curl: logs loss = ((x-4)^2 + 1) * lr + x/100 to the run skein created,
# and fails on purpose for x=4 (after logging the lowest loss of all, which a failed trial must not win with).
set -euo pipefail
x="$1" lr="$2" pause="$3"
loss=$(awk -v x="$x" -v lr="$lr" 'BEGIN { printf "%.6f", ((x - 4) ^ 2 + 1) * lr + x / 100 }')
echo "trial: x=$x lr=$lr loss=$loss"
sleep "$pause"
auth=()
if [ -n "${MLFLOW_TRACKING_TOKEN:-}" ]; then
  auth=(-H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN")
elif [ -n "${MLFLOW_TRACKING_USERNAME:-}" ]; then
  auth=(-u "$MLFLOW_TRACKING_USERNAME:${MLFLOW_TRACKING_PASSWORD:-}")
fi
curl -fsS "${auth[@]}" -X POST "$MLFLOW_TRACKING_URI/api/2.0/mlflow/runs/log-metric" \
  -H 'Content-Type: application/json' \
  -d "{\"run_id\":\"$MLFLOW_RUN_ID\",\"key\":\"loss\",\"value\":$loss,\"timestamp\":$(date +%s000),\"step\":0}"
echo
if [ "$x" -eq 4 ]; then
  echo "x=4 fails on purpose" >&2
  exit 1
fi

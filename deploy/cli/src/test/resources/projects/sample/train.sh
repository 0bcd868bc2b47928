#!/usr/bin/env bash
# A project entry point that needs only bash and curl: logs one metric to the run skein run created.
set -euo pipefail
alpha="$1" epochs="$2" label="$3"
shift 3
echo "training: alpha=$alpha epochs=$epochs label=$label extra=$*"
auth=()
if [ -n "${MLFLOW_TRACKING_TOKEN:-}" ]; then
  auth=(-H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN")
elif [ -n "${MLFLOW_TRACKING_USERNAME:-}" ]; then
  auth=(-u "$MLFLOW_TRACKING_USERNAME:${MLFLOW_TRACKING_PASSWORD:-}")
fi
curl -fsS "${auth[@]}" -X POST "$MLFLOW_TRACKING_URI/api/2.0/mlflow/runs/log-metric" \
  -H 'Content-Type: application/json' \
  -d "{\"run_id\":\"$MLFLOW_RUN_ID\",\"key\":\"alpha_seen\",\"value\":$alpha,\"timestamp\":$(date +%s000),\"step\":$epochs}"
echo
echo "logged alpha_seen to run $MLFLOW_RUN_ID of experiment $MLFLOW_EXPERIMENT_ID"

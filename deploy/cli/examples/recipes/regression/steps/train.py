"""train: a linear regression by least squares (ridge with steps.train.l2 > 0) on the train rows.

Writes model/ (an MLmodel file and the fitted coefficients) and predictions.csv: the test rows' targets and the
model's predictions, which the evaluate step has evaluation-service evaluate.
"""
import datetime
import json
import os
import uuid

import numpy as np

import common

cfg = common.config()
target = cfg["target_col"]
predictions_col = cfg["predictions_col"]
l2 = float(cfg["step"].get("l2", 0.0))
data = common.input_dir("transform") or common.input_dir("split")


def load(name):
    header, rows = common.read_csv(os.path.join(data, name + ".csv"))
    features = [c for c in header if c != target]
    x = np.array([[float(r[header.index(c)]) for c in features] for r in rows])
    y = np.array([float(r[header.index(target)]) for r in rows])
    return features, x, y


features, x, y = load("train")
design = np.hstack([x, np.ones((len(x), 1))])
penalty = l2 * np.eye(design.shape[1])
penalty[-1, -1] = 0.0  # the intercept is not shrunk
coef = np.linalg.solve(design.T @ design + penalty, design.T @ y)
out = common.output_dir()
model = os.path.join(out, "model")
os.makedirs(model)
with open(os.path.join(model, "coefficients.json"), "w") as f:
    json.dump({"features": features, "weights": coef[:-1].tolist(), "intercept": float(coef[-1])}, f, indent=2)
if common.input_dir("transform"):
    with open(os.path.join(common.input_dir("transform"), "transformer.json")) as src:
        transformer = src.read()
    with open(os.path.join(model, "transformer.json"), "w") as dst:
        dst.write(transformer)
with open(os.path.join(model, "MLmodel"), "w") as f:
    f.write(
        "artifact_path: model\n"
        "flavors:\n"
        "  skein_linear:\n"
        "    kind: linear_regression\n"
        "    coefficients: coefficients.json\n"
        f"    transformer: {'transformer.json' if common.input_dir('transform') else 'null'}\n"
        f"model_uuid: {uuid.uuid4().hex}\n"
        f"run_id: {os.environ.get('MLFLOW_RUN_ID', '')}\n"
        f"utc_time_created: '{datetime.datetime.utcnow().isoformat()}'\n"
    )
_, x_test, y_test = load("test")
predicted = np.hstack([x_test, np.ones((len(x_test), 1))]) @ coef
common.write_csv(
    os.path.join(out, "predictions.csv"),
    [target, predictions_col],
    [[f"{t:g}", f"{p:.4f}"] for t, p in zip(y_test, predicted)],
)
train_rmse = float(np.sqrt(np.mean((design @ coef - y) ** 2)))
print(f"train: {len(y)} rows, train RMSE {train_rmse:.3f}; {len(y_test)} test predictions")

"""train: a logistic regression fitted by gradient descent (steps.train.iterations, learning_rate, l2).

Writes model/ (an MLmodel file and the fitted coefficients) and predictions.csv: the test rows' labels and the
predicted labels, which the evaluate step has evaluation-service evaluate.
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
step = cfg["step"]
iterations = int(step.get("iterations", 2000))
rate = float(step.get("learning_rate", 0.1))
l2 = float(step.get("l2", 0.0))
data = common.input_dir("transform") or common.input_dir("split")


def load(name):
    header, rows = common.read_csv(os.path.join(data, name + ".csv"))
    features = [c for c in header if c != target]
    x = np.array([[float(r[header.index(c)]) for c in features] for r in rows])
    y = np.array([float(r[header.index(target)]) for r in rows])
    return features, x, y


def design(x):
    return np.hstack([x, np.ones((len(x), 1))])


features, x, y = load("train")
d = design(x)
w = np.zeros(d.shape[1])
for _ in range(iterations):
    p = 1 / (1 + np.exp(-(d @ w)))
    grad = d.T @ (p - y) / len(y)
    grad[:-1] += l2 * w[:-1]
    w -= rate * grad
out = common.output_dir()
model = os.path.join(out, "model")
os.makedirs(model)
with open(os.path.join(model, "coefficients.json"), "w") as f:
    json.dump({"features": features, "weights": w[:-1].tolist(), "intercept": float(w[-1])}, f, indent=2)
with open(os.path.join(model, "MLmodel"), "w") as f:
    f.write(
        "artifact_path: model\n"
        "flavors:\n"
        "  skein_linear:\n"
        "    kind: logistic_regression\n"
        "    coefficients: coefficients.json\n"
        f"model_uuid: {uuid.uuid4().hex}\n"
        f"run_id: {os.environ.get('MLFLOW_RUN_ID', '')}\n"
        f"utc_time_created: '{datetime.datetime.utcnow().isoformat()}'\n"
    )
_, x_test, y_test = load("test")
labels = (1 / (1 + np.exp(-(design(x_test) @ w))) >= 0.5).astype(int)
common.write_csv(
    os.path.join(out, "predictions.csv"),
    [target, predictions_col],
    [[str(int(t)), str(int(p))] for t, p in zip(y_test, labels)],
)
accuracy = float(np.mean((1 / (1 + np.exp(-(d @ w))) >= 0.5) == y))
print(f"train: {len(y)} rows, train accuracy {accuracy:.3f}; {len(y_test)} test predictions")

"""transform: each feature standardised with the train set's mean and deviation (steps.transform.standardize)."""
import json
import os

import numpy as np

import common

cfg = common.config()
target = cfg["target_col"]
standardize = cfg["step"].get("standardize", True)
split = common.input_dir("split")
header, train = common.read_csv(os.path.join(split, "train.csv"))
features = [c for c in header if c != target]
x = np.array([[float(r[header.index(c)]) for c in features] for r in train])
mean = x.mean(axis=0) if standardize else np.zeros(len(features))
std = x.std(axis=0) if standardize else np.ones(len(features))
std[std == 0] = 1.0
transformer = {"features": features, "mean": mean.tolist(), "std": std.tolist()}
with open(os.path.join(common.output_dir(), "transformer.json"), "w") as f:
    json.dump(transformer, f, indent=2)
for name in ("train", "validation", "test"):
    _, rows = common.read_csv(os.path.join(split, name + ".csv"))
    out = []
    for r in rows:
        values = [(float(r[header.index(c)]) - m) / s for c, m, s in zip(features, mean, std)]
        out.append([f"{v:.6f}" for v in values] + [r[header.index(target)]])
    common.write_csv(os.path.join(common.output_dir(), name + ".csv"), features + [target], out)
print(f"transform: {len(features)} features standardised" if standardize else "transform: features kept as they are")

"""split: train, validation and test rows in steps.split.split_ratios, each row's set fixed by a hash of it."""
import hashlib
import os

import common

cfg = common.config()
ratios = cfg["step"].get("split_ratios", [0.75, 0.125, 0.125])
if len(ratios) != 3 or any(r < 0 for r in ratios) or sum(ratios) <= 0:
    raise SystemExit(f"split: split_ratios must be three non-negative numbers, not {ratios}")
total = sum(ratios)
bounds = [ratios[0] / total, (ratios[0] + ratios[1]) / total]
header, rows = common.read_csv(os.path.join(common.input_dir("ingest"), "dataset.csv"))
sets = {"train": [], "validation": [], "test": []}
for row in rows:
    # as MLflow Recipes' split: a row lands in the same set whatever the others are
    h = int(hashlib.sha256(",".join(row).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    name = "train" if h < bounds[0] else "validation" if h < bounds[1] else "test"
    sets[name].append(row)
for name, part in sets.items():
    common.write_csv(os.path.join(common.output_dir(), name + ".csv"), header, part)
print("split: " + ", ".join(f"{n} {len(p)}" for n, p in sets.items()))

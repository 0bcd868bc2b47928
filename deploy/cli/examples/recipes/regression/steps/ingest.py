"""ingest: reads the dataset named by steps.ingest.location (a CSV, relative to the recipe) and checks it."""
import os
import sys

import common

cfg = common.config()
location = cfg["step"]["location"]
path = os.path.join(os.environ["SKEIN_RECIPE_DIR"], location)
header, rows = common.read_csv(path)
target = cfg["target_col"]
if target not in header:
    sys.exit(f"ingest: {location} has no target column {target!r} (it has {header})")
for i, row in enumerate(rows, start=2):
    if len(row) != len(header):
        sys.exit(f"ingest: {location}:{i} has {len(row)} fields, not {len(header)}")
    for name, value in zip(header, row):
        try:
            float(value)
        except ValueError:
            sys.exit(f"ingest: {location}:{i}: {name} is not a number: {value!r}")
common.write_csv(os.path.join(common.output_dir(), "dataset.csv"), header, rows)
print(f"ingest: {len(rows)} rows, columns {header}")

"""What every step of the recipe shares: its configuration, its directories, and CSV in and out."""
import csv
import json
import os


def config():
    """The step's rendered configuration: recipe-wide keys, and the step's own settings under "step"."""
    with open(os.environ["SKEIN_RECIPE_CONFIG"]) as f:
        return json.load(f)


def output_dir():
    return os.environ["SKEIN_RECIPE_OUTPUT_DIR"]


def input_dir(step):
    """The output directory of an earlier step (None if the recipe has no such step)."""
    return os.environ.get("SKEIN_RECIPE_INPUT_" + step.upper())


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)

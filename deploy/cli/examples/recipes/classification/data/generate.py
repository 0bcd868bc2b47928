"""Writes sample.csv: 300 made-up customers (tenure in months, monthly charges, support calls) and whether they
left (churned 1/0), drawn from a logistic model. Deterministic (a fixed seed, the standard library only).
"""
import csv
import math
import os
import random

rng = random.Random(23)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample.csv")
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["tenure", "monthly_charges", "support_calls", "churned"])
    for _ in range(300):
        tenure = rng.randint(1, 72)
        charges = round(rng.uniform(20, 120), 2)
        calls = rng.randint(0, 8)
        z = -0.08 * tenure + 0.03 * charges + 0.6 * calls - 2.0
        churned = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
        w.writerow([tenure, charges, calls, churned])

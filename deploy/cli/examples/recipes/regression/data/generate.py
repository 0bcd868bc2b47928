"""Writes sample.csv: 240 made-up houses (area, rooms, age, distance to the centre) and their price.

Deterministic (a fixed seed, the standard library only): run it again and the same file comes out.
price = 1.2 * area + 8 * rooms - 0.6 * age - 4.5 * distance + 40, plus noise (in thousands).
"""
import csv
import os
import random

rng = random.Random(19)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample.csv")
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["area", "rooms", "age", "distance", "price"])
    for _ in range(240):
        area = round(rng.uniform(40, 220), 1)
        rooms = rng.randint(1, 7)
        age = rng.randint(0, 90)
        distance = round(rng.uniform(0.5, 30), 2)
        price = 1.2 * area + 8 * rooms - 0.6 * age - 4.5 * distance + 40 + rng.gauss(0, 12)
        w.writerow([area, rooms, age, distance, round(price, 2)])

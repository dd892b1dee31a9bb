"""Writes airline.csv: an export shaped like Kaggle's airline passenger satisfaction file
(an unnamed index column, an id, three segment columns, 14 services rated 1-5 with
0 = "not applicable", column names with spaces and slashes, and a text outcome
"satisfied" / "neutral or dissatisfied"). Made up here from a known model, standard
library only, fixed seed:  python3 tests/data/airline/make.py
"""
import csv
import math
import os
import random

SERVICES = [
    "Inflight wifi service",
    "Departure/Arrival time convenient",
    "Ease of Online booking",
    "Gate location",
    "Food and drink",
    "Online boarding",
    "Seat comfort",
    "Inflight entertainment",
    "On-board service",
    "Leg room service",
    "Baggage handling",
    "Checkin service",
    "Inflight service",
    "Cleanliness",
]
# Log-odds of "satisfied" per rating point above 3, by service.
WEIGHTS = [0.55, -0.05, 0.10, 0.02, 0.05, 0.60, 0.25, 0.20, 0.22, 0.20, 0.08, 0.18, 0.08, 0.15]
# Mean rating by service: wifi and ease of booking rated lowest, in-flight service highest.
MEANS = [2.7, 3.1, 2.8, 3.0, 3.2, 3.3, 3.4, 3.4, 3.4, 3.3, 3.6, 3.3, 3.7, 3.3]


def main(n=1500, seed=20251231):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        gender = rng.choice(["Female", "Male"])
        loyal = rng.random() < 0.8
        business = rng.random() < 0.7
        cls = rng.choices(["Business", "Eco", "Eco Plus"], [0.48, 0.45, 0.07])[0]
        general = rng.gauss(0, 0.8) + (0.3 if cls == "Business" else 0.0)
        ratings = []
        for m in MEANS:
            x = round(m + general + rng.gauss(0, 0.9))
            ratings.append(min(5, max(1, x)))
        eta = -0.4 + sum(w * (r - 3) for w, r in zip(WEIGHTS, ratings))
        eta += 0.6 * business + 0.4 * loyal
        satisfied = rng.random() < 1 / (1 + math.exp(-eta))
        # About 2% of each service "not applicable" (0), as in the Kaggle export.
        ratings = [0 if rng.random() < 0.02 else r for r in ratings]
        rows.append(
            [i, 70000 + i, gender, "Loyal Customer" if loyal else "disloyal Customer", rng.randint(7, 85),
             "Business travel" if business else "Personal Travel", cls, rng.randint(60, 4900)]
            + ratings
            + ["satisfied" if satisfied else "neutral or dissatisfied"]
        )
    header = ["", "id", "Gender", "Customer Type", "Age", "Type of Travel", "Class", "Flight Distance"]
    header += SERVICES + ["satisfaction"]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "airline.csv")
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


if __name__ == "__main__":
    main()

"""Peer timings for BENCHMARKS.md: exact LMG with pingouin on the same CSV keydriver reads.

    python3 benches/peers.py make  FILE N P   # write a survey-like CSV (seeded)
    python3 benches/peers.py gaps  FILE N P   # the same kind of data, 15% of each rating blank
    python3 benches/peers.py pingouin FILE P  # time pingouin.linear_regression(relimp=True)
"""
import sys

import numpy as np


def make(path, n, p):
    rng = np.random.default_rng(1)
    g = rng.uniform(-1, 1, size=(n, 1))
    x = np.clip(np.round(5.5 + 3 * g + 2 * rng.uniform(-1, 1, size=(n, p))), 1, 10)
    y = np.clip(np.round(x @ (1 / np.arange(1, p + 1)) / 3.6 + rng.uniform(-1.5, 1.5, n)), 0, 10)
    cols = [f"d{j}" for j in range(p)]
    with open(path, "w") as f:
        f.write(",".join(cols) + ",ltr\n")
        for i in range(n):
            f.write(",".join(str(int(v)) for v in x[i]) + f",{int(y[i])}\n")


def gaps(path, n, p):
    rng = np.random.default_rng(3)
    g = rng.normal(size=(n, 1))
    x = np.clip(np.round(6 + 1.6 * g + 1.4 * rng.normal(size=(n, p))), 1, 10)
    y = np.clip(np.round(x @ np.linspace(0.3, 0.02, p) - 1 + 1.2 * rng.normal(size=n)), 0, 10)
    blank = rng.uniform(size=(n, p)) < 0.15
    with open(path, "w") as f:
        f.write(",".join(f"d{j}" for j in range(p)) + ",y\n")
        for i in range(n):
            cells = ["" if blank[i, j] else str(int(x[i, j])) for j in range(p)]
            f.write(",".join(cells) + f",{int(y[i])}\n")


def pingouin(path, p):
    import pandas as pd
    import pingouin as pg

    df = pd.read_csv(path)
    cols = [f"d{j}" for j in range(p)]
    out = pg.linear_regression(df[cols], df["ltr"], relimp=True)
    print(out[["names", "relimp"]].to_string())


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "gaps":
        gaps(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        pingouin(sys.argv[2], int(sys.argv[3]))

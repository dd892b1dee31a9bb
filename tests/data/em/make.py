"""The EM fixture (run by hand from this folder; CI never runs it):

    python3 make.py && Rscript make.R

blanks.csv: 1,200 respondents, five correlated 1-10 ratings d1..d5 and a 0-10 outcome y,
with 15% of each driver's answers removed at random (MCAR; y complete). make.R then
writes lavaan.json: the maximum-likelihood correlation matrix under missing-at-random
from lavaan::lavCor(missing = "ml"), which keydriver's --missing em must reproduce.
"""
import numpy as np

rng = np.random.default_rng(17)
n, p = 1200, 5
g = rng.normal(size=(n, 1))
x = np.clip(np.round(6 + 1.6 * g + 1.4 * rng.normal(size=(n, p))), 1, 10)
beta = np.array([0.45, 0.30, 0.20, 0.12, 0.05])
y = np.clip(np.round(x @ beta - 1.5 + 1.2 * rng.normal(size=n)), 0, 10)
mask = rng.uniform(size=(n, p)) < 0.15
with open("blanks.csv", "w") as f:
    f.write("id," + ",".join(f"d{j + 1}" for j in range(p)) + ",y\n")
    for i in range(n):
        cells = ["" if mask[i, j] else str(int(x[i, j])) for j in range(p)]
        f.write(f"{i + 1}," + ",".join(cells) + f",{int(y[i])}\n")

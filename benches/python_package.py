"""The Python package's timings for BENCHMARKS.md, in one process, side by side.

    python3 benches/python_package.py peers      # kd.drivers(method="shapley") vs pingouin, n = 10,000
    python3 benches/python_package.py boundary   # crossing the boundary with a 1,000,000 × 20 frame

`peers` times both on the same polars/pandas frame (pingouin 0.7's
`linear_regression(relimp=True)`, exact LMG), alternating, and checks they agree.
`boundary` times `kd.drivers` on a frame against the engine alone on the same rows (the
`drivers` command's own stage), so the difference is what the crossing costs.
"""

import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import polars as pl

import keydriver as kd


def survey(n, p, seed=1):
    """Survey-like ratings 1–10 sharing a halo, and a 0–10 recommend score."""
    rng = np.random.default_rng(seed)
    g = rng.uniform(-1, 1, size=(n, 1))
    x = np.clip(np.round(5.5 + 3 * g + 2 * rng.uniform(-1, 1, size=(n, p))), 1, 10)
    y = np.clip(np.round(x @ (1 / np.arange(1, p + 1)) / 3.6 + rng.uniform(-1.5, 1.5, n)), 0, 10)
    cols = {f"d{j}": x[:, j] for j in range(p)}
    return pl.DataFrame({**cols, "ltr": y}), [f"d{j}" for j in range(p)]


def clock(f, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times), out


def peers():
    import pingouin as pg

    print("| p | keydriver (Python) | pingouin 0.7 | ratio | largest gap |")
    print("|---:|---:|---:|---:|---:|")
    for p in (12, 16, 20):
        frame, names = survey(10_000, p)
        pandas = frame.to_pandas()
        ours = clock(lambda: kd.drivers(frame, "ltr", names, method="shapley", scale={"min": 1, "max": 10}), 5)
        theirs = clock(lambda: pg.linear_regression(pandas[names], pandas["ltr"], relimp=True), 1 if p == 20 else 3)
        relimp = dict(zip(theirs[3]["names"], theirs[3]["relimp"]))
        gap = max(abs(r["shapley"] - relimp[r["name"]]) for r in ours[3].iter_rows(named=True))
        print(f"| {p} | {ours[0]:.3f} s | {theirs[0]:.2f} s | {theirs[0] / ours[0]:,.0f}× | {gap:.1e} |")


def boundary(binary="target/release/keydriver"):
    frame, names = survey(1_000_000, 20, seed=2)
    args = dict(method="shapley", scale={"min": 1, "max": 10})
    # The frame arriving in Rust and nothing else: what the crossing costs.
    crossing = clock(lambda: kd._keydriver._frame_shape(frame), 20)
    total = clock(lambda: kd.drivers(frame, "ltr", names, **args), 5)
    print(f"crossing alone (1,000,000 × 21 frame): {crossing[0] * 1e3:.3f} ms (range {crossing[1] * 1e3:.3f}–{crossing[2] * 1e3:.3f})")
    print(f"kd.drivers(frame), whole call:        {total[0]:.3f} s (range {total[1]:.3f}–{total[2]:.3f})")
    print(f"crossing / whole call:                {crossing[0] / total[0]:.2%}")
    with tempfile.NamedTemporaryFile(suffix=".parquet") as f:
        frame.write_parquet(f.name)
        cli = [binary, "drivers", "--data", f.name, "--target", "ltr", "--drivers", ",".join(names),
               "--method", "shapley", "--scale-min", "1", "--scale-max", "10", "--format", "json"]  # fmt: skip
        command = clock(lambda: subprocess.run(cli, check=True, capture_output=True), 5)
    print(f"keydriver drivers (same rows, Parquet): {command[0]:.3f} s (range {command[1]:.3f}–{command[2]:.3f})")


if __name__ == "__main__":
    {"peers": peers, "boundary": boundary}[sys.argv[1]](*sys.argv[2:])

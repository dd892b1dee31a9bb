"""A survey as a warehouse exports it, for the scale benchmarks: the ratings and outcome
files of `keydriver example` joined into one table and written as a folder of Parquet
files partitioned by quarter (the quarter only in the folder names, `quarter=2025Q1/`),
250,000 rows a file. Needs Python polars.

    python3 benches/parquet_folder.py /tmp/sim10m /tmp/pq10m
"""
import os
import shutil
import sys

import polars as pl

src, out = sys.argv[1], sys.argv[2]
df = pl.read_csv(f"{src}/ratings.csv", infer_schema_length=0).join(
    pl.read_csv(f"{src}/nps.csv", infer_schema_length=0), on="respondent_id"
)
numbers = [c for c in df.columns if c not in ("respondent_id", "quarter", "region", "channel")]
df = df.with_columns([pl.col(c).cast(pl.Float64) for c in numbers])
shutil.rmtree(out, ignore_errors=True)
for (quarter,), part in df.group_by(["quarter"], maintain_order=True):
    os.makedirs(f"{out}/quarter={quarter}", exist_ok=True)
    for i, start in enumerate(range(0, part.height, 250_000)):
        part.drop("quarter").slice(start, 250_000).write_parquet(f"{out}/quarter={quarter}/part-{i}.parquet")
print(df.height, "rows")

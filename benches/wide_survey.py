"""A copy of an example survey with more drivers, for the report's growth with p.

    python3 benches/wide_survey.py SRC DST P

SRC is a folder made by `keydriver example` with the bundled survey.toml beside it; DST
gets the same respondents and outcomes with P drivers: the eight of the example, then
P − 8 more, each a noisy copy of one of them (1–10, seeded), so they correlate as survey
ratings do. The cost file is left out (it names the example's eight drivers only).
"""
import csv
import random
import shutil
import sys
from pathlib import Path

src, dst, p = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
dst.mkdir(parents=True, exist_ok=True)
for name in ("nps.csv", "benchmarks.csv"):
    shutil.copy(src / name, dst / name)
rng = random.Random(7)
with open(src / "ratings.csv", newline="") as f_in, open(dst / "ratings.csv", "w", newline="") as f_out:
    reader = csv.reader(f_in)
    writer = csv.writer(f_out)
    header = next(reader)
    base = header[4:12]
    extra = [f"extra_{k + 1}" for k in range(p - len(base))]
    writer.writerow(header + extra)
    for row in reader:
        added = []
        for k in range(len(extra)):
            v = row[4 + k % len(base)]
            if v in ("", "99"):
                added.append(v)
            else:
                added.append(str(min(10, max(1, round(0.7 * int(v) + 0.3 * rng.randint(1, 10) + rng.gauss(0, 1))))))
        writer.writerow(row + added)
toml = [line for line in (src / "survey.toml").read_text().splitlines() if not line.startswith("costs =")]
toml += [f'\n[[drivers]]\ncolumn = "{c}"\nlabel = "Extra {c[6:]}"' for c in extra]
(dst / "survey.toml").write_text("\n".join(toml) + "\n")

"""Makes the Excel and SPSS fixtures from the bundled example (run by hand, from the
project root; the outputs are committed, CI never runs this):

    python3 tests/data/formats/make.py

- ratings.xlsx: notebooks-data/ratings.csv as an Excel sheet named "ratings" after a
  "notes" sheet; ratings as numbers, except in rows 1-3 where they are stored as text
  (as Excel exports often do), and quarter as text.
- ratings.sav: the same as SPSS, with variable labels on the drivers, region coded 1-4
  with value labels, and 99 ("don't know") declared user-missing on every driver.
- qualtrics.xlsx: the small reference survey of tests/inputs.rs (id, a, b, comment) as a
  Qualtrics-style export: the names, then a row of question wording, then the data.
- corrupt.xlsx / corrupt.sav: the first 300 bytes of each.
"""
import csv

import openpyxl
import pandas as pd
import pyreadstat

SRC = "notebooks-data/ratings.csv"
OUT = "tests/data/formats/"
DRIVERS = ["wait_time", "quality", "flexibility", "transparency", "problem_solving",
           "communication", "expertise", "follow_up"]
LABELS = {"wait_time": "Wait time (SPSS)", "quality": "Quality (SPSS)", "flexibility": "Flexibility (SPSS)",
          "transparency": "Transparency (SPSS)", "problem_solving": "Problem solving (SPSS)",
          "communication": "Communication (SPSS)", "expertise": "Expertise (SPSS)",
          "follow_up": "Follow-up (SPSS)"}

rows = list(csv.reader(open(SRC, newline="")))
header, data = rows[0], rows[1:]

wb = openpyxl.Workbook()
wb.active.title = "notes"
wb.active["A1"] = "Exported from the survey platform; data on the next sheet."
ws = wb.create_sheet("ratings")
ws.append(header)
for i, r in enumerate(data):
    out = []
    for name, v in zip(header, r):
        if name in DRIVERS and v != "":
            out.append(v if i < 3 else int(v))  # text-stored numbers in the first rows
        else:
            out.append(v if v != "" else None)
    ws.append(out)
wb.save(OUT + "ratings.xlsx")

df = pd.read_csv(SRC, dtype={"respondent_id": str, "quarter": str})
regions = {"East": 1, "North": 2, "South": 3, "West": 4}
df["region"] = df["region"].map(regions).astype(float)
pyreadstat.write_sav(
    df, OUT + "ratings.sav",
    column_labels={**{c: c for c in df.columns}, **LABELS},
    variable_value_labels={"region": {float(v): k for k, v in regions.items()}},
    missing_ranges={d: [99] for d in DRIVERS},
)

for name in ["ratings.xlsx", "ratings.sav"]:
    blob = open(OUT + name, "rb").read()
    open(OUT + "corrupt." + name.split(".")[1], "wb").write(blob[:300])

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Sheet0"
ws.append(["id", "a", "b", "comment"])
ws.append(["Response ID", "How was the wait?", "How was the quality?", "Anything else?"])
for r in [(1, 5.5, 7, "fine"), (2, 6, 5, "ok"), (3, 9, 9, "great"), (4, 3, 4, "slow"),
          (5, 8, 6, "ok"), (6, 7, 8, "good"), (7, 2, 3, "bad"), (8, 10, 9, "superb")]:
    ws.append(list(r))
wb.save(OUT + "qualtrics.xlsx")

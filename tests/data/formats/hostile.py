"""Makes hostile.sav: the bundled example's ratings as SPSS, with a script in a driver's
variable label and markup and a pipe in the region's value labels, for the test that
nothing from a data file becomes live HTML in report.html. Run by hand from the project
root (pip install pyreadstat pandas); the output is committed, CI never runs this:

    python3 tests/data/formats/hostile.py
"""
import pandas as pd
import pyreadstat

df = pd.read_csv("notebooks-data/ratings.csv", dtype={"respondent_id": str, "quarter": str})
regions = {"East": 1, "North": 2, "South": 3, "West": 4}
df["region"] = df["region"].map(regions).astype(float)
labels = {
    1: "<script>alert(7)</script>",
    2: "<img src=x onerror=alert(8)>",
    3: "[South](javascript:alert(9))",
    4: "West | Coast",
}
pyreadstat.write_sav(
    df,
    "tests/data/formats/hostile.sav",
    column_labels={**{c: c for c in df.columns}, "wait_time": "Wait <script>alert(10)</script>"},
    variable_value_labels={"region": {float(k): v for k, v in labels.items()}},
)

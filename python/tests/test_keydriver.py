"""The Python package against the command line on the bundled example: the same engine
must give the same numbers whichever side of the boundary the frames come from."""

from __future__ import annotations

import json
import math
import os
import pathlib
import shutil
import subprocess
import threading
import time

import nbclient
import nbformat
import pandas as pd
import polars as pl
import pytest

import keydriver as kd

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "notebooks-data"
CONFIG = DATA / "survey.toml"
TARGET = "likelihood_to_recommend"
DRIVERS = [
    "wait_time=Wait time",
    "quality=Quality / accuracy",
    "flexibility=Flexibility",
    "transparency=Transparency",
    "problem_solving=Problem solving",
    "communication=Communication",
    "expertise=Expertise",
    "follow_up=Follow-up",
]
# The bundled survey.toml's settings that shape the pooled driver table, as flags.
FLAGS = [
    "--id", "respondent_id",
    "--target", TARGET,
    "--drivers", ",".join(DRIVERS),
    "--missing-codes", "99",
    "--scale-min", "1", "--scale-max", "10",
]  # fmt: skip
SETTINGS = dict(id="respondent_id", missing_codes=[99], scale={"min": 1, "max": 10})


def cli() -> str:
    """The command line built beside this package (`cargo test` builds target/debug)."""
    if os.environ.get("KEYDRIVER_BIN"):
        return os.environ["KEYDRIVER_BIN"]
    built = [p for p in (ROOT / "target/release/keydriver", ROOT / "target/debug/keydriver") if p.exists()]
    if not built:
        pytest.fail("no keydriver binary: run `cargo build` (or set KEYDRIVER_BIN) before pytest")
    return str(max(built, key=lambda p: p.stat().st_mtime))


def run_cli(*args: str) -> dict:
    out = subprocess.run([cli(), *args], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def flat(record: dict, prefix: str = "") -> dict:
    """A JSON record's fields as the frame's columns name them (`parent.field`)."""
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat(value, name + "."))
        else:
            out[name] = value
    return out


def same(a, b, tol=1e-12) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        a, b = list(a or []), list(b or [])
        return len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    return a == b


def assert_frame_is_json(frame: pl.DataFrame, records: list):
    """Every column of every row of `frame` equals the JSON's field, to 1e-12."""
    assert frame.height == len(records)
    expected = [flat(r) for r in records]
    columns = {k for r in expected for k in r}
    assert columns == set(frame.columns), (columns ^ set(frame.columns))
    for row, want in zip(frame.iter_rows(named=True), expected):
        for column in columns:
            assert same(row[column], want.get(column)), (column, row[column], want.get(column))


@pytest.fixture(scope="module")
def ratings() -> pl.DataFrame:
    return pl.read_csv(DATA / "ratings.csv")


@pytest.fixture(scope="module")
def answers() -> pl.DataFrame:
    return pl.read_csv(DATA / "nps.csv")


@pytest.fixture(scope="module")
def cli_drivers() -> dict:
    return run_cli("drivers", "--data", "notebooks-data/ratings.csv", "--nps", "notebooks-data/nps.csv", *FLAGS,
                   "--format", "json")  # fmt: skip


def test_drivers_from_polars_frames_equal_the_command_line(ratings, answers, cli_drivers):
    table = kd.drivers(ratings, TARGET, DRIVERS, outcomes=answers, **SETTINGS)
    assert table["label"].to_list()[:1] == [cli_drivers["drivers"][0]["label"]]
    assert_frame_is_json(table, cli_drivers["drivers"])


def test_a_frame_crosses_whole(ratings):
    assert kd._keydriver._frame_shape(ratings) == ratings.shape


def test_drivers_from_pandas_frames_equal_the_command_line(cli_drivers):
    ratings = pd.read_csv(DATA / "ratings.csv")
    answers = pd.read_csv(DATA / "nps.csv")
    table = kd.drivers(ratings, TARGET, DRIVERS, outcomes=answers, **SETTINGS)
    assert_frame_is_json(table, cli_drivers["drivers"])
    assert table.to_pandas().shape == (8, table.width)


def test_drivers_from_two_files_join_on_the_id(cli_drivers):
    table = kd.drivers(DATA / "ratings.csv", TARGET, DRIVERS, outcomes=str(DATA / "nps.csv"), **SETTINGS)
    assert_frame_is_json(table, cli_drivers["drivers"])


def test_score_equals_the_command_line(ratings, answers):
    want = run_cli("nps", "--data", "notebooks-data/ratings.csv", "--nps", "notebooks-data/nps.csv",
                   "--id", "respondent_id", "--target", TARGET, "--wave", "quarter", "--segments", "region,channel",
                   "--format", "json")  # fmt: skip
    got = kd.score(ratings, TARGET, outcomes=answers, id="respondent_id", wave="quarter", by=["region", "channel"])
    rows = [dict(by="all", **want["overall"])]
    rows += [dict(by=b["by"], **r) for b in want["breakdowns"] for r in b["rows"]]
    assert got["by"].to_list()[:3] == ["all", "quarter", "quarter"]
    assert_frame_is_json(got, rows)


def test_weights_equal_the_command_line(ratings, answers, tmp_path):
    weighted = ratings.with_columns(w=0.5 + (pl.int_range(pl.len()) % 4) * 0.25)
    weighted.write_csv(tmp_path / "ratings.csv")
    for are in ("sampling", "frequency"):
        want = run_cli("drivers", "--data", str(tmp_path / "ratings.csv"), "--nps", "notebooks-data/nps.csv", *FLAGS,
                       "--weights", "w", "--weights-are", are, "--format", "json")  # fmt: skip
        got = kd.drivers(weighted, TARGET, DRIVERS, outcomes=answers, weights="w", weights_are=are, **SETTINGS)
        assert_frame_is_json(got, want["drivers"])
    unweighted = kd.drivers(ratings, TARGET, DRIVERS, outcomes=answers, **SETTINGS)
    assert unweighted["shapley"].to_list() != got["shapley"].to_list()


def test_bootstrap_with_a_seed_gives_the_command_lines_intervals(ratings, answers):
    want = run_cli("drivers", "--data", "notebooks-data/ratings.csv", "--nps", "notebooks-data/nps.csv", *FLAGS,
                   "--bootstrap", "200", "--seed", "7", "--format", "json")  # fmt: skip
    got = kd.drivers(ratings, TARGET, DRIVERS, outcomes=answers, bootstrap=200, seed=7, **SETTINGS)
    assert got["ci_low"].null_count() == 0
    assert_frame_is_json(got, want["drivers"])
    other = kd.drivers(ratings, TARGET, DRIVERS, outcomes=answers, bootstrap=200, seed=8, **SETTINGS)
    assert other["ci_low"].to_list() != got["ci_low"].to_list()


def test_the_engine_runs_with_the_interpreter_released(ratings, answers):
    """While a bootstrap runs in one thread, Python code goes on running in another."""
    done = threading.Event()
    worker = threading.Thread(
        target=lambda: (kd.drivers(ratings, TARGET, DRIVERS, outcomes=answers, bootstrap=400, **SETTINGS), done.set())
    )
    ticks = 0
    start = time.perf_counter()
    worker.start()
    while not done.is_set() and time.perf_counter() - start < 120:
        ticks += 1
    worker.join()
    assert done.is_set() and ticks > 10_000, ticks


def test_method_and_labels(ratings, answers):
    table = kd.drivers(ratings, TARGET, ["wait_time", "quality"], outcomes=answers, method="shapley",
                       labels={"quality": "Quality"}, **SETTINGS)  # fmt: skip
    assert sorted(table["label"].to_list()) == ["Quality", "wait_time"]
    assert "relweight" not in table.columns
    assert table["shapley"].sum() > 0


def test_text_in_a_rating_names_the_column_and_the_row(ratings, answers):
    bad = ratings.with_columns(pl.col("quality").cast(pl.String))
    bad = bad.with_columns(pl.when(pl.int_range(pl.len()) == 41).then(pl.lit("good")).otherwise(pl.col("quality")).alias("quality"))
    with pytest.raises(kd.KeydriverError, match=r'column "quality", row 42: .*"good"'):
        kd.drivers(bad, TARGET, DRIVERS, outcomes=answers, **SETTINGS)
    # The interpreter and the package go on working.
    assert kd.drivers(ratings, TARGET, DRIVERS, outcomes=answers, **SETTINGS).height == 8


def test_unknown_column_and_constant_target(ratings, answers):
    with pytest.raises(kd.KeydriverError, match=r'no column "speed"'):
        kd.drivers(ratings, TARGET, ["speed", "quality"], outcomes=answers, **SETTINGS)
    constant = ratings.with_columns(score=pl.lit(9))
    with pytest.raises(kd.KeydriverError, match=r"same score score"):
        kd.drivers(constant, "score", DRIVERS, **SETTINGS)
    with pytest.raises(kd.KeydriverError, match=r"unknown field `bootstrapp`"):
        kd.analyse(CONFIG, bootstrapp=10)
    with pytest.raises(kd.KeydriverError, match=r'need an id column to join them: pass id="COLUMN"'):
        kd.drivers(ratings, TARGET, DRIVERS, outcomes=answers)
    with pytest.raises(kd.KeydriverError, match=r"expected a polars or pandas DataFrame"):
        kd.drivers([1, 2, 3], TARGET, DRIVERS)
    assert issubclass(kd.KeydriverError, ValueError)


def test_a_panic_comes_back_as_an_error():
    with pytest.raises(kd.KeydriverError, match="internal error.*a panic inside the engine"):
        kd._keydriver._panic_in_guard()
    assert kd.score(DATA / "ratings.csv", TARGET, outcomes=DATA / "nps.csv", id="respondent_id").height == 1


def test_analyse_frames_and_report(ratings, answers, tmp_path):
    analysis = kd.analyse(CONFIG, ratings=ratings, outcomes=answers, bootstrap=50)
    from_files = kd.analyse(CONFIG, bootstrap=50)
    assert_frame_is_json(analysis.drivers, from_files.drivers.to_dicts())
    waves = analysis.waves
    assert waves["wave"].unique().sort().to_list() == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert waves.filter(pl.col("wave") == "2025Q4")["label"].len() == 8
    segments = analysis.segments
    assert set(segments["segment"].unique()) == {"region", "channel"}
    assert analysis.scores["by"][0] == "all"
    assert analysis.whatif is not None and analysis.whatif.height == 8
    assert analysis.json()["outcomes"][0]["outcome"]["column"] == TARGET
    assert "NPS" in analysis._repr_html_() and "<script" not in analysis._repr_html_()
    # The headline the report leads with: the latest wave's, as nps --format json has it.
    latest = [r for r in analysis.scores.iter_rows(named=True) if r["by"] == "quarter"][-1]
    assert analysis.headline == dict(metric="NPS", group="2025Q4", score=latest["score"], ci_low=latest["ci_low"],
                                     ci_high=latest["ci_high"], n=latest["n"])  # fmt: skip
    folder = analysis.write_report(tmp_path)
    assert (folder / "report.html").exists() and (folder / "drivers.csv").exists()
    with pytest.raises(kd.KeydriverError, match="already exists"):
        analysis.write_report(tmp_path)
    assert analysis.write_report(tmp_path, force=True) == folder


def test_html_escapes_labels_from_the_data(ratings, answers):
    hostile = '<script>alert("x")</script>'
    analysis = kd.analyse(ratings=ratings, outcomes=answers, target=TARGET, id="respondent_id",
                          drivers=[f"quality={hostile}", "wait_time"], bootstrap=0)  # fmt: skip
    shown = analysis._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;" in shown


def test_whatif_equals_the_command_line(ratings, answers):
    want = run_cli("whatif", "--data", "notebooks-data/ratings.csv", "--nps", "notebooks-data/nps.csv", *FLAGS,
                   "--bootstrap", "100", "--scenario", "wait_time+1", "--scenario", "quality>=7,expertise+1",
                   "--costs", "notebooks-data/costs.csv", "--format", "json")  # fmt: skip
    got = kd.whatif(ratings, TARGET, DRIVERS, outcomes=answers, bootstrap=100,
                    scenarios=["wait_time+1", "quality>=7,expertise+1"], costs=DATA / "costs.csv", **SETTINGS)  # fmt: skip
    assert_frame_is_json(got, want["scenarios"])


def test_the_notebook_runs(tmp_path):
    work = tmp_path / "notebooks-data"
    shutil.copytree(DATA, work)
    notebook = nbformat.read(work / "quarterly.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(work)}}).execute()
    assert list((work / "reports").glob("*/report.html"))
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert any("text/html" in o.get("data", {}) for o in outputs)

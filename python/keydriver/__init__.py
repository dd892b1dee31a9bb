"""keydriver: key-driver analysis of customer surveys, from polars or pandas frames.

The same engine as the ``keydriver`` command line: what drives NPS (or CSAT, effort, a
yes/no outcome), how sure we are, what changed and for whom, and what a point is worth.

    import polars as pl
    import keydriver as kd

    ratings = pl.read_csv("ratings.csv")
    table = kd.drivers(ratings, "likelihood_to_recommend", ["wait_time", "quality"])
    analysis = kd.analyse("notebooks-data/survey.toml")
    analysis.write_report("reports")

Every table comes back as a polars DataFrame (``.to_pandas()`` for pandas); every error
as :class:`KeydriverError` with the command line's one-line message.
"""

from __future__ import annotations

import html
import json
import os
import pathlib
from typing import Any, Mapping, Optional, Sequence, Union

import polars as pl

from . import _keydriver
from ._keydriver import KeydriverError

__all__ = ["Analysis", "KeydriverError", "analyse", "drivers", "score", "whatif", "__version__"]
__version__ = _keydriver.__version__

# Keys of survey.toml's [model] table, also taken at the top level of `analyse`'s settings.
_MODEL_KEYS = {"methods", "rank_by", "non_pd", "approx", "permutations", "tolerance", "bootstrap"}


def _frame(data: Any, what: str) -> Optional[pl.DataFrame]:
    """A polars frame from a polars, pandas or pyarrow table; None for a path."""
    if data is None or isinstance(data, (str, os.PathLike)):
        return None
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pl.from_pandas(data)
    if module == "pyarrow":
        return pl.from_arrow(data)
    raise KeydriverError(f"{what}: expected a polars or pandas DataFrame or a file path, got {type(data).__name__}")


def _path(data: Any) -> Optional[str]:
    return os.fspath(data) if isinstance(data, (str, os.PathLike)) else None


def _drivers(drivers: Optional[Sequence[Any]], labels: Optional[Mapping[str, str]]) -> Optional[list]:
    """Driver columns as survey.toml's [[drivers]]: names, ``"column=Label"`` or dicts."""
    if drivers is None:
        return None
    if isinstance(drivers, str):
        drivers = [drivers]
    out = []
    for d in drivers:
        if isinstance(d, Mapping):
            spec = dict(d)
        else:
            column, _, label = str(d).partition("=")
            spec = {"column": column.strip()}
            if label:
                spec["label"] = label.strip()
        if labels and spec["column"] in labels:
            spec["label"] = labels[spec["column"]]
        out.append(spec)
    return out


def _methods(method: Union[str, Sequence[str], None]) -> Optional[list]:
    if method is None:
        return None
    return [m.strip() for m in method.split(",")] if isinstance(method, str) else list(method)


def _scenarios(scenarios: Union[str, Sequence[str], Mapping[str, str], None]) -> Optional[list]:
    if scenarios is None:
        return None
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    if isinstance(scenarios, Mapping):
        return [{"name": name, "shift": shift} for name, shift in scenarios.items()]
    return [s if isinstance(s, Mapping) else {"shift": s} for s in scenarios]


def _settings(settings: Mapping[str, Any]) -> str:
    """survey.toml's keys as JSON, None dropped, paths as text, [model]'s keys folded in."""
    out: dict = {}
    model: dict = dict(settings.get("model") or {})
    for key, value in settings.items():
        if value is None or key == "model":
            continue
        if key == "method":
            key, value = "methods", _methods(value)
        if key in _MODEL_KEYS:
            model[key] = value
        else:
            out[key] = value
    if model:
        out["model"] = model
    return json.dumps(out, default=lambda v: os.fspath(v) if isinstance(v, os.PathLike) else str(v))


def _call(fn, settings: Mapping[str, Any], config=None, ratings=None, outcomes=None):
    settings = dict(settings)
    if isinstance(outcomes, (list, tuple)):
        # survey.toml's [[outcomes]] (several outcomes side by side), not a second frame.
        settings["outcomes"], outcomes = list(outcomes), None
    if _path(ratings) is not None:
        settings["ratings"] = _path(ratings)
    if _path(outcomes) is not None:
        settings["nps"] = _path(outcomes)
    return fn(
        _settings(settings),
        _path(config),
        _frame(ratings, "ratings"),
        _frame(outcomes, "outcomes"),
    )


def drivers(
    frame: Any,
    target: str,
    drivers: Sequence[Any],
    *,
    outcome: str = "nps",
    outcomes: Any = None,
    id: Optional[str] = None,
    weights: Optional[str] = None,
    weights_are: str = "sampling",
    method: Union[str, Sequence[str]] = "all",
    missing: str = "listwise",
    bootstrap: int = 0,
    seed: Optional[int] = None,
    labels: Optional[Mapping[str, str]] = None,
    **settings: Any,
) -> pl.DataFrame:
    """Rank what drives ``target``: one row per driver, the columns of drivers.csv.

    ``frame`` holds the ratings (a polars, pandas or pyarrow frame, or a file path);
    ``outcomes`` a second frame or file with the outcome, joined on ``id``. ``drivers`` are
    column names, ``"column=Label"``, or ``{"column": ..., "label": ...}``. ``outcome`` is
    nps, csat, ces, numeric or binary; ``method`` one of all, shapley, relweights,
    dominance, kruskal, ols, corr, logit (or a list). ``bootstrap`` resamples give
    intervals (``ci_low``, ``share_ci_low``, …), seeded by ``seed``. Other keyword arguments are
    survey.toml's keys (``scale={"min": 1, "max": 10}``, ``missing_codes=[99]``,
    ``wave="quarter"``, ``segments=[...]``, ``positive=["yes"]``, ...).
    """
    return _call(
        _keydriver.drivers,
        dict(
            settings,
            target=target,
            outcome=outcome,
            drivers=_drivers(drivers, labels),
            id=id,
            weight=weights,
            weights_are=weights_are,
            methods=_methods(method),
            missing=missing,
            bootstrap=bootstrap,
            seed=seed,
        ),
        ratings=frame,
        outcomes=outcomes,
    )


def score(
    frame: Any,
    target: str,
    *,
    outcome: str = "nps",
    by: Union[str, Sequence[str], None] = None,
    wave: Optional[str] = None,
    weights: Optional[str] = None,
    outcomes: Any = None,
    id: Optional[str] = None,
    **settings: Any,
) -> pl.DataFrame:
    """The headline of ``target`` (NPS, % satisfied, mean effort, mean) with its standard
    error and 95% interval: overall, by ``wave`` (with changes) and by each ``by`` column;
    the columns of nps.csv."""
    return _call(
        _keydriver.score,
        dict(
            settings,
            target=target,
            outcome=outcome,
            segments=[by] if isinstance(by, str) else (list(by) if by else None),
            wave=wave,
            weight=weights,
            id=id,
        ),
        ratings=frame,
        outcomes=outcomes,
    )


def whatif(
    frame: Any,
    target: str,
    drivers: Sequence[Any],
    *,
    scenarios: Union[str, Sequence[str], Mapping[str, str], None] = None,
    model: Optional[str] = None,
    costs: Union[str, os.PathLike, None] = None,
    outcome: str = "nps",
    outcomes: Any = None,
    id: Optional[str] = None,
    weights: Optional[str] = None,
    bootstrap: int = 1000,
    seed: Optional[int] = None,
    labels: Optional[Mapping[str, str]] = None,
    **settings: Any,
) -> pl.DataFrame:
    """What a point is worth: the predicted change of ``target``'s headline under each
    scenario (``"wait_time+1"``, ``"quality>=7"``, ``"wait_time+1,quality+1"``, or a dict
    of name → shifts; by default each driver +1 alone), with a ``bootstrap`` interval and,
    given a ``costs`` CSV, the return per unit of cost. ``model`` is logits, ordinal or
    linear. The columns of whatif.csv."""
    whatif_settings = {"model": model, "scenarios": _scenarios(scenarios), "costs": _path(costs)}
    return _call(
        _keydriver.whatif,
        dict(
            settings,
            target=target,
            outcome=outcome,
            drivers=_drivers(drivers, labels),
            id=id,
            weight=weights,
            bootstrap=bootstrap,
            seed=seed,
            whatif={k: v for k, v in whatif_settings.items() if v is not None},
        ),
        ratings=frame,
        outcomes=outcomes,
    )


def analyse(
    config: Union[str, os.PathLike, None] = None,
    *,
    ratings: Any = None,
    outcomes: Any = None,
    **settings: Any,
) -> "Analysis":
    """The whole report's analysis: every outcome's headline and drivers, pooled and by
    wave and segment, what changed and why, and what a point is worth.

    ``config`` is a survey.toml; ``ratings`` and ``outcomes`` frames or files stand in for
    the files it names; other keyword arguments are survey.toml's keys and override it
    (``bootstrap=200``, ``segments=["region"]``, ``drivers=["wait_time=Wait time"]``,
    ``model={"methods": ["shapley"]}``, ...).
    """
    settings = dict(settings)
    if "drivers" in settings:
        settings["drivers"] = _drivers(settings["drivers"], settings.pop("labels", None))
    return Analysis(_call(_keydriver.analyse, settings, config=config, ratings=ratings, outcomes=outcomes))


class Analysis:
    """A finished analysis: its tables as polars frames and its report on demand.

    ``drivers`` (the main outcome's driver table), ``scores`` (its headline overall and by
    group), ``waves`` and ``segments`` (each group's headline and drivers, one row per
    group and driver), ``whatif`` (scenarios, or None), ``notes`` (what a reader should
    know), ``json()`` (everything), ``write_report(out)``.
    """

    def __init__(self, inner: "_keydriver.Analysis"):
        self._inner = inner

    @property
    def drivers(self) -> pl.DataFrame:
        return self._inner.drivers()

    @property
    def scores(self) -> pl.DataFrame:
        return self._inner.scores()

    @property
    def waves(self) -> pl.DataFrame:
        return self._inner.waves()

    @property
    def segments(self) -> pl.DataFrame:
        return self._inner.segments()

    @property
    def whatif(self) -> Optional[pl.DataFrame]:
        return self._inner.whatif()

    @property
    def notes(self) -> list:
        return self._inner.notes()

    @property
    def name(self) -> str:
        """The report's folder name: the latest wave."""
        return self._inner.name()

    @property
    def seed(self) -> int:
        return self._inner.seed()

    def json(self) -> dict:
        """Everything the analysis holds, as the report's JSON files hold it."""
        return json.loads(self._inner.json())

    def write_report(self, out: Union[str, os.PathLike] = "reports", force: bool = False, scale: int = 1) -> pathlib.Path:
        """Writes the report folder (markdown, HTML, charts, CSV/JSON) under ``out``, as
        ``keydriver report`` does; an existing report of the same name is kept unless
        ``force``. Returns the folder."""
        return pathlib.Path(self._inner.write_report(os.fspath(out), force, scale))

    @property
    def headline(self) -> dict:
        """The main outcome's headline as the report leads with it: in the latest wave, or
        over all respondents without waves."""
        metric, group, value, low, high, n = self._inner.headline()
        return dict(metric=metric, group=group, score=value, ci_low=low, ci_high=high, n=n)

    def __repr__(self) -> str:
        h = self.headline
        return (
            f"<keydriver.Analysis {self.name}: {h['metric']} in {h['group']} {h['score']:+.1f} "
            f"(95% CI {h['ci_low']:+.1f} to {h['ci_high']:+.1f}), n = {h['n']}>"
        )

    def _repr_html_(self) -> str:
        h = self.headline
        head = (
            f"<p><b>{html.escape(h['metric'])}</b> in {html.escape(h['group'])}: <b>{h['score']:+.1f}</b> "
            f"(95% CI {h['ci_low']:+.1f} to {h['ci_high']:+.1f}), {h['n']:,} respondents &middot; "
            f"keydriver {html.escape(__version__)}, seed {self.seed}</p>"
        )
        table = self.drivers
        wanted = [
            c
            for c in ("rank", "label", "shapley_share", "share_ci_low", "share_ci_high", "corr", "beta")
            if c in table.columns
        ]
        body = _html_table(table.select(wanted)) if wanted else ""
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return head + body + (f"<ul>{notes}</ul>" if notes else "")


def _html_table(table: pl.DataFrame) -> str:
    """A small HTML table, every cell escaped: labels come from the data."""

    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.3f}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in table.iter_rows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

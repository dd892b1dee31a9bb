"""Types of the keydriver package (see its docstrings)."""

import os
import pathlib
from typing import Any, Mapping, Optional, Sequence, Union

import polars as pl

__version__: str

Frame = Any  # a polars, pandas or pyarrow DataFrame, or a file path
PathLike = Union[str, os.PathLike]

class KeydriverError(ValueError):
    """Bad input or settings: the message names the file or frame, the column and the row."""

def drivers(
    frame: Frame,
    target: str,
    drivers: Sequence[Union[str, Mapping[str, str]]],
    *,
    outcome: str = "nps",
    outcomes: Optional[Frame] = None,
    id: Optional[str] = None,
    weights: Optional[str] = None,
    weights_are: str = "sampling",
    method: Union[str, Sequence[str]] = "all",
    missing: str = "listwise",
    bootstrap: int = 0,
    seed: Optional[int] = None,
    labels: Optional[Mapping[str, str]] = None,
    **settings: Any,
) -> pl.DataFrame: ...
def score(
    frame: Frame,
    target: str,
    *,
    outcome: str = "nps",
    by: Union[str, Sequence[str], None] = None,
    wave: Optional[str] = None,
    weights: Optional[str] = None,
    outcomes: Optional[Frame] = None,
    id: Optional[str] = None,
    **settings: Any,
) -> pl.DataFrame: ...
def whatif(
    frame: Frame,
    target: str,
    drivers: Sequence[Union[str, Mapping[str, str]]],
    *,
    scenarios: Union[str, Sequence[str], Mapping[str, str], None] = None,
    model: Optional[str] = None,
    costs: Optional[PathLike] = None,
    outcome: str = "nps",
    outcomes: Optional[Frame] = None,
    id: Optional[str] = None,
    weights: Optional[str] = None,
    bootstrap: int = 1000,
    seed: Optional[int] = None,
    labels: Optional[Mapping[str, str]] = None,
    **settings: Any,
) -> pl.DataFrame: ...
def analyse(
    config: Optional[PathLike] = None,
    *,
    ratings: Optional[Frame] = None,
    outcomes: Optional[Union[Frame, Sequence[Mapping[str, Any]]]] = None,
    **settings: Any,
) -> Analysis: ...

class Analysis:
    @property
    def drivers(self) -> pl.DataFrame: ...
    @property
    def scores(self) -> pl.DataFrame: ...
    @property
    def waves(self) -> pl.DataFrame: ...
    @property
    def segments(self) -> pl.DataFrame: ...
    @property
    def whatif(self) -> Optional[pl.DataFrame]: ...
    @property
    def notes(self) -> list[str]: ...
    @property
    def headline(self) -> dict[str, Any]: ...
    @property
    def name(self) -> str: ...
    @property
    def seed(self) -> int: ...
    def json(self) -> dict[str, Any]: ...
    def write_report(self, out: PathLike = "reports", force: bool = False, scale: int = 1) -> pathlib.Path: ...
    def _repr_html_(self) -> str: ...

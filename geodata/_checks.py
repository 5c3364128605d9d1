"""Column checks shared by the validators in `geodata.validate`.

Each check takes the raw column (text as read from CSV, or typed values from a GeoPackage or
GeoJSON), returns the problems it found and the parsed column. A problem about rows ends with
``(<n> rows, first <label>)``, where the label is the row's id or, when the id itself is
empty, ``data row <k>`` (the first row below the header is data row 1).

Parsing rules (the same for every file type):

* Missing means an empty cell (NaN). No other text counts as missing: ``NA``, ``NaN``,
  ``-`` or ``null`` in a numeric column are reported as "not numbers".
* Numbers are plain decimal numbers; ``inf``, ``1e400`` (overflows to infinity) and negative
  values are rejected where the contract asks for a count or an amount.
* Flags (``is_proxy``, ``general_care``) accept ``true``/``false`` in any letter case and
  ``1``/``0``. Anything else (``是``/``否``, ``yes``/``no``, ``t``/``f``, empty cells) is an
  error: a flag is never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.errors import DataProblem

__all__ = [
    "FLAG_SPELLINGS",
    "Rows",
    "blank",
    "code_problems",
    "examples",
    "flag_column",
    "number_column",
]

#: Accepted spellings of a flag, compared after lower-casing (``TRUE``, ``True`` and ``true``
#: are the same). Excel writes TRUE/FALSE, pandas True/False, GeoPackage stores 1/0.
FLAG_SPELLINGS: dict[str, bool] = {"true": True, "1": True, "false": False, "0": False}


def examples(values: Iterable[object], limit: int = 3) -> str:
    """Up to `limit` values quoted, then ``... (<n> in all)`` when there are more."""
    items = [str(v) for v in values]
    shown = ", ".join(repr(v) for v in items[:limit])
    return shown + (f" ... ({len(items)} in all)" if len(items) > limit else "")


def blank(series: pd.Series) -> pd.Series:
    """Return True where a cell is empty: missing, or text made only of spaces."""
    text = series.astype("string")
    return (text.isna() | text.str.strip().eq("")).fillna(value=True).astype(bool)


@dataclass(frozen=True)
class Rows:
    """Where row problems are reported: the source name and one label per row.

    A label is the row's id or, where the id is missing or empty, ``data row <k>`` (the first
    row below the header is data row 1).
    """

    source: str
    labels: pd.Series

    @classmethod
    def of(cls, frame: pd.DataFrame, id_column: str, *, source: str) -> Rows:
        """Label the rows of `frame` by `id_column` (by position when it is absent)."""
        positions = pd.Series(
            [f"data row {k}" for k in range(1, len(frame) + 1)], index=frame.index, dtype=object
        )
        if id_column not in frame.columns:
            return cls(source, positions)
        ids = frame[id_column].astype(str)
        return cls(source, ids.where(~blank(frame[id_column]), positions))

    def problem(
        self, column: str, bad: pd.Series, problem: str, fix: str, *, field: str | None = None
    ) -> DataProblem:
        """Describe a problem on the rows where `bad` is true, naming their count and the first.

        `field` replaces the usual ``column '<column>'`` (e.g. ``columns 'lon'/'lat'``).
        """
        first = self.labels[bad.to_numpy()].iloc[0]
        return DataProblem(
            self.source,
            field or f"column '{column}'",
            f"{problem} ({int(bad.sum())} rows, first {first})",
            fix,
        )


def number_column(
    frame: pd.DataFrame,
    column: str,
    rows: Rows,
    *,
    required: bool,
    non_negative: bool = True,
    missing_fix: str = "fill every row (0 is allowed)",
) -> tuple[list[DataProblem], pd.Series]:
    """Parse a numeric column: report text, missing (when `required`), infinite and negatives.

    Returns the problems and the column as float64 (NaN where a cell is empty or bad).
    """
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    missing = blank(raw)
    problems: list[DataProblem] = []
    unparsable = values.isna() & ~missing
    if unparsable.any():
        problems.append(
            rows.problem(
                column,
                unparsable,
                f"{int(unparsable.sum())} values are not numbers "
                f"({examples(raw[unparsable].unique())})",
                "write plain numbers (no units or thousands separators); "
                "leave the cell empty when unknown",
            )
        )
    if required and missing.any():
        problems.append(
            rows.problem(
                column,
                missing,
                f"{int(missing.sum())} values are missing (NaN)",
                missing_fix,
            )
        )
    infinite = values.notna() & ~np.isfinite(values)
    if infinite.any():
        problems.append(
            rows.problem(
                column,
                infinite,
                f"{int(infinite.sum())} values are not finite ({examples(raw[infinite].unique())})",
                "write an ordinary number (inf, and numbers too large for a float such as "
                "1e400, are not allowed)",
            )
        )
    negative = (values < 0) & ~infinite
    if non_negative and negative.any():
        problems.append(
            rows.problem(
                column,
                negative,
                f"{int(negative.sum())} values are negative ({examples(raw[negative].unique())})",
                "use zero or a positive number",
            )
        )
    return problems, values.where(np.isfinite(values))


def flag_column(
    frame: pd.DataFrame, column: str, rows: Rows
) -> tuple[list[DataProblem], pd.Series]:
    """Parse a true/false column strictly (see `FLAG_SPELLINGS`); returns problems and bools."""
    raw = frame[column]
    parsed = raw.astype("string").str.lower().map(FLAG_SPELLINGS)
    missing = blank(raw)
    bad = parsed.isna() & ~missing
    problems: list[DataProblem] = []
    allowed = "write true or false (also accepted: TRUE/FALSE, True/False, 1/0)"
    if bad.any():
        problems.append(
            rows.problem(
                column,
                bad,
                f"{int(bad.sum())} values are not true/false ({examples(raw[bad].unique()[:5])})",
                allowed,
            )
        )
    if missing.any():
        problems.append(
            rows.problem(
                column,
                missing,
                f"{int(missing.sum())} values are empty",
                f"{allowed} in every row, or leave out the column",
            )
        )
    return problems, parsed.fillna(value=False).astype(bool)


def code_problems(
    frame: pd.DataFrame, column: str, length: int, rows: Rows
) -> tuple[list[DataProblem], pd.Series]:
    """Check an administrative-code column; return problems and the column as strings."""
    series = frame[column]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        every = pd.Series(data=True, index=frame.index)
        problem = rows.problem(
            column,
            every,
            f"admin codes are stored as numbers (e.g. {examples(series.head(2))})",
            "store GB/T 2260 codes as text (quote them in CSV, string type in GeoPackage)",
        )
        return [problem], series.astype(str)
    text = series.astype("string")
    bad = (text.isna() | ~text.str.fullmatch(rf"\d{{{length}}}")).fillna(value=True).astype(bool)
    if bad.any():
        problem = rows.problem(
            column,
            bad,
            f"{int(bad.sum())} values are not {length}-digit codes "
            f"({examples(series[bad].head(5).tolist())})",
            f"use the {length}-digit GB/T 2260 code as text, without decimals or spaces",
        )
        return [problem], text.astype(object)
    return [], text.astype(object)

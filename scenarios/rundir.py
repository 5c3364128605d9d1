"""The result folder of a command: its names, its writer, its readers.

Every command that writes (``run`` of each kind, ``compare``, ``sweep``) writes through
`atomic_folder`, ends with `write_summary` (``summary.json`` with ``files`` and ``kind``)
and `write_timing` (``timing.json``), and writes its CSVs with `write_csv` and its JSON with
`write_json`; every reader goes through `read_summary`. The names live here: `MANIFEST`,
`SUMMARY`, `TIMING`.

Writing is atomic, and only where healthplan may write.

A result folder is built in a hidden sibling work folder, marked with a manifest
(``.healthplan.json``: kind, healthplan version, the files written) and swapped into place in
one step. A failure or an interrupt leaves the previous folder (if any) untouched and no
half-written one.

What ``--force`` may replace (`check_target`): only a folder that healthplan itself wrote (it
has the manifest) and that holds nothing else. Never an empty path, the working directory, an
ancestor of it, the home folder or an ancestor of it, or a folder holding an input of the
command (the scenario file, a file it extends, the facility table, a run being compared). A
user's own files are never deleted, with or without ``--force``.

The swap: on Linux ``renameat2(RENAME_EXCHANGE)`` exchanges the new and the old folder
atomically; elsewhere the old folder is renamed aside, then the new one into place. Signals
are held during the swap. Work folders are named ``.<name>.healthplan-work-<pid>-<random>``
(and ``-old-`` for an old folder set aside), so the next run towards the same target removes
those of processes that no longer exist and, if a kill fell between the two renames, puts the
old folder back first: the target is never left missing when one existed.
"""

from __future__ import annotations

import ctypes
import errno
import json
import math
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios import __version__
from scenarios.errors import ScenariosError

__all__ = [
    "CSV_DECIMALS",
    "FUTURES",
    "MANIFEST",
    "RUN_KINDS",
    "SUMMARY",
    "TIMING",
    "NoSummaryError",
    "OutputError",
    "OutputExistsError",
    "RunFolderError",
    "atomic_folder",
    "canonical",
    "check_target",
    "committed",
    "interrupt_requested",
    "jsonable",
    "read_manifest",
    "read_summary",
    "recover",
    "request_interrupt",
    "rounded",
    "write_csv",
    "write_json",
    "write_summary",
    "write_timing",
]

#: The manifest file that marks a folder as written by healthplan.
MANIFEST = ".healthplan.json"
#: Metrics, settings and provenance of a result (deterministic).
SUMMARY = "summary.json"
#: Every plan figure of an upgrade run under every population projection (`planning.futures`).
FUTURES = "futures.csv"
#: Wall-clock seconds per step: the only file that differs between equal runs.
TIMING = "timing.json"
#: What ``summary.json`` says a run folder holds (``kind``).
RUN_KINDS = ("upgrade", "centres", "specialties")
#: Decimal places kept in CSV files (floats are rounded, never printed in scientific form).
CSV_DECIMALS = 6
_FORMAT = 1
_FIXES = {
    errno.ENOSPC: "free some disk space or choose another -o",
    errno.EDQUOT: "free some disk space or choose another -o",
    errno.EFBIG: "the file-size limit (ulimit -f) is too small for this file - raise it",
    errno.EACCES: "choose a folder you can write to (-o)",
    errno.EPERM: "choose a folder you can write to (-o)",
    errno.EROFS: "the disk is read-only - choose another -o",
    errno.EEXIST: "choose another -o",
}
#: Folders this process swapped into place (the CLI tells an interrupt after a commit apart).
_COMMITTED: list[Path] = []
#: Set by the CLI's signal handler: some libraries swallow `KeyboardInterrupt` (WeasyPrint's
#: SVG drawing catches `BaseException`), so the swap checks this flag too.
_INTERRUPT: dict[str, bool] = {"requested": False}


class OutputError(ScenariosError, OSError):
    """The result folder cannot be written or replaced: one line naming the user's path."""

    def __init__(self, path: str | Path, problem: str, fix: str) -> None:
        self.path, self.problem, self.fix = str(path), problem, fix
        super().__init__(" ".join(f"{path}: {problem} - {fix}".splitlines()))

    def __str__(self) -> str:
        """Return the one-line message."""
        return str(self.args[0])

    def __reduce__(self) -> tuple[type[OutputError], tuple[str, str, str]]:
        """Pickle with the constructor's arguments (`args` holds only the message)."""
        return type(self), (self.path, self.problem, self.fix)


class RunFolderError(ScenariosError, ValueError):
    """A folder that is not a readable result of healthplan."""


class NoSummaryError(RunFolderError, FileNotFoundError):
    """A folder without ``summary.json``: not a result of healthplan."""


class OutputExistsError(OutputError, FileExistsError):
    """The result folder exists and replacing it was not asked for."""

    def __init__(self, folder: str | Path) -> None:
        super().__init__(
            folder, "output folder exists", "pass --force to replace it or choose another -o"
        )

    def __reduce__(self) -> tuple[type[OutputError], tuple[str, str, str]]:
        """Pickle as an `OutputError` with the same path, problem and fix."""
        return OutputError, (self.path, self.problem, self.fix)


def request_interrupt(requested: bool = True) -> None:
    """Record that the user asked to stop (or clear it): no folder is swapped in after this."""
    _INTERRUPT["requested"] = requested


def interrupt_requested() -> bool:
    """Whether the user asked to stop (see `request_interrupt`)."""
    return _INTERRUPT["requested"]


def committed() -> tuple[Path, ...]:
    """Return the folders this process has swapped into place so far."""
    return tuple(_COMMITTED)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """Read the manifest of `folder`; None when it has none (or an unreadable one)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    return data


def _within(path: Path, folder: Path) -> bool:
    """Tell whether `path` is `folder` or lies inside it."""
    return path == folder or folder in path.parents


def _protected(target: Path) -> str | None:
    """Why `target` may never be replaced, or None."""
    cwd = Path.cwd().resolve()
    if _within(cwd, target):
        return "is the working directory" if target == cwd else "holds the working directory"
    home = Path.home().resolve()
    if _within(home, target):
        return "is the home folder" if target == home else "holds the home folder"
    return None


def check_target(folder: str | Path, *, force: bool, inputs: Iterable[str | Path] = ()) -> Path:
    """Check that the result folder `folder` may be written; return it as an absolute path.

    Parameters
    ----------
    folder
        The result folder (``-o``).
    force
        Whether an existing folder may be replaced (``--force``).
    inputs
        Files and folders the command reads: the target may not hold any of them.

    Raises
    ------
    OutputError
        Empty path; a file in the way; a protected folder (the working directory, an ancestor
        of it, the home folder, one holding an input); with `force`, a folder healthplan did
        not write or one holding files it did not write.
    OutputExistsError
        If `folder` exists and `force` is false.
    """
    if not str(folder).strip():
        where = "-o"
        raise OutputError(where, "empty path", "name a result folder, e.g. -o out/baseline")
    target = Path(folder).expanduser().absolute()
    if target.exists() and not target.is_dir():
        raise OutputError(target, "is a file, not a folder", "choose another -o")
    if target.is_symlink():
        raise OutputError(target, "is a symbolic link", "give the real folder or another -o")
    real = target.resolve()
    reason = _protected(real)
    for item in inputs:
        if _within(Path(item).resolve(), real):
            reason = f"holds an input of this command ({item})"
            break
    if reason:
        raise OutputError(target, f"{reason}, healthplan will not write there", _OTHER)
    if not target.exists():
        return target
    if not force:
        raise OutputExistsError(target)
    manifest = read_manifest(target)
    if manifest is None:
        raise OutputError(
            target,
            f"not a result folder written by healthplan (no {MANIFEST}), --force will not "
            "replace it",
            "remove it yourself or choose another -o",
        )
    known = {Path(name).parts[0] for name in manifest["files"] if isinstance(name, str)}
    foreign = sorted(p.name for p in target.iterdir() if p.name not in known | {MANIFEST})
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise OutputError(
            target,
            f"holds files healthplan did not write ({shown}), --force will not replace it",
            "move them out or choose another -o",
        )
    return target


_OTHER = "choose another -o, e.g. -o out/<name>"
_WORK = re.compile(r"^\.(?P<name>.+)\.healthplan-(?P<what>work|old)-(?P<pid>\d+)-[^/]+$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(target: Path) -> None:
    """Tidy what killed runs left beside `target`.

    An old folder set aside is put back if the target is missing; the work folders of
    processes that no longer exist are removed.
    """
    if not target.parent.is_dir():
        return
    stale = []
    for path in sorted(target.parent.iterdir()):
        found = _WORK.match(path.name)
        if found and found["name"] == target.name and not _alive(int(found["pid"])):
            stale.append((found["what"], path))
    for what, path in stale:
        if what == "old" and not target.exists() and read_manifest(path) is not None:
            path.rename(target)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap `a` and `b` atomically (Linux ``renameat2``); False where that is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM (delivered after the block) where the platform allows it."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _swap(work: Path, target: Path) -> None:
    """Put `work` at `target`, removing the old target; atomic where the OS allows it."""
    with _signals_held():
        if _INTERRUPT["requested"]:
            raise KeyboardInterrupt
        if target.exists():
            if not _exchange(work, target):
                old = work.with_name(work.name.replace("-work-", "-old-", 1))
                target.rename(old)
                work.rename(target)
                work = old
            shutil.rmtree(work, ignore_errors=True)
        else:
            work.rename(target)
        _COMMITTED.append(target)


def _user_error(error: OSError, work: Path, target: Path) -> OutputError:
    """`error` told against the user's path, never the hidden work folder."""
    where = str(error.filename or target)
    if where.startswith(str(work)):
        where = str(target) + where[len(str(work)) :]
    problem = error.strerror or str(error)
    return OutputError(where, problem, _FIXES.get(error.errno or 0, "choose another -o"))


@contextmanager
def atomic_folder(
    folder: str | Path,
    *,
    force: bool = False,
    kind: str = "run",
    inputs: Iterable[str | Path] = (),
) -> Iterator[Path]:
    """Yield an empty work folder that becomes `folder` when the block ends without error.

    Files get mode 644 and folders 755 (``mkdtemp`` makes private ones), so the result reads
    like any other folder the user made. The manifest ``.healthplan.json`` (kind, version,
    files) is written last.

    Parameters
    ----------
    folder
        The result folder.
    force
        Replace an existing result folder (see `check_target` for what may be replaced).
    kind
        What the folder holds: ``run``, ``compare`` or ``sweep``.
    inputs
        Files and folders the command reads (never replaced).

    Raises
    ------
    OutputError
        See `check_target` (checked before and again at the end); a file that cannot be
        written (disk full, permissions), named by its path in the result folder.
    """
    inputs = tuple(inputs)
    target = check_target(folder, force=force, inputs=inputs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        recover(target)
        prefix = f".{target.name}.healthplan-work-{os.getpid()}-"
        work = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    except OSError as error:  # named by the user's folder, never the hidden work folder
        failed = Path(error.filename) if error.filename else None
        where = failed if failed is not None and _within(target, failed) else target.parent
        fix = _FIXES.get(error.errno or 0, "choose another -o")
        raise OutputError(where, error.strerror or str(error), fix) from None
    try:
        try:
            yield work
            files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
            manifest = {
                "files": files,
                "format": _FORMAT,
                "healthplan": __version__,
                "kind": kind,
            }
            text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
            (work / MANIFEST).write_text(text, encoding="utf-8")
            for path in sorted(work.rglob("*")):
                path.chmod(0o755 if path.is_dir() else 0o644)
            work.chmod(0o755)
            check_target(target, force=force, inputs=inputs)
            _swap(work, target)
        except OSError as error:
            if isinstance(error, OutputError):
                raise
            raise _user_error(error, work, target) from None
    finally:
        with suppress(OSError):
            shutil.rmtree(work, ignore_errors=True)


def jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars unwrapped, NaN and infinities as null, keys as text."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    """UTF-8 JSON with sorted keys, two-space indent and a final newline."""
    text = json.dumps(jsonable(payload), ensure_ascii=False, indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Floats rounded to `CSV_DECIMALS` places (stable text across platforms)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(CSV_DECIMALS)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    r"""Write `frame` as UTF-8 CSV: no index, floats rounded (`rounded`), ``\n`` line ends."""
    rounded(frame).to_csv(path, index=False, lineterminator="\n")


def canonical(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return `payload` exactly as `read_summary` would after `write_json`.

    That is JSON types with keys sorted: what readers in memory see, without a round trip
    through the disk.
    """
    result: dict[str, Any] = json.loads(
        json.dumps(jsonable(payload), ensure_ascii=False, sort_keys=True)
    )
    return result


def write_summary(work: Path, summary: dict[str, Any], *, also: Iterable[str] = ()) -> None:
    """Write ``summary.json`` into the work folder `work`, with the list of its ``files``.

    Every run kind calls it; ``summary["kind"]`` must be one of `RUN_KINDS`.

    Parameters
    ----------
    work
        The work folder of the run, holding what was written so far.
    summary
        The summary. Its ``files`` key is set here, in place: every file of the folder, the
        names in `also`, ``summary.json`` itself and ``timing.json``.
    also
        Names of files written after the summary (e.g. briefings).

    Raises
    ------
    ValueError
        If ``summary["kind"]`` is not one of `RUN_KINDS`.
    """
    if summary.get("kind") not in RUN_KINDS:
        msg = f"summary kind {summary.get('kind')!r} is not one of {RUN_KINDS}"
        raise ValueError(msg)
    summary["files"] = sorted({p.name for p in work.iterdir()} | set(also) | {SUMMARY, TIMING})
    write_json(work / SUMMARY, summary)


def write_timing(work: Path, seconds: Mapping[str, Any], *, wall: float) -> dict[str, Any]:
    """Write ``timing.json`` into `work` and return what was written.

    Parameters
    ----------
    work
        The work folder of the run.
    seconds
        Seconds per step (mappings of them allowed), written rounded to milliseconds.
    wall
        The `time.perf_counter` reading at the start: ``total_s`` is the time since.
    """

    def ms(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: ms(v) for k, v in value.items()}
        return round(float(value), 3)

    timing = {k: ms(v) for k, v in seconds.items()}
    timing["total_s"] = round(time.perf_counter() - wall, 3)
    write_json(work / TIMING, timing)
    return timing


def read_summary(folder: str | Path) -> dict[str, Any]:
    """Read the ``summary.json`` of the result folder `folder`, checked to be a JSON object.

    Raises
    ------
    NoSummaryError
        (a `RunFolderError` and `FileNotFoundError`) If the folder has no ``summary.json``.
    RunFolderError
        If ``summary.json`` is unreadable or not a JSON object.
    """
    path = Path(folder) / SUMMARY
    if not path.is_file():
        msg = f"{Path(folder)}: no {SUMMARY} - pass a folder written by 'healthplan run'"
        raise NoSummaryError(msg)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = " ".join(f"{path}: unreadable ({exc}) - run the scenario again".splitlines())
        raise RunFolderError(msg) from exc
    if not isinstance(summary, dict):
        msg = (
            f"{path}: not a healthplan run summary (a JSON {type(summary).__name__}) - "
            "pass a folder written by 'healthplan run'"
        )
        raise RunFolderError(msg)
    return summary
